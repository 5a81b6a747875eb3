import type { Billing, RunReportState } from '../../billing';
import type { SchedulerClock } from './clock';
import type { SchedulerLogger } from './logger';
import type { RunNotStarted, RunView } from '../render/runReports';
import type { RunChartSource } from './chart';
import type { InvoicesWorkbookFile, PostedMessage, RunReporter } from './reporter';

/** Builds a completed run's invoices workbook, or null when there is none to attach. */
export type InvoicesWorkbookSource = (billing: Billing, runId: number) => Promise<InvoicesWorkbookFile | null>;

export interface RunReportsOptions {
  billing: Billing;
  reporter: RunReporter | null;
  workbook: InvoicesWorkbookSource | null;
  /** Builds the chart attached next to a completed run's workbook (null: none). */
  chart?: RunChartSource | null;
  clock: SchedulerClock;
  logger: SchedulerLogger;
  /** Least time between two progress updates of one run's message. */
  progressIntervalMs: number;
}

/**
 * Posts each reported run's messages exactly once across processes: every step (start
 * message, progress, end, workbook) runs under the lock of the run's report row and records
 * what it posted before the lock is released. A Slack failure is logged and left for the
 * next sweep; it never stops billing.
 */
export class RunReports {
  private readonly lastProgress = new Map<number, number>();
  private readonly startedAt = new Map<number, Date>();
  /** What this process last knew of each run's report, to say so in Slack when the database cannot be read. */
  private readonly known = new Map<number, { channel: string; configuration: string; posted: PostedMessage | null }>();

  constructor(private readonly options: RunReportsOptions) {}

  private get reporter(): RunReporter | null {
    return this.options.reporter;
  }

  /** The run as its report shows it, read through `billing` (the report lock's transaction). */
  private async view(billing: Billing, state: RunReportState, detailLimit: number): Promise<RunView> {
    const report = await billing.getBillRunReport(state.billRunId, detailLimit);
    const config = await billing.findConfiguration(report.run.configuration);
    this.known.set(state.billRunId, {
      channel: state.destination,
      configuration: report.run.configuration,
      posted: state.messageId && state.destinationId ? { channelId: state.destinationId, ts: state.messageId } : null,
    });
    return {
      report,
      timeZone: config.timeZone,
      scheduledFor: state.scheduledFor,
      late: state.late,
      startedAt: state.claimedAt ?? this.startedAt.get(state.billRunId) ?? this.options.clock.now(),
      skipReasons: detailLimit > 0 ? await billing.schedules.skipReasonCounts(state.billRunId) : [],
      remaining: await billing.schedules.remainingWork(state.billRunId),
    };
  }

  /** Posts the "started" message unless some process already has. */
  async started(runId: number): Promise<void> {
    if (!this.startedAt.has(runId)) this.startedAt.set(runId, this.options.clock.now());
    const reporter = this.reporter;
    if (!reporter) return;
    await this.guard(runId, 'post the start of', () =>
      this.options.billing.schedules.withReport(runId, 'wait', async (state, billing) => {
        if (reporter.canPost?.(state.destination) === false) return { result: undefined };
        if (state.messageId || state.finalStatus) {
          await this.view(billing, state, 0); // remembers the message, for interrupted()
          return { result: undefined };
        }
        const posted = await reporter.runStarted(state.destination, await this.view(billing, state, 0));
        this.remember(runId, posted);
        this.lastProgress.set(runId, this.options.clock.now().getTime());
        return { change: { destinationId: posted.channelId, messageId: posted.ts }, result: undefined };
      }),
    );
  }

  /** Updates the run's message with its progress, at most once per progress interval; skipped while another process is posting. */
  async progress(runId: number): Promise<void> {
    const reporter = this.reporter;
    if (!reporter) return;
    const now = this.options.clock.now().getTime();
    const last = this.lastProgress.get(runId);
    if (last !== undefined && now - last < this.options.progressIntervalMs) return;
    this.lastProgress.set(runId, now);
    await this.guard(runId, 'update the progress of', () =>
      this.options.billing.schedules.withReport(runId, 'skip', async (state, billing) => {
        // Not over a shown end (a resumed failed run shows its progress again).
        if (!state.messageId || !state.destinationId || state.finalStatus === state.runStatus) return { result: undefined };
        await reporter.runProgress({ channelId: state.destinationId, ts: state.messageId }, await this.view(billing, state, 0));
        return { change: { progressPosted: true }, result: undefined };
      }),
    );
  }

