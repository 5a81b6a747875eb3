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
import type { Knex } from 'knex';
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
import { measureUserPath } from './bench/userPath';
import { userPathTargets } from './bench/userPathReport';
import { nextMonthExpectation, userPathExpectation, writeSetupWorkbook } from './bench/workbook';
import { expectedSheets, readSheetRows } from './bench/xlsxSheets';
import { exportInvoices } from '../sheets';
import { EXPORT_SHEETS } from '../sheets/limits';
import { createTestDatabase, useTestDatabase, type TestDatabase } from './helpers/db';

jest.setTimeout(120_000);

const summary = (r: { run: { id: number; status: string }; totals: any }) => ({ runId: r.run.id, status: r.run.status, totals: r.totals });

/**
 * At 300 accounts November's run takes a fraction of a second, less than the Slack commands
 * need: once October's run has completed, this takes the numbering row (settings) FOR UPDATE
 * and keeps it until November's run has been going for `ms`, so that the run's first invoices
 * wait that long and the commands fall inside the run, as they do at the benchmark's sizes.
 */
async function holdNextRun(db: Knex, ms: number): Promise<void> {
  const until = Date.now() + 100_000;
  const poll = async (period: string, column: string) => {
    while (!(await db('bill_runs').where('period_start', period).whereNotNull(column).first())) {
      if (Date.now() > until) throw new Error(`no bill run of ${period} with ${column}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await poll('2026-10-01', 'finished_at');
  await db.transaction(async (trx) => {
    await trx.raw('SELECT 1 FROM settings FOR UPDATE');
    await poll('2026-11-01', 'started_at');
    await new Promise((r) => setTimeout(r, ms));
  });
}

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

  it("runs the user's path: import, preview, bill run and export by the CLI, the bare floor, the next run with Slack commands, all right", async () => {
    const made: TestDatabase[] = [];
    let held: Promise<Error | void> | undefined;
    let dropsAsked = 0;
    try {
      const [f] = await measureUserPath(
        [300],
        async () => {
          const target = await createTestDatabase();
          // The first pass's next month's run is held while Slack's commands go; the second pass has none.
          if (!made.length) held = holdNextRun(target.db, 4000).catch((e: Error) => e);
          made.push(target);
          // Dropped by this test once it has read it; the benchmark drops it when its steps are done.
          return { url: target.url, db: createDb(target.url, { poolMax: 2 }), drop: async () => void dropsAsked++ };
        },
        () => undefined,
        { slackCommands: 30, slackConcurrency: 5, passes: 2 },
      );
      expect(await held).toBeUndefined();
      expect(dropsAsked).toBe(2);
      // Two passes, each in a database of its own; the second measures the import, preview, run and floor only.
      expect(made).toHaveLength(2);
      const [first, second] = f.passes!;
      expect(second.problems).toEqual([]);
      expect(second.failed).toBeUndefined();
      expect(second.run).toMatchObject({ invoices: 200, charges: 525 });
      expect(second.floor).toMatchObject({ transactions: 525, invoices: 200, accountPackages: 300 });
      expect([second.export, second.slack]).toEqual([undefined, undefined]);
      expect(f.import!.seconds).toBe(Math.min(first.import!.seconds, second.import!.seconds));
      expect(f.run!.seconds).toBe(Math.min(first.run!.seconds, second.run!.seconds));
      expect(f.export).toBe(first.export);
      const expected = userPathExpectation(300);
      expect(expected).toEqual({ invoices: 200, charges: 525, accountPackages: 300 });
      expect(f.failed).toBeUndefined();
      expect(f.problems).toEqual([]);
      expect(f.preview).toMatchObject({ invoices: 200, charges: 525, wroteNothing: true });
      expect(f.run).toMatchObject({ invoices: 200, charges: 525 });
      expect(f.run!.runSeconds).toBeGreaterThan(0);
      expect(f.run!.runSeconds).toBeLessThan(f.run!.seconds);
      expect(f.export).toMatchObject({ invoices: 200, transactions: 525, sheets: [{ name: 'Invoices', rows: 200 }, { name: 'Transactions', rows: 525 }] });
      expect(f.floor).toMatchObject({ transactions: 525, invoices: 200, accountPackages: 300 });
      for (const step of [f.import, f.preview, f.run, f.export, f.slack!.run]) expect(step!.peakMb).toBeGreaterThan(20);
      expect(f.ratioToFloor).toBeGreaterThan(0);
      // November: the 225 monthly packages again (2 charges each), on the invoices of the families that have one.
      expect(nextMonthExpectation(300)).toEqual({ invoices: 175, charges: 450, accountPackages: 225 });
      expect(f.slack!.run).toMatchObject({ invoices: 175, charges: 450 });
      expect(f.slack).toMatchObject({ commands: 30, concurrency: 5, ok: 30, replies: 30, wrongAnswers: 0, duringRun: true });
      expect(f.slack!.p99Ms).toBeGreaterThanOrEqual(f.slack!.p50Ms);
      expect(f.slack!.lastAckSeconds).toBeLessThan(f.slack!.runSeconds);
      const db = made[0].db;
      // The floor's tables are gone; the preview left no bill run behind: the two runs alone.
      const { rows } = await db.raw(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'floor\\_%'`);
      expect(Number(rows[0].n)).toBe(0);
      expect(await db('bill_runs').orderBy('id').select('period_start', 'status')).toEqual([
        { period_start: '2026-10-01', status: 'completed' },
        { period_start: '2026-11-01', status: 'completed' },
      ]);
      expect(Number((await db('settings').first('next_invoice_number')).next_invoice_number)).toBe(1 + 200 + 175);
      // Targets at every N: the preview against the run, and Slack's acknowledgements.
      const met = Object.fromEntries(userPathTargets([f]).map((t) => [t.figure, t.met]));
      expect(met['user path 300: preview wrote nothing']).toBe(true);
      expect(met['user path 300: Slack: every command acknowledged and answered, the last ack before the run ended']).toBe(true);
      expect(Object.keys(met)).toContain("user path 300: Slack ack p99 during the next month's run");
      expect(Object.keys(met)).toContain("user path 300: preview time <= the run's");

      // The export continues past a sheet's rows ("Transactions 2", ...; the limit lowered here),
      // and reading it back finds every row on the sheets it must take.
      const file = path.join(os.tmpdir(), `billbot-bench-smoke-${randomBytes(6).toString('hex')}.xlsx`);
      const limit = EXPORT_SHEETS.maxDataRows;
      try {
        EXPORT_SHEETS.maxDataRows = 200;
        const runId = Number((await db('bill_runs').where('period_start', '2026-10-01').first('id')).id);
        expect(await exportInvoices(createBilling(db), file, { billRunId: runId })).toEqual({ invoices: 200, transactions: 525 });
        const sheets = await readSheetRows(file);
        expect(sheets).toEqual([...expectedSheets('Invoices', 200, 200), ...expectedSheets('Transactions', 525, 200)]);
        expect(sheets.map((x) => x.name)).toEqual(['Invoices', 'Transactions', 'Transactions 2', 'Transactions 3']);
        expect(sheets).not.toEqual([...expectedSheets('Invoices', 200, 200), ...expectedSheets('Transactions', 526, 200)]);
      } finally {
        EXPORT_SHEETS.maxDataRows = limit;
        await fs.rm(file, { force: true });
      }
    } finally {
      for (const d of made) await d.drop();
    }
  });

  it("reports a step of the user's path that failed as a target not met, with its sentence", () => {
    const expected = userPathExpectation(100_000);
    const step = { seconds: 1, peakMb: 100 };
    const targets = userPathTargets([
      { accounts: 100_000, workbookMb: 1, expected, import: step, run: { ...step, seconds: 8, runId: 1, invoices: 1, charges: 1, runSeconds: 7 }, floor: { seconds: 1, transactions: 1, invoices: 1, accountPackages: 1 }, ratioToFloor: 8, problems: [] },
      { accounts: 200_000, workbookMb: 2, expected, import: step, failed: { step: 'import', error: 'exit 1: too many rows' }, problems: [] },
    ]);
    const met = Object.fromEntries(targets.map((t) => [t.figure, [t.value, t.met]]));
    expect(met['user path 200000: import applied, preview, runs and export complete and right']).toEqual(['import: exit 1: too many rows', false]);
    expect(met['user path 100,000: run / bare floor']).toEqual(['8.0 x', false]);
    expect(met['user path import time, 100000 -> 200000']).toEqual(['not measured (import of 200000 failed)', false]);
    expect(met['user path run time, 100000 -> 200000']).toEqual(['not measured (import of 200000 failed)', false]);
    expect(met["user path 200000: preview time <= the run's"]).toEqual(['not measured (import of 200000 failed)', false]);
    expect(met["user path 200000: Slack ack p99 during the next month's run"]).toEqual(['not measured (import of 200000 failed)', false]);
    expect(met['user path 100000: preview wrote nothing']).toEqual(['not measured (preview)', false]);
  });

  it('holds the preview, the export and the Slack acknowledgements to their targets', () => {
    const expected = userPathExpectation(1_000_000);
    const step = { seconds: 50, peakMb: 400 };
    const acks = { commands: 200, concurrency: 20, ok: 200, replies: 200, p50Ms: 30, p99Ms: 90, maxMs: 120, idleP50Ms: 20, idleP99Ms: 40, runSeconds: 40, lastAckSeconds: 20, duringRun: true, wrongAnswers: 0, firstWrongAnswer: undefined as string | undefined };
    const f = {
      accounts: 1_000_000,
      workbookMb: 70,
      expected,
      import: { seconds: 100, peakMb: 500 },
      preview: { ...step, seconds: 51, invoices: 1, charges: 1, wroteNothing: false },
      run: { ...step, runId: 1, invoices: 1, charges: 1, runSeconds: 45 },
      export: { ...step, seconds: 91, invoices: 1, transactions: 1, sheets: [] },
      floor: { seconds: 20, transactions: 1, invoices: 1, accountPackages: 1 },
      ratioToFloor: 2.5,
      slack: { ...acks, run: { ...step, invoices: 1, charges: 1 } },
      problems: [],
    };
    const met = (figures: (typeof f)[]) => Object.fromEntries(userPathTargets(figures).map((t) => [t.figure, [t.value, t.met]]));
    const all = met([f]);
    expect(all["user path 1000000: preview time <= the run's"]).toEqual(['51.00 s (run 50.00 s)', false]);
    expect(all['user path 1000000: preview wrote nothing']).toEqual(['NO', false]);
    expect(all['user path 1,000,000: export time']).toEqual(['91.00 s', false]);
    expect(all['user path 1,000,000: export peak memory']).toEqual(['400 MB', true]);
    expect(all["user path 1000000: Slack ack p99 during the next month's run"]).toEqual(['90.0 ms', true]);
    expect(all['user path 1000000: Slack: every command acknowledged and answered, the last ack before the run ended'][1]).toBe(true);
    const late = met([{ ...f, slack: { ...f.slack, p99Ms: 251, duringRun: false } }]);
    expect(late["user path 1000000: Slack ack p99 during the next month's run"]).toEqual(['251.0 ms', false]);
    expect(late['user path 1000000: Slack: every command acknowledged and answered, the last ack before the run ended'][1]).toBe(false);
    const failing = met([{ ...f, slack: { ...f.slack, wrongAnswers: 2, firstWrongAnswer: 'No account named X.' } }]);
    expect(failing['user path 1000000: Slack: every command acknowledged and answered, the last ack before the run ended']).toEqual([
      '200 of 200 acknowledged, 200 answered, 2 of them not the answer ("No account named X."); last ack 20.00 s into the 40.00 s run',
      false,
    ]);
  });
});
