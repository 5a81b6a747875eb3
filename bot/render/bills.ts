import type { types } from '@slack/bolt';
import type { BillRunReport } from '../../billing';
import type { Outcome } from '../commands/execute';
import { formatLocalTime } from './time';
import { bold, escapeMrkdwn } from './mrkdwn';
import { capBlocks, channelRef, context, fields, header, list, money, plural, section, type KnownBlock, type Rendered } from './kit';

/** Bill runs: a run's report (or preview), a run started or resuming, a run's status. */

export function renderReport(report: BillRunReport): Rendered {
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
