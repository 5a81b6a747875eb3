import { createBilling } from '../../billing';
import { billBatch } from '../../billing/billRun/batch';
import { TAKE_NUMBERS } from '../../billing/billRun/numbering';
import { loadRun } from '../../billing/billRun/plan';
import { startBillRun } from '../../billing/billRuns';
import { createDb } from '../../billing/db';
import { createCatalogue, createFamily, useFreshDatabase } from './fixtures';

// A batch's commit does not wait for the disk; everything else, the run's completion included,
// commits synchronously (billing/billRun/batch.ts says why that loses nothing).

describe("a bill run batch's commit", () => {
  const t = useFreshDatabase();

  const setting = async (db: { raw: typeof t.db.raw }): Promise<string> => (await db.raw('SHOW synchronous_commit')).rows[0].synchronous_commit;

  it('is asynchronous for the batch transaction only', async () => {
    // The test server commits asynchronously everywhere (for speed): this database, as a real
    // installation, synchronously, for the connections opened from now on.
    await t.db.raw(`ALTER DATABASE ${(await t.db.raw('SELECT current_database() AS d')).rows[0].d} SET synchronous_commit = on`);
    const db = createDb(t.url, { poolMax: 4 });
    try {
      const billing = createBilling(db);
      await createCatalogue(billing);
      await createFamily(billing);
      await billing.addAccountPackage({ account: 'Child Co', package: 'Managed Network', effectiveDate: '2026-09-15', nextBillDate: '2026-09-15' });
      const { runId } = await startBillRun(db, { account: 'Parent Co', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
      const run = await loadRun(db, runId);
      expect(await setting(db)).toBe('on');
      await db.transaction(async (trx) => {
        await billBatch(trx, run, 0, TAKE_NUMBERS);
        expect(await setting(trx)).toBe('off');
      });
      // The batch's transaction committed its charges; a new transaction is back to the default.
      expect(await db('transactions').where('bill_run_id', runId).count('* as n').first()).toEqual({ n: 2 });
      await db.transaction(async (trx) => expect(await setting(trx)).toBe('on'));
      // The whole run (its completion) on the pool: every connection still commits synchronously.
      expect((await billing.executeBillRun(runId)).run.status).toBe('completed');
      expect(await Promise.all(Array.from({ length: 4 }, () => setting(db)))).toEqual(['on', 'on', 'on', 'on']);
    } finally {
      await db.destroy();
    }
  });
});
