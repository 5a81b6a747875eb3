import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  BillRunStateError,
  firstIssue,
  InvalidInputError,
  latestFireAtOrBefore,
  nextFireAfter,
  scheduleProblem,
  type Billing,
  type BillRunReport,
  type ScheduledConfiguration,
} from '../../billing';
import type { ScheduleView } from '../render/schedules';
import { SchedulerClock, systemSchedulerClock, type TimerHandle } from './clock';
import { DigestScheduler } from './digests';
import { ConfigurationChanges } from './listener';
import { consoleSchedulerLogger, type SchedulerLogger } from './logger';
import type { RunChartSource } from './chart';
import type { RunReporter } from './reporter';
import { InvoicesWorkbookSource, messageOf, RunReports } from './runReports';
import { parseName, runNowOptionsSchema, scheduleView, type RunNowOptions, type RunNowResult } from './runNow';

export interface SchedulerOptions {
  /** The billing services (bound to the pool) the scheduler claims, runs and reports through. */
  billing: Billing;
  /** Default: real time. Tests pass a ManualClock. */
  clock?: SchedulerClock;
  /** Where runs are reported (the configurations' report channels); null: not reported. */
  reporter?: RunReporter | null;
  /** Builds a completed run's invoices workbook to attach to its report; null: none. */
  workbook?: InvoicesWorkbookSource | null;
  /** Builds the chart attached to a completed run's report (Slack: the run history); null: none. */
  chart?: RunChartSource | null;
  logger?: SchedulerLogger;
  /** This process's name in scheduled_fires.claimed_by (default host:pid:random). */
  instanceId?: string;
  /** Invoicer families per batch of the runs this scheduler starts (each batch is one transaction). */
  familiesPerBatch?: number;
  /** Batches billed at once by the runs this scheduler executes (default: billing's DEFAULT_WORKERS). */
  workers?: number;
  /** A fire started more than this after its time is reported as late (default 60 s). */
  lateAfterMs?: number;
  /** How often to look for changed configurations (default 15 s; 0: never, rely on reload()/LISTEN). */
  pollIntervalMs?: number;
  /** How often to resume unfinished runs, post missing reports and retry unclaimed fires (default 60 s; 0: only at start). */
  sweepIntervalMs?: number;
  /** Least time between two progress updates of a run's message (default 5 s). */
  progressIntervalMs?: number;
  /** LISTEN for configuration changes on a dedicated connection (default true). */
  listen?: boolean;
}

interface Entry {
  config: ScheduledConfiguration;
  problem: string | null;
  nextRunAt: Date | null;
  timer: TimerHandle | null;
}

/**
 * Fires each scheduled, unpaused bill run configuration at its cron times in its time zone,
 * exactly once across all bot processes sharing the database (each fire is claimed in the
 * database; the other processes help bill the run's batches). On start it resumes runs a dead
 * process left unfinished, and runs once, marked late, the latest fire time missed while no
 * process was running.
 */
export class Scheduler {
  readonly instanceId: string;
  private readonly billing: Billing;
  private readonly clock: SchedulerClock;
  private readonly logger: SchedulerLogger;
  private readonly reports: RunReports;
  private readonly entries = new Map<number, Entry>();
  private readonly work = new Set<Promise<unknown>>();
  private readonly running = new Map<number, Promise<BillRunReport>>();
  private readonly housekeeping: TimerHandle[] = [];
  private reloadChain: Promise<void> = Promise.resolve();
  private queuedReload: Promise<void> | null = null;
  private fingerprint: string | null = null;
  private readonly changes: ConfigurationChanges;
  /** The overdue digests' schedules, started, swept and stopped with this scheduler. */
  readonly digests: DigestScheduler;
  private resuming: Promise<void> | null = null;
  private state: 'new' | 'started' | 'stopped' = 'new';

