import type { BillRunReport } from '../../billing';
import { formatDuration, slackTime } from './time';
import { escapeMrkdwn } from './mrkdwn';
import { clip, MAX_SECTION, money, plural, section, type Rendered } from './kit';
import { billingWhat, invoiceLine, reportSummary } from './summary';
import { errorForPeople } from './runError';

export { errorForPeople };

/**
 * A bill run's report in its channel: the message posted when it starts, updated with its
 * progress, and replaced by how it ended; a scheduled run that could not start; a run
 * stopped by the database. Each message's `text` (the notification, and what Slack shows
 * where blocks cannot be) is one line: run, configuration, period, invoices, total, failures;
 * its blocks hold the details. Slack posts them as they are; the shell prints their blocks.
 */

/** Everything a channel report shows about a bill run at one moment. */
export interface RunView {
  report: BillRunReport;
  /** The configuration's time zone: times are shown in it. */
  timeZone: string;
  /** The scheduled time, when a schedule started the run. */
  scheduledFor: Date | null;
  /** Started after its scheduled time (caught up after downtime). */
  late: boolean;
  /** When this process started working on the run (for "ran late" wording). */
  startedAt: Date;
  /** Packages skipped, per reason (complete, unlike report.skipped). */
  skipReasons: { reason: string; count: number }[];
  /** What is not done yet (batches and the accounts in them). */
  remaining: { batches: number; accounts: number };
}

export interface RunNotStarted {
  configuration: string;
  scheduledFor: Date;
  timeZone: string;
  late: boolean;
  error: string;
}

export interface RunInterrupted {
  runId: number;
  configuration: string;
  /** The database error, as its driver gave it. */
  reason: string;
}

/** Counts in run reports group thousands ("1,200 accounts"). */
const grouped = (n: number) => n.toLocaleString('en-US');

function title(run: RunView): string {
  const r = run.report.run;
  const scope = r.scope === 'account' && r.account ? ` for ${escapeMrkdwn(r.account)}` : '';
  return `bill run #${r.id} of *${escapeMrkdwn(r.configuration)}*${scope}`;
}

function contextLines(run: RunView): string[] {
  const r = run.report.run;
  const lines = [`Billing period ${r.periodStart} to ${r.periodEnd}.`];
  if (run.scheduledFor) {
    const when = slackTime(run.scheduledFor, run.timeZone);
    if (run.late) {
      const lateBy = formatDuration(run.startedAt.getTime() - run.scheduledFor.getTime());
      lines.push(`:warning: Ran late: scheduled for ${when}, started ${lateBy} later (the bot was not running then).`);
    } else {
      lines.push(`Scheduled for ${when}.`);
    }
  } else {
    lines.push(`Started by ${escapeMrkdwn(r.startedBy)}.`);
  }
  return lines;
}

function amounts(byCurrency: Record<string, string>): string {
  const entries = Object.entries(byCurrency).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return 'nothing';
  return entries.map(([currency, amount]) => `${money(amount, currency)} ${currency}`).join(', ');
}

/** How many invoices, and packages skipped, a run's report shows; the rest are counted (and listed in its thread). */
export const REPORT_SHOWN = 5;

/** The first few invoices, and how many more the run created (counted from its totals); all are in its workbook. */
const INVOICES_SHOWN = REPORT_SHOWN;
function invoiceLines(run: RunView): string[] {
  const { invoices, totals } = run.report;
  const shown = invoices.slice(0, INVOICES_SHOWN);
  const lines = shown.map((i) => `• ${invoiceLine(i)}`);
  const more = Math.max(totals.invoicesCreated, invoices.length) - shown.length;
  if (more > 0) {
    const where = run.report.run.status === 'completed' ? ' (every invoice is in the invoices workbook in this thread)' : '';
    lines.push(`• … and ${plural(more, 'more invoice', 'more invoices', grouped)}${where}.`);
  }
  return lines;
}

function totalsLines(run: RunView): string[] {
  const t = run.report.totals;
  const lines = [
    `Accounts billed: ${t.accountsBilled.toLocaleString('en-US')} · packages billed: ${t.packagesBilled.toLocaleString('en-US')} · charges: ${t.charges.toLocaleString('en-US')}`,
    `Invoices created: ${t.invoicesCreated.toLocaleString('en-US')} · amount invoiced: ${amounts(t.invoicedByCurrency)}`,
    ...invoiceLines(run),
    `Credits issued: ${t.creditsIssued.toLocaleString('en-US')} · credits disbursed: ${t.creditsDisbursed.toLocaleString('en-US')} · reversals applied: ${t.reversalsApplied.toLocaleString('en-US')}`,
  ];
  if (Object.keys(t.paymentsApplied ?? {}).length) lines.push(`Unapplied payments applied to the new invoices: ${amounts(t.paymentsApplied ?? {})}`);
  if (t.packagesSkipped === 0) {
    lines.push('Packages skipped: none');
  } else {
    const reasons = run.skipReasons.map((s) => `${escapeMrkdwn(s.reason)} ${s.count.toLocaleString('en-US')}`).join(', ');
    lines.push(`Packages skipped: ${t.packagesSkipped.toLocaleString('en-US')} (${reasons})`);
    const shown = run.report.skipped.slice(0, REPORT_SHOWN);
    for (const s of shown) lines.push(clip(`• ${escapeMrkdwn(s.account)} – ${escapeMrkdwn(s.package)}: ${escapeMrkdwn(s.message)}`, 400));
    if (t.packagesSkipped > shown.length) lines.push(`• … and ${grouped(t.packagesSkipped - shown.length)} more, counted by reason above.`);
  }
  return lines;
}

