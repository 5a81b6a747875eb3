import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { billMonth, setUpFamily } from '../credits/fixtures';

// Each case starts node (and tsx); on a busy machine that takes seconds.
jest.setTimeout(120_000);

/** billbot aging, billbot statement and their exports, with --json (the CLI's clock is the real one: dates are given). */
describe('receivables through the billbot CLI', () => {
  const t = useTestDatabase();
  const run = (...args: string[]) => billbot(t.url, args);

  beforeAll(async () => {
    const billing = await setUpFamily(t.db);
    await billMonth(billing, 'Child Co', '2026-09'); // INV-000018 $140.00, due 2026-11-01
    await billing.recordPayment({ account: 'Parent Co', amount: '$60.00', reference: 'CHQ-1001', to: [{ invoice: '18' }] }, 'U_FIN');
  });

  it('prints the aging report as of a day, as JSON and as text', async () => {
    const json = await run('aging', '--as-of', '2026-11-15', '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const outcome = JSON.parse(json.stdout);
    expect(outcome.kind).toBe('receivables.aging');
    expect(outcome.report.totals).toEqual([
      { currency: 'USD', buckets: { current: '0.00', '1-30': '80.00', '31-60': '0.00', '61-90': '0.00', 'over 90': '0.00' }, total: '80.00', accounts: 1, invoices: 1 },
    ]);
    expect(outcome.report.top[0]).toMatchObject({ account: 'Parent Co', total: '80.00', oldestDue: '2026-11-01' });
    // As of the day before the payment was received, it does not count.
    const before = JSON.parse((await run('aging', '--as-of', '2026-10-02', '--json')).stdout);
    expect(before.report.totals[0]).toMatchObject({ total: '80.00' });
    const text = await run('aging', '--as-of', '2026-11-15');
    expect(text.stdout).toContain('Aging as of 2026-11-15');
    expect(text.stdout).toContain('*1-30 days:* $80.00');
  });

  it("prints an account's statement, and writes both workbooks", async () => {
    const json = JSON.parse((await run('statement', 'Parent', 'Co', '--to', '2026-10-31', '--json')).stdout);
    expect(json.statement).toMatchObject({ account: 'Parent Co', to: '2026-10-31', openingBalance: '0.00', closingBalance: '80.00' });
    expect(json.statement.lines.map((l: any) => [l.kind, l.reference, l.amount, l.balance])).toEqual([
      ['invoice', 'INV-000018', '140.00', '140.00'],
      ['payment', 'PM-000001', '-60.00', '80.00'],
    ]);
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'billbot-cli-receivables-'));
    const aging = await billbot(t.url, ['export', 'aging', 'aging.xlsx', '--as-of', '2026-11-15'], { cwd: dir });
    expect(aging).toMatchObject({ code: 0, stderr: '' });
    expect(aging.stdout).toContain('The aging export: 1 account that owes.');
    const statement = await billbot(t.url, ['export', 'statement', 'st.xlsx', '--account', 'Parent Co', '--json'], { cwd: dir });
    expect(JSON.parse(statement.stdout)).toMatchObject({ kind: 'workbook.written', workbook: 'statement', rows: { statementLines: 2 } });
    expect((await fs.stat(path.join(dir, 'st.xlsx'))).size).toBeGreaterThan(1000);
  });

  it('refuses bad arguments with exit code 2 and unknown accounts with 1', async () => {
    const date = await run('aging', '--as-of', '2026-02-30');
    expect(date).toMatchObject({ code: 2, stdout: '' });
    expect(date.stderr).toContain('"2026-02-30" is not a real date');
    expect((await run('statement', 'Parent Co', '--from', '2026-11-01', '--to', '2026-10-01')).code).toBe(2);
    expect((await run('export', 'aging', 'x.xlsx', '--account', 'Parent Co')).code).toBe(2);
    const unknown = await run('statement', 'Nobody Ltd');
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('There is no account named "Nobody Ltd".');
  });
});
