import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { createBilling } from '../../billing';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { driveShell } from '../helpers/shell';

// Each CLI case starts node; on a busy machine that takes seconds.
jest.setTimeout(120_000);

const clock = { now: () => new Date('2026-12-02T12:00:00Z') };
const MONTHS: [string, string][] = [
  ['2026-09-01', '2026-09-30'],
  ['2026-10-01', '2026-10-31'],
  ['2026-11-01', '2026-11-30'],
];

async function pngSize(file: string): Promise<[number, number]> {
  const png = PNG.sync.read(await fs.readFile(file));
  return [png.width, png.height];
}

// billing.runHistory (the chart's data), and /billing chart runs writing a PNG in the shell and the CLI.
describe('the run history: its data, and the chart written to a file', () => {
  const t = useTestDatabase();
  let dir: string;
  const runIds: number[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-charts-'));
    const billing = createBilling(t.db, clock);
    await billing.loadDemo(); // Parent Co / Child Co, $140.00 a month, in "Monthly Billing"
    for (const [from, to] of MONTHS) {
      const report = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from, to, startedBy: 'U_FIN' });
      runIds.push(report.run.id);
    }
    // A run that failed and one still scheduled are not in the history.
    await t.db('bill_runs').insert([
      { configuration_id: 1, scope: 'bill groups', period_start: '2026-12-01', period_end: '2026-12-31', posting_date: '2026-12-01', invoice_date: '2026-12-01', bill_packages: true, generate_invoice: true, started_by: 'x', status: 'failed' },
      { configuration_id: 1, scope: 'bill groups', period_start: '2026-12-01', period_end: '2026-12-31', posting_date: '2026-12-01', invoice_date: '2026-12-01', bill_packages: true, generate_invoice: true, started_by: 'x', status: 'scheduled' },
    ]);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("gives a configuration's last completed runs, oldest first, with invoices and exact totals", async () => {
    const billing = createBilling(t.db, clock);
    const history = await billing.runHistory('monthly billing');
    expect(history.configuration).toBe('Monthly Billing');
    expect(history.runs).toEqual(
      MONTHS.map(([from, to], i) => ({
        id: runIds[i],
        account: 'Child Co',
        periodStart: from,
        periodEnd: to,
        finishedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        invoices: 1,
        totals: [{ currency: 'USD', amount: '140.00' }],
      })),
    );
    // A completed run without its summary is counted from its invoices.
    await t.db('bill_runs').where('id', runIds[0]).update({ summary: null });
    expect((await billing.runHistory('Monthly Billing')).runs[0]).toMatchObject({ id: runIds[0], invoices: 1, totals: [{ currency: 'USD', amount: '140.00' }] });
    expect((await billing.runHistory(null, { last: 2 })).runs.map((r) => r.id)).toEqual(runIds.slice(1));
    expect((await billing.runHistory('Monthly Billing', { through: runIds[1] })).runs.map((r) => r.id)).toEqual(runIds.slice(0, 2));
    await billing.createConfiguration({ name: 'Quarterly' });
    expect((await billing.runHistory('Quarterly')).runs).toEqual([]);
    await expect(billing.runHistory('Nightly')).rejects.toThrow('There is no bill run configuration named "Nightly".');
    await expect(billing.runHistory('Monthly Billing', { last: 0 })).rejects.toThrow('A run history has at least 1 run.');
  });

  it('writes the chart in the shell under a new name each time, and says what it shows', async () => {
    const shell = driveShell({ services: { billing: createBilling(t.db, clock) }, user: 'local-admin', directory: dir });
    await shell.ready();
    const first = await shell.type('/billing chart runs Monthly Billing');
    const file = path.join(dir, 'bill-runs-monthly-billing.png');
    expect(first).toContain(`Wrote the run history chart of *Monthly Billing* (the last 3 completed runs) to \`${file}\` (PNG, 960 × 610 pixels).`);
    expect(first).toContain(`Run #${runIds[2]} for Child Co (2026-11-01 to 2026-11-30, the latest): 1 invoice, $140.00 USD.`);
    expect(await pngSize(file)).toEqual([960, 610]);
    expect(await shell.type('/billing chart runs "Monthly Billing"')).toContain(path.join(dir, 'bill-runs-monthly-billing-2.png'));
    expect(await shell.type('/billing chart runs Quarterly')).toContain('Quarterly has no completed bill run yet, so there is nothing to draw.');
    shell.close();
    await shell.finished;
  });

  it('writes the chart from the CLI to the file named, and refuses what it cannot do', async () => {
    const run = (...args: string[]) => billbot(t.url, args, { cwd: dir });
    const written = await run('chart', 'runs', 'Monthly', 'Billing', '--out', 'runs.png');
    expect(written).toMatchObject({ code: 0, stderr: '' });
    expect(written.stdout).toContain(`to \`${path.join(dir, 'runs.png')}\` (PNG, 960 × 610 pixels)`);
    expect(await pngSize(path.join(dir, 'runs.png'))).toEqual([960, 610]);

    const json = await run('chart', 'runs', 'Monthly Billing', '--out', 'named.png', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'chart.written', configuration: 'Monthly Billing', runs: 3, width: 960, height: 610 });

    expect(await run('chart', 'runs', 'Quarterly', '--out', 'q.png')).toMatchObject({
      code: 1,
      stderr: 'Quarterly has no completed bill run yet, so there is nothing to draw.\n',
    });
    expect(await run('chart', 'runs', '--out', 'runs.jpg')).toMatchObject({
      code: 2,
      stderr: 'Name the chart file with the .png extension; usage: billbot chart runs [<configuration>] --out <file>.\n',
    });
    expect((await run('chart', 'pies', '--out', 'x.png')).code).toBe(2);
    expect((await run('chart', 'runs')).code).toBe(2);
    await expect(fs.stat(path.join(dir, 'q.png'))).rejects.toThrow();
  });
});
