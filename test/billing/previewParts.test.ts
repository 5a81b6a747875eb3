import { createBilling, type BillRunReport } from '../../billing';
import { parseRequest, recordBillRun, systemClock } from '../../billing/billRun/plan';
import { BENCH_CLOCK, fingerprint, lastDueAccount, seedBillingData, type SeededData } from '../bench/data';
import { refuseChargesOf } from '../scheduler/helpers';
import { useTestDatabase } from '../helpers/db';

// A preview of bill groups is billed in parts at once (one rolled-back transaction per part,
// each with its share of the invoicer families) and their reports merged (billRuns.ts,
// previewBill). The merged report must be the one report of the run that follows.

jest.setTimeout(60_000);

/** What a preview and a run both report: everything but the run's own id, status and times. */
const comparable = (r: BillRunReport) => ({
  totals: r.totals,
  billed: r.billed,
  skipped: r.skipped,
  invoices: r.invoices,
  truncated: r.truncated,
  run: [r.run.configuration, r.run.scope, r.run.periodStart, r.run.periodEnd, r.run.postingDate, r.run.invoiceDate],
});

describe('a preview billed in parts', () => {
  const t = useTestDatabase({ each: true });
  let data: SeededData;
  beforeEach(async () => {
    // Families of one to three accounts in two currencies, with credits to issue and disburse,
    // reversals pending and packages skipped for every reason the data builder makes.
    data = await seedBillingData(t.db, { accounts: 600 });
    // Names in no relation to the invoicer order the parts are cut in, so that the lists, which
    // are in name order, interleave the parts.
    await t.db.raw(`UPDATE accounts SET name = 'Account ' || substr(md5(id::text), 1, 12)`);
  });

  const request = () => ({ configuration: data.configuration, from: data.period.start, to: data.period.end, startedBy: 'U_FIN' });

  it('reports exactly what the run that follows reports, lists cut at the same rows, in any number of parts, and writes nothing', async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    await billing.setInvoiceNumbering({ prefix: 'PP-', nextNumber: 7001 });
    const before = await fingerprint(t.db);
    const previews = [];
    for (const workers of [2, 1, 3]) previews.push(await billing.previewBill(request(), { workers }));
    // Each part in several batches, as a run bills: the parts' numbers follow on from batch to batch.
    for (const [workers, familiesPerBatch] of [[2, 37], [3, 50], [1, 64]]) previews.push(await billing.previewBill(request(), { workers, familiesPerBatch }));
    expect(await fingerprint(t.db)).toEqual(before);

    // One batch, one worker: the run numbers its invoices in invoicer order, as the preview says.
    const run = await billing.bill(request(), { workers: 1 });
    expect(run.run.batchesTotal).toBe(1);
    expect(run.totals.invoicesCreated).toBeGreaterThan(200);
    expect(run.truncated).toBe(true);
    expect(run.invoices).toHaveLength(200);
    expect(run.invoices[0].number).toBe('PP-007001');
    expect(run.billed).toHaveLength(200);
    for (const preview of previews) {
      expect(preview.preview).toBe(true);
      expect(comparable(preview)).toEqual(comparable(run));
    }
  });

  it('fails as the run would when a part fails, and leaves nothing of the other parts behind', async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    // The last account with a package due: its family is in the last part.
    const fix = await refuseChargesOf(t.db, await lastDueAccount(t.db, data));
    const before = await fingerprint(t.db);
    await expect(billing.previewBill(request(), { workers: 2 })).rejects.toThrow('the ledger refused the charge');
    expect(await fingerprint(t.db)).toEqual(before);
    // No transaction of the preview is left open (the other part was rolled back too).
    const { rows } = await t.db.raw(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(rows[0].n).toBe(0);
    await fix();
    expect((await billing.previewBill(request(), { workers: 2 })).totals.invoicesCreated).toBeGreaterThan(200);
  });

  it("deals the run's batches out to its parts in turn, each family whole in one of them", async () => {
    const req = parseRequest(request());
    // Each share recorded as a run of its own (never billed), its batches read back.
    const plan = async (share: { part: number; parts: number }) => {
      const { runId } = await recordBillRun(t.db, req, systemClock, { familiesPerBatch: 40 }, share);
      const rows = await t.db('bill_run_batches').where('bill_run_id', runId).orderBy('batch_no').select('batch_no', 'account_ids');
      return rows.map((r: { batch_no: number; account_ids: string[] }) => ({ batch: Number(r.batch_no), accounts: r.account_ids.map(String) }));
    };
    const whole = await plan({ part: 0, parts: 1 });
    expect(whole.length).toBeGreaterThan(6);
    for (const parts of [2, 3]) {
      const shares = [];
      for (let part = 0; part < parts; part++) shares.push(await plan({ part, parts }));
      shares.forEach((share, part) => expect(share.map((b) => b.batch)).toEqual(whole.map((b) => b.batch).filter((b) => b % parts === part)));
      // The same batches, with the same accounts, as the whole run's.
      expect(shares.flat().sort((a, b) => a.batch - b.batch)).toEqual(whole);
    }
  });
});
