import { Cron } from 'croner';
import { validate as nodeCronAccepts } from 'node-cron';
import type { Knex } from 'knex';
import { BillRequest, Clock, RunOptions, startBillRun } from './billRuns';
import { findConfiguration } from './configurations';
import { BillingError } from './errors';
import type { Db } from './db';

/**
 * Scheduled bill runs: a configuration's cron schedule in its time zone, the database claim
 * that makes each (configuration, scheduled time) run once whatever the number of bot
 * processes, and the record of what has been posted about a run (its report).
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
   * configuration's report destination. (`reportChannel`: the same, under its old name, until
   * bot/scheduler reads `destination`.)
   */
  | { outcome: 'not started'; error: string; configuration: string; destination: string | null; reportChannel: string | null }
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
      return { outcome: 'not started', error: e.message, configuration: config.name, destination, reportChannel: destination };
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

/**
 * Records a bill run of a configuration started by hand and, when the configuration has a
 * report destination (or `defaultDestination` is given), its report, in one transaction. A
 * request key already used returns its run (and the destination of its report, if any).
 * (`reportChannel`: the destination under its old name, until bot/scheduler reads `destination`.)
 */
export async function startReportedBillRun(
  db: Knex,
  request: BillRequest,
  options: RunOptions = {},
  defaultDestination: string | null = null,
): Promise<{ runId: number; created: boolean; destination: string | null; reportChannel: string | null }> {
  return db.transaction(async (trx) => {
    const started = await startBillRun(trx, request, options);
    const run = await trx('bill_runs as r')
      .join('bill_run_configurations as c', 'c.id', 'r.configuration_id')
      .where('r.id', started.runId)
      .first('c.report_channel');
    const wanted: string | null = run?.report_channel ?? defaultDestination;
    if (wanted && started.created) {
      await trx('bill_run_reports').insert({ bill_run_id: started.runId, destination: wanted }).onConflict('bill_run_id').ignore();
    }
    const report = await trx('bill_run_reports').where('bill_run_id', started.runId).first('destination');
    const destination: string | null = report?.destination ?? null;
    return { ...started, destination, reportChannel: destination };
  });
}

/**
 * Where a run is reported. A run without a report gets one to `destination` when it is given
 * (a run resumed from somewhere is reported there); null when it has none and none is given.
 */
export async function ensureRunReport(db: Db, runId: number, destination: string | null): Promise<string | null> {
  if (destination) {
    await db('bill_run_reports').insert({ bill_run_id: runId, destination }).onConflict('bill_run_id').ignore();
  }
  const report = await db('bill_run_reports').where('bill_run_id', runId).first('destination');
  return report?.destination ?? null;
}

// ---------------------------------------------------------------------------------------------
// Run reports: what has been delivered about a run, claimed under a row lock. Billing keeps the
// delivery as plain state: where the report goes, and the message that carries it; the face
// that delivers it (Slack, the shell) gives the ids.

export interface RunReportState {
  billRunId: number;
  /** Where the report goes, as configured or asked (a face's name for a place, such as "#billing"). */
  destination: string;
  /** The id the delivering face gave the destination once it delivered there; null before. */
  destinationId: string | null;
  /** The id of the message that carries the report; null until it is first delivered. */
  messageId: string | null;
  /** @deprecated the old names of destination, destinationId and messageId, until bot/scheduler reads the new ones. */
  channel: string;
  /** @deprecated see `channel`. */
  channelId: string | null;
  /** @deprecated see `channel`. */
  messageTs: string | null;
  late: boolean;
  scheduledFor: Date | null;
  /** When a scheduler claimed the scheduled fire that started the run. */
  claimedAt: Date | null;
  finalStatus: 'completed' | 'failed' | null;
  workbookPosted: boolean;
  /** The run's own status now. */
  runStatus: 'scheduled' | 'running' | 'completed' | 'failed';
}

export interface RunReportChange {
  destinationId?: string;
  messageId?: string;
  /** @deprecated the old name of destinationId, until bot/scheduler uses the new one. */
  channelId?: string;
  /** @deprecated the old name of messageId, until bot/scheduler uses the new one. */
  messageTs?: string;
  progressPosted?: boolean;
  finalStatus?: 'completed' | 'failed';
  workbookPosted?: boolean;
}

