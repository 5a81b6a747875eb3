import type { types } from '@slack/bolt';
import type { BillRunReport } from '../../billing';
import type { Outcome } from '../commands/execute';
import { slackTime } from './time';
import { bold, escapeMrkdwn } from './mrkdwn';
import { errorForPeople } from './runError';
import { invoiceLine, LINE_MAX, reportSummary } from './summary';

export { invoicedTotal, invoiceLine, LINE_MAX, reportSummary } from './summary';
import { capBlocks, channelRef, clip, context, fields, grouped, header, list, money, plural, section, type KnownBlock, type Rendered } from './kit';

/** Bill runs: a run's report (or preview), a run started or resuming, a run's status. */

/**
 * How many of each list a run's notice shows, whatever the run's size; the rest are counted
 * from the run's totals, and listed in the message's thread (reportThread.ts).
 */
export const NOTICE_SHOWN = { invoices: 10, billed: 5, skipped: 5 } as const;
export const billedLine = (b: BillRunReport['billed'][number]): string =>
  clip(`${bold(b.account)} — ${escapeMrkdwn(b.package)}: ${b.periodStart} to ${b.periodEnd}, ${money(b.amount, b.currency)}; next bill date ${b.nextBillDate}`, LINE_MAX);
export const skippedLine = (s: BillRunReport['skipped'][number]): string =>
  clip(`${bold(s.account)} — ${escapeMrkdwn(s.package)}: ${escapeMrkdwn(s.message)}`, LINE_MAX);

/** Packages the billed rows show ((account, package) pairs; a package billed for two periods has two rows). */
export function packagesIn(billed: BillRunReport['billed']): number {
  return new Set(billed.map((b) => `${b.account}\u0000${b.package}`)).size;
}

/** True when the run's notice cannot show all of its lists: the rest go in its thread. */
export function listsGoBeyondNotice(report: BillRunReport): boolean {
  const t = report.totals;
  return (
    Math.max(t.invoicesCreated, report.invoices.length) > NOTICE_SHOWN.invoices ||
    Math.max(t.packagesSkipped, report.skipped.length) > NOTICE_SHOWN.skipped ||
    report.billed.length > NOTICE_SHOWN.billed ||
    t.packagesBilled > packagesIn(report.billed.slice(0, NOTICE_SHOWN.billed))
  );
}

export function renderReport(report: BillRunReport): Rendered {
  const { run } = report;
  const who = run.account ? bold(run.account) : `the bill groups of ${bold(run.configuration)}`;
  const title = report.preview
    ? `Preview: billing ${run.account ?? `the bill groups of ${run.configuration}`}`
    : `Bill run #${run.id} ${run.status}`;
  const blocks: KnownBlock[] = [header(title)];
  if (report.preview) blocks.push(section('*Preview — nothing was written.* This is what the bill run would do.'));

  const pairs: [string, string][] = [
    ['Billing', who],
    ['Configuration', escapeMrkdwn(run.configuration)],
    ['Period', `${run.periodStart} to ${run.periodEnd}`],
    ['Posting date', run.postingDate],
    ['Invoice date', run.invoiceDate],
    ['Started by', escapeMrkdwn(run.startedBy)],
  ];
  if (!report.preview) pairs.unshift(['Run', `#${run.id}, ${run.status}`]);
  if (run.status === 'running' || run.status === 'scheduled') pairs.push(['Progress', `${grouped(run.batchesDone)} of ${grouped(run.batchesTotal)} batches billed`]);
  blocks.push(...fields(pairs));
  if (run.error) blocks.push(section(`*The run failed:* ${escapeMrkdwn(errorForPeople(run.error))}\nRunning it again resumes with what is not billed yet.`));
  blocks.push(...reportDetails(report));
  return { text: reportSummary(report), blocks };
}

