import type { Knex } from 'knex';
import { createBilling, Money, type BillRunReport } from '../../billing';
import { countTotals } from '../../billing/billRun/totals';
import { BENCH_CLOCK, lastDueAccount, seedBillingData, type SeededData } from '../bench/data';
import { refuseChargesOf } from '../scheduler/helpers';
import { useTestDatabase } from '../helpers/db';

// A run's totals are the sum of the counts each batch's statement wrote with its rows
// (billing/billRun/totals.ts, migration 187). They must be what the run wrote, counted here
// from its rows, whatever the batches, in a resumed run too; a run with a batch done before
// those counts existed (no counts) is counted from its rows.

jest.setTimeout(60_000);

type Totals = BillRunReport['totals'];

/** The run's totals counted from what it wrote, apart from billing's own code. */
async function countedHere(db: Knex, runId: number): Promise<Totals> {
  const { rows: [t] } = await db.raw(
    `SELECT
       (SELECT count(DISTINCT account_id) FROM transactions WHERE bill_run_id = :id AND kind = 'charge')::int AS "accountsBilled",
       (SELECT count(DISTINCT account_package_id) FROM transactions WHERE bill_run_id = :id AND kind = 'charge')::int AS "packagesBilled",
       (SELECT count(*) FROM bill_run_skips WHERE bill_run_id = :id)::int AS "packagesSkipped",
       (SELECT count(*) FROM transactions WHERE bill_run_id = :id AND kind = 'charge')::int AS charges,
       (SELECT count(*) FROM invoices WHERE bill_run_id = :id)::int AS "invoicesCreated",
       (SELECT count(*) FROM credits c JOIN invoices i ON i.id = c.issued_invoice_id WHERE i.bill_run_id = :id)::int AS "creditsIssued",
       (SELECT count(*) FROM disbursements d JOIN credits c ON c.id = d.credit_id JOIN invoices i ON i.id = c.issued_invoice_id
         WHERE i.bill_run_id = :id AND d.automatic)::int AS "creditsDisbursed",
       (SELECT count(*) FROM transactions WHERE bill_run_id = :id AND kind = 'reversed credit')::int AS "reversalsApplied"`,
    { id: runId },
  );
  // Summed as numeric text, then in Money's form (each currency's minor unit), never as a number.
  const { rows: invoiced } = await db.raw(
    `SELECT currency, sum(total)::text AS total FROM invoices WHERE bill_run_id = ? GROUP BY currency`,
    [runId],
  );
  const invoicedByCurrency = Object.fromEntries(
    invoiced.map((r: { currency: string; total: string }) => [r.currency, Money.exact(r.total, r.currency).toString()]),
  );
  return { ...t, invoicedByCurrency, paymentsApplied: {} };
}

describe("a run's totals", () => {
  const t = useTestDatabase({ each: true });
  let data: SeededData;
  beforeEach(async () => {
    // Families of one to three accounts in two currencies, credits to issue and disburse,
    // reversals pending, packages skipped for every reason the data builder makes.
    data = await seedBillingData(t.db, { accounts: 600 });
  });

  const request = () => ({ configuration: data.configuration, from: data.period.start, to: data.period.end, startedBy: 'U_FIN' });

  /** The SQL of the statements `fn` sent. */
  async function statements<T>(fn: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
    const sql: string[] = [];
    const listen = (q: { sql: string }) => sql.push(q.sql);
    t.db.on('query', listen);
    try {
      return { result: await fn(), sql };
    } finally {
      t.db.removeListener('query', listen);
    }
  }
  const readsEveryCharge = (sql: string[]) => sql.some((s) => s.includes('count(DISTINCT account_id)'));

  it("are the sum of the batches' counts, equal to what the run wrote", async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    const { result: report, sql } = await statements(() => billing.bill(request(), { familiesPerBatch: 37, workers: 2 }));
    const expected = await countedHere(t.db, report.run.id);
    expect(report.totals).toEqual(expected);
    // The data are what the sums must hold: several batches, two currencies, credits issued,
    // disbursed and reversed, packages skipped.
    expect(report.run.batchesTotal).toBeGreaterThan(5);
    expect(Object.keys(expected.invoicedByCurrency).sort()).toEqual(['JPY', 'USD']);
    for (const k of ['creditsIssued', 'creditsDisbursed', 'reversalsApplied', 'packagesSkipped'] as const) expect(expected[k]).toBeGreaterThan(0);
    expect(readsEveryCharge(sql)).toBe(false);
  });

  it('count a resumed run whole: the batches done before its failure and after', async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    const fix = await refuseChargesOf(t.db, await lastDueAccount(t.db, data));
    const { runId } = await billing.startBillRun(request(), { familiesPerBatch: 37 });
    await expect(billing.executeBillRun(runId, { familiesPerBatch: 37, workers: 1 })).rejects.toThrow('the ledger refused the charge');
    const done = await t.db('bill_run_batches').where({ bill_run_id: runId, done: true }).count<{ count: string }[]>('* as count');
    expect(Number(done[0].count)).toBeGreaterThan(0);
    await fix();
    const report = await billing.executeBillRun(runId, { workers: 2 });
    expect(report.run.status).toBe('completed');
    expect(report.totals).toEqual(await countedHere(t.db, runId));
  });

  it('are counted from the rows of a run with a batch billed before the counts existed', async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    const report = await billing.bill(request(), { familiesPerBatch: 37 });
    const runId = report.run.id;
    await t.db('bill_run_batches').where({ bill_run_id: runId, batch_no: 1 }).update({ counts: null });
    const { result: totals, sql } = await statements(() => countTotals(t.db, runId));
    expect(readsEveryCharge(sql)).toBe(true);
    expect(totals).toEqual(await countedHere(t.db, runId));
    expect(totals).toEqual(report.totals);
  });
});
