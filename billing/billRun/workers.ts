import type { Knex } from 'knex';
import { BillingError } from '../errors';
import type { Db } from '../db';
import { billBatch } from './batch';
import { TAKE_NUMBERS, type InvoiceNumbering } from './numbering';
import { loadRun, type RunOptions } from './plan';
import type { BillRunReport } from './report';
import { countTotals } from './totals';
import { analyzeChanged } from './statistics';

/**
 * Batches billed at once by default: two, one per core of the machine billbot was measured on
 * (test/bench/RESULTS.md). A batch is mostly the database's work on one core, so a second
 * batch in flight uses the second; the outcome is the same, only the order in which batches
 * finish (and which invoicer gets which invoice number) can differ.
 */
export const DEFAULT_WORKERS = 2;

/** Batches billed at once: inside a caller's transaction (a preview) one, as it has one connection. */
export function workerCount(db: Db, options: RunOptions): number {
  return (db as Knex.Transaction).isTransaction ? 1 : Math.max(1, Math.floor(options.workers ?? DEFAULT_WORKERS));
}

/**
 * Works through a run's pending batches, `workers` at a time: each batch is claimed (FOR UPDATE
 * SKIP LOCKED, so several processes share one run), billed and marked done in one transaction.
 * The last worker to finish completes the run. A failure marks the run failed; running it
 * again resumes with the batches not yet done.
 */
export async function billPendingBatches(db: Db, runId: number, options: RunOptions, numbering: InvoiceNumbering = TAKE_NUMBERS): Promise<void> {
  const run = await loadRun(db, runId);
  if (run.status === 'completed') return;
  await db('bill_runs')
    .where('id', runId)
    .whereIn('status', ['scheduled', 'failed', 'running'])
    .update({ status: 'running', error: null, started_at: db.raw('COALESCE(started_at, now())') });
  const counts = await db('bill_run_batches')
    .where('bill_run_id', runId)
    .first(db.raw('count(*) AS total'), db.raw('count(*) FILTER (WHERE done) AS done'));
  const total = Number(counts?.total ?? 0);
  // Progress is reported in the order batches finish, one report at a time, each with one more
  // batch done than the last (the batches done before this call, and each one it finished).
  let finished = Number(counts?.done ?? 0);
  let progress: Promise<void> = Promise.resolve();
  const reportProgress = (): Promise<void> => {
    const done = Math.min(++finished, total);
    return (progress = progress.then(() => options.onProgress?.({ runId, batchesDone: done, batchesTotal: total })));
  };
  let stopped = false;
  // Each batch is a transaction of its own. Inside a caller's transaction (a preview's part)
  // the batches run in it directly, not each in a savepoint: a part of 500,000 accounts would
  // hold 100 subtransactions, past PostgreSQL's 64 cached per transaction, after which every
  // visibility check of its rows by the other part goes through pg_subtrans.
  const inBatch = <T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> =>
    (db as Knex.Transaction).isTransaction ? fn(db as Knex.Transaction) : db.transaction(fn);
  const work = async (): Promise<void> => {
    while (!stopped) {
      const claimed = await inBatch(async (trx) => {
        const batch = await trx('bill_run_batches')
          .where({ bill_run_id: runId, done: false })
          .orderBy('batch_no')
          .forUpdate()
          .skipLocked()
          .first('batch_no');
        if (!batch) return false;
        await billBatch(trx, run, batch.batch_no, numbering);
        await trx('bill_run_batches')
          .where({ bill_run_id: runId, batch_no: batch.batch_no })
          .update({ done: true, done_at: trx.fn.now() });
        return true;
      });
      if (!claimed) break;
      if (options.onProgress) await reportProgress();
    }
  };
  // A failing worker stops the others from claiming more batches; the batches they hold finish.
  const outcomes = await Promise.allSettled(
    Array.from({ length: workerCount(db, options) }, () =>
      work().catch((error: unknown) => {
        stopped = true;
        throw error;
      }),
    ),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) {
    const error = failure.reason;
    const message = failureReason(error);
    await db('bill_runs')
      .where({ id: runId, status: 'running' })
      .update({ status: 'failed', error: message, finished_at: db.fn.now() })
      .catch(() => undefined);
    throw error;
  }
  const totals = await completeRun(db, runId);
  // Statistics of what the run wrote, after its last commit (its rows were committed batch by
  // batch; a preview's are rolled back and need none): the export or the next run is planned
  // on them. Only the worker that completed the run does it.
  if (totals && !(db as Knex.Transaction).isTransaction) {
    await analyzeChanged(db, {
      transactions: totals.charges + totals.reversalsApplied,
      invoices: totals.invoicesCreated,
      account_packages: totals.packagesBilled,
      bill_run_skips: totals.packagesSkipped,
    });
  }
}

/**
 * Completes a run whose batches are all done, with its totals counted in the same
 * transaction (the report of a completed run reads them from there). Returns the totals when
 * this call completed the run.
 */
async function completeRun(db: Db, runId: number): Promise<BillRunReport['totals'] | null> {
  return db.transaction(async (trx) => {
    const pending = await trx('bill_run_batches').where({ bill_run_id: runId, done: false }).first('batch_no');
    if (pending) return null; // another process is still billing a batch; it completes the run
    const locked = await trx('bill_runs').where({ id: runId, status: 'running' }).forUpdate().first('id');
    if (!locked) return null;
    // A run with batches from before their counts is counted from its charges, which sorts them
    // all: with the default 4 MB of work memory, 100,000 accounts spilled to disk (0.19 s
    // against 0.09 s). Otherwise its totals are its batches' counts summed (totals.ts).
    await trx.raw(`SET LOCAL work_mem = '64MB'`);
    const totals = await countTotals(trx, runId);
    await trx('bill_runs').where('id', runId).update({ status: 'completed', finished_at: trx.fn.now(), summary: JSON.stringify(totals) });
    return totals;
  });
}

/**
 * Why a run failed, as stored and shown to people: a billing refusal's own sentence, or a
 * database error's message without the SQL that knex puts in front of it ("<sql> - <reason>").
 */
export function failureReason(error: unknown): string {
  if (error instanceof BillingError) return error.message;
  const raw = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  const isDatabaseError = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  const text = isDatabaseError ? (raw.split(' - ').pop() as string) : raw;
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}
