import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { ledgerViolations } from '../credits/fixtures';
import { payer, paymentsWorkbook, seedPayers } from '../payments/importFixtures';

// Each case starts node (and tsx); on a busy machine that takes seconds.
jest.setTimeout(180_000);

describe('a payments workbook imported by the billbot CLI', () => {
  const t = useTestDatabase();
  const N = 600;
  let dir: string;
  const run = (...args: string[]) => billbot(t.url, args, { cwd: dir });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-cli-payments-'));
    await seedPayers(t.db, N);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('checks 1,800 payments with --dry-run, records them, finds them already recorded the next time, and refuses one with problems', async () => {
    const rows = Array.from({ length: N * 3 }, (_, k) => ['2026-10-05', payer(k % N), '40.00', 'cheque', `CHQ-${k}`, null]);
    await fs.writeFile(path.join(dir, 'payments.xlsx'), await paymentsWorkbook(rows));
    const dry = await run('import', 'payments.xlsx', '--dry-run', '--json');
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(dry.stdout)).toMatchObject({
      kind: 'workbook.import',
      file: 'payments.xlsx',
      result: { workbook: 'payments', dryRun: true, applied: false, payments: 1800, rows: 1800, totalProblems: 0, totals: [{ currency: 'USD', amount: '72000.00' }] },
    });
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 0 });

    const applied = await run('import', 'payments.xlsx');
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('Recorded 1800 payments from *payments.xlsx*, all at once.');
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 1800 });
    expect(await t.db('payments').distinct('created_by').pluck('created_by')).toEqual(['cli-tester']);
    expect(await ledgerViolations(t.db)).toEqual([]);

    const again = await run('import', 'payments.xlsx');
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toContain('Nothing to import: every payment of *payments.xlsx* is already recorded.');
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 1800 });

    await fs.writeFile(path.join(dir, 'bad.xlsx'), await paymentsWorkbook([['2026-10-05', payer(1), '1.005', null, 'NEW-1', null]]));
    const bad = await run('import', 'bad.xlsx');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('Payments row 2, Amount: found "1.005"; expected: An amount with at most 2 decimal places, as USD has.');
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 1800 });

    const exported = await run('export', 'payments', 'out.xlsx', '--account', payer(5), '--json');
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(exported.stdout)).toMatchObject({ kind: 'workbook.written', workbook: 'payments', rows: { payments: 3, applications: 3 } });
  });
});