/** A report's first few list items (invoices, packages billed and skipped), with the rest counted from its totals, and its totals. */
function reportDetails(report: BillRunReport): KnownBlock[] {
  const { run, totals } = report;
  const blocks: KnownBlock[] = [];
  const invoiceTitle = report.preview ? 'Invoices it would create' : 'Invoices created';
  if (report.invoices.length) {
    blocks.push(...list(`${invoiceTitle} (${grouped(totals.invoicesCreated)})`, report.invoices.map(invoiceLine), NOTICE_SHOWN.invoices, Math.max(totals.invoicesCreated, report.invoices.length)));
  } else if (run.status === 'completed' || report.preview) {
    blocks.push(section(`*${invoiceTitle}:* none`));
  }

  if (report.billed.length) {
    const accounts = new Set(report.billed.map((b) => b.account)).size;
    const shown = report.billed.slice(0, NOTICE_SHOWN.billed);
    const title = `Billed (${plural(totals.packagesBilled, 'package', 'packages', grouped)} of ${plural(Math.max(totals.accountsBilled, accounts), 'account', 'accounts', grouped)})`;
    // Rows are (account, package, period): the rest is counted in packages, from the run's totals.
    blocks.push(...list(title, shown.map(billedLine), shown.length, shown.length + Math.max(0, totals.packagesBilled - packagesIn(shown))));
  }
  if (report.skipped.length) {
    blocks.push(...list(`Skipped (${grouped(totals.packagesSkipped)})`, report.skipped.map(skippedLine), NOTICE_SHOWN.skipped, Math.max(totals.packagesSkipped, report.skipped.length)));
  }
  if (!report.billed.length && !report.skipped.length && (run.status === 'completed' || report.preview)) {
    blocks.push(section('No package was due in this period.'));
  }

  const invoiced = Object.entries(totals.invoicedByCurrency).map(([cur, amount]) => money(amount, cur));
  const paidFromUnapplied = Object.entries(totals.paymentsApplied ?? {}).map(([cur, amount]) => money(amount, cur));
  const count = (n: number, one: string, many = `${one}s`) => plural(n, one, many, grouped);
  blocks.push(
    context(
      [
        count(totals.accountsBilled, 'account') + ' billed',
        count(totals.packagesBilled, 'package') + ' billed',
        `${grouped(totals.packagesSkipped)} skipped`,
        count(totals.charges, 'charge'),
        count(totals.creditsIssued, 'credit') + ' issued',
        `${grouped(totals.creditsDisbursed)} disbursed automatically`,
        count(totals.reversalsApplied, 'reversal') + ' applied',
        ...(invoiced.length ? [`invoiced ${invoiced.join(' + ')}`] : []),
        ...(paidFromUnapplied.length ? [`unapplied payments applied ${paidFromUnapplied.join(' + ')}`] : []),
      ].join(' · '),
    ),
  );
  if (!report.preview && listsGoBeyondNotice(report)) {
    blocks.push(context(`_The first few of each list, the rest counted from the run; every invoice is in \`/billing export invoices run ${run.id}\`._`));
  }
  return blocks;
}

function reportedIn(reportChannel: string | null, here: boolean, runId: number): string {
  if (here) return 'It is reported here.';
  if (reportChannel) return `It is reported in ${channelRef(reportChannel)}.`;
  return `\`/bill status ${runId}\` shows how it goes.`;
}

export function renderRunStarted(o: Extract<Outcome, { kind: 'bill.started' }>): Rendered {
  const text = o.created
    ? `Bill run #${o.runId} scheduled: billing ${escapeMrkdwn(o.billing)}. ${reportedIn(o.reportChannel, o.here, o.runId)}`
    : billRunRepeated(o.runId);
  return { text, blocks: [section(text)] };
}

export function renderRunResuming(o: Extract<Outcome, { kind: 'bill.resuming' }>): Rendered {
  const text =
    `Resuming bill run #${o.runId}: only what it did not bill yet is billed; nothing done is billed twice. ` +
    reportedIn(o.reportChannel, o.here, o.runId);
  return { text, blocks: [section(text)] };
}

// A bill run started from a Slack form or command (bot/slack/billRun.ts posts these).

/** To the requester: the request had already started a run, which is not run again. */
export function billRunRepeated(runId: number): string {
  return `This request already started bill run #${runId}, so it is not run again. \`/bill status ${runId}\` shows it.`;
}

