import { Cron } from 'croner';
import { validate as nodeCronAccepts } from 'node-cron';
import type { Knex } from 'knex';
import { BillRequest, Clock, startBillRun } from './billRuns';
import { findConfiguration } from './configurations';
import { BillingError } from './errors';
import type { Db } from './db';

/**
 * Scheduled bill runs: a configuration's cron schedule in its time zone, the database claim
 * that makes each (configuration, scheduled time) run once whatever the number of bot
 * processes (run reports, what has been delivered about a run, are in runReports.ts).
 */

export class NoScheduleError extends BillingError {
  readonly code = 'no_schedule';
}

// ---------------------------------------------------------------------------------------------
// Cron schedules (croner computes the fire times; it handles time zones and DST)

function cronOf(schedule: string, timeZone: string): Cron {
  return new Cron(schedule.trim(), { timezone: timeZone, paused: true, mode: '5-or-6-parts' });
}

/** Null when the schedule is a valid cron expression (5 fields, or 6 with seconds) in the time zone; otherwise one sentence. */
export function scheduleProblem(schedule: string, timeZone: string): string | null {
  try {
    const cron = cronOf(schedule, timeZone);
    // croner computes fire times from any clock (catch-up, tests); node-cron, the project's
    // cron library, must accept the expression too, so both agree on what is valid.
    if (!cron.nextRun(new Date(0))) return `The schedule "${schedule.trim()}" never fires.`;
    if (!nodeCronAccepts(schedule.trim())) {
      return `"${schedule.trim()}" is not a cron schedule (expected five fields such as "5 0 1 * *", or six with seconds).`;
    }
    return null;
  } catch (e) {
    const detail = e instanceof Error ? e.message.replace(/^CronPattern: /, '').replace(/^CronDate: /, '') : String(e);
    return `"${schedule.trim()}" is not a cron schedule in ${timeZone} (expected five fields such as "5 0 1 * *": ${detail}).`;
  }
}

/** The first fire time strictly after `after`, or null when there is none. */
export function nextFireAfter(schedule: string, timeZone: string, after: Date): Date | null {
  return cronOf(schedule, timeZone).nextRun(after);
}

