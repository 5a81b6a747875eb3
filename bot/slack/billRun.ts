import type { RespondFn } from '@slack/bolt';
import type { Logger } from '../log';
import { BillingError } from '../../billing';
import type { RunCommand } from '../commands/types';
import type { BillRunReport } from '../../billing';
import { billRunProgress, billRunRepeated, billRunScheduled, listsGoBeyondNotice, renderBlocks, renderRunFailed, reportThread, restOfLists } from '../render';
import type { SlackDeps, WebClient } from './deps';
import { describeFailure, errorSummary } from './errors';
import { postChartInThread } from './charts';
import { announce, Message, RichMessage, Where } from './reply';

export type { RunCommand } from '../commands/types';

export interface RunRequester extends Where {
  /** A reply only the requester sees (a command's respond, or an ephemeral message for a form). */
  tell: (m: Message) => Promise<void>;
  /** How to post in the channel when the bot is not in it (a slash command's response_url). */
  fallback?: RespondFn;
  /** The same key never starts a second run. */
  requestKey: string;
}

/**
 * One message in the channel that follows a long bill run: posted once the run has taken
 * `intervalMs`, then updated at most every `intervalMs` (chat.update is rate limited), and
 * finally replaced by the completion notice. A short run posts only the notice.
 */
export class ProgressNotice {
  private posted: { channel: string; ts: string } | null = null;
  private readonly startedAt = Date.now();
  private lastAt = 0;
  private broken = false;

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
    private readonly where: Where,
    private readonly intervalMs: number,
    private readonly fallback?: RespondFn,
  ) {}

  async step(p: { runId: number; batchesDone: number; batchesTotal: number }): Promise<void> {
    if (this.broken || p.batchesDone >= p.batchesTotal) return;
    const now = Date.now();
    if (now - (this.posted ? this.lastAt : this.startedAt) < this.intervalMs) return;
    this.lastAt = now;
    const text = billRunProgress(p);
    try {
      if (this.posted) await this.client.chat.update({ channel: this.posted.channel, ts: this.posted.ts, text, blocks: [] });
      else if (this.where.channel) this.posted = await this.client.chat.postMessage({ channel: this.where.channel, text }).then((r) => (r.channel && r.ts ? { channel: r.channel, ts: r.ts } : null));
    } catch (error) {
      // Progress is a courtesy: never let it stop the run.
      this.broken = true;
      this.logger.warn(`billbot: progress message for bill run #${p.runId} failed (${errorSummary(error).split('\n')[0]})`);
    }
  }

  /** Replaces the progress message by the notice, or posts the notice; returns where it is (null: through a response_url). */
  async finish(m: RichMessage): Promise<{ channel: string; ts: string } | null> {
    if (this.posted) {
      try {
        await this.client.chat.update({ channel: this.posted.channel, ts: this.posted.ts, text: m.text, blocks: m.blocks ?? [] });
        return this.posted;
      } catch (error) {
        this.logger.warn(`billbot: could not update the progress message (${errorSummary(error).split('\n')[0]}); posting the notice`);
      }
    }
    return announce(this.client, this.logger, this.where, m, this.fallback);
  }
}

/**
 * A bill run from Slack: recorded at once ("Bill run #N scheduled", only for the requester),
 * then billed, then a completion notice for the whole channel: invoices created, accounts and
 * packages billed, next bill dates and every skipped package with its reason, or the failure.
 */
export async function runBill(deps: SlackDeps, client: WebClient, command: RunCommand, requester: RunRequester): Promise<void> {
  const billing = deps.services.billing;
  const options = deps.familiesPerBatch ? { familiesPerBatch: deps.familiesPerBatch } : {};
  const { runId, created } = await billing.startBillRun(
    {
      account: 'account' in command ? command.account : null,
      configuration: command.configuration,
      from: command.from,
      to: command.to,
      posting: command.posting,
      startedBy: requester.user,
      requestKey: requester.requestKey,
    },
    options,
  );
  if (!created) {
    await requester.tell(billRunRepeated(runId));
    return;
  }
  const what = 'account' in command ? command.account : `the bill groups of ${command.configuration}`;
  await requester.tell(billRunScheduled(runId, what));

  const progress = new ProgressNotice(client, deps.logger, requester, deps.progressIntervalMs, requester.fallback);
  let report;
  try {
    report = await billing.executeBillRun(runId, { ...options, workers: deps.workers, onProgress: (p) => progress.step(p) });
  } catch (error) {
    const sentence = describeFailure(error, deps.logger, `bill run #${runId}`);
    const failed = await billing.getBillRunReport(runId).catch(() => null);
    // The stored error of an unexpected failure is internal (it can hold SQL): the sentence above, with its reference, stands for it.
    if (failed && !(error instanceof BillingError)) failed.run.error = null;
    await progress.finish(renderRunFailed(runId, sentence, failed));
    return;
  }
  const notice = await progress.finish(renderBlocks({ kind: 'bill.report', report }));
  if (!notice) return;
  await postListsInThread(client, deps.logger, notice, report);
  await postChartInThread(client, billing, deps.logger, notice, runId);
}

/** How many replies a run's lists may take in its notice's thread. */
export const THREAD_REPLIES = 5;

/**
 * A big run's lists, beyond the few its notice shows, as replies in the notice's thread; the
 * rest is counted, and every invoice is in the run's invoices export. A failure is logged: the
 * notice stands on its own.
 */
export async function postListsInThread(
  client: WebClient,
  logger: Logger,
  notice: { channel: string; ts: string },
  report: BillRunReport,
): Promise<void> {
  if (!listsGoBeyondNotice(report)) return;
  try {
    for (const m of reportThread(report, { messages: THREAD_REPLIES, rest: restOfLists(report, false) })) {
      await client.chat.postMessage({ channel: notice.channel, thread_ts: notice.ts, text: m.text, blocks: m.blocks });
    }
  } catch (error) {
    logger.warn(`billbot: could not post the lists of bill run #${report.run.id} in its thread (${errorSummary(error).split('\n')[0]})`);
  }
}
