import type { Knex } from 'knex';
import { BillRequest, RunOptions, startBillRun } from './billRuns';
import type { Db } from './db';

/*
 * Run reports: a bill run's report is delivered by a face (Slack, the shell), exactly once
 * whatever the number of processes; billing keeps what has been delivered, as plain state
 * (where the report goes, the message that carries it), each step recorded under a row lock.
 */

/**
 * Records a bill run of a configuration started by hand and, when the configuration has a
 * report destination (or `defaultDestination` is given), its report, in one transaction. A
 * request key already used returns its run (and the destination of its report, if any).
 */
export async function startReportedBillRun(
  db: Knex,
  request: BillRequest,
  options: RunOptions = {},
  defaultDestination: string | null = null,
): Promise<{ runId: number; created: boolean; destination: string | null }> {
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
    return { ...started, destination };
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
      if (change.destinationId !== undefined) update.destination_id = change.destinationId;
      if (change.messageId !== undefined) update.message_id = change.messageId;
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
