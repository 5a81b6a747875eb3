import { importSetup } from '../../billing/setup/apply';
import { arrayRefs, SetupStage, STAGE_CHUNK } from '../../billing/setup/stage';
import { useTestDatabase } from '../helpers/db';

/**
 * The setup import's stage sends a full chunk of rows and lets the reader go on while
 * PostgreSQL writes it (billing/setup/stage.ts): one chunk in flight at most, its failure
 * thrown by the next flush or by `finish`, the rows staged whole and in order, and a failed
 * write never left unhandled when the reading fails first.
 */
describe('the setup stage writes a chunk while the next is read', () => {
  const t = useTestDatabase();
  const account = (i: number, billDay = 1 + (i % 28)) => ({ ref: i, name: `Stage ${i}`, currency: 'USD', billDay });
  /** A bill day beyond the staging column's smallint: the chunk's insert fails in PostgreSQL. */
  const BROKEN_DAY = 70_000;

  it('stages every row, in order, with chunks written while the next are added', async () => {
    const n = 3 * STAGE_CHUNK + 17;
    const staged = await t.db.transaction(async (trx) => {
      const stage = new SetupStage<number>(trx, arrayRefs<number>());
      await stage.create();
      for (let i = 0; i < n; i++) {
        stage.account(account(i));
        await stage.flush();
      }
      await stage.finish();
      const { rows } = await trx.raw('SELECT count(*)::int AS n, count(DISTINCT row_no)::int AS distinct_rows, min(row_no) AS first, max(row_no) AS last, bool_and(name = $$Stage $$ || row_no) AS named FROM setup_account_rows');
      return { counted: stage.staged.accounts, ...rows[0] };
    });
    expect(staged).toEqual({ counted: n, n, distinct_rows: n, first: 0, last: n - 1, named: true });
  });

  it('does not wait for a chunk to be written: its failure comes with the next flush, and nothing is kept', async () => {
    const steps: string[] = [];
    const outcome = await t.db
      .transaction(async (trx) => {
        const stage = new SetupStage<number>(trx, arrayRefs<number>());
        await stage.create();
        for (let i = 0; i < STAGE_CHUNK; i++) stage.account(account(i, i === 5 ? BROKEN_DAY : undefined));
        await stage.flush(); // sent, not awaited: resolves though the insert will fail
        steps.push('first flush returned');
        for (let i = STAGE_CHUNK; i < 2 * STAGE_CHUNK; i++) stage.account(account(i));
        await stage.flush();
        return 'no error';
      })
      .catch((e: Error) => e.message);
    expect(steps).toEqual(['first flush returned']);
    expect(outcome).toMatch(/smallint/);
    expect(Number((await t.db('accounts').count('* as n').first())!.n)).toBe(0);
  });

  it('throws the failed write from finish when no flush came after it', async () => {
    const outcome = await t.db
      .transaction(async (trx) => {
        const stage = new SetupStage<number>(trx, arrayRefs<number>());
        await stage.create();
        for (let i = 0; i < 10; i++) stage.account(account(i, i === 9 ? BROKEN_DAY : undefined));
        await stage.flush(true);
        await stage.finish();
        return 'no error';
      })
      .catch((e: Error) => e.message);
    expect(outcome).toMatch(/smallint/);
  });

  it("gives the reader's error when the reading fails while a failing chunk is in flight, leaving no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const outcome = await importSetup(t.db, { actor: 'U_FIN' }, arrayRefs<number>(), async (stage) => {
        for (let i = 0; i < STAGE_CHUNK; i++) stage.account(account(i, i === 0 ? BROKEN_DAY : undefined));
        await stage.flush();
        throw new Error('The workbook is damaged.');
      }).catch((e: Error) => e.message);
      expect(outcome).toBe('The workbook is damaged.');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
      expect(Number((await t.db('accounts').count('* as n').first())!.n)).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
