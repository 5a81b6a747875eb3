import type { Knex } from 'knex';
import { getBillRunReport, type BillRunReport } from '../../billing/billRuns';
import { findConfiguration } from '../../billing/configurations';
import { BillRunStateError } from '../../billing/errors';
import { remainingWork } from '../../billing/schedules';
import { errorForPeople } from '../render/runReports';
import type { Scheduler } from '../scheduler/scheduler';
import type { CommandContext, CommandHandlers, Outcome } from './execute';
import type { CommandOf } from './schema';

/**
 * The schedule and run-status commands, run through a Scheduler and plugged into the
 * executor (ExecutorServices.handlers) by the faces that have one:
 *
 *   /billing schedules                              → schedule.list
 *   /billing schedule pause|resume <configuration>  → schedule.changed
 *   /billing run <configuration> [preview]          → bill.report (preview) or bill.started
 *   /bill status <run>                              → bill.status
 *   /bill status <run> resume                       → bill.resuming
 *
 * Pause and resume go through the scheduler instance, so the running process reschedules at
 * once (the others see the change through the database).
 */
export interface ScheduleHandlerOptions {
  scheduler: Scheduler;
  db: Knex;
  /**
   * Where a run started (or resumed) from here is reported when its configuration has no
   * report channel; null: nowhere. Default: the channel the command came from.
   */
  reportChannel?: (ctx: CommandContext) => string | null;
  /**
   * Wait for a started or resumed run to end and show its report (the CLI, which exits after
   * one command). Default false: answer at once; the run is reported in its channel.
   */
  waitForRuns?: boolean;
  /** The command that resumes a run, as this face's users type it (default `/bill status <run> resume`). */
  resumeCommand?: (runId: number) => string;
}

/** A run's stored error as people should read it (the database's sentence, not the SQL). */
function forPeople(report: BillRunReport): BillRunReport {
  if (!report.run.error) return report;
  return { ...report, run: { ...report.run, error: errorForPeople(report.run.error) } };
}

export function scheduleHandlers(options: ScheduleHandlerOptions): CommandHandlers {
  const { scheduler, db } = options;
  const channelFor = options.reportChannel ?? ((ctx: CommandContext) => ctx.channel ?? null);

  const resumeCommand = options.resumeCommand ?? ((runId: number) => `/bill status ${runId} resume`);

  const status = async (runId: number): Promise<Outcome> => {
    const report = forPeople(await getBillRunReport(db, runId));
    const resumable = report.run.status === 'failed';
    return {
      kind: 'bill.status',
      report,
      remaining: await remainingWork(db, runId),
      resumable,
      resumeWith: resumable ? resumeCommand(runId) : null,
    };
  };

  return {
    'billing.schedules': async () => ({ kind: 'schedule.list', schedules: await scheduler.listSchedules() }),

    'billing.schedule': async (command: CommandOf<'billing.schedule'>) => {
      const config = await findConfiguration(db, command.configuration);
      const before = (await scheduler.listSchedules()).find((s) => s.configuration === config.name);
      const schedule =
        command.action === 'pause' ? await scheduler.pauseSchedule(config.name) : await scheduler.resumeSchedule(config.name);
      const changed = !before || before.paused !== schedule.paused;
      return { kind: 'schedule.changed', action: command.action, changed, schedule };
    },

    'billing.run': async (command: CommandOf<'billing.run'>, ctx) => {
      const config = await findConfiguration(db, command.configuration);
      const started = await scheduler.runNow(config.name, {
        startedBy: ctx.actor,
        preview: command.preview,
        requestKey: ctx.requestKey ?? null,
        from: command.from,
        to: command.to,
        posting: command.posting,
        reportChannel: channelFor(ctx),
      });
      if (started.preview) return { kind: 'bill.report', report: started.report };
      if (options.waitForRuns) return { kind: 'bill.report', report: forPeople(await started.finished) };
      return {
        kind: 'bill.started',
        runId: started.runId,
        created: started.created,
        billing: `the bill groups of ${config.name}`,
        reportChannel: started.reportChannel,
        here: started.reportChannel !== null && started.reportChannel === ctx.channel,
      };
    },

    'bill.status': async (command: CommandOf<'bill.status'>) => status(command.run),

    'bill.resume': async (command: CommandOf<'bill.resume'>, ctx) => {
      const run = (await getBillRunReport(db, command.run, 0)).run;
      if (run.status !== 'failed') {
        throw new BillRunStateError(
          run.status === 'completed'
            ? `Bill run #${run.id} has already completed; there is nothing to resume.`
            : `Bill run #${run.id} is ${run.status}, not failed; a running bot finishes unfinished runs by itself.`,
        );
      }
      const resumed = await scheduler.resumeRun(run.id, { reportChannel: channelFor(ctx) });
      if (options.waitForRuns) {
        await resumed.finished;
        return status(run.id);
      }
      return {
        kind: 'bill.resuming',
        runId: run.id,
        reportChannel: resumed.reportChannel,
        here: resumed.reportChannel !== null && resumed.reportChannel === ctx.channel,
      };
    },
  };
}
