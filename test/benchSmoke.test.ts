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
import { createDb } from '../billing/db';
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
import { pdfZip } from './bench/pdfs';
import { measureReceivables, receivablesTargets } from './bench/receivables';
import { measureSlackDuringRun } from './bench/slack';
import { measureUserPath, userPathTargets } from './bench/userPath';
import { userPathExpectation, writeSetupWorkbook } from './bench/workbook';
import { createTestDatabase, useTestDatabase, type TestDatabase } from './helpers/db';

jest.setTimeout(120_000);

const summary = (r: { run: { id: number; status: string }; totals: any }) => ({ runId: r.run.id, status: r.run.status, totals: r.totals });

describe('the benchmark, small', () => {
  const t = useTestDatabase();

  it('measures receivables right: the aging report against plain sums, a statement against balances less unapplied payments', async () => {
    let made: TestDatabase | undefined;
    try {
      const f = await measureReceivables(async () => (made = await createTestDatabase()), () => undefined, { invoices: 1000, statementInvoices: 200 });
      expect(f.problems).toEqual([]);
      expect(f.statement.lines).toBe(250);
      expect(receivablesTargets(f).at(-1)).toMatchObject({ figure: 'receivables right (totals, closing balance)', met: true });
    } finally {
      await made?.drop();
    }
  });

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

  it("zips a bill run's invoice PDFs in its own process, one PDF per invoice", async () => {
    const target = await createTestDatabase();
    try {
      await pdfZip.run(async () => ({ url: target.url, db: createDb(target.url) }), () => undefined, 60);
      expect(pdfZip.figures).toMatchObject({ invoices: 40, entries: 40 });
      expect(pdfZip.targets().map((x) => x.figure)).toEqual(['zip of 40 invoice PDFs, time', 'zip of 40 invoice PDFs, peak memory', 'zip holds one PDF per invoice']);
      expect(pdfZip.targets()[2].met).toBe(true);
    } finally {
      await target.drop();
    }
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

  it("runs the user's path: import, bill run and export by the CLI, the run's bare floor, all right", async () => {
    const made: TestDatabase[] = [];
    try {
      const [f] = await measureUserPath(
        [300],
        async () => {
          const target = await createTestDatabase();
          made.push(target);
          return { url: target.url, db: createDb(target.url, { poolMax: 2 }) };
        },
        () => undefined,
      );
      const expected = userPathExpectation(300);
      expect(expected).toEqual({ invoices: 200, charges: 525, accountPackages: 300 });
      expect(f.failed).toBeUndefined();
      expect(f.problems).toEqual([]);
      expect(f.run).toMatchObject({ invoices: 200, charges: 525 });
      expect(f.export).toMatchObject({ invoices: 200 });
      expect(f.floor).toMatchObject({ transactions: 525, invoices: 200, accountPackages: 300 });
      for (const step of [f.import, f.run, f.export]) expect(step!.peakMb).toBeGreaterThan(20);
      expect(f.ratioToFloor).toBeGreaterThan(0);
      // The floor's tables are gone.
      const { rows } = await made[0].db.raw(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'floor\\_%'`);
      expect(Number(rows[0].n)).toBe(0);
    } finally {
      for (const d of made) await d.drop();
    }
  });

  it("reports a step of the user's path that failed as a target not met, with its sentence", () => {
    const expected = userPathExpectation(100_000);
    const step = { seconds: 1, peakMb: 100 };
    const targets = userPathTargets([
      { accounts: 100_000, workbookMb: 1, expected, import: step, run: { ...step, seconds: 8, runId: 1, invoices: 1, charges: 1 }, floor: { seconds: 1, transactions: 1, invoices: 1, accountPackages: 1 }, ratioToFloor: 8, problems: [] },
      { accounts: 200_000, workbookMb: 2, expected, import: step, failed: { step: 'import', error: 'exit 1: too many rows' }, problems: [] },
    ]);
    const met = Object.fromEntries(targets.map((t) => [t.figure, [t.value, t.met]]));
    expect(met['user path 200000: import applied, run and export complete and right']).toEqual(['import: exit 1: too many rows', false]);
    expect(met['user path 100,000: run / bare floor']).toEqual(['8.0 x', false]);
    expect(met['user path import time, 100000 -> 200000']).toEqual(['not measured (import of 200000 failed)', false]);
    expect(met['user path run time, 100000 -> 200000']).toEqual(['not measured (import of 200000 failed)', false]);
  });
});
