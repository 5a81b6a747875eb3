import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { ACCOUNT_HEADERS, readBack, rowsOf, workbook, workedExampleSheets } from '../sheets/helpers';

// Each case starts node (and tsx); on a busy machine that takes seconds.
jest.setTimeout(120_000);

describe('workbooks from the billbot CLI', () => {
  const t = useTestDatabase();
  let dir: string;
  const run = (...args: string[]) => billbot(t.url, args, { cwd: dir });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-cli-workbooks-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes the template', async () => {
    const result = await run('template', 'template.xlsx');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Wrote the empty setup workbook to \`${path.join(dir, 'template.xlsx')}\`.`);
    const wb = await readBack(path.join(dir, 'template.xlsx'));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Accounts', 'Packages', 'Account Packages', 'Bill Runs', 'Read Me']);
  });

  it('checks a workbook with --dry-run, imports it, and refuses one with problems with exit code 1', async () => {
    await fs.writeFile(path.join(dir, 'setup.xlsx'), await workbook(workedExampleSheets()));
    const dry = await run('import', 'setup.xlsx', '--dry-run', '--json');
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(dry.stdout)).toMatchObject({
      kind: 'workbook.import',
      file: 'setup.xlsx',
      result: { dryRun: true, applied: false, accounts: { created: 2, updated: 0, unchanged: 0 }, totalProblems: 0 },
    });
    expect(await t.db('accounts').count('* as n').first()).toEqual({ n: 0 });

    const applied = await run('import', 'setup.xlsx');
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('Imported *setup.xlsx*: every row was applied at once.');
    expect(await t.db('accounts').orderBy('name').pluck('name')).toEqual(['Child Co', 'Parent Co']);
    expect(await t.db('setup_imports').pluck('actor')).toEqual(['cli-tester']);

    await fs.writeFile(path.join(dir, 'bad.xlsx'), await workbook({ Accounts: [ACCOUNT_HEADERS, ['Bad Co', null, 'XX', 'active', 'Default', 1, null, null]] }));
    const bad = await run('import', 'bad.xlsx');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('*bad.xlsx* has 1 problem, so nothing was imported.');
    expect(bad.stdout).toContain('Accounts row 2, Currency: found "XX"');
    expect(await t.db('accounts').where('name', 'Bad Co').first()).toBeUndefined();

    const missing = await run('import', 'nothing-here.xlsx');
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: `There is no file ${path.join(dir, 'nothing-here.xlsx')}.\n` });
  });

  it('exports the accounts, invoices and credits', async () => {
    const accounts = await run('export', 'accounts', 'accounts.xlsx', '--json');
    expect(accounts).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(accounts.stdout)).toMatchObject({
      kind: 'workbook.written',
      workbook: 'accounts',
      file: path.join(dir, 'accounts.xlsx'),
      rows: { accounts: 2, packageServices: 2, accountPackages: 1, billRuns: 1 },
    });
    const wb = await readBack(path.join(dir, 'accounts.xlsx'));
    expect(rowsOf(wb.getWorksheet('Accounts')!).map((r) => r[0])).toEqual(['Name', 'Parent Co', 'Child Co']);

    const billed = await run('bill', 'Child Co', '--from', '2026-09-01', '--to', '2026-09-30', '--json');
    expect(billed.code).toBe(0);
    const runId: number = JSON.parse(billed.stdout).report.run.id;
    const invoices = await run('export', 'invoices', 'out/invoices.xlsx', '--account', 'Parent Co', '--run', String(runId));
    // The folder does not exist: refused, nothing written.
    expect(invoices).toMatchObject({ code: 1, stdout: '' });
    expect(invoices.stderr).toContain('its folder does not exist');
    const ok = await run('export', 'invoices', 'invoices.xlsx', '--account', 'Parent Co', '--run', String(runId));
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toContain('The invoices export: 1 invoice and 2 transactions.');
    expect(rowsOf((await readBack(path.join(dir, 'invoices.xlsx'))).getWorksheet('Invoices')!)).toHaveLength(2);

    const credits = await run('export', 'credits', 'credits.xlsx', '--from', '2026-01-01');
    expect(credits).toMatchObject({ code: 0, stderr: '' });
    expect(credits.stdout).toContain('The credits export: 0 credits, 0 disbursements and 0 reversals.');
  });

  it('refuses bad arguments with exit code 2 before opening the database', async () => {
    const what = await run('export', 'ledgers', 'x.xlsx');
    expect(what).toMatchObject({ code: 2, stdout: '' });
    expect(what.stderr).toBe(
      'Say what to export: accounts, invoices, credits, payments, aging or statement; usage: billbot export accounts|invoices|credits|payments|aging|statement <file> [--account NAME] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--run N] [--as-of YYYY-MM-DD].\n',
    );
    expect((await run('export', 'invoices', 'x.xlsx', '--run', 'last')).stderr).toContain('"last" is not a bill run number');
    expect((await run('export', 'accounts', 'x.xlsx', '--account', 'Parent Co')).code).toBe(2);
    expect((await run('export', 'credits', 'x.xlsx', '--from', '2026-02-30')).code).toBe(2);
    expect((await run('import')).code).toBe(2);
    expect((await run('template')).code).toBe(2);
    await expect(fs.stat(path.join(dir, 'x.xlsx'))).rejects.toThrow();
  });
});