function progressLine(run: RunView): string {
  const r = run.report.run;
  return `Progress: ${r.batchesDone.toLocaleString('en-US')} of ${plural(r.batchesTotal, 'batch', 'batches', grouped)} done · ${plural(run.report.totals.accountsBilled, 'account', 'accounts', grouped)} billed so far.`;
}

/**
 * A report: `summary` as its one-line text; in its blocks the headline, then its lines packed
 * into sections at line ends (a run's report is a few lines whatever its size: totals, 5
 * skipped packages and a count of the rest).
 */
function message(headline: string, lines: string[], summary = headline): Rendered {
  const sections: string[] = [];
  for (const line of lines) {
    const last = sections.length - 1;
    if (last >= 0 && sections[last].length + 1 + line.length <= MAX_SECTION) sections[last] += `\n${line}`;
    else sections.push(line);
  }
  return {
    text: clip(summary.replace(/\s*\n\s*/g, ' '), 4000),
    blocks: [section(headline), ...sections.map((s) => section(s))],
  };
}

/** The one-line text of a run still going: "Bill run #12 started: Nightly, 2026-10-01 to 2026-10-31: 0 of 3 batches done, 0 accounts billed." */
function runningSummary(run: RunView, state: 'started' | 'running'): string {
  const r = run.report.run;
  const done = `${grouped(r.batchesDone)} of ${plural(r.batchesTotal, 'batch', 'batches', grouped)} done`;
  return `Bill run #${r.id} ${state}: ${billingWhat(r)}, ${r.periodStart} to ${r.periodEnd}: ${done}, ${plural(run.report.totals.accountsBilled, 'account', 'accounts', grouped)} billed so far.`;
}

export function runStartedMessage(run: RunView): Rendered {
  return message(`:hourglass_flowing_sand: Started ${title(run)}.`, [...contextLines(run), progressLine(run)], runningSummary(run, 'started'));
}

export function runProgressMessage(run: RunView): Rendered {
  return message(`:hourglass_flowing_sand: Running ${title(run)}.`, [...contextLines(run), progressLine(run)], runningSummary(run, 'running'));
}

export function runEndedMessage(run: RunView): Rendered {
  const r = run.report.run;
  if (r.status === 'completed') {
    return message(`:white_check_mark: Completed ${title(run)}.`, [...contextLines(run), ...totalsLines(run)], reportSummary(run.report));
  }
  const done = `Done: ${r.batchesDone.toLocaleString('en-US')} of ${plural(r.batchesTotal, 'batch', 'batches', grouped)}, with these results:`;
  const notDone =
    run.remaining.batches > 0
      ? `Not done: ${plural(run.remaining.batches, 'batch', 'batches', grouped)} (${plural(run.remaining.accounts, 'account', 'accounts', grouped)} not billed yet). Resuming run #${r.id} bills only those; nothing done is billed twice.`
      : 'Not done: nothing left to bill, but the run did not complete.';
  return message(`:x: Failed ${title(run)}: ${escapeMrkdwn(errorForPeople(r.error))}`, [
    ...contextLines(run),
    done,
    ...totalsLines(run),
    notDone,
  ], reportSummary(run.report));
}

export function runInterruptedMessage(interruption: RunInterrupted): Rendered {
  return message(
    `:x: Bill run #${interruption.runId} of *${escapeMrkdwn(interruption.configuration)}* stopped: the database could not be reached (${escapeMrkdwn(errorForPeople(interruption.reason))}).`,
    [
      'Everything billed before it stopped stays billed. The run resumes by itself once the database is back, and nothing is billed twice; this message then shows how it ended.',
    ],
  );
}

export function runNotStartedMessage(failure: RunNotStarted): Rendered {
  const when = slackTime(failure.scheduledFor, failure.timeZone);
  const headline = `:x: The scheduled bill run of *${escapeMrkdwn(failure.configuration)}* could not start: ${escapeMrkdwn(failure.error)}`;
  const line = `Scheduled for ${when}${failure.late ? ', run late' : ''}. Nothing was billed.`;
  return message(headline, [line], `${headline} ${line}`);
}

/** The title of a run's invoices workbook, attached under its report. */
export function runInvoicesTitle(run: RunView): string {
  const r = run.report.run;
  return `Invoices of bill run #${r.id} (${r.configuration}, ${r.periodStart} to ${r.periodEnd})`;
}
