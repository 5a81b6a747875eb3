import type { types } from '@slack/bolt';
import type { BillRunReport, CreditView } from '../../billing';
import { Money } from '../../billing/money';
import type { InvoiceDetail, Outcome, WorkbookKind } from '../commands/execute';
import { importChanges, type SetupImportResult } from '../../sheets/changes';
import { HELP, HelpTopic } from '../commands/schema';
import { formatLocalTime } from './time';
import type { ScheduleView } from '../scheduler/scheduler';
import { bold, escapeMrkdwn } from './mrkdwn';

/**
 * The one renderer: an Outcome as Block Kit for Slack, and (through blocksToText) as plain
 * text for the shell and the CLI. Every piece of user-provided text goes through
 * escapeMrkdwn; money goes through Money.format.
 */

export type KnownBlock = types.KnownBlock;

export interface Rendered {
  /** The notification / fallback text (mrkdwn, escaped like the blocks). */
  text: string;
  blocks: KnownBlock[];
}

/** Slack's limits: 50 blocks a message, 3000 characters a section, 10 fields, 10 context elements. */
const MAX_BLOCKS = 50;
const MAX_SECTION = 3000;
/** Lines shown per list; the rest are counted. */
export const LIST_LIMIT = 25;

function money(amount: string, currency: string): string {
  return Money.exact(amount, currency).format();
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function header(text: string): types.HeaderBlock {
  const clipped = text.length > 150 ? `${text.slice(0, 149)}…` : text;
  return { type: 'header', text: { type: 'plain_text', text: clipped, emoji: false } };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function section(mrkdwn: string): types.SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, MAX_SECTION) } };
}

/** Label/value pairs (values already mrkdwn); at most 10 per section, as Slack allows. */
function fields(pairs: [string, string][]): types.SectionBlock[] {
  const blocks: types.SectionBlock[] = [];
  for (let i = 0; i < pairs.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: pairs.slice(i, i + 10).map(([label, value]) => ({ type: 'mrkdwn', text: clip(`*${label}:* ${value}`, 2000) })),
    });
  }
  return blocks;
}

function context(...texts: string[]): types.ContextBlock {
  return { type: 'context', elements: texts.slice(0, 10).map((t) => ({ type: 'mrkdwn', text: clip(t, MAX_SECTION) })) };
}

const divider: types.DividerBlock = { type: 'divider' };

/**
 * A titled bullet list, packed into as few sections as fit, cut to `limit` lines with a
 * count of the rest.
 */
function list(title: string, lines: string[], limit = LIST_LIMIT): types.SectionBlock[] {
  const shown = lines.slice(0, limit).map((l) => `• ${l}`);
  if (lines.length > limit) shown.push(`…and ${lines.length - limit} more`);
  const blocks: types.SectionBlock[] = [];
  let current = `*${title}*`;
  for (const line of shown) {
    if (current.length + 1 + line.length > MAX_SECTION) {
      blocks.push(section(current));
      current = line;
    } else {
      current += `\n${line}`;
    }
  }
  blocks.push(section(current));
  return blocks;
}

function capBlocks(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= MAX_BLOCKS) return blocks;
  return [...blocks.slice(0, MAX_BLOCKS - 1), context('_The reply was cut to fit one Slack message._')];
}

export function renderBlocks(outcome: Outcome): Rendered {
  const rendered = renderOutcome(outcome);
  return { text: rendered.text, blocks: capBlocks(rendered.blocks) };
}

