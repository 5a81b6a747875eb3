import { BillRunStateError, nextFireAfter, type Billing, type BillRunReport } from '../../billing';
import type { Scheduler } from '../scheduler/scheduler';
import { errorForPeople } from '../render/runReports';
import type { CommandOf } from './schema';
import type { CommandContext, Outcome, ScheduleRuntime } from './types';

/**
 * The handlers of the schedule and run-status commands, run through the process's Scheduler
 * (ScheduleRuntime, plugged in by createScheduling):
 *
 *   /billing schedules                              → schedule.list
 *   /billing schedule pause|resume <configuration>  → schedule.changed
 *   /billing run <configuration> [preview]          → bill.report (preview) or bill.started
 *   /bill status <run>                              → bill.status
 *   /bill status <run> resume                       → bill.resuming
 */

/** A run's stored error as people should read it (the database's sentence, not the SQL). */
function forPeople(report: BillRunReport): BillRunReport {
  if (!report.run.error) return report;
  return { ...report, run: { ...report.run, error: errorForPeople(report.run.error) } };
}

const channelFor = (rt: ScheduleRuntime, ctx: CommandContext) => (rt.reportChannel ? rt.reportChannel(ctx) : (ctx.channel ?? null));

export async function listSchedules(rt: ScheduleRuntime): Promise<Outcome> {
  return { kind: 'schedule.list', schedules: await rt.scheduler.listSchedules() };
}

export async function changeSchedule(rt: ScheduleRuntime, command: CommandOf<'billing.schedule'>): Promise<Outcome> {
  const { scheduler } = rt;
  const config = await rt.billing.findConfiguration(command.configuration);
  const before = (await scheduler.listSchedules()).find((s) => s.configuration === config.name);
  const schedule = command.action === 'pause' ? await scheduler.pauseSchedule(config.name) : await scheduler.resumeSchedule(config.name);
  const changed = !before || before.paused !== schedule.paused;
  return { kind: 'schedule.changed', action: command.action, changed, schedule };
}

export async function runNow(rt: ScheduleRuntime, command: CommandOf<'billing.run'>, ctx: CommandContext): Promise<Outcome> {
  const config = await rt.billing.findConfiguration(command.configuration);
  const started = await rt.scheduler.runNow(config.name, {
    startedBy: ctx.actor,
    preview: command.preview,
    requestKey: ctx.requestKey ?? null,
    from: command.from,
    to: command.to,
    posting: command.posting,
    reportChannel: channelFor(rt, ctx),
  });
  if (started.preview) return { kind: 'bill.report', report: started.report };
  if (rt.waitForRuns) return { kind: 'bill.report', report: forPeople(await started.finished) };
  return {
    kind: 'bill.started',
    runId: started.runId,
    created: started.created,
    billing: `the bill groups of ${config.name}`,
    reportChannel: started.reportChannel,
    here: started.reportChannel !== null && started.reportChannel === ctx.channel,
  };
}

export async function runStatus(rt: ScheduleRuntime, runId: number): Promise<Outcome> {
  const report = forPeople(await rt.billing.getBillRunReport(runId));
  const resumable = report.run.status === 'failed';
  const resumeCommand = rt.resumeCommand ?? ((id: number) => `/bill status ${id} resume`);
  return {
    kind: 'bill.status',
    report,
    remaining: await rt.billing.schedules.remainingWork(runId),
    resumable,
    resumeWith: resumable ? resumeCommand(runId) : null,
  };
}

export async function resumeRun(rt: ScheduleRuntime, command: CommandOf<'bill.resume'>, ctx: CommandContext): Promise<Outcome> {
  const run = (await rt.billing.getBillRunReport(command.run, 0)).run;
  if (run.status !== 'failed') {
    throw new BillRunStateError(
      run.status === 'completed'
        ? `Bill run #${run.id} has already completed; there is nothing to resume.`
        : `Bill run #${run.id} is ${run.status}, not failed; a running bot finishes unfinished runs by itself.`,
    );
  }
  const resumed = await rt.scheduler.resumeRun(run.id, { reportChannel: channelFor(rt, ctx) });
  if (rt.waitForRuns) {
    await resumed.finished;
    return runStatus(rt, run.id);
  }
  return {
    kind: 'bill.resuming',
    runId: run.id,
    reportChannel: resumed.reportChannel,
    here: resumed.reportChannel !== null && resumed.reportChannel === ctx.channel,
  };
}

/**
 * `/billing schedule digest <channel> <cron> [<time zone>]`, `... pause|resume`: a channel's
 * overdue digest, written in the database; a scheduler running here re-arms it at once (the
 * others pick it up at their next sweep).
 */
export async function changeDigest(billing: Billing, command: CommandOf<'billing.digest'>, ctx: CommandContext, scheduler: Scheduler | null): Promise<Outcome> {
  const digest =
    command.action === 'set'
      ? await billing.digests.set({ channel: command.channel, schedule: command.schedule ?? '', timeZone: command.timeZone, actor: ctx.actor })
      : await billing.digests.setPaused(command.channel, command.action === 'pause');
  await scheduler?.digests.reload();
  const next = digest.paused ? null : nextFireAfter(digest.schedule, digest.timeZone, scheduler?.now() ?? billing.clock.now());
  return { kind: 'digest.changed', action: command.action, digest, next };
}