  /** Shows how the run ended and attaches its workbook, unless some process already has. */
  async ended(runId: number): Promise<void> {
    const reporter = this.reporter;
    if (!reporter) return;
    await this.guard(runId, 'post the end of', () =>
      this.options.billing.schedules.withReport(runId, 'wait', async (state, billing) => {
        if (state.runStatus !== 'completed' && state.runStatus !== 'failed') return { result: undefined };
        if (state.finalStatus === state.runStatus) return { result: undefined };
        // Another kind of face's report (the local shell's): left for it.
        if (reporter.canPost?.(state.destination) === false) return { result: undefined };
        const existing: PostedMessage | null =
          state.messageId && state.destinationId ? { channelId: state.destinationId, ts: state.messageId } : null;
        const posted = await reporter.runEnded(state.destination, existing, await this.view(billing, state, 200));
        this.remember(runId, posted);
        return {
          change: { destinationId: posted.channelId, messageId: posted.ts, finalStatus: state.runStatus },
          result: undefined,
        };
      }),
    );
    await this.guard(runId, 'attach the invoices workbook of', () => this.attachFiles(runId, reporter));
    this.lastProgress.delete(runId);
    this.startedAt.delete(runId);
    this.known.delete(runId);
  }

  /**
   * A completed run's invoices workbook and then its chart, next to its message, once: both are
   * built before taking the lock (they read through the pool; wasted only if another process
   * attaches them first), and recorded as attached with the workbook. A chart that cannot be
   * built or uploaded is logged and left out: it never holds back the workbook or the report.
   */
  private async attachFiles(runId: number, reporter: RunReporter): Promise<void> {
    if (!(await this.options.billing.schedules.workbookDue(runId))) return;
    const file = this.options.workbook ? await this.options.workbook(this.options.billing, runId) : null;
    const chart = reporter.attachChart && this.options.chart ? await this.options.chart(this.options.billing, runId).catch((e: unknown) => this.chartFailed(runId, e)) : null;
    await this.options.billing.schedules.withReport(runId, 'wait', async (state, billing) => {
      if (state.runStatus !== 'completed' || state.finalStatus !== 'completed' || state.workbookPosted) {
        return { result: undefined };
      }
      if (!state.messageId || !state.destinationId) return { result: undefined };
      const posted = { channelId: state.destinationId, ts: state.messageId };
      const view = await this.view(billing, state, reporter.attachLists ? 200 : 0);
      if (file) await reporter.attachInvoices(posted, view, file);
      // The lists once at most: after the workbook (the full record), and never posted twice.
      await reporter.attachLists?.(posted, view).catch((e: unknown) => {
        this.options.logger.error(`Could not post the lists of bill run #${runId} in Slack: ${messageOf(e)}`);
      });
      if (chart) await reporter.attachChart?.(posted, view, chart).catch((e: unknown) => this.chartFailed(runId, e));
      return { change: { workbookPosted: true }, result: undefined };
    });
  }

  private chartFailed(runId: number, error: unknown): null {
    this.options.logger.warn(`Could not attach the run history chart of bill run #${runId}: ${messageOf(error)}`);
    return null;
  }

  /**
   * The run stopped and the database cannot even be read (it is down or unreachable), so its
   * end cannot be recorded: says so in the run's message (or a new one, if none was posted),
   * from what this process knew. The run stays unfinished in the database, and is resumed and
   * reported as usual once the database is back.
   */
  async interrupted(runId: number, error: unknown): Promise<void> {
    const reporter = this.reporter;
    const known = this.known.get(runId);
    if (!reporter?.runInterrupted || !known) return;
    try {
      const posted = await reporter.runInterrupted(known.channel, known.posted, {
        runId,
        configuration: known.configuration,
        reason: messageOf(error),
      });
      this.remember(runId, posted);
    } catch (e) {
      this.options.logger.error(`Could not report in Slack that bill run #${runId} was interrupted: ${messageOf(e)}`);
    }
  }

  private remember(runId: number, posted: PostedMessage): void {
    const known = this.known.get(runId);
    if (known) known.posted = posted;
  }

  /** A scheduled run that could not start: posted by the one process that claimed the fire. */
  async notStarted(channel: string, failure: RunNotStarted): Promise<void> {
    const reporter = this.reporter;
    if (!reporter) return;
    try {
      await reporter.runNotStarted(channel, failure);
    } catch (e) {
      this.options.logger.error(
        `Could not report in Slack that the scheduled run of "${failure.configuration}" did not start: ${messageOf(e)}`,
      );
    }
  }

  /** Posts the ends of runs that finished without their report (a process died, Slack was down, the CLI ran them). */
  async postDue(): Promise<void> {
    if (!this.reporter) return;
    for (const runId of await this.options.billing.schedules.reportsDue()) await this.ended(runId);
  }

  private async guard(runId: number, what: string, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (e) {
      this.options.logger.error(`Could not ${what} bill run #${runId} in Slack: ${messageOf(e)}`);
    }
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
