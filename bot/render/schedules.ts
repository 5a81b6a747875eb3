import { slackTime } from './time';
import { bold, escapeMrkdwn } from './mrkdwn';
import { channelRef, context, header, list, plural, section, type Rendered } from './kit';

/**
 * Schedules: the scheduled configurations, one paused or resumed. Times are Slack date tokens
 * (each reader sees their own time zone; the fallback names the schedule's).
 */

/** One scheduled configuration as `/billing schedules` shows it (the scheduler builds it). */
export interface ScheduleView {
  configuration: string;
  schedule: string;
  timeZone: string;
  paused: boolean;
  reportChannel: string | null;
  /** Null when paused or when the schedule is invalid. */
  nextRunAt: Date | null;
  /** Why the schedule cannot run (invalid cron expression or time zone), else null. */
  problem: string | null;
  lastRun: {
    scheduledFor: Date;
    runId: number | null;
    status: string | null;
    late: boolean;
    /** Why it could not start, when it could not. */
    error: string | null;
  } | null;
}

function lastRunText(s: ScheduleView): string | null {
  const last = s.lastRun;
  if (!last) return null;
  const scheduled = `scheduled for ${slackTime(last.scheduledFor, s.timeZone)}${last.late ? ', ran late' : ''}`;
  if (last.runId === null) {
    return last.error ? `last run could not start (${scheduled}): ${escapeMrkdwn(last.error)}` : `last run not started (${scheduled})`;
  }
  return `last run #${last.runId} ${last.status ?? 'unknown'} (${scheduled})`;
}

function scheduleLine(s: ScheduleView): string {
  const parts = [`${bold(s.configuration)} — \`${escapeMrkdwn(s.schedule)}\` in ${escapeMrkdwn(s.timeZone)}`];
  if (s.problem) parts.push(`:warning: not scheduled: ${escapeMrkdwn(s.problem)}`);
  else if (s.paused) parts.push('*paused*');
  else parts.push(s.nextRunAt ? `next run ${slackTime(s.nextRunAt, s.timeZone, false)}` : 'no next run');
  parts.push(s.reportChannel ? `reported in ${channelRef(s.reportChannel)}` : 'no report channel');
  const last = lastRunText(s);
  parts.push(last ?? 'not run yet');
  return parts.join(' · ');
}

export function renderSchedules(schedules: ScheduleView[]): Rendered {
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

export function renderScheduleChanged(action: 'pause' | 'resume', changed: boolean, s: ScheduleView): Rendered {
  const name = bold(s.configuration);
  let text: string;
  if (action === 'pause') {
    text = changed
      ? `The schedule of ${name} is paused: it does not run until it is resumed (\`/billing schedule resume ${escapeMrkdwn(s.configuration)}\`).`
      : `The schedule of ${name} was already paused; nothing changed.`;
  } else {
    const next = s.nextRunAt ? ` Next run: ${slackTime(s.nextRunAt, s.timeZone)}.` : '';
    text = changed
      ? `The schedule of ${name} is resumed; the runs missed while it was paused are not caught up.${next}`
      : `The schedule of ${name} was not paused; nothing changed.${next}`;
  }
  if (s.problem) text += `\n:warning: It cannot run as it is: ${escapeMrkdwn(s.problem)}`;
  return { text, blocks: [section(text), context(scheduleLine(s))] };
}