/**
 * Runs `step` while holding the lock on a run's report row, then records what it did and
 * commits. The lock lives in the database session, so a process that dies mid-step releases
 * it at once. 'wait' waits for another process's step to end (then sees what it recorded);
 * 'skip' gives up at once (for progress updates). Returns undefined when the run has no
 * report, or when skipped. `step` should only read through the transaction it is given.
 */
export async function withRunReport<T>(
  db: Knex,
  runId: number,
  mode: 'wait' | 'skip',
  step: (state: RunReportState, trx: Knex.Transaction) => Promise<{ change?: RunReportChange; result: T }>,
): Promise<T | undefined> {
  return db.transaction(async (trx) => {
    let query = trx('bill_run_reports').where('bill_run_id', runId).forUpdate();
    if (mode === 'skip') query = query.skipLocked();
    const row = await query.first();
    if (!row) return undefined;
    const run = await trx('bill_runs').where('id', runId).first('status');
    const fire = await trx('scheduled_fires').where('bill_run_id', runId).first('claimed_at');
    const state: RunReportState = {
      billRunId: runId,
      destination: row.destination,
      destinationId: row.destination_id,
      messageId: row.message_id,
      channel: row.destination,
      channelId: row.destination_id,
      messageTs: row.message_id,
      late: row.late,
      scheduledFor: row.scheduled_for ? new Date(row.scheduled_for) : null,
      claimedAt: fire ? new Date(fire.claimed_at) : null,
      finalStatus: row.final_status,
      workbookPosted: row.workbook_posted_at !== null,
      runStatus: run.status,
    };
    const { change, result } = await step(state, trx);
    if (change) {
      const update: Record<string, unknown> = {};
      const destinationId = change.destinationId ?? change.channelId;
      const messageId = change.messageId ?? change.messageTs;
      if (destinationId !== undefined) update.destination_id = destinationId;
      if (messageId !== undefined) update.message_id = messageId;
      if (change.progressPosted) update.progress_posted_at = trx.fn.now();
      if (change.finalStatus !== undefined) {
        update.final_status = change.finalStatus;
        update.final_posted_at = trx.fn.now();
      }
      if (change.workbookPosted) update.workbook_posted_at = trx.fn.now();
      if (Object.keys(update).length) await trx('bill_run_reports').where('bill_run_id', runId).update(update);
    }
    return result;
  });
}

/** Runs that ended (completed or failed) whose report does not show that end yet. */
export async function runsWithReportsDue(db: Db): Promise<number[]> {
  return db('bill_run_reports as p')
    .join('bill_runs as r', 'r.id', 'p.bill_run_id')
    .whereIn('r.status', ['completed', 'failed'])
    .where((q) =>
      q
        .whereRaw('p.final_status IS DISTINCT FROM r.status')
        .orWhere((w) => w.where('r.status', 'completed').whereNull('p.workbook_posted_at')),
    )
    .orderBy('p.bill_run_id')
    .pluck('p.bill_run_id');
}

/** True when a completed run's end is shown in its report and its workbook is not attached yet. */
export async function workbookDue(db: Db, runId: number): Promise<boolean> {
  const row = await db('bill_run_reports as p')
    .join('bill_runs as r', 'r.id', 'p.bill_run_id')
    .where('p.bill_run_id', runId)
    .where('r.status', 'completed')
    .where('p.final_status', 'completed')
    .whereNull('p.workbook_posted_at')
    .first('p.bill_run_id');
  return Boolean(row);
}

/** What a run has not done yet: its batches not done and the accounts in them. */
export async function remainingWork(db: Db, runId: number): Promise<{ batches: number; accounts: number }> {
  const { rows } = await db.raw(
    `SELECT count(*) AS batches, coalesce(sum(cardinality(account_ids)), 0) AS accounts
     FROM bill_run_batches WHERE bill_run_id = ? AND NOT done`,
    [runId],
  );
  return { batches: Number(rows[0].batches), accounts: Number(rows[0].accounts) };
}

/** How many packages a run skipped, per reason, most frequent first. */
export async function skipReasonCounts(db: Db, runId: number): Promise<{ reason: string; count: number }[]> {
  const rows = await db('bill_run_skips')
    .where('bill_run_id', runId)
    .groupBy('reason')
    .orderByRaw('count(*) DESC, reason')
    .select('reason', db.raw('count(*) AS count'));
  return rows.map((r: any) => ({ reason: r.reason, count: Number(r.count) }));
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
