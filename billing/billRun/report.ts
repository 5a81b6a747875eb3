import type { Knex } from 'knex';
import { formatInvoiceNumber, invoicePrefix } from '../accounts';
import { describeSkip, SkipReason } from '../eligibility';
import { UnknownBillRunError } from '../errors';
import { Money } from '../money';
import type { Db } from '../db';
import { firstBilledAccounts, type RunPeriod } from './firstAccounts';
import { countTotals, type RunTotals } from './totals';

/**
 * The report of a bill run: what it billed, skipped and invoiced, read from what it wrote
 * (a completed run's totals from its summary), and a preview's parts merged into one report.
 */

export interface BilledPackage {
  account: string;
  package: string;
  periodStart: string;
  periodEnd: string;
  amount: string;
  currency: string;
  nextBillDate: string;
}

export interface SkippedPackage {
  account: string;
  package: string;
  reason: SkipReason;
  nextBillDate: string;
  message: string;
}

export interface InvoiceSummary {
  number: string;
  invoicer: string;
  currency: string;
  total: string;
  balance: string;
  status: string;
}

export interface BillRunReport {
  preview: boolean;
  run: {
    id: number;
    status: 'scheduled' | 'running' | 'completed' | 'failed';
    configuration: string;
    scope: 'account' | 'bill groups';
    account: string | null;
    periodStart: string;
    periodEnd: string;
    postingDate: string;
    invoiceDate: string;
    startedBy: string;
    error: string | null;
    createdAt: string;
    finishedAt: string | null;
    batchesDone: number;
    batchesTotal: number;
  };
  totals: RunTotals;
  billed: BilledPackage[];
  skipped: SkippedPackage[];
  invoices: InvoiceSummary[];
  /** True when the lists above were cut to the detail limit (the totals are always whole). */
  truncated: boolean;
}

/** How many of each list (invoices, packages billed, packages skipped) a report shows by default. */
export const DETAIL_LIMIT = 200;

export async function getBillRunReport(db: Db, runId: number, detailLimit = DETAIL_LIMIT): Promise<BillRunReport> {
  return buildReport(db, runId, detailLimit);
}

async function buildReport(db: Db, runId: number, detailLimit: number): Promise<BillRunReport> {
  return shapeReport(await readReport(db, runId, detailLimit));
}

/** A report as read from the database, before it is shaped for people (a preview merges its parts' rows). */
export interface ReportRows {
  run: any;
  prefix: string;
  batches: { done: number; total: number };
  totals: BillRunReport['totals'];
  /** The detail limit; each list below has at most one row more, which says it was cut. */
  limit: number;
  billed: any[];
  skipped: any[];
  /** In number order, with the invoicer's id (invoicer_id) and the number as a number. */
  invoices: any[];
}

export async function readReport(db: Db, runId: number, detailLimit: number): Promise<ReportRows> {
  const run = await db('bill_runs as r')
    .join('bill_run_configurations as c', 'c.id', 'r.configuration_id')
    .leftJoin('accounts as a', 'a.id', 'r.account_id')
    .where('r.id', runId)
    .first('r.*', 'c.name as configuration', 'a.name as account');
  if (!run) throw new UnknownBillRunError(`There is no bill run #${runId}.`);
  const prefix = await invoicePrefix(db);

  const { rows: [batches] } = await db.raw(
    'SELECT count(*) AS total, count(*) FILTER (WHERE done) AS done FROM bill_run_batches WHERE bill_run_id = ?',
    [runId],
  );
  // A completed run's totals were counted as it completed, in the transaction that completed
  // it (completeRun, workers.ts), and nothing changes them afterwards; counting them again
  // would read every transaction of the run.
  const totals: BillRunReport['totals'] =
    run.status === 'completed' && run.summary ? (run.summary as BillRunReport['totals']) : await countTotals(db, runId);

  const limit = detailLimit > 0 ? detailLimit : 0;
  // The three lists are independent reads: on a pool they run side by side, each on a
  // connection of its own; in a transaction (a preview's part), one after another on its one.
  const lists = [() => billedRows(db, run, limit, totals.accountsBilled), () => skippedRows(db, run, limit), () => invoiceRows(db, runId, limit)];
  const [billed, skipped, invoices] = !limit
    ? [[], [], []]
    : (db as Knex.Transaction).isTransaction
      ? [await lists[0](), await lists[1](), await lists[2]()]
      : await Promise.all(lists.map((list) => list()));
  return {
    run,
    prefix,
    batches: { done: Number(batches.done), total: Number(batches.total) },
    totals,
    limit,
    billed,
    skipped,
    invoices,
  };
}

