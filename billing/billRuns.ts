import type { Knex } from 'knex';
import type { Db } from './db';
import { billPendingBatches, workerCount } from './billRun/workers';
import { PREVIEW_PART_NUMBERS, TAKE_NUMBERS, type InvoiceNumbering } from './billRun/numbering';
import { Clock, parseRequest, recordBillRun, Share, systemClock, type BillRequest, type RunOptions } from './billRun/plan';
import { BillRunReport, DETAIL_LIMIT, getBillRunReport, PreviewPart, previewReport, readReport } from './billRun/report';

/**
 * Bill runs: the face of billing/billRun/. A run is recorded and planned (plan.ts), then its
 * batches are billed by workers (workers.ts), each batch by one statement (batch.ts) with its
 * invoices numbered last (numbering.ts); its report is read from what it wrote (report.ts).
 */

export { billRequestSchema, systemClock } from './billRun/plan';
export type { BillRequest, Clock, RunOptions } from './billRun/plan';
export { getBillRunReport } from './billRun/report';
export type { BilledPackage, BillRunReport, InvoiceSummary, SkippedPackage } from './billRun/report';
export { DEFAULT_WORKERS, failureReason } from './billRun/workers';

class PreviewRollback extends Error {}

/**
 * Records a bill run and plans its batches, in one transaction, before any billing.
 * A request key already used returns the run it started instead of a new one.
 */
export async function startBillRun(
  db: Db,
  request: BillRequest,
  options: RunOptions = {},
): Promise<{ runId: number; created: boolean }> {
  const req = parseRequest(request);
  const clock = options.clock ?? systemClock;
  try {
    return await recordBillRun(db, req, clock, options);
  } catch (error) {
    // The same request key sent twice at once (a double click): both callers found no run with
    // the key, and the unique index refused the second insert. That caller gets the first's run.
    if (req.requestKey && (error as { constraint?: string }).constraint === 'bill_runs_request_key') {
      const existing = await db('bill_runs').where('request_key', req.requestKey).first('id');
      if (existing) return { runId: existing.id, created: false };
    }
    throw error;
  }
}

/**
 * Works through a run's pending batches: each batch is claimed (FOR UPDATE SKIP LOCKED, so
 * several processes share one run), billed and marked done in one transaction. The last
 * worker to finish completes the run. A failure marks the run failed; running it again
 * resumes with the batches not yet done.
 */
export async function executeBillRun(db: Db, runId: number, options: RunOptions = {}): Promise<BillRunReport> {
  await billPendingBatches(db, runId, options);
  return getBillRunReport(db, runId);
}

/** Records and bills a run at once, returning its report. */
export async function bill(db: Db, request: BillRequest, options: RunOptions = {}): Promise<BillRunReport> {
  const { runId } = await startBillRun(db, request, options);
  let report = await executeBillRun(db, runId, options);
  // Another caller shares the run (the same request key sent twice at once, or a process
  // resuming it) and is still billing a batch this caller could not claim. Wait for that batch
  // to commit (FOR SHARE waits on its lock), then help finish the run, so that every caller
  // reports the finished run.
  for (let i = 0; report.run.status === 'running' && i < 100; i++) {
    await db.transaction(async (trx) => {
      await trx('bill_run_batches').where({ bill_run_id: runId, done: false }).forShare().select('batch_no');
    });
    report = await executeBillRun(db, runId, options);
  }
  return report;
}

/**
 * A dry run: performs exactly what `bill` would, in transactions that are rolled back, so it
 * reports the real outcome and leaves nothing behind (no run, no invoice number used).
 *
 * A run of bill groups is previewed in parts billed at once (as many as a run's workers), each
 * one transaction on its own connection with its share of the invoicer families; their reports
 * are merged. A family's outcome depends only on its own rows, so the parts add up to the run.
 * The first part takes invoice numbers as a run does; the others number theirs in ranges of
 * their own without taking any (InvoiceNumbering). The merged report numbers all the invoices
 * from the next invoice number in invoicer order, as a run does within a batch.
 */
export async function previewBill(db: Knex, request: BillRequest, options: RunOptions = {}): Promise<BillRunReport> {
  const req = { ...parseRequest(request), requestKey: null };
  const clock = options.clock ?? systemClock;
  // A part is one transaction, billed in the run's batches: the outcome does not depend on
  // batches, and one statement for a whole part cost more per account than the run's batches
  // (a quarter more at 100,000 accounts: RESULTS.md, "Session 7").
  const whole = { ...options, onProgress: undefined };
  // One account's run is one family; inside a caller's transaction there is one connection.
  const parts = req.account ? 1 : workerCount(db, options);
  const outcomes = await Promise.allSettled(
    Array.from({ length: parts }, (_, part) => previewPart(db, req, clock, whole, { part, parts })),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
  const rows = outcomes.map((o) => (o as PromiseFulfilledResult<PreviewPart>).value);
  return previewReport(db, rows);
}

async function previewPart(
  db: Knex,
  req: ReturnType<typeof parseRequest>,
  clock: Clock,
  options: RunOptions,
  share: Share,
): Promise<PreviewPart> {
  let rows: PreviewPart | undefined;
  try {
    await db.transaction(async (trx) => {
      // What the rollback discards need not be checked: the foreign keys of the rows the run
      // writes are deferred to it (migration 062 explains why that cannot hide a failure);
      // most of its keys are checked once per statement anyway (migration 120).
      await trx.raw('SET CONSTRAINTS ALL DEFERRED');
      const { next_invoice_number: nextNumber } = await trx('settings').first('next_invoice_number');
      const { runId } = await recordBillRun(trx, req, clock, options, share);
      const numbering: InvoiceNumbering =
        share.part === 0 ? TAKE_NUMBERS : { take: false, offset: share.part * PREVIEW_PART_NUMBERS };
      await billPendingBatches(trx, runId, options, numbering);
      rows = { ...(await readReport(trx, runId, DETAIL_LIMIT)), nextNumber: Number(nextNumber) };
      throw new PreviewRollback();
    });
  } catch (e) {
    if (!(e instanceof PreviewRollback)) throw e;
  }
  if (!rows) throw new Error('preview produced no report');
  return rows;
}

/**
 * Runs that were started and not finished because a process stopped part way (status
 * scheduled or running). Failed runs are not listed: they wait for a person to run them again.
 */
export async function unfinishedBillRuns(db: Db): Promise<{ id: number; status: string }[]> {
  return db('bill_runs').whereIn('status', ['scheduled', 'running']).orderBy('id').select('id', 'status');
}