  constructor(private readonly options: SchedulerOptions) {
    this.billing = options.billing;
    this.clock = options.clock ?? systemSchedulerClock();
    this.logger = options.logger ?? consoleSchedulerLogger;
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.reports = new RunReports({
      billing: this.billing,
      reporter: options.reporter ?? null,
      workbook: options.workbook ?? null,
      chart: options.chart ?? null,
      clock: this.clock,
      logger: this.logger,
      progressIntervalMs: options.progressIntervalMs ?? 5000,
    });
    this.digests = new DigestScheduler({
      billing: this.billing,
      clock: this.clock,
      reporter: options.reporter ?? null,
      logger: this.logger,
      instanceId: this.instanceId,
      track: (work) => this.track(work),
    });
    this.changes = new ConfigurationChanges(this.billing, this.logger, () => {
      if (this.state === 'started') {
        this.track(this.reload().catch((e) => this.logger.error(`Could not reload configurations: ${messageOf(e)}`)));
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Life cycle

  /**
   * Resumes unfinished runs, posts reports that are due, schedules every configuration and
   * catches up missed fires. The work it starts goes on in the background (see idle()).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'started';
    this.track(this.resumeUnfinished());
    await this.reload();
    await this.digests.start();
    this.track(this.reports.postDue());
    this.track(this.digests.sweep());
    this.every(this.options.pollIntervalMs ?? 15_000, () => this.pollForChanges());
    this.every(this.options.sweepIntervalMs ?? 60_000, () => this.sweep());
    if (this.options.listen ?? true) await this.changes.listen();
    this.logger.info(`Started (${this.entries.size} scheduled configuration(s)).`);
  }

  /** Stops firing; by default waits for the runs in progress here to end. */
  async stop(options: { wait?: boolean } = {}): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const timer of this.housekeeping.splice(0)) timer.cancel();
    for (const entry of this.entries.values()) entry.timer?.cancel();
    this.digests.stop();
    await this.changes.unlisten();
    if (options.wait ?? true) await this.idle();
  }

  /** The scheduler's time (a test's ManualClock, or real time). */
  now(): Date {
    return this.clock.now();
  }

  /** Resolves once nothing started by this scheduler is still going on. */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /**
   * Reads the configurations again and reschedules them (a workbook import or a command
   * changed them). Calls made while a reload waits to start share it.
   */
  reload(): Promise<void> {
    if (this.queuedReload) return this.queuedReload;
    const next = this.reloadChain.then(() => {
      this.queuedReload = null;
      return this.doReload();
    });
    this.queuedReload = next;
    this.reloadChain = next.catch(() => undefined);
    return next;
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  /** Every configuration with a schedule, with its next run time (computed from the database, so it works unstarted too). */
  async listSchedules(): Promise<ScheduleView[]> {
    const now = this.clock.now();
    return (await this.billing.schedules.list()).map((c) => scheduleView(c, now));
  }

  /** Pauses a configuration's schedule (all processes see it at their next fire). */
  async pauseSchedule(name: string): Promise<ScheduleView> {
    const config = await this.billing.schedules.setPaused(parseName(name), true, this.clock.now());
    if (this.state === 'started') await this.reload();
    this.logger.info(`Paused the schedule of "${config.name}".`);
    return scheduleView(config, this.clock.now());
  }

  /** Resumes a paused schedule; the fire times missed while paused are not caught up. */
  async resumeSchedule(name: string): Promise<ScheduleView> {
    const config = await this.billing.schedules.setPaused(parseName(name), false, this.clock.now());
    if (this.state === 'started') await this.reload();
    this.logger.info(`Resumed the schedule of "${config.name}".`);
    return scheduleView(config, this.clock.now());
  }

  /**
   * Runs a configuration now (its bill groups, its period rule on today's date in its time
   * zone), reported in its channel like a scheduled run; or, with preview, reports what it
   * would do and changes nothing.
   */
  async runNow(name: string, options: RunNowOptions): Promise<RunNowResult> {
    const parsed = runNowOptionsSchema.safeParse(options);
    if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
    const { preview, startedBy, requestKey, from, to, posting, reportChannel } = parsed.data;
    const request = { configuration: parseName(name), startedBy, from, to, posting };
    if (preview) {
      return { preview: true, report: await this.billing.previewBill(request, { clock: this.clock, workers: this.options.workers }) };
    }
    const started = await this.billing.schedules.startReportedRun(
      { ...request, requestKey: requestKey ?? null },
      { clock: this.clock, familiesPerBatch: this.options.familiesPerBatch },
      reportChannel ?? null,
    );
    return {
      preview: false,
      runId: started.runId,
      created: started.created,
      reportChannel: started.destination,
      finished: this.execute(started.runId),
    };
  }

  /**
   * Resumes a failed (or abandoned) run: only its batches not done are billed, and its report
   * is updated. A run without a report is reported in `reportChannel` when one is given.
   */
  async resumeRun(
    runId: number,
    options: { reportChannel?: string | null } = {},
  ): Promise<{ runId: number; reportChannel: string | null; finished: Promise<BillRunReport> }> {
    if (!Number.isSafeInteger(runId) || runId <= 0) throw new InvalidInputError('A bill run number is a whole number such as 12.');
    const report = await this.billing.getBillRunReport(runId, 0);
    if (report.run.status === 'completed') throw new BillRunStateError(`Bill run #${runId} has already completed.`);
    const reportChannel = await this.billing.schedules.ensureReport(runId, options.reportChannel?.trim() || null);
    return { runId, reportChannel, finished: this.execute(runId) };
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling

  private async doReload(): Promise<void> {
    if (this.state !== 'started') return;
    const fingerprint = await this.billing.schedules.fingerprint();
    const configs = await this.billing.schedules.list();
    if (this.state !== 'started') return;
    this.fingerprint = fingerprint;
    for (const entry of this.entries.values()) entry.timer?.cancel();
    const previous = new Map(this.entries);
    this.entries.clear();
    for (const config of configs) {
      const problem = scheduleProblem(config.schedule, config.timeZone);
      if (problem && previous.get(config.id)?.problem !== problem) {
        this.logger.warn(`Configuration "${config.name}" is not scheduled: ${problem}`);
      }
      // Keep a fire this process has just claimed and not yet seen in the database.
      const known = previous.get(config.id)?.config.lastFire;
      if (known && (!config.lastFire || config.lastFire.scheduledFor < known.scheduledFor)) config.lastFire = known;
      const entry: Entry = { config, problem, nextRunAt: null, timer: null };
      this.entries.set(config.id, entry);
      if (problem || config.paused) continue;
      this.fireIfDue(entry);
      this.arm(entry);
    }
  }

  private arm(entry: Entry): void {
    entry.timer?.cancel();
    const { schedule, timeZone } = entry.config;
    entry.nextRunAt = nextFireAfter(schedule, timeZone, this.clock.now());
    if (!entry.nextRunAt) return;
    entry.timer = this.clock.at(entry.nextRunAt, () => {
      if (this.state !== 'started' || this.entries.get(entry.config.id) !== entry) return;
      const fired = this.fireIfDue(entry);
      this.arm(entry);
      return fired;
    });
  }

  /**
   * Fires the latest fire time that has come and was not fired yet (by any process), once:
   * a fire time before the schedule started counting, or already claimed, is not fired again,
   * and several missed fire times give one run, for the latest, marked late.
   */
  private fireIfDue(entry: Entry): Promise<void> | undefined {
    const { config } = entry;
    const now = this.clock.now();
    const latest = latestFireAtOrBefore(config.schedule, config.timeZone, now);
    if (!latest || latest < config.scheduleSince) return undefined;
    if (config.lastFire && latest <= config.lastFire.scheduledFor) return undefined;
    const late = now.getTime() - latest.getTime() > (this.options.lateAfterMs ?? 60_000);
    const before = config.lastFire;
    config.lastFire = { scheduledFor: latest, billRunId: null, runStatus: null, late, error: null };
    return this.track(
      this.fire(config, latest, late).catch((e) => {
        // Not claimed (database unreachable): the next sweep tries again.
        if (config.lastFire?.scheduledFor === latest) config.lastFire = before;
        this.logger.error(`Could not fire "${config.name}" for ${latest.toISOString()}: ${messageOf(e)}`);
      }),
    );
  }

  private async fire(config: ScheduledConfiguration, scheduledFor: Date, late: boolean): Promise<void> {
    const claim = await this.billing.schedules.claimFire({
      configurationId: config.id,
      scheduledFor,
      schedule: config.schedule,
      timeZone: config.timeZone,
      late,
      claimedBy: this.instanceId,
      claimedAt: this.clock.now(),
      familiesPerBatch: this.options.familiesPerBatch,
    });
    const when = `${scheduledFor.toISOString()}${late ? ' (late)' : ''}`;
    switch (claim.outcome) {
      case 'claimed':
        this.logger.info(`"${config.name}" fired for ${when}: bill run #${claim.runId}.`);
        await this.execute(claim.runId);
        return;
      case 'taken':
        if (claim.runId === null) return;
        this.logger.info(`"${config.name}" for ${when} was claimed by another process: helping bill run #${claim.runId}.`);
        await this.execute(claim.runId);
        return;
      case 'not started':
        this.logger.warn(`"${config.name}" fired for ${when} but its run could not start: ${claim.error}`);
        if (claim.destination) {
          await this.reports.notStarted(claim.destination, {
            configuration: claim.configuration,
            scheduledFor,
            timeZone: config.timeZone,
            late,
            error: claim.error,
          });
        }
        return;
      case 'skipped':
        this.logger.info(`"${config.name}" did not fire for ${when}: ${claim.reason}.`);
        return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Running bill runs

  /** Bills a run's pending batches here (alongside any other process), reporting it; one execution per run per process. */
  private execute(runId: number): Promise<BillRunReport> {
    const current = this.running.get(runId);
    if (current) return current;
    const execution = (async () => {
      await this.reports.started(runId);
      let failure: unknown = null;
      // The run's report as it ended; read again only when the run failed (its failure recorded).
      let report: BillRunReport | null = null;
      try {
        report = await this.billing.executeBillRun(runId, {
          clock: this.clock,
          workers: this.options.workers,
          onProgress: () => this.reports.progress(runId),
        });
      } catch (e) {
        failure = e;
        this.logger.error(`Bill run #${runId} failed: ${messageOf(e)}`);
      }
      try {
        report ??= await this.billing.getBillRunReport(runId);
      } catch (e) {
        // The database is unreachable: the run could not even be marked failed. Say so in Slack;
        // the run stays unfinished and the next sweep (or start) resumes it.
        await this.reports.interrupted(runId, failure ?? e);
        throw e;
      }
      // Still running: another process bills its last batch and reports the end (or the sweep does).
      if (report.run.status === 'completed' || report.run.status === 'failed') await this.reports.ended(runId);
      return report;
    })().finally(() => this.running.delete(runId));
    this.running.set(runId, execution);
    this.track(execution);
    execution.catch(() => undefined); // a caller who ignores `finished` must not crash the process
    return execution;
  }

  /** Finishes the runs a process left unfinished (status scheduled or running), one after another. */
  private resumeUnfinished(): Promise<void> {
    this.resuming ??= (async () => {
      try {
        for (const run of await this.billing.unfinishedBillRuns()) {
          if (this.state === 'stopped') return;
          if (this.running.has(run.id)) continue;
          this.logger.info(`Resuming bill run #${run.id} (${run.status}).`);
          await this.execute(run.id);
        }
      } catch (e) {
        this.logger.error(`Could not resume unfinished bill runs: ${messageOf(e)}`);
      } finally {
        this.resuming = null;
      }
    })();
    return this.resuming;
  }

  private async sweep(): Promise<void> {
    await this.resumeUnfinished();
    await this.reports.postDue().catch((e) => this.logger.error(`Could not post due reports: ${messageOf(e)}`));
    await this.digests.reload().then(() => this.digests.sweep()).catch((e) => this.logger.error(`Could not post due digests: ${messageOf(e)}`));
    for (const entry of this.entries.values()) {
      if (!entry.problem && !entry.config.paused) this.fireIfDue(entry);
    }
  }

  private async pollForChanges(): Promise<void> {
    try {
      if ((await this.billing.schedules.fingerprint()) !== this.fingerprint) await this.reload();
    } catch (e) {
      this.logger.error(`Could not check configurations for changes: ${messageOf(e)}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private track<T>(promise: Promise<T>): Promise<T> {
    this.work.add(promise);
    const forget = () => this.work.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Repeats `task` every `ms` on the clock (0: never). */
  private every(ms: number, task: () => Promise<void>): void {
    if (!ms || ms <= 0) return;
    const schedule = () => {
      const handle = this.clock.at(new Date(this.clock.now().getTime() + ms), async () => {
        const index = this.housekeeping.indexOf(handle);
        if (index >= 0) this.housekeeping.splice(index, 1);
        if (this.state !== 'started') return;
        try {
          await this.track(task());
        } finally {
          if (this.state === 'started') schedule();
        }
      });
      this.housekeeping.push(handle);
    };
    schedule();
  }
}