/**
 * The run's first billed packages in account and package order, with their charges (limit + 1
 * rows at most). Accounts are in case-insensitive name order (lower(name), unique), as in every
 * list of the report.
 */
async function billedRows(
  db: Db,
  run: RunPeriod,
  limit: number,
  accountsBilled: number,
): Promise<any[]> {
  // Every account billed has at least one row, so the first rows in name order are those of
  // the first accounts in name order: only their charges are grouped and sorted.
  const first = await firstBilledAccounts(db, run, limit + 1, accountsBilled);
  if (!first.length) return [];
  const { rows } = await db.raw(
    `SELECT a.name AS account, p.name AS package, t.period_start, t.period_end, sum(t.amount) AS amount,
            a.currency, ap.next_bill_date
     FROM accounts a
     JOIN account_packages ap ON ap.account_id = a.id
     JOIN packages p ON p.id = ap.package_id
     -- Each package's charges of the billing period, looked up through transactions_charge_once;
     -- OFFSET 0 keeps the run's id out of the look-up, where the planner, whose statistics
     -- predate the run, would expect one row for it and scan the whole run per package.
     CROSS JOIN LATERAL (
       SELECT t.period_start, t.period_end, t.amount, t.bill_run_id FROM transactions t
       WHERE t.account_package_id = ap.id AND t.kind = 'charge' AND t.period_start BETWEEN :ps AND :pe
       OFFSET 0
     ) t
     WHERE a.id = ANY(:first::bigint[]) AND t.bill_run_id = :run
     GROUP BY a.name, p.name, t.period_start, t.period_end, a.currency, ap.next_bill_date, ap.id
     ORDER BY lower(a.name), p.name, t.period_start
     LIMIT :limit`,
    { run: run.id, first, limit: limit + 1, ps: run.period_start, pe: run.period_end },
  );
  return rows;
}

/** The run's first skipped packages in account and package order, with the earlier charge that made them skip. */
async function skippedRows(db: Db, run: RunPeriod, limit: number): Promise<any[]> {
  const runId = run.id;
  const { rows } = await db.raw(
    `SELECT a.name AS account, p.name AS package, s.reason, s.next_bill_date,
            prior.period_start AS billed_start, prior.period_end AS billed_end, prior.number AS billed_invoice
     FROM bill_run_skips s
     JOIN account_packages ap ON ap.id = s.account_package_id
     JOIN accounts a ON a.id = ap.account_id
     JOIN packages p ON p.id = ap.package_id
     LEFT JOIN LATERAL (
       SELECT t.period_start, t.period_end, i.number FROM transactions t LEFT JOIN invoices i ON i.id = t.invoice_id
       WHERE t.account_package_id = ap.id AND t.kind = 'charge' AND t.period_start BETWEEN ? AND ?
       ORDER BY t.period_start DESC LIMIT 1
     ) prior ON s.reason = 'already billed'
     WHERE s.bill_run_id = ?
     ORDER BY lower(a.name), p.name
     LIMIT ?`,
    [run.period_start, run.period_end, runId, limit + 1],
  );
  return rows;
}

/** The run's first invoices in number order. */
function invoiceRows(db: Db, runId: number, limit: number): Promise<any[]> {
  return db('invoices as i')
    .join('accounts as a', 'a.id', 'i.account_id')
    .where('i.bill_run_id', runId)
    .orderBy('i.number')
    .limit(limit + 1)
    .select('i.number', 'i.account_id as invoicer_id', 'a.name as invoicer', 'i.currency', 'i.total', 'i.balance', 'i.status');
}

function shapeReport({ run, prefix, batches, totals, limit, billed, skipped, invoices }: ReportRows): BillRunReport {
  const billingPeriod = { start: run.period_start, end: run.period_end };
  const truncated = billed.length > limit || skipped.length > limit || invoices.length > limit;
  return {
    preview: false,
    run: {
      id: run.id,
      status: run.status,
      configuration: run.configuration,
      scope: run.scope,
      account: run.account ?? null,
      periodStart: run.period_start,
      periodEnd: run.period_end,
      postingDate: run.posting_date,
      invoiceDate: run.invoice_date,
      startedBy: run.started_by,
      error: run.error,
      createdAt: new Date(run.created_at).toISOString(),
      finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null,
      batchesDone: batches.done,
      batchesTotal: batches.total,
    },
    totals,
    billed: billed.slice(0, limit).map((r: any) => ({
      account: r.account,
      package: r.package,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      amount: Money.exact(r.amount, r.currency).toString(),
      currency: r.currency,
      nextBillDate: r.next_bill_date,
    })),
    skipped: skipped.slice(0, limit).map((r: any) => ({
      account: r.account,
      package: r.package,
      reason: r.reason,
      nextBillDate: r.next_bill_date,
      message: describeSkip({
        reason: r.reason,
        nextBillDate: r.next_bill_date,
        period: billingPeriod,
        alreadyBilled: r.billed_start
          ? {
              periodStart: r.billed_start,
              periodEnd: r.billed_end,
              invoice: r.billed_invoice ? formatInvoiceNumber(prefix, Number(r.billed_invoice)) : null,
            }
          : null,
      }),
    })),
    invoices: invoices.slice(0, limit).map((r: any) => ({
      number: formatInvoiceNumber(prefix, Number(r.number)),
      invoicer: r.invoicer,
      currency: r.currency,
      total: Money.exact(r.total, r.currency).toString(),
      balance: Money.exact(r.balance, r.currency).toString(),
      status: r.status,
    })),
    truncated,
  };
}

