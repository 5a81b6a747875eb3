/**
 * The performance benchmark (test/bench/run.ts, `npm run bench`) in miniature, so that it cannot
 * rot: the same data builder, the same checks, the same measured steps, on 1,000 accounts and
 * with no timing asserted. What is asserted is that the results are right: each run's invoices,
 * charges, credits and totals against figures computed from the data, and that a preview
 * writes nothing.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createBilling } from '../billing';
import {
  BENCH_CLOCK,
  checkRun,
  expectedOutcome,
  fingerprint,
  measureFloor,
  seedBillingData,
  topUpInvoices,
} from './bench/data';
import { runChild } from './bench/fork';
import { measureSlackDuringRun } from './bench/slack';
import { writeSetupWorkbook } from './bench/workbook';
import { createTestDatabase, useTestDatabase } from './helpers/db';

jest.setTimeout(120_000);

const summary = (r: { run: { id: number; status: string }; totals: any }) => ({ runId: r.run.id, status: r.run.status, totals: r.totals });

describe('the benchmark, small', () => {
  const t = useTestDatabase();

  it('bills 1,000 accounts right: a preview that writes nothing, the run, its floor, the next month with Slack commands, an export', async () => {
    const data = await seedBillingData(t.db, { accounts: 1000 });
    const expected = await expectedOutcome(t.db, data, data.period);
    // The data has every kind of line and credit the benchmark means to measure.
    expect(expected.invoices).toBeGreaterThan(600);
    expect(expected.reversals).toBe(20);
    expect(expected.creditsIssued).toBeGreaterThan(90);
    expect(expected.autoCreditsIssued).toBeGreaterThan(45);
    expect(Object.keys(expected.totalsByCurrency)).toEqual(['JPY', 'USD']);

    const billing = createBilling(t.db, BENCH_CLOCK);
    const request = { configuration: data.configuration, from: data.period.start, to: data.period.end, startedBy: 'bench' };

    const before = await fingerprint(t.db);
    const preview = await billing.previewBill(request);
    expect(await fingerprint(t.db)).toEqual(before);
    expect(await checkRun(t.db, summary(preview), expected, { preview: true })).toEqual([]);

    // Small batches, two at a time: the invoices and totals do not depend on either.
    const run = await billing.bill(request, { familiesPerBatch: 50, workers: 2 });
    expect(run.run.batchesTotal).toBeGreaterThan(10);
    expect(await checkRun(t.db, summary(run), expected, { preview: false })).toEqual([]);
    expect(run.totals).toEqual(preview.totals);
    // Which invoicer gets which number depends on the order the batches finish in (two
    // workers), and the report lists only the first 200 invoices, so the lists themselves may
    // differ; every invoice of both was checked against the data by checkRun above. The
    // numbers are the same gapless ones.
    const numbers = (list: typeof run.invoices) => list.map((i) => i.number);
    expect(numbers(run.invoices)).toEqual(numbers(preview.invoices));

    const transactions = Number((await t.db('transactions').where('bill_run_id', run.run.id).count('* as n').first())?.n);
    const floor = await measureFloor(t.db, run.run.id);
    expect(floor.rows).toBe(transactions);
    expect(floor.seconds).toBeGreaterThan(0);
    expect(Number((await t.db('transactions').where('bill_run_id', run.run.id).count('* as n').first())?.n)).toBe(transactions);

    // The export step, in its own process, of exactly as many invoices as asked for.
    const added = await topUpInvoices(t.db, data, 1000);
    expect(added).toBeGreaterThan(0);
    expect(Number((await t.db('invoices').count('* as n').first())?.n)).toBe(1000);
    const file = path.join(os.tmpdir(), `billbot-bench-smoke-${randomBytes(6).toString('hex')}.xlsx`);
    try {
      const exported = await runChild<{ invoices: number; transactions: number }>({ kind: 'export', file }, t.url);
      expect(exported.result.invoices).toBe(1000);
      expect(exported.peakMb).toBeGreaterThan(0);
    } finally {
      await fs.rm(file, { force: true });
    }

    // November, billed by a process that also runs the Slack app, while signed commands arrive.
    const november = await expectedOutcome(t.db, data, data.nextPeriod);
    expect(november.invoices).toBeGreaterThan(600);
    const slack = await measureSlackDuringRun({
      databaseUrl: t.url,
      configuration: data.configuration,
      period: data.nextPeriod,
      account: `${data.tag}-0000003`,
      commands: 20,
      concurrency: 5,
      delayMs: 0,
      familiesPerBatch: 50,
    });
    expect(slack).toMatchObject({ commands: 20, ok: 20, replies: 20 });
    expect(slack.p99Ms).toBeGreaterThanOrEqual(slack.p50Ms);
    expect(await checkRun(t.db, slack.run, november, { preview: false })).toEqual([]);
  });

  it('imports the setup workbook in its own process', async () => {
    const file = path.join(os.tmpdir(), `billbot-bench-smoke-${randomBytes(6).toString('hex')}.xlsx`);
    const target = await createTestDatabase();
    try {
      await writeSetupWorkbook(file, 300);
      const imported = await runChild<{ applied: boolean; accounts: unknown; accountPackages: unknown; totalProblems: number }>(
        { kind: 'import', file },
        target.url,
      );
      expect(imported.result).toMatchObject({ applied: true, totalProblems: 0 });
      expect(Number((await target.db('accounts').count('* as n').first())?.n)).toBe(300);
      expect(Number((await target.db('accounts').whereNotNull('invoicer_id').count('* as n').first())?.n)).toBe(100);
      expect(Number((await target.db('account_packages').count('* as n').first())?.n)).toBe(300);
    } finally {
      await fs.rm(file, { force: true });
      await target.drop();
    }
  });
});
