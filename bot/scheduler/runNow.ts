import { z } from 'zod';
import { type BillRunReport, firstIssue, InvalidInputError, nameSchema, nextFireAfter, type ScheduledConfiguration, scheduleProblem } from '../../billing';
import type { ScheduleView } from '../render/schedules';

/** What the scheduler's commands take and give: `/billing run`'s options and result, a schedule as listed. */

export type RunNowResult =
  | { preview: true; report: BillRunReport }
  | {
      preview: false;
      runId: number;
      /** False when the request key had already started this run. */
      created: boolean;
      /** The channel the run is reported in (the configuration's, else the one asked for), or null. */
      reportChannel: string | null;
      /** Settles when the run has ended (completed or failed); never rejects for a billing failure. */
      finished: Promise<BillRunReport>;
    };

export const runNowOptionsSchema = z.object({
  preview: z.boolean().default(false),
  startedBy: z.string().trim().min(1, 'A bill run must say who started it.'),
  requestKey: z.string().trim().min(1).max(200).nullish(),
  /** An explicit billing period instead of the configuration's rule (both or neither; checked by billing). */
  from: z.string().nullish(),
  to: z.string().nullish(),
  posting: z.string().nullish(),
  /** Where to report the run when its configuration has no report channel (the channel it was asked from). */
  reportChannel: z.string().trim().min(1).max(200).nullish(),
});
export type RunNowOptions = z.input<typeof runNowOptionsSchema>;

/** A configuration's name, checked (an InvalidInputError says what is wrong). */
export function parseName(name: string): string {
  const parsed = nameSchema.safeParse(name);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  return parsed.data;
}

/** A scheduled configuration as `/billing schedules` shows it, at `now`. */
export function scheduleView(c: ScheduledConfiguration, now: Date): ScheduleView {
  const problem = scheduleProblem(c.schedule, c.timeZone);
  return {
    configuration: c.name,
    schedule: c.schedule,
    timeZone: c.timeZone,
    paused: c.paused,
    reportChannel: c.reportChannel,
    nextRunAt: c.paused || problem ? null : nextFireAfter(c.schedule, c.timeZone, now),
    problem,
    lastRun: c.lastFire
      ? {
          scheduledFor: c.lastFire.scheduledFor,
          runId: c.lastFire.billRunId,
          status: c.lastFire.runStatus,
          late: c.lastFire.late,
          error: c.lastFire.error,
        }
      : null,
  };
}
