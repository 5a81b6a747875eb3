import { ANALYZE_TARGET, analyzeChanged } from '../../billing/billRun/statistics';
import { useTestDatabase } from '../helpers/db';

// What a bill run's bulk writes rely on: the keys of its rows checked once per statement
// (migration 120), and statistics after a bulk write (billing/billRun/statistics.ts).

async function refusal(promise: Promise<unknown>): Promise<{ code?: string; constraint?: string; detail?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; constraint?: string; detail?: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('the keys of a bill run\'s rows, checked per statement', () => {
  const t = useTestDatabase();

  let seeded = 0;
  async function seed(): Promise<{ account: number; run: number }> {
    seeded++;
    const { rows: [a] } = await t.db.raw(
      `INSERT INTO accounts (name, currency, status, bill_group_id, bill_day)
       SELECT 'Keys Co ' || ?::int, 'USD', 'active', id, 1 FROM bill_groups ORDER BY id LIMIT 1 RETURNING id`,
      [seeded],
    );
    const { rows: [c] } = await t.db.raw(
      `INSERT INTO bill_run_configurations (name, bill_packages, generate_invoice, period_rule, time_zone)
       VALUES ('Keys ' || ?::int, true, true, 'current month', 'UTC') RETURNING id`,
      [seeded],
    );
    const [run] = await t.db('bill_runs')
      .insert({
        configuration_id: c.id, scope: 'bill groups', period_start: '2026-10-01', period_end: '2026-10-31',
        posting_date: '2026-10-31', invoice_date: '2026-10-31', bill_packages: true, generate_invoice: true,
        started_by: 'test', status: 'scheduled',
      })
      .returning('id');
    return { account: Number(a.id), run: Number(run.id) };
  }

  it('refuses a row whose account, credit or run does not exist, as the foreign key did, and writes nothing of the statement', async () => {
    const { account, run } = await seed();
    const line = { kind: 'reversed credit', account_id: account, credit_id: 999_999, amount: '1', posting_date: '2026-10-31', bill_run_id: run };
    const bad = await refusal(t.db('transactions').insert(line));
    expect(bad.code).toBe('23503');
    expect(bad.constraint).toBe('transactions_credit_id_fkey');
    const badAccount = await refusal(t.db('invoices').insert({
      number: 1, account_id: 999_999, bill_run_id: run, invoice_date: '2026-10-31', posting_date: '2026-10-31',
      period_start: '2026-10-01', period_end: '2026-10-31', currency: 'USD', total: '0', balance: '0', status: 'paid',
    }));
    expect(badAccount.code).toBe('23503');
    expect(badAccount.constraint).toBe('invoices_account_id_fkey');
    const badRun = await refusal(t.db('bill_run_skips').insert({ bill_run_id: 999_999, account_package_id: 1, reason: 'not due', next_bill_date: '2026-11-01' }));
    expect(badRun.code).toBe('23503');
    expect(Number((await t.db('transactions').count({ n: '*' }).first())?.n)).toBe(0);
  });

  it('refuses a transaction whose invoice does not exist, and removing or renumbering the id of an invoice (migration 160)', async () => {
    const { account, run } = await seed();
    const credits = await t.db('credits')
      .insert([1, 2].map((n) => ({
        account_id: account, unit_amount: '1', quantity: 1, amount: '1', currency: 'USD', credit_date: '2026-10-01',
        detail: `Key ${n}`, created_by: 'test', status: 'unissued', amount_left: '1',
      })))
      .returning('id');
    const [first, second] = credits.map((c: { id: string }) => Number(c.id));
    const line = { kind: 'reversed credit', account_id: account, credit_id: first, amount: '1', posting_date: '2026-10-31', bill_run_id: run, invoice_id: 999_999 };
    const bad = await refusal(t.db('transactions').insert(line));
    expect(bad.code).toBe('23503');
    expect(bad.constraint).toBe('transactions_invoice_id_fkey');
    expect(bad.message).toMatch(/violates foreign key constraint "transactions_invoice_id_fkey"/);
    const [invoice] = await t.db('invoices')
      .insert({
        number: 7001, account_id: account, bill_run_id: run, invoice_date: '2026-10-31', posting_date: '2026-10-31',
        period_start: '2026-10-01', period_end: '2026-10-31', currency: 'USD', total: '0', balance: '0', status: 'paid',
      })
      .returning('id');
    // The same statement may write an invoice and the rows on it: the keys are checked at its end.
    const { rows: [written] } = await t.db.raw(
      `WITH i AS (
         INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency, total, balance, status)
         VALUES (7002, :account, :run, '2026-10-31', '2026-10-31', '2026-10-01', '2026-10-31', 'USD', 0, 0, 'paid') RETURNING id
       )
       INSERT INTO transactions (kind, account_id, credit_id, amount, posting_date, bill_run_id, invoice_id)
       SELECT 'reversed credit', :account, :credit, 0, '2026-10-31', :run, i.id FROM i RETURNING invoice_id`,
      { account, run, credit: second },
    );
    await t.db('transactions').where('invoice_id', written.invoice_id).update({ invoice_id: invoice.id });
    const moved = await refusal(t.db('transactions').where('invoice_id', invoice.id).update({ invoice_id: 999_998 }));
    expect(moved.constraint).toBe('transactions_invoice_id_fkey');
    for (const statement of [
      t.db('invoices').where('id', invoice.id).del(),
      t.db.raw('TRUNCATE invoices CASCADE'),
      t.db('invoices').where('id', invoice.id).update({ id: Number(invoice.id) + 1000 }),
    ]) {
      const refused = await refusal(statement);
      expect(refused.code).toBe('23001');
    }
    expect(Number((await t.db('transactions').where('invoice_id', invoice.id).count({ n: '*' }).first())?.n)).toBe(1);
  });

  it('checks a key on update where it changed: a new account or run that does not exist is refused (migration 180)', async () => {
    const { account, run } = await seed();
    const [invoice] = await t.db('invoices')
      .insert({
        number: 7101, account_id: account, bill_run_id: run, invoice_date: '2026-10-31', posting_date: '2026-10-31',
        period_start: '2026-10-01', period_end: '2026-10-31', currency: 'USD', total: '0', balance: '0', status: 'paid',
      })
      .returning('id');
    const movedRun = await refusal(t.db('invoices').where('id', invoice.id).update({ bill_run_id: 999_999 }));
    expect(movedRun).toMatchObject({ code: '23503', constraint: 'invoices_bill_run_id_fkey' });
    expect(movedRun.detail).toBe('Key (bill_run_id)=(999999) is not present in table "bill_runs".');
    const movedAccount = await refusal(t.db('invoices').where('id', invoice.id).update({ account_id: 999_998, balance: '0' }));
    expect(movedAccount).toMatchObject({ code: '23503', constraint: 'invoices_account_id_fkey' });
    // Setting a key to the value it has is no change, and the other columns are not checked.
    await t.db('invoices').where('id', invoice.id).update({ bill_run_id: run, status: 'paid' });
    expect(await t.db('invoices').where('id', invoice.id).first('bill_run_id')).toEqual({ bill_run_id: run });
  });

  it('refuses removing, or changing the id of, a row that bill runs refer to', async () => {
    const { account, run } = await seed();
    for (const statement of [
      t.db('accounts').where('id', account).del(),
      t.db('bill_runs').where('id', run).del(),
      t.db.raw('TRUNCATE services CASCADE'),
      t.db('accounts').where('id', account).update({ id: account + 1000 }),
    ]) {
      const refused = await refusal(statement);
      expect(refused.code).toBe('23001');
      expect(refused.message).toMatch(/never removed and keep their ids/);
    }
    expect(Number((await t.db('accounts').where('id', account).first('id'))?.id)).toBe(account);
  });
});

describe('statistics after a bulk write', () => {
  const t = useTestDatabase();

  it('analyzes a table changed by at least 1,000 rows and a tenth of it, and no other', async () => {
    await t.db.raw(
      `INSERT INTO packages (name, currency, frequency, status) SELECT 'P' || g, 'USD', 'monthly', 'active' FROM generate_series(1, 1200) g`,
    );
    expect(await analyzeChanged(t.db, { packages: 1200, services: 10, accounts: 999 })).toEqual(['packages']);
    const { rows: [p] } = await t.db.raw(`SELECT reltuples FROM pg_class WHERE relname = 'packages'`);
    expect(Number(p.reltuples)).toBe(1200);
    // Fewer than 1,000 rows changed: nothing to do.
    expect(await analyzeChanged(t.db, { packages: 100 })).toEqual([]);
    // Known now at 1,200 rows: 1,000 changed rows are over a tenth of it; of 20,000 they would not be.
    expect(await analyzeChanged(t.db, { packages: 1000 })).toEqual(['packages']);
    await t.db.raw(`UPDATE pg_class SET reltuples = 20000 WHERE relname = 'packages'`);
    expect(await analyzeChanged(t.db, { packages: 1000 })).toEqual([]);
  });

  it('samples with its own statistics target, and leaves the session and the transaction at the default', async () => {
    await t.db.raw(
      `INSERT INTO packages (name, currency, frequency, status) SELECT 'Q' || g, 'USD', 'monthly', 'active' FROM generate_series(1, 5000) g`,
    );
    const bounds = async () => {
      const { rows: [s] } = await t.db.raw(`SELECT cardinality(histogram_bounds::text::text[]) AS n FROM pg_stats WHERE tablename = 'packages' AND attname = 'name'`);
      return Number(s.n);
    };
    const target = async (db: { raw: typeof t.db.raw }) => (await db.raw('SHOW default_statistics_target')).rows[0].default_statistics_target;
    expect(await analyzeChanged(t.db, { packages: 5000 })).toEqual(['packages']);
    // A histogram of ANALYZE_TARGET buckets (ANALYZE_TARGET + 1 bounds), not of the default 100.
    expect(await bounds()).toBe(ANALYZE_TARGET + 1);
    expect(await target(t.db)).toBe('100');
    await t.db.transaction(async (trx) => {
      expect(await analyzeChanged(trx, { packages: 5000 })).toEqual(['packages']);
      expect(await target(trx)).toBe('100');
    });
    // PostgreSQL's own ANALYZE samples to the default.
    await t.db.raw('ANALYZE packages');
    expect(await bounds()).toBe(101);
  });
});
