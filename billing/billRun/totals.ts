import { Money } from '../money';
import type { Db } from '../db';

/** What a run billed, skipped, invoiced, issued, disbursed and applied (a report's totals). */
export interface RunTotals {
  accountsBilled: number;
  packagesBilled: number;
  packagesSkipped: number;
  charges: number;
  invoicesCreated: number;
  invoicedByCurrency: Record<string, string>;
  creditsIssued: number;
  creditsDisbursed: number;
  reversalsApplied: number;
  /** What the invoicers had unapplied on payments, applied to this run's invoices, by currency (absent on runs from before payments). */
  paymentsApplied?: Record<string, string>;
}

/** What the batches billed: accounts, packages, charges, reversed credits and invoices, and the amount invoiced per currency. */
type Billed = Pick<RunTotals, 'accountsBilled' | 'packagesBilled' | 'charges' | 'reversalsApplied' | 'invoicesCreated' | 'invoicedByCurrency'>;

/**
 * What a run has done so far. What its batches billed is the sum of the counts each batch's
 * statement wrote with its rows (batch.ts, migration 187), over the batches done (those not
 * done wrote nothing: each batch is one transaction with its done flag). A run with a batch
 * done before those counts existed is counted from the charges and invoices it wrote. The
 * skips, credits, disbursements and payments are counted from what was written.
 */
export async function countTotals(db: Db, runId: number): Promise<RunTotals> {
  const billed = (await summedCounts(db, runId)) ?? (await countedFromRows(db, runId));
  const { rows: [t] } = await db.raw(
    `SELECT
       (SELECT count(*) FROM bill_run_skips WHERE bill_run_id = :id) AS packages_skipped,
       (SELECT count(*) FROM credits c JOIN invoices i ON i.id = c.issued_invoice_id WHERE i.bill_run_id = :id) AS credits_issued,
       (SELECT count(*) FROM disbursements d JOIN credits c ON c.id = d.credit_id JOIN invoices i ON i.id = c.issued_invoice_id
          WHERE i.bill_run_id = :id AND d.automatic) AS credits_disbursed`,
    { id: runId },
  );
  const paid = await db('payment_applications as pa')
    .join('invoices as i', 'i.id', 'pa.invoice_id')
    .where({ 'i.bill_run_id': runId, 'pa.automatic': true, 'pa.kind': 'applied' })
    .groupBy('i.currency')
    .select('i.currency', db.raw('sum(pa.amount) AS amount'));
  return {
    accountsBilled: billed.accountsBilled,
    packagesBilled: billed.packagesBilled,
    packagesSkipped: Number(t.packages_skipped),
    charges: billed.charges,
    invoicesCreated: billed.invoicesCreated,
    invoicedByCurrency: billed.invoicedByCurrency,
    creditsIssued: Number(t.credits_issued),
    creditsDisbursed: Number(t.credits_disbursed),
    reversalsApplied: billed.reversalsApplied,
    paymentsApplied: byCurrency(paid.map((r: { currency: string; amount: string }) => [r.currency, r.amount])),
  };
}

/** The done batches' counts summed; null when a done batch has none (billed before migration 187). */
async function summedCounts(db: Db, runId: number): Promise<Billed | null> {
  const { rows: [s] } = await db.raw(
    `SELECT count(*) FILTER (WHERE counts IS NULL) AS uncounted,
            COALESCE(sum((counts->>'accountsBilled')::bigint), 0) AS accounts_billed,
            COALESCE(sum((counts->>'packagesBilled')::bigint), 0) AS packages_billed,
            COALESCE(sum((counts->>'charges')::bigint), 0) AS charges,
            COALESCE(sum((counts->>'reversalsApplied')::bigint), 0) AS reversals_applied,
            COALESCE(sum((counts->>'invoicesCreated')::bigint), 0) AS invoices_created
     FROM bill_run_batches WHERE bill_run_id = ? AND done`,
    [runId],
  );
  if (Number(s.uncounted) > 0) return null;
  const { rows: invoiced } = await db.raw(
    `SELECT c.key AS currency, sum(c.value::numeric) AS total
     FROM bill_run_batches b CROSS JOIN LATERAL jsonb_each_text(b.counts->'invoiced') c
     WHERE b.bill_run_id = ? AND b.done GROUP BY c.key`,
    [runId],
  );
  return {
    accountsBilled: Number(s.accounts_billed),
    packagesBilled: Number(s.packages_billed),
    charges: Number(s.charges),
    reversalsApplied: Number(s.reversals_applied),
    invoicesCreated: Number(s.invoices_created),
    invoicedByCurrency: byCurrency(invoiced.map((r: { currency: string; total: string }) => [r.currency, r.total])),
  };
}

/** What the run's batches billed, counted from every charge, reversed credit and invoice it wrote. */
async function countedFromRows(db: Db, runId: number): Promise<Billed> {
  const { rows: [t] } = await db.raw(
    `SELECT count(DISTINCT account_id) FILTER (WHERE kind = 'charge') AS accounts_billed,
            count(DISTINCT account_package_id) FILTER (WHERE kind = 'charge') AS packages_billed,
            count(*) FILTER (WHERE kind = 'charge') AS charges,
            count(*) FILTER (WHERE kind = 'reversed credit') AS reversals_applied,
            (SELECT count(*) FROM invoices WHERE bill_run_id = :id) AS invoices_created
     FROM transactions WHERE bill_run_id = :id`,
    { id: runId },
  );
  const invoiced = await db('invoices').where('bill_run_id', runId).groupBy('currency').select('currency', db.raw('sum(total) AS total'));
  return {
    accountsBilled: Number(t.accounts_billed),
    packagesBilled: Number(t.packages_billed),
    charges: Number(t.charges),
    reversalsApplied: Number(t.reversals_applied),
    invoicesCreated: Number(t.invoices_created),
    invoicedByCurrency: byCurrency(invoiced.map((r: { currency: string; total: string }) => [r.currency, r.total])),
  };
}

/** Amounts per currency as the report gives them (Money's form), from the database's numerics. */
function byCurrency(rows: [currency: string, amount: string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [currency, amount] of rows) out[currency] = Money.exact(amount, currency).toString();
  return out;
}