// ---------------------------------------------------------------------------------------
// A preview's parts, merged

/** A preview part's report rows, with the next invoice number as the part found it. */
export type PreviewPart = ReportRows & { nextNumber: number };

/**
 * A preview's report: its parts' rows merged as those of one run, its invoices numbered from
 * the next invoice number in invoicer order (as a run numbers them within a batch).
 */
export async function previewReport(db: Db, parts: PreviewPart[]): Promise<BillRunReport> {
  return { ...shapeReport(await mergeReportRows(db, parts)), preview: true };
}

/** The report rows of a preview's parts (disjoint invoicer families) as those of one run. */
async function mergeReportRows(db: Db, parts: PreviewPart[]): Promise<ReportRows> {
  if (parts.length === 1) return parts[0];
  const cut = parts[0].limit + 1;
  // Each part's invoices are its first in number order, which is invoicer order: the first
  // `cut` of all, in invoicer order, are among them.
  const invoices = parts
    .flatMap((p) => p.invoices)
    .sort((a, b) => Number(a.invoicer_id) - Number(b.invoicer_id))
    .slice(0, cut);
  const firstNumber = parts[0].nextNumber;
  return {
    run: parts[0].run,
    prefix: parts[0].prefix,
    batches: { done: sum(parts.map((p) => p.batches.done)), total: sum(parts.map((p) => p.batches.total)) },
    totals: parts.map((p) => p.totals).reduce(addTotals),
    limit: parts[0].limit,
    billed: (await inDatabaseOrder(db, parts.flatMap((p) => p.billed), (r) => [r.account, r.package, r.period_start])).slice(0, cut),
    skipped: (await inDatabaseOrder(db, parts.flatMap((p) => p.skipped), (r) => [r.account, r.package, ''])).slice(0, cut),
    invoices: invoices.map((i, k) => ({ ...i, number: firstNumber + k })),
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Two amounts-by-currency added up. */
function addAmounts(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  const out = { ...a };
  for (const [code, amount] of Object.entries(b)) {
    const before = out[code];
    out[code] = before ? Money.exact(before, code).add(Money.exact(amount, code)).toString() : amount;
  }
  return out;
}

function addTotals(a: BillRunReport['totals'], b: BillRunReport['totals']): BillRunReport['totals'] {
  const invoicedByCurrency = addAmounts(a.invoicedByCurrency, b.invoicedByCurrency);
  return {
    accountsBilled: a.accountsBilled + b.accountsBilled,
    packagesBilled: a.packagesBilled + b.packagesBilled,
    packagesSkipped: a.packagesSkipped + b.packagesSkipped,
    charges: a.charges + b.charges,
    invoicesCreated: a.invoicesCreated + b.invoicesCreated,
    invoicedByCurrency,
    creditsIssued: a.creditsIssued + b.creditsIssued,
    creditsDisbursed: a.creditsDisbursed + b.creditsDisbursed,
    reversalsApplied: a.reversalsApplied + b.reversalsApplied,
    paymentsApplied: addAmounts(a.paymentsApplied ?? {}, b.paymentsApplied ?? {}),
  };
}

/**
 * Rows in the order the database sorts their keys (its collation and its lower(), as the
 * report's own ORDER BY: accounts by lower(name)), ties kept in the order given.
 */
async function inDatabaseOrder<T>(db: Db, rows: T[], key: (row: T) => [string, string, string]): Promise<T[]> {
  if (rows.length < 2) return rows;
  const keys = rows.map(key);
  const { rows: order } = await db.raw(
    `SELECT k FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS x(a, b, c, k) ORDER BY lower(a), b, c, k`,
    [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
  );
  return order.map((o: { k: number | string }) => rows[Number(o.k) - 1]);
}