function renderOutcome(outcome: Outcome): Rendered {
  switch (outcome.kind) {
    case 'bill.report':
      return renderReport(outcome.report);
    case 'credit':
      return renderCredit(outcome.action, outcome.credit);
    case 'credit.disbursed': {
      const c = outcome.credit;
      const text =
        `Disbursed ${money(outcome.disbursed, c.currency)} of ${c.id} to ${outcome.invoice}: ` +
        `its balance is now ${money(outcome.invoiceBalance, c.currency)}, and ${c.id} has ${money(c.amountLeft, c.currency)} left to disburse.`;
      return { text, blocks: [section(text), context(creditSummary(c))] };
    }
    case 'credit.list':
      return renderCreditList(outcome.account, outcome.credits);
    case 'invoice':
      return renderInvoice(outcome.invoice);
    case 'invoice.list': {
      const title = `Invoices of ${outcome.account}`;
      if (outcome.invoices.length === 0) {
        const text = `${escapeMrkdwn(outcome.account)} has received no invoice yet.`;
        return { text, blocks: [header(title), section(text)] };
      }
      const lines = outcome.invoices.map(
        (i) =>
          `*${i.number}* ${i.invoiceDate}, period ${i.periodStart} to ${i.periodEnd}: total ${money(i.total, i.currency)}, balance ${money(i.balance, i.currency)} (${i.status})`,
      );
      return {
        text: `${plural(outcome.invoices.length, 'invoice')} of ${escapeMrkdwn(outcome.account)}`,
        blocks: [header(title), ...list(`${plural(outcome.invoices.length, 'invoice')}`, lines)],
      };
    }
    case 'help':
      return renderHelp(outcome.topic);
    case 'schedule.list':
      return renderSchedules(outcome.schedules);
    case 'schedule.changed':
      return renderScheduleChanged(outcome.action, outcome.changed, outcome.schedule);
    case 'bill.started':
      return renderRunStarted(outcome);
    case 'bill.resuming':
      return renderRunResuming(outcome);
    case 'bill.status':
      return renderRunStatus(outcome.report, outcome.remaining, outcome.resumeWith);
    case 'workbook.written':
      return renderWorkbookWritten(outcome.workbook, outcome.file, outcome.rows);
    case 'workbook.import':
      return renderImport(outcome.file, outcome.result);
    case 'notice': {
      const text = escapeMrkdwn(outcome.text);
      return { text, blocks: [...(outcome.title ? [header(outcome.title)] : []), section(text)] };
    }
    case 'error': {
      const text = escapeMrkdwn(outcome.message);
      return { text, blocks: [section(text)] };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bill runs

function renderReport(report: BillRunReport): Rendered {
  const { run, totals } = report;
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
  if (run.status === 'running' || run.status === 'scheduled') pairs.push(['Progress', `${run.batchesDone} of ${run.batchesTotal} batches billed`]);
  blocks.push(...fields(pairs));
  if (run.error) blocks.push(section(`*The run failed:* ${escapeMrkdwn(run.error)}\nRunning it again resumes with what is not billed yet.`));
  blocks.push(...reportDetails(report));

  const invoiceText = report.invoices.length
    ? report.invoices.map((i) => `${i.number} ${escapeMrkdwn(i.invoicer)} ${money(i.total, i.currency)}`).join(', ')
    : 'no invoice';
  const text = report.preview
    ? `Preview (nothing was written) of billing ${escapeMrkdwn(run.account ?? run.configuration)} for ${run.periodStart} to ${run.periodEnd}: ${invoiceText}, ${totals.packagesSkipped} skipped.`
    : `Bill run #${run.id} ${run.status}: ${invoiceText}, ${plural(totals.packagesBilled, 'package')} billed, ${totals.packagesSkipped} skipped.`;
  return { text, blocks };
}

/** A report's lists (invoices, packages billed and skipped) and its totals. */
function reportDetails(report: BillRunReport): KnownBlock[] {
  const { run, totals } = report;
  const blocks: KnownBlock[] = [];
  const invoiceTitle = report.preview ? 'Invoices it would create' : 'Invoices created';
  if (report.invoices.length) {
    blocks.push(
      ...list(
        `${invoiceTitle} (${totals.invoicesCreated})`,
        report.invoices.map(
          (i) =>
            `*${i.number}* to ${bold(i.invoicer)}: total ${money(i.total, i.currency)}, balance ${money(i.balance, i.currency)} (${i.status})`,
        ),
      ),
    );
  } else if (run.status === 'completed' || report.preview) {
    blocks.push(section(`*${invoiceTitle}:* none`));
  }

  if (report.billed.length) {
    const accounts = new Set(report.billed.map((b) => b.account)).size;
    blocks.push(
      ...list(
        `Billed (${plural(totals.packagesBilled, 'package')} of ${plural(Math.max(totals.accountsBilled, accounts), 'account')})`,
        report.billed.map(
          (b) =>
            `${bold(b.account)} — ${escapeMrkdwn(b.package)}: ${b.periodStart} to ${b.periodEnd}, ${money(b.amount, b.currency)}; next bill date ${b.nextBillDate}`,
        ),
      ),
    );
  }
  if (report.skipped.length) {
    blocks.push(
      ...list(
        `Skipped (${totals.packagesSkipped})`,
        report.skipped.map((s) => `${bold(s.account)} — ${escapeMrkdwn(s.package)}: ${escapeMrkdwn(s.message)}`),
      ),
    );
  }
  if (!report.billed.length && !report.skipped.length && (run.status === 'completed' || report.preview)) {
    blocks.push(section('No package was due in this period.'));
  }

  const invoiced = Object.entries(totals.invoicedByCurrency).map(([cur, amount]) => money(amount, cur));
  blocks.push(
    context(
      [
        plural(totals.accountsBilled, 'account') + ' billed',
        plural(totals.packagesBilled, 'package') + ' billed',
        `${totals.packagesSkipped} skipped`,
        plural(totals.charges, 'charge'),
        plural(totals.creditsIssued, 'credit') + ' issued',
        `${totals.creditsDisbursed} disbursed automatically`,
        plural(totals.reversalsApplied, 'reversal') + ' applied',
        ...(invoiced.length ? [`invoiced ${invoiced.join(' + ')}`] : []),
      ].join(' · '),
    ),
  );
  if (report.truncated) blocks.push(context('_The lists are cut; the totals are complete._'));
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Credits and invoices

function creditSummary(c: CreditView): string {
  const parts = [
    `${c.id}`,
    bold(c.account),
    c.quantity > 1 ? `${money(c.amount, c.currency)} (${c.quantity} × ${money(c.unitAmount, c.currency)})` : money(c.amount, c.currency),
    c.status,
  ];
  if (c.issuedInvoice) parts.push(`issued to ${c.issuedInvoice}`);
  if (c.status === 'issued') parts.push(`${money(c.amountLeft, c.currency)} left to disburse`);
  if (c.reversedAmount !== null) parts.push(`reversed ${money(c.reversedAmount, c.currency)}${c.reversalInvoice ? ` on ${c.reversalInvoice}` : ''}`);
  parts.push(`automatic disbursement ${c.autoDisburse ? 'on' : 'off'}`);
  return `${parts.join(' · ')} — “${escapeMrkdwn(c.detail)}”`;
}

function renderCredit(action: 'added' | 'deleted' | 'reversed', c: CreditView): Rendered {
  const amount = money(c.amount, c.currency);
  let text: string;
  let next: string;
  switch (action) {
    case 'added':
      text = `Credit *${c.id}* of ${amount} added to ${bold(c.account)}: “${escapeMrkdwn(c.detail)}”.`;
      next = `It is ${c.status}: it is issued onto the next invoice when ${escapeMrkdwn(c.account)} is billed, and until then it can be deleted (/credit delete ${c.id}).`;
      break;
    case 'deleted':
      text = `Credit *${c.id}* of ${amount} on ${bold(c.account)} is deleted.`;
      next = 'Its record is kept with the status deleted.';
      break;
    case 'reversed': {
      const reversed = money(c.reversedAmount ?? '0', c.currency);
      text = `Credit *${c.id}* of ${amount} on ${bold(c.account)} is ${c.status}.`;
      next =
        `The amount disbursed so far, ${reversed}, goes onto the next invoice as a reversed credit when ${escapeMrkdwn(c.account)} is billed` +
        (c.issuedInvoice ? `; ${c.issuedInvoice} is unchanged.` : '.');
      break;
    }
  }
  return { text, blocks: [section(text), section(next), context(creditSummary(c))] };
}

function renderCreditList(account: string, credits: CreditView[]): Rendered {
  const title = `Credits of ${account}`;
  if (credits.length === 0) {
    const text = `${escapeMrkdwn(account)} has no credits.`;
    return { text, blocks: [header(title), section(text)] };
  }
  return {
    text: `${plural(credits.length, 'credit')} of ${escapeMrkdwn(account)}`,
    blocks: [header(title), ...list(plural(credits.length, 'credit'), credits.map(creditSummary))],
  };
}

function renderInvoice(invoice: InvoiceDetail): Rendered {
  const cur = invoice.currency;
  const blocks: KnownBlock[] = [
    header(`Invoice ${invoice.number}`),
    ...fields([
      ['Invoiced account', bold(invoice.invoicer)],
      ['Status', invoice.status],
      ['Total', money(invoice.total, cur)],
      ['Balance', money(invoice.balance, cur)],
      ['Invoice date', invoice.invoiceDate],
      ['Posting date', invoice.postingDate],
      ['Billing period', `${invoice.periodStart} to ${invoice.periodEnd}`],
      ['Bill run', `#${invoice.billRunId}`],
    ]),
  ];
  blocks.push(
    ...list(
      `Transactions (${invoice.transactions.length})`,
      invoice.transactions.map((t) =>
        t.kind === 'charge'
          ? `${bold(t.account)} — ${escapeMrkdwn(t.package ?? '')}${t.service ? ` / ${escapeMrkdwn(t.service)}` : ''}` +
            `${t.periodStart ? `, ${t.periodStart} to ${t.periodEnd}` : ''}${t.quantity > 1 ? `, quantity ${t.quantity}` : ''}: ${money(t.amount, cur)}`
          : `${bold(t.account)} — reversed credit ${t.credit ?? ''}: ${money(t.amount, cur)}`,
      ),
      100,
    ),
  );
  if (invoice.disbursements.length) {
    blocks.push(
      ...list(
        `Disbursements (${invoice.disbursements.length})`,
        invoice.disbursements.map(
          (d) => `${d.credit}: ${money(d.amount, cur)} (${d.automatic ? 'automatic' : 'manual'}, by ${escapeMrkdwn(d.by)}, ${d.at.slice(0, 10)})`,
        ),
      ),
    );
  } else {
    blocks.push(section('*Disbursements:* none'));
  }
  return {
    text: `Invoice ${invoice.number} to ${escapeMrkdwn(invoice.invoicer)}: total ${money(invoice.total, cur)}, balance ${money(invoice.balance, cur)} (${invoice.status})`,
    blocks,
  };
}

// ---------------------------------------------------------------------------------------------
// Help

const TOPIC_TITLES: Record<HelpTopic, string> = { bill: 'Billing', credit: 'Credits', billing: 'More' };

function renderHelp(topic: HelpTopic | null): Rendered {
  const topics: HelpTopic[] = topic ? [topic] : ['bill', 'credit', 'billing'];
  const blocks: KnownBlock[] = [header('billbot commands')];
  for (const t of topics) {
    blocks.push(
      ...list(
        TOPIC_TITLES[t],
        HELP.filter((h) => h.topic === t).map((h) => `\`${escapeMrkdwn(h.usage)}\` — ${escapeMrkdwn(h.description)}`),
        50,
      ),
    );
  }
  blocks.push(context('Names with spaces may be typed plainly or in double quotes. Dates are YYYY-MM-DD. Credits are written CR-7, invoices INV-000018 or 18.'));
  return { text: 'billbot commands: /bill, /credit and /billing (see /billing help).', blocks };
}

// ---------------------------------------------------------------------------------------------
// Schedules and bill run status

/** A report channel as Slack shows it: a channel id becomes a link to the channel, a name is shown as written. */
function channelRef(channel: string): string {
  return /^[CGD][A-Z0-9]{2,}$/.test(channel) ? `<#${channel}>` : escapeMrkdwn(channel);
}

function reportedIn(reportChannel: string | null, here: boolean, runId: number): string {
  if (here) return 'It is reported here.';
  if (reportChannel) return `It is reported in ${channelRef(reportChannel)}.`;
  return `\`/bill status ${runId}\` shows how it goes.`;
}

function when(at: Date, timeZone: string): string {
  return `${formatLocalTime(at, timeZone)} (${escapeMrkdwn(timeZone)})`;
}

function lastRunText(s: ScheduleView): string | null {
  const last = s.lastRun;
  if (!last) return null;
  const scheduled = `scheduled for ${when(last.scheduledFor, s.timeZone)}${last.late ? ', ran late' : ''}`;
  if (last.runId === null) {
    return last.error ? `last run could not start (${scheduled}): ${escapeMrkdwn(last.error)}` : `last run not started (${scheduled})`;
  }
  return `last run #${last.runId} ${last.status ?? 'unknown'} (${scheduled})`;
}

function scheduleLine(s: ScheduleView): string {
  const parts = [`${bold(s.configuration)} — \`${escapeMrkdwn(s.schedule)}\` in ${escapeMrkdwn(s.timeZone)}`];
  if (s.problem) parts.push(`:warning: not scheduled: ${escapeMrkdwn(s.problem)}`);
  else if (s.paused) parts.push('*paused*');
  else parts.push(s.nextRunAt ? `next run ${formatLocalTime(s.nextRunAt, s.timeZone)}` : 'no next run');
  parts.push(s.reportChannel ? `reported in ${channelRef(s.reportChannel)}` : 'no report channel');
  const last = lastRunText(s);
  parts.push(last ?? 'not run yet');
  return parts.join(' · ');
}

function renderSchedules(schedules: ScheduleView[]): Rendered {
  const title = 'Scheduled bill runs';
  if (schedules.length === 0) {
    const text = 'No bill run configuration has a schedule; give one a cron schedule to run it on a timetable.';
    return { text, blocks: [header(title), section(text)] };
  }
  const paused = schedules.filter((s) => s.paused).length;
  const problems = schedules.filter((s) => s.problem).length;
  const summary = [plural(schedules.length, 'scheduled configuration'), ...(paused ? [`${paused} paused`] : []), ...(problems ? [plural(problems, 'problem')] : [])];
  return {
    text: `${summary.join(', ')}.`,
    blocks: [
      header(title),
      ...list(summary.join(', '), schedules.map(scheduleLine), 50),
      context('`/billing schedule pause|resume <configuration>` pauses or resumes one; `/billing run <configuration>` runs one now.'),
    ],
  };
}

function renderScheduleChanged(action: 'pause' | 'resume', changed: boolean, s: ScheduleView): Rendered {
  const name = bold(s.configuration);
  let text: string;
  if (action === 'pause') {
    text = changed
      ? `The schedule of ${name} is paused: it does not run until it is resumed (\`/billing schedule resume ${escapeMrkdwn(s.configuration)}\`).`
      : `The schedule of ${name} was already paused; nothing changed.`;
  } else {
    const next = s.nextRunAt ? ` Next run: ${when(s.nextRunAt, s.timeZone)}.` : '';
    text = changed
      ? `The schedule of ${name} is resumed; the runs missed while it was paused are not caught up.${next}`
      : `The schedule of ${name} was not paused; nothing changed.${next}`;
  }
  if (s.problem) text += `\n:warning: It cannot run as it is: ${escapeMrkdwn(s.problem)}`;
  return { text, blocks: [section(text), context(scheduleLine(s))] };
}

function renderRunStarted(o: Extract<Outcome, { kind: 'bill.started' }>): Rendered {
  const text = o.created
    ? `Bill run #${o.runId} scheduled: billing ${escapeMrkdwn(o.billing)}. ${reportedIn(o.reportChannel, o.here, o.runId)}`
    : `This request already started bill run #${o.runId}, so it is not run again. \`/bill status ${o.runId}\` shows it.`;
  return { text, blocks: [section(text)] };
}

function renderRunResuming(o: Extract<Outcome, { kind: 'bill.resuming' }>): Rendered {
  const text =
    `Resuming bill run #${o.runId}: only what it did not bill yet is billed; nothing done is billed twice. ` +
    reportedIn(o.reportChannel, o.here, o.runId);
  return { text, blocks: [section(text)] };
}

/** The block a face may give a Resume button (Slack does). */
export const RESUME_BLOCK_ID = 'bill_run_resume';

function renderRunStatus(report: BillRunReport, remaining: { batches: number; accounts: number }, resumeWith: string | null): Rendered {
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
    ['Started', `${formatLocalTime(new Date(run.createdAt), 'UTC')} UTC`],
  ];
  if (run.finishedAt) pairs.push(['Finished', `${formatLocalTime(new Date(run.finishedAt), 'UTC')} UTC`]);
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

// ---------------------------------------------------------------------------------------------
// Workbooks

const WORKBOOK_TITLES: Record<WorkbookKind, string> = {
  template: 'the empty setup workbook',
  accounts: 'the accounts export (the setup workbook of what is stored)',
  invoices: 'the invoices export',
  credits: 'the credits export',
};

const ROW_LABELS: Record<string, [string, string]> = {
  accounts: ['account', 'accounts'],
  packageServices: ['package service', 'package services'],
  accountPackages: ['account package', 'account packages'],
  billRuns: ['bill run configuration', 'bill run configurations'],
  invoices: ['invoice', 'invoices'],
  transactions: ['transaction', 'transactions'],
  credits: ['credit', 'credits'],
  disbursements: ['disbursement', 'disbursements'],
  reversals: ['reversal', 'reversals'],
};

/**
 * What a workbook holds, as one sentence: "The invoices export: 12 invoices and 40
 * transactions." (Slack's upload comment, the shell's and the CLI's reply.)
 */
export function workbookSummary(workbook: WorkbookKind, rows: Record<string, number>): string {
  const title = WORKBOOK_TITLES[workbook];
  const what = title.charAt(0).toUpperCase() + title.slice(1);
  if (workbook === 'template') {
    return `${what}: the sheets Accounts, Packages, Account Packages and Bill Runs with their header rows, and a Read Me sheet that explains each column. Fill it in and import it.`;
  }
  const counts = Object.entries(rows)
    .filter(([key]) => ROW_LABELS[key])
    .map(([key, n]) => plural(n, ROW_LABELS[key][0], ROW_LABELS[key][1]));
  const joined = counts.length > 1 ? `${counts.slice(0, -1).join(', ')} and ${counts[counts.length - 1]}` : (counts[0] ?? 'nothing');
  return `${what}: ${joined}.`;
}

function renderWorkbookWritten(workbook: WorkbookKind, file: string, rows: Record<string, number>): Rendered {
  const text = `Wrote ${WORKBOOK_TITLES[workbook]} to \`${escapeMrkdwn(file)}\`.`;
  return { text, blocks: [section(text), context(escapeMrkdwn(workbookSummary(workbook, rows)))] };
}

/** Problems listed in an import's reply; the rest are counted. */
export const IMPORT_PROBLEMS_SHOWN = 20;
const IMPORT_WARNINGS_SHOWN = 10;

/** The block a face may give Confirm and Cancel buttons after (Slack does). */
export const IMPORT_SUMMARY_BLOCK_ID = 'workbook_import_summary';

function countsText(c: { created: number; updated: number; unchanged: number }): string {
  return `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;
}

/** True when a checked workbook can be applied: no problem, and it changes something. */
export function importIsReady(result: SetupImportResult): boolean {
  return result.totalProblems === 0 && importChanges(result) > 0;
}

function renderImport(file: string, result: SetupImportResult): Rendered {
  const name = bold(file);
  let title: string;
  let text: string;
  if (result.totalProblems > 0) {
    title = result.dryRun ? `Import check: ${file}` : `Not imported: ${file}`;
    text =
      `:x: ${name} has ${plural(result.totalProblems, 'problem')}, so nothing was imported. ` +
      'Fix them in the workbook and send it again; the rows without problems are not applied on their own.';
  } else if (!importIsReady(result)) {
    title = `Import check: ${file}`;
    text = `Nothing to import: every row of ${name} matches what is stored.`;
  } else if (result.dryRun) {
    title = `Import preview: ${file}`;
    text = `${name} is ready to import. Nothing has changed yet: confirm to apply all of it at once, or cancel.`;
  } else if (result.applied) {
    title = `Imported: ${file}`;
    text = `:white_check_mark: Imported ${name}: every row was applied at once.`;
  } else {
    title = `Not imported: ${file}`;
    text = `${name} was not imported.`;
  }
  const blocks: KnownBlock[] = [header(title), { ...section(text), block_id: IMPORT_SUMMARY_BLOCK_ID }];
  blocks.push(
    ...fields([
      ['Accounts', countsText(result.accounts)],
      ['Packages', countsText(result.packages)],
      ['Account Packages', countsText(result.accountPackages)],
      ['Bill Runs', countsText(result.billRuns)],
    ]),
  );
  if (result.billGroupsCreated.length) {
    blocks.push(context(`New bill groups${result.applied ? '' : ' (created when applied)'}: ${result.billGroupsCreated.map(escapeMrkdwn).join(', ')}`));
  }
  if (result.totalProblems > 0) {
    const shown = result.problems.slice(0, IMPORT_PROBLEMS_SHOWN).map((p) => escapeMrkdwn(p.message));
    const more = result.totalProblems - shown.length;
    if (more > 0) shown.push(`…and ${plural(more, 'more problem', 'more problems')}`);
    blocks.push(...list(plural(result.totalProblems, 'problem'), shown, IMPORT_PROBLEMS_SHOWN + 1));
  }
  if (result.warnings.length) {
    const shown = result.warnings.slice(0, IMPORT_WARNINGS_SHOWN).map((w) => escapeMrkdwn(w.message));
    const more = result.warnings.length - shown.length;
    if (more > 0) shown.push(`…and ${plural(more, 'more warning', 'more warnings')}`);
    blocks.push(...list(plural(result.warnings.length, 'warning'), shown, IMPORT_WARNINGS_SHOWN + 1));
  }
  const summary =
    `${title}: accounts ${countsText(result.accounts)}; packages ${countsText(result.packages)}; ` +
    `account packages ${countsText(result.accountPackages)}; bill runs ${countsText(result.billRuns)}` +
    (result.totalProblems ? `; ${plural(result.totalProblems, 'problem')}, nothing imported.` : '.');
  return { text: escapeMrkdwn(summary), blocks };
}