/** To the requester: the run is recorded (`what`: the account, or the bill groups of a configuration). */
export function billRunScheduled(runId: number, what: string): string {
  return `Bill run #${runId} scheduled: billing ${escapeMrkdwn(what)}. The result will be posted in this channel.`;
}

/** The channel's progress line while a long run bills its batches. */
export function billRunProgress(p: { runId: number; batchesDone: number; batchesTotal: number }): string {
  return `:hourglass_flowing_sand: Bill run #${p.runId}: ${p.batchesDone} of ${p.batchesTotal} batches billed so far…`;
}

/** A run that failed: the failure as people should read it, then the run's report when it could be read. */
export function renderRunFailed(runId: number, sentence: string, report: BillRunReport | null): Rendered {
  const text = escapeMrkdwn(`Bill run #${runId} failed: ${sentence}`);
  const details = report ? capBlocks(renderReport(report).blocks) : [];
  return { text, blocks: [section(text), ...details].slice(0, 50) };
}

/** The block a face may give a Resume button (Slack does). */
export const RESUME_BLOCK_ID = 'bill_run_resume';

export function renderRunStatus(report: BillRunReport, remaining: { batches: number; accounts: number }, resumeWith: string | null): Rendered {
  const { run } = report;
  const who = run.account ? bold(run.account) : `the bill groups of ${bold(run.configuration)}`;
  const pairs: [string, string][] = [
    ['Run', `#${run.id}, ${run.status}`],
    ['Billing', who],
    ['Configuration', escapeMrkdwn(run.configuration)],
    ['Period', `${run.periodStart} to ${run.periodEnd}`],
    ['Posting date', run.postingDate],
    ['Batches', `${run.batchesDone} of ${run.batchesTotal} done`],
    ['Started by', escapeMrkdwn(run.startedBy)],
    ['Started', slackTime(new Date(run.createdAt), 'UTC')],
  ];
  if (run.finishedAt) pairs.push(['Finished', slackTime(new Date(run.finishedAt), 'UTC')]);
  const blocks: KnownBlock[] = [header(`Bill run #${run.id} ${run.status}`), ...fields(pairs)];
  if (run.status === 'failed') {
    blocks.push(section(`*The run failed:* ${escapeMrkdwn(run.error ?? 'unknown error')}`));
    const notDone =
      remaining.batches > 0
        ? `*Not done:* ${plural(remaining.batches, 'batch', 'batches')} (${plural(remaining.accounts, 'account')} not billed yet).`
        : '*Not done:* nothing is left to bill.';
    if (resumeWith) {
      blocks.push({
        ...section(`${notDone} Resuming bills only those; nothing done is billed twice: \`${escapeMrkdwn(resumeWith)}\``),
        block_id: RESUME_BLOCK_ID,
      });
    } else {
      blocks.push(section(notDone));
    }
  }
  blocks.push(...reportDetails(report));
  const text =
    `Bill run #${run.id} ${run.status}: ${run.batchesDone} of ${plural(run.batchesTotal, 'batch', 'batches')} done, ` +
    `${plural(report.totals.invoicesCreated, 'invoice')} created` +
    (run.status === 'failed' ? `; it failed: ${escapeMrkdwn(run.error ?? 'unknown error')}` : '') +
    '.';
  return { text, blocks };
}

/** A failed run's status with its Resume button (`button`: the Slack action id and value) beside the resume line. */
export function withResumeButton(rendered: Rendered, runId: number, button: { actionId: string; value: string }): Rendered {
  const blocks = rendered.blocks.map((block) =>
    block.type === 'section' && block.block_id === RESUME_BLOCK_ID ? { ...block, accessory: resumeButton(runId, button) } : block,
  );
  return { text: rendered.text, blocks };
}

function resumeButton(runId: number, button: { actionId: string; value: string }): types.Button {
  return {
    type: 'button',
    action_id: button.actionId,
    text: { type: 'plain_text', text: `Resume run #${runId}` },
    style: 'primary',
    value: button.value,
    confirm: {
      title: { type: 'plain_text', text: `Resume bill run #${runId}?` },
      text: { type: 'mrkdwn', text: 'Only what the run has not billed yet is billed; nothing it did is billed twice.' },
      confirm: { type: 'plain_text', text: 'Resume' },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  };
}
