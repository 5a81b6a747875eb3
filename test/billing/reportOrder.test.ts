import { createBilling, type BillRunReport } from '../../billing';
import { WALK } from '../../billing/billRun/firstAccounts';
import { BENCH_CLOCK, seedBillingData, type SeededData } from '../bench/data';
import { useTestDatabase } from '../helpers/db';

// A report lists the run's first billed and skipped packages by account name, case-insensitive
// (lower(name), unique), then package. Its first billed accounts are found by walking the
// accounts in that order (billing/billRun/firstAccounts.ts), or, when the walk would be long,
// by reading the run's charges whole: both must give the same rows.

jest.setTimeout(60_000);

type Row = { account: string; package: string; periodStart: string };

describe("a report's account order", () => {
  const t = useTestDatabase({ each: true });
  let data: SeededData;
  const kept = { ...WALK };
  beforeEach(async () => {
    data = await seedBillingData(t.db, { accounts: 600 });
    // Upper and lower case mixed: in the database's byte order every "ACCT" name would come
    // before every "acct" one.
    await t.db.raw(`UPDATE accounts SET name = CASE WHEN id % 2 = 0 THEN 'ACCT ' ELSE 'acct ' END || substr(md5(id::text), 1, 12)`);
  });
  afterEach(() => Object.assign(WALK, kept));

  const request = () => ({ configuration: data.configuration, from: data.period.start, to: data.period.end, startedBy: 'U_FIN' });

  /** Every charge of the run grouped as a report groups them, sorted here (ASCII names: JavaScript's order is the database's). */
  async function expectedBilled(runId: number): Promise<Row[]> {
    const rows = await t.db('transactions as t')
      .join('account_packages as ap', 'ap.id', 't.account_package_id')
      .join('accounts as a', 'a.id', 'ap.account_id')
      .join('packages as p', 'p.id', 'ap.package_id')
      .where({ 't.bill_run_id': runId, 't.kind': 'charge' })
      .distinct('a.name as account', 'p.name as package', 't.period_start as periodStart');
    const key = (r: Row) => [r.account.toLowerCase(), r.package, r.periodStart];
    return rows.sort((x: Row, y: Row) => {
      const [a, b] = [key(x), key(y)];
      for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return 0;
    });
  }

  const listed = (r: BillRunReport): Row[] => r.billed.map((b) => ({ account: b.account, package: b.package, periodStart: b.periodStart }));

  /** The statements of `fn` that walked the accounts, and those that read the run's charges whole. */
  async function paths<T>(fn: () => Promise<T>): Promise<{ result: T; walked: number; whole: number }> {
    const sql: string[] = [];
    const listen = (q: { sql: string }) => sql.push(q.sql);
    t.db.on('query', listen);
    try {
      const result = await fn();
      return { result, walked: sql.filter((s) => s.includes('WITH page AS MATERIALIZED')).length, whole: sql.filter((s) => /SELECT a\.id FROM accounts a\s+WHERE a\.id IN/.test(s)).length };
    } finally {
      t.db.removeListener('query', listen);
    }
  }

  it('lists billed and skipped packages by name whatever its case, the preview in parts as the run', async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    const previews = [await billing.previewBill(request(), { workers: 2 }), await billing.previewBill(request(), { workers: 3 })];
    const run = await billing.bill(request(), { workers: 2 });
    const expected = await expectedBilled(run.run.id);
    expect(expected.length).toBeGreaterThan(201);
    expect(expected.slice(0, 40).some((r) => r.account.startsWith('ACCT'))).toBe(true);
    expect(expected.slice(0, 40).some((r) => r.account.startsWith('acct'))).toBe(true);
    expect(run.truncated).toBe(true);
    expect(listed(run)).toEqual(expected.slice(0, 200));
    for (const preview of previews) expect(listed(preview)).toEqual(expected.slice(0, 200));
    const skipped = run.skipped.map((s) => s.account.toLowerCase());
    expect(skipped.length).toBeGreaterThan(10);
    expect(skipped).toEqual([...skipped].sort());
    for (const preview of previews) expect(preview.skipped).toEqual(run.skipped);
  });

  it('walks the accounts when the run billed most of them, reads its charges whole when the walk finds too few, and both list the same', async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    const run = await billing.bill(request(), { workers: 1 });
    const expected = await expectedBilled(run.run.id);
    // 5 rows (4 shown, one more says the list was cut) within at most 3 pages of 5 accounts.
    Object.assign(WALK, { page: 5, pages: 3 });
    const walked = await paths(() => billing.getBillRunReport(run.run.id, 4));
    expect(walked).toMatchObject({ walked: expect.any(Number), whole: 0 });
    expect(walked.walked).toBeGreaterThan(0);
    expect(listed(walked.result)).toEqual(expected.slice(0, 4));

    // The accounts the run did not bill now sort first: the walk's 15 accounts hold none it billed.
    await t.db.raw(
      `UPDATE accounts a SET name = 'AAA ' || a.name
       WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.account_id = a.id AND t.bill_run_id = ? AND t.kind = 'charge')`,
      [run.run.id],
    );
    expect(Number((await t.db('accounts').where('name', 'like', 'AAA %').count('* as n').first())!.n)).toBeGreaterThan(15);
    const whole = await paths(() => billing.getBillRunReport(run.run.id, 4));
    expect(whole.walked).toBe(WALK.pages);
    expect(whole.whole).toBe(1);
    expect(listed(whole.result)).toEqual((await expectedBilled(run.run.id)).slice(0, 4));
    // The billed accounts kept their names: the same rows as the walk listed.
    expect(listed(whole.result)).toEqual(expected.slice(0, 4));
  });

  it('reads the charges whole, without walking, when the run billed few of the accounts', async () => {
    const billing = createBilling(t.db, BENCH_CLOCK);
    const one = await t.db('accounts as a')
      .join('account_packages as ap', 'ap.account_id', 'a.id')
      .where({ 'a.status': 'active', 'ap.status': 'active' })
      .whereNull('a.invoicer_id')
      .whereBetween('ap.next_bill_date', [data.period.start, data.period.end])
      .whereNotExists(t.db('accounts as c').whereRaw('c.invoicer_id = a.id'))
      .orderBy('a.id')
      .first('a.name');
    const run = await paths(() => billing.bill({ ...request(), configuration: undefined, account: one.name }, { workers: 1 }));
    expect(run.result.totals.accountsBilled).toBe(1);
    expect(run).toMatchObject({ walked: 0, whole: 1 });
    expect(listed(run.result)).toEqual(await expectedBilled(run.result.run.id));
    expect(run.result.billed[0].account).toBe(one.name);
  });
});