/** The latest fire time at or before `at`, or null when there is none. */
export function latestFireAtOrBefore(schedule: string, timeZone: string, at: Date): Date | null {
  // croner's previousRuns is strictly before its reference (a run earlier in the same second counts).
  return cronOf(schedule, timeZone).previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

// ---------------------------------------------------------------------------------------------
// Scheduled configurations

export interface ScheduledFire {
  scheduledFor: Date;
  billRunId: number | null;
  runStatus: string | null;
  late: boolean;
  error: string | null;
}

export interface ScheduledConfiguration {
  id: number;
  name: string;
  schedule: string;
  timeZone: string;
  paused: boolean;
  reportChannel: string | null;
  /** Fire times before this were never due (configuration created, schedule changed or resumed after them). */
  scheduleSince: Date;
  lastFire: ScheduledFire | null;
}

function toScheduled(row: any): ScheduledConfiguration {
  return {
    id: row.id,
    name: row.name,
    schedule: row.schedule,
    timeZone: row.time_zone,
    paused: row.paused,
    reportChannel: row.report_channel,
    scheduleSince: new Date(row.schedule_since),
    lastFire: row.scheduled_for
      ? {
          scheduledFor: new Date(row.scheduled_for),
          billRunId: row.bill_run_id,
          runStatus: row.run_status,
          late: row.late,
          error: row.fire_error,
        }
      : null,
  };
}

function scheduledQuery(db: Db) {
  return db('bill_run_configurations as c')
    .joinRaw(
      `LEFT JOIN LATERAL (
         SELECT f.scheduled_for, f.bill_run_id, f.late, f.error AS fire_error, r.status AS run_status
         FROM scheduled_fires f LEFT JOIN bill_runs r ON r.id = f.bill_run_id
         WHERE f.configuration_id = c.id
         ORDER BY f.scheduled_for DESC LIMIT 1
       ) last ON true`,
    )
    .whereNotNull('c.schedule')
    .whereRaw("btrim(c.schedule) <> ''")
    .select('c.id', 'c.name', 'c.schedule', 'c.time_zone', 'c.paused', 'c.report_channel', 'c.schedule_since', 'last.*');
}

/** Every configuration that has a schedule (paused ones too), by name, with its last fire. */
export async function listScheduledConfigurations(db: Db): Promise<ScheduledConfiguration[]> {
  return (await scheduledQuery(db).orderBy('c.name')).map(toScheduled);
}

/** A configuration with a schedule, by name; an unknown name or one without a schedule is refused. */
export async function findScheduledConfiguration(db: Db, name: string): Promise<ScheduledConfiguration> {
  const config = await findConfiguration(db, name);
  const row = await scheduledQuery(db).where('c.id', config.id).first();
  if (!row) {
    throw new NoScheduleError(`Configuration "${config.name}" has no schedule; give it a cron schedule to run it on a timetable.`);
  }
  return toScheduled(row);
}

/**
 * A cheap fingerprint of everything that decides when configurations fire: it changes
 * whenever a schedule, time zone, pause, name or baseline changes, or a configuration is added or removed.
 */
export async function schedulesFingerprint(db: Db): Promise<string> {
  const { rows } = await db.raw(
    `SELECT md5(coalesce(string_agg(
       concat_ws('|', id, name, schedule, time_zone, paused, report_channel, schedule_since), ',' ORDER BY id), '')) AS fingerprint
     FROM bill_run_configurations`,
  );
  return rows[0].fingerprint;
}

/**
 * Pauses or resumes a configuration's schedule. Resuming counts the schedule from `at`:
 * the fire times missed while it was paused are not caught up.
 */
export async function setSchedulePaused(db: Db, name: string, paused: boolean, at: Date): Promise<ScheduledConfiguration> {
  return db.transaction(async (trx) => {
    const config = await findScheduledConfiguration(trx, name);
    if (config.paused !== paused) {
      await trx('bill_run_configurations')
        .where('id', config.id)
        .update(paused ? { paused: true } : { paused: false, schedule_since: at });
    }
    return findScheduledConfiguration(trx, config.name);
  });
}

// ---------------------------------------------------------------------------------------------
// Claiming a scheduled fire

export type FireClaim =
  /** This process claimed the fire and started its run. */
  | { outcome: 'claimed'; runId: number }
  /** Another process claimed it first (runId is its run, or null when that run could not start). */
  | { outcome: 'taken'; runId: number | null }
  /**
   * This process claimed it, and the run could not start: the reason, to report once at the
   * configuration's report destination.
   */
  | { outcome: 'not started'; error: string; configuration: string; destination: string | null }
  /** The configuration no longer fires then (paused, removed, schedule changed). */
  | { outcome: 'skipped'; reason: string };

export interface FireRequest {
  configurationId: number;
  scheduledFor: Date;
  /** The schedule and time zone the fire time was computed from: a changed configuration is not fired. */
  schedule: string;
  timeZone: string;
  late: boolean;
  /** Which process claims it (for people looking at the table), and when by its clock. */
  claimedBy: string;
  claimedAt: Date;
  familiesPerBatch?: number;
}

/**
 * Claims one scheduled fire and records its bill run, in one transaction: the claim is a
 * unique (configuration, scheduled time) row inserted with ON CONFLICT DO NOTHING, so of
 * several processes exactly one starts the run and the others get its id to help bill it.
 * The run bills as of its scheduled time: the billing period comes from the configuration's
 * period rule on the scheduled date in the configuration's time zone, even when it runs late.
 */
export async function claimScheduledFire(db: Knex, fire: FireRequest): Promise<FireClaim> {
  return db.transaction(async (trx) => {
    const config = await trx('bill_run_configurations').where('id', fire.configurationId).forShare().first();
    if (!config) return { outcome: 'skipped', reason: 'the configuration no longer exists' };
    if (config.paused) return { outcome: 'skipped', reason: 'the schedule is paused' };
    if ((config.schedule ?? '').trim() !== fire.schedule.trim() || config.time_zone !== fire.timeZone) {
      return { outcome: 'skipped', reason: 'the schedule changed' };
    }
    if (new Date(config.schedule_since).getTime() > fire.scheduledFor.getTime()) {
      return { outcome: 'skipped', reason: 'the schedule counts from a later time' };
    }
    const claimed = await trx('scheduled_fires')
      .insert({
        configuration_id: fire.configurationId,
        scheduled_for: fire.scheduledFor,
        late: fire.late,
        claimed_by: fire.claimedBy,
        claimed_at: fire.claimedAt,
      })
      .onConflict(['configuration_id', 'scheduled_for'])
      .ignore()
      .returning('configuration_id');
    if (claimed.length === 0) {
      // The other claimer's transaction has committed (the insert waited for it).
      const row = await trx('scheduled_fires')
        .where({ configuration_id: fire.configurationId, scheduled_for: fire.scheduledFor })
        .first('bill_run_id');
      return { outcome: 'taken', runId: row?.bill_run_id ?? null };
    }
    const at: Clock = { now: () => fire.scheduledFor };
    const request: BillRequest = {
      configuration: config.name,
      startedBy: 'schedule',
      requestKey: `schedule:${fire.configurationId}:${fire.scheduledFor.toISOString()}`,
    };
    let runId: number;
    try {
      // A savepoint: a refusal rolls back the run and keeps the claim, so no other process retries it.
      ({ runId } = await startBillRun(trx, request, { clock: at, familiesPerBatch: fire.familiesPerBatch }));
    } catch (e) {
      if (!(e instanceof BillingError)) throw e;
      await trx('scheduled_fires')
        .where({ configuration_id: fire.configurationId, scheduled_for: fire.scheduledFor })
        .update({ error: e.message.slice(0, 2000) });
      const destination: string | null = config.report_channel;
      return { outcome: 'not started', error: e.message, configuration: config.name, destination };
    }
    await trx('scheduled_fires')
      .where({ configuration_id: fire.configurationId, scheduled_for: fire.scheduledFor })
      .update({ bill_run_id: runId });
    if (config.report_channel) {
      await trx('bill_run_reports').insert({
        bill_run_id: runId,
        destination: config.report_channel,
        late: fire.late,
        scheduled_for: fire.scheduledFor,
      });
    }
    return { outcome: 'claimed', runId };
  });
}

// ---------------------------------------------------------------------------------------------
// Changes to configurations, as they happen

/** The channel the configurations trigger NOTIFYs on (migration 050). */
const CONFIGURATION_CHANGES = 'billbot_configurations';

/**
 * Calls `onChange` whenever a configuration is added, changed or removed (the trigger's
 * NOTIFY), on a connection of its own. `onBroken` is told when that connection breaks (the
 * database restarted): callers poll `schedulesFingerprint` as well. Returns the function that
 * stops listening and gives the connection back.
 */
export async function watchConfigurationChanges(
  db: Knex,
  onChange: () => void,
  onBroken: (error: unknown) => void = () => undefined,
): Promise<() => Promise<void>> {
  const connection = await (db.client as any).acquireConnection();
  const onNotification = (m: { channel: string }) => {
    if (m.channel === CONFIGURATION_CHANGES) onChange();
  };
  connection.on('notification', onNotification);
  connection.on('error', onBroken);
  try {
    await connection.query(`LISTEN ${CONFIGURATION_CHANGES}`);
  } catch (e) {
    connection.removeListener('notification', onNotification);
    await (db.client as any).releaseConnection(connection);
    throw e;
  }
  return async () => {
    connection.removeListener('notification', onNotification);
    try {
      await connection.query(`UNLISTEN ${CONFIGURATION_CHANGES}`);
    } catch {
      // the connection is gone; the pool discards it
    }
    await (db.client as any).releaseConnection(connection);
  };
}
