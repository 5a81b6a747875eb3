/**
 * The performance benchmark (the issue "Performance"): `npm run bench`.
 *
 * Starts its own embedded Postgres in /tmp (unless DATABASE_URL is set: then it creates and
 * drops throwaway databases on that server), builds the data set-based, and measures through
 * the real code paths:
 *   1. bill runs of N accounts (billing's bill): wall time, accounts per second, peak memory;
 *   2. the floor of each run: one INSERT ... SELECT of as many transaction rows;
 *   3. a preview (previewBill) of the largest run, and that it wrote nothing;
 *   4. import of a setup workbook (sheets' importSetupWorkbook) and export of 100,000 invoices
 *      (sheets' exportInvoices), each in a child process that reports its peak memory;
 *   5. Slack acknowledgement latency (the Bolt app from bot/slack) during a big run;
 *   6. startup on the user's own path (./startup.ts): `billbot --help`, `billbot invoice 18
 *      --json` and `npm start` to its prompt, each a fresh process, against `node -e 0`;
 *   7. the user's path (./userPath.ts): import, preview, bill run and export by the CLI, each a
 *      fresh process, in a new database with no maintenance between them, against the run's bare
 *      floor; then the next month's run while the Slack app answers signed commands;
 *   8. the zip of 1,000 invoices' PDFs (./pdfs.ts; BENCH_STEPS=pdfs for it alone).
 * Every run's invoices and totals are checked against figures computed from the data.
 * Prints a table and writes the same figures as JSON (BENCH_JSON, default
 * test/bench/results.json). Not a test: CI does not run it (test/benchSmoke.test.ts does, small).
 *
 * Settings (environment): BENCH_SIZES (default 10000,50000,100000: the largest is the "big"
 * run), BENCH_IMPORT_ROWS and BENCH_EXPORT_INVOICES (default 100000), BENCH_SLACK_COMMANDS
 * (200), BENCH_FAMILIES_PER_BATCH and BENCH_WORKERS (billing's defaults when unset), BENCH_JSON,
 * BENCH_STEPS (default all; `startup` measures startup only, `userpath` the user's path only,
 * `receivables` the aging report and a statement only: ./receivables.ts, `pdfs` the zip of PDFs only),
 * `payments` the payments import only: ./payments.ts, BENCH_PAYMENT_ROWS rows, default 100000),
 * BENCH_USER_SIZES (default 100000,200000,400000) and BENCH_MILLION=1 (adds 1000000) for it,
 * BENCH_USER_PASSES (default 1: passes over every N; the targets take each step's lowest time,
 * ./userPathPasses.ts).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { createDb } from '../../billing/db';
import { migrateLatest } from '../../billing/migrate';
import { withDatabase } from '../../bot/database';
import { runChild, type BillResult } from './fork';
import { checkRun, expectedOutcome, fingerprint, measureFloor, seedBillingData, topUpInvoices, type SeededData } from './data';
import { measureSlackDuringRun, type SlackLatency } from './slack';
import { measureReceivables, receivablesRows, receivablesTargets, type ReceivablesFigures } from './receivables';
import { measureStartup, type StartupFigure } from './startup';
import { measureUserPath, USER_SIZES, type UserPathFigures } from './userPath';
import { userPathExportLines, userPathRows, userPathTargets } from './userPathReport';
import { writeSetupWorkbook } from './workbook';
import { pdfZip } from './pdfs';
import { measurePayments, paymentsRow, paymentsTargets, type PaymentsFigures } from './payments';
import { startServer } from './server';

const numbers = (text: string | undefined, fallback: number[]) =>
  text ? text.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0) : fallback;
const SIZES = numbers(process.env.BENCH_SIZES, [10_000, 50_000, 100_000]).sort((a, b) => a - b);
const IMPORT_ROWS = numbers(process.env.BENCH_IMPORT_ROWS, [100_000])[0];
const EXPORT_INVOICES = numbers(process.env.BENCH_EXPORT_INVOICES, [100_000])[0];
const SLACK_COMMANDS = numbers(process.env.BENCH_SLACK_COMMANDS, [200])[0];
const USER_PASSES = numbers(process.env.BENCH_USER_PASSES, [1])[0];
const FAMILIES_PER_BATCH = process.env.BENCH_FAMILIES_PER_BATCH ? Number(process.env.BENCH_FAMILIES_PER_BATCH) : undefined;
const WORKERS = process.env.BENCH_WORKERS ? Number(process.env.BENCH_WORKERS) : undefined;
const JSON_FILE = process.env.BENCH_JSON ?? path.join(__dirname, 'results.json');
const STEPS = (process.env.BENCH_STEPS ?? '').trim();
const USER_PATH_ONLY = STEPS === 'userpath';
/** A section of the benchmark runs when BENCH_STEPS is unset or names it. */
const wants = (section: string) => !STEPS || STEPS === section;
const BENCH_STEPS_ONLY = STEPS !== '';

interface RunFigures {
  accounts: number;
  seedSeconds: number;
  seconds: number;
  accountsPerSecond: number;
  peakMb: number;
  batches: number;
  invoices: number;
  charges: number;
  floorSeconds: number;
  floorRows: number;
  ratioToFloor: number;
  correct: boolean;
  problems: string[];
}

interface Target {
  figure: string;
  value: string;
  target: string;
  met: boolean;
}

// ---------------------------------------------------------------------------------------------
// Database server and throwaway databases

async function admin<T>(adminUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const TEMPLATE = `billbot_bench_template_${process.pid}`;
const created: string[] = [];

async function createTemplate(adminUrl: string): Promise<void> {
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(TEMPLATE)}`));
  created.push(TEMPLATE);
  const db = createDb(withDatabase(adminUrl, TEMPLATE), { poolMax: 1 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

/** A fresh migrated database (a clone of the template). */
async function createDatabase(adminUrl: string, label: string, template = TEMPLATE): Promise<{ url: string; db: Knex; name: string }> {
  const name = `billbot_bench_${label}_${process.pid}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(template)}`));
  created.push(name);
  const url = withDatabase(adminUrl, name);
  return { url, db: createDb(url, { poolMax: 4 }), name };
}

/** Drops one of the benchmark's databases now (its autovacuum workers stop with it). */
async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
  const at = created.indexOf(name);
  if (at >= 0) created.splice(at, 1);
}

async function dropDatabases(adminUrl: string): Promise<void> {
  for (const name of [...created].reverse()) await dropDatabase(adminUrl, name);
}

// ---------------------------------------------------------------------------------------------
// Output

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

async function postgresVersion(adminUrl: string): Promise<string> {
  return admin(adminUrl, async (c) => (await c.query('SHOW server_version')).rows[0].server_version);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadAverage();
  const log = (m: string) => process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0)}s] ${m}\n`);
  log(`${USER_PATH_ONLY ? `user path sizes ${USER_SIZES.join(', ')}` : `sizes ${SIZES.join(', ')}`}; load average ${loadBefore}`);
  const server = await startServer();
  const runs: RunFigures[] = [];
  let preview: { accounts: number; seconds: number; peakMb: number; wroteNothing: boolean; correct: boolean; problems: string[] } | undefined;
  let slack: SlackLatency | undefined;
  let parallel: { accounts: number; seconds: number; peakMb: number; batches: number; correct: boolean; problems: string[] } | undefined;
  let bigRunDuringSlack: { problems: string[] } | undefined;
  let importFigures: { rows: number; seconds: number; peakMb: number; applied: boolean; detail: unknown } | undefined;
  let exportFigures: { invoices: number; transactions: number; seconds: number; peakMb: number } | undefined;
  let pgVersion = '';
  const files: string[] = [];
  // A step that fails (a part of billbot being changed, say) is reported, and the others still run.
  const failures: { step: string; error: string }[] = [];
  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      failures.push({ step: name, error: text });
      log(`${name} FAILED: ${text}`);
    }
  };
  let startup: StartupFigure[] = [];
  let userPath: UserPathFigures[] = [];
  let receivables: ReceivablesFigures | undefined;
  let payments: PaymentsFigures | undefined;
  if (wants('startup')) await step('startup', async () => {
    startup = await measureStartup(log);
  });
  try {
    pgVersion = await postgresVersion(server.adminUrl);
    await createTemplate(server.adminUrl);
    const biggest = SIZES[SIZES.length - 1];

    for (const n of BENCH_STEPS_ONLY ? [] : SIZES) {
      const label = `n${n}`;
      const fresh = await createDatabase(server.adminUrl, label);
      const url = fresh.url;
      let db = fresh.db;
      try {
        const seedStart = process.hrtime.bigint();
        const data: SeededData = await seedBillingData(db, { accounts: n, tag: `B${n}` });
        const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
        log(`${n} accounts seeded in ${fmt(seedSeconds)} s`);
        // A copy of the largest data set, for the same run one batch at a time (for comparison).
        let copy: { url: string; db: Knex } | undefined;
        if (n === biggest && WORKERS === undefined) {
          await db.destroy();
          copy = await createDatabase(server.adminUrl, `${label}_copy`, `billbot_bench_${label}_${process.pid}`);
          db = createDb(url, { poolMax: 4 });
        }
        const expected = await expectedOutcome(db, data, data.period);
        const billTask = { kind: 'bill' as const, configuration: data.configuration, from: data.period.start, to: data.period.end, familiesPerBatch: FAMILIES_PER_BATCH, workers: WORKERS };

        if (n === biggest) await step(`preview of ${n}`, async () => {
          const before = await fingerprint(db);
          const p = await runChild<BillResult>({ ...billTask, preview: true }, url);
          const after = await fingerprint(db);
          const problems = await checkRun(db, p.result, expected, { preview: true });
          const wroteNothing = JSON.stringify(before) === JSON.stringify(after);
          if (!wroteNothing) problems.push('the preview changed the database');
          // What the rolled-back preview left behind (dead row versions) is vacuumed now, so
          // that the run measured next starts from the same state as the runs of other sizes
          // and not beside autovacuum.
          await db.raw('VACUUM ANALYZE');
          preview = { accounts: n, seconds: p.seconds, peakMb: p.peakMb, wroteNothing, correct: problems.length === 0, problems };
          log(`preview of ${n}: ${fmt(p.seconds)} s${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''}`);
        });

        await step(`bill run of ${n}`, async () => {
          const r = await runChild<BillResult>({ ...billTask, preview: false }, url);
          const problems = await checkRun(db, r.result, expected, { preview: false });
          const floor = await measureFloor(db, r.result.runId);
          runs.push({
            accounts: n,
            seedSeconds,
            seconds: r.seconds,
            accountsPerSecond: n / r.seconds,
            peakMb: r.peakMb,
            batches: r.result.batches,
            invoices: r.result.totals.invoicesCreated,
            charges: r.result.totals.charges,
            floorSeconds: floor.seconds,
            floorRows: floor.rows,
            ratioToFloor: r.seconds / floor.seconds,
            correct: problems.length === 0,
            problems,
          });
          log(`bill run of ${n}: ${fmt(r.seconds)} s, floor ${fmt(floor.seconds)} s (${floor.rows} rows)${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''}`);
        });

        if (copy) {
          const twin = copy;
          await step(`bill run of ${n} with 1 worker`, async () => {
            const r = await runChild<BillResult>({ ...billTask, preview: false, workers: 1 }, twin.url);
            const problems = await checkRun(twin.db, r.result, expected, { preview: false });
            parallel = { accounts: n, seconds: r.seconds, peakMb: r.peakMb, batches: r.result.batches, correct: problems.length === 0, problems };
            log(`bill run of ${n} with 1 worker: ${fmt(r.seconds)} s${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''}`);
          });
          await twin.db.destroy();
        }

        if (n === biggest) await step(`export of ${EXPORT_INVOICES} invoices`, async () => {
          const added = await topUpInvoices(db, data, EXPORT_INVOICES);
          const file = path.join(os.tmpdir(), `billbot-bench-invoices-${process.pid}.xlsx`);
          files.push(file);
          const e = await runChild<{ invoices: number; transactions: number }>({ kind: 'export', file }, url);
          exportFigures = { ...e.result, seconds: e.seconds, peakMb: e.peakMb };
          log(`export of ${e.result.invoices} invoices (${added} added for it): ${fmt(e.seconds)} s, ${e.peakMb} MB`);
        });

        // The next month's run of the same accounts, with Slack commands arriving meanwhile.
        if (n === biggest) await step('Slack during a big run', async () => {
          const nextExpected = await expectedOutcome(db, data, data.nextPeriod);
          slack = await measureSlackDuringRun({
            databaseUrl: url,
            configuration: data.configuration,
            period: data.nextPeriod,
            account: `${data.tag}-0000003`,
            commands: SLACK_COMMANDS,
            familiesPerBatch: FAMILIES_PER_BATCH,
            workers: WORKERS,
          });
          bigRunDuringSlack = { problems: await checkRun(db, slack.run, nextExpected, { preview: false }) };
          log(`Slack acks during a ${n} run: p50 ${fmt(slack.p50Ms, 1)} ms, p99 ${fmt(slack.p99Ms, 1)} ms (run ${fmt(slack.runSeconds)} s)`);
        });
      } finally {
        await db.destroy();
      }
    }

    if (!BENCH_STEPS_ONLY) await step(`import of ${IMPORT_ROWS} + ${IMPORT_ROWS} rows`, async () => {
      const file = path.join(os.tmpdir(), `billbot-bench-setup-${process.pid}.xlsx`);
      files.push(file);
      await writeSetupWorkbook(file, IMPORT_ROWS);
      const { url, db } = await createDatabase(server.adminUrl, 'import');
      await db.destroy();
      const i = await runChild<{ applied: boolean }>({ kind: 'import', file }, url);
      importFigures = { rows: IMPORT_ROWS, seconds: i.seconds, peakMb: i.peakMb, applied: i.result.applied, detail: i.result };
      log(`import of ${IMPORT_ROWS} + ${IMPORT_ROWS} rows: ${fmt(i.seconds)} s, ${i.peakMb} MB, applied ${i.result.applied}`);
    });

    if (wants('pdfs')) await step('zip of invoice PDFs', () => pdfZip.run((label) => createDatabase(server.adminUrl, label), log));
    if (wants('payments')) await step('payments import', async () => {
      payments = await measurePayments((label, template) => createDatabase(server.adminUrl, label, template), log);
    });
    if (wants('userpath')) await step('user path', async () => {
      const fresh = async (label: string) => {
        const made = await createDatabase(server.adminUrl, label);
        return { ...made, drop: () => dropDatabase(server.adminUrl, made.name) };
      };
      userPath = await measureUserPath(USER_SIZES, fresh, log, { slackCommands: SLACK_COMMANDS, passes: USER_PASSES });
    });
    if (wants('receivables')) await step('receivables', async () => {
      receivables = await measureReceivables((label) => createDatabase(server.adminUrl, label), log);
    });
  } finally {
    await dropDatabases(server.adminUrl).catch((e) => log(`could not drop the bench databases: ${e.message}`));
    await server.stop();
    for (const f of files) await fs.rm(f, { force: true });
  }

  // ---- targets
  const targets: Target[] = [];
  const add = (figure: string, value: string, target: string, met: boolean) => targets.push({ figure, value, target, met });
  const byN = new Map(runs.map((r) => [r.accounts, r]));
  const big = byN.get(100_000);
  const small = byN.get(10_000);
  if (big) {
    add('bill run, 100,000 accounts', `${fmt(big.seconds)} s`, '<= 10 s', big.seconds <= 10);
    add('bill run / floor, 100,000 accounts', `${fmt(big.ratioToFloor, 1)} x`, '<= 4 x', big.ratioToFloor <= 4);
  }
  if (parallel) {
    add(`bill run ${parallel.accounts}, workers: 1 (not the default): invoices and totals right`, parallel.correct ? 'yes' : parallel.problems.join('; '), 'yes', parallel.correct);
  }
  if (small) add('bill run, 10,000 accounts', `${fmt(small.seconds)} s`, '<= 1.5 s', small.seconds <= 1.5);
  for (let i = 1; i < runs.length; i++) {
    const a = runs[i - 1];
    const b = runs[i];
    // Doubling N must not more than double the time: time per account must not grow.
    const growth = b.seconds / b.accounts / (a.seconds / a.accounts);
    add(`scaling ${a.accounts} -> ${b.accounts} (time per account)`, `${fmt(growth)} x`, '<= 1.00 x', growth <= 1);
  }
  for (const f of startup) {
    if (f.targetMs !== null) add(`${f.command}, median of fresh processes`, `${fmt(f.medianMs, 0)} ms`, `<= ${f.targetMs} ms`, f.medianMs <= f.targetMs);
  }
  targets.push(...userPathTargets(userPath), ...pdfZip.targets(), ...paymentsTargets(payments));
  if (receivables) targets.push(...receivablesTargets(receivables));
  for (const f of failures) add(`${f.step} ran`, f.error, 'ran', false);
  for (const r of runs) add(`bill run ${r.accounts}: invoices and totals right`, r.correct ? 'yes' : r.problems.join('; '), 'yes', r.correct);
  if (preview) {
    add(`preview, ${preview.accounts} accounts`, `${fmt(preview.seconds)} s`, '<= 5 s', preview.seconds <= 5);
    add('preview wrote nothing and matched the run', preview.correct ? 'yes' : preview.problems.join('; '), 'yes', preview.correct);
  }
  if (importFigures) {
    add(`import ${importFigures.rows} + ${importFigures.rows} rows, time`, `${fmt(importFigures.seconds)} s`, '<= 10 s', importFigures.seconds <= 10);
    add(`import ${importFigures.rows} + ${importFigures.rows} rows, peak memory`, `${importFigures.peakMb} MB`, '<= 400 MB', importFigures.peakMb <= 400);
    add('import applied', importFigures.applied ? 'yes' : JSON.stringify(importFigures.detail), 'yes', importFigures.applied);
  }
  if (exportFigures) {
    add(`export ${exportFigures.invoices} invoices, time`, `${fmt(exportFigures.seconds)} s`, '<= 10 s', exportFigures.seconds <= 10);
    add(`export ${exportFigures.invoices} invoices, peak memory`, `${exportFigures.peakMb} MB`, '<= 300 MB', exportFigures.peakMb <= 300);
  }
  if (slack) {
    add(`Slack ack p99 (${slack.commands} commands, ${slack.concurrency} at a time, during a big run)`, `${fmt(slack.p99Ms, 1)} ms`, '<= 250 ms', slack.p99Ms <= 250);
    const fine = slack.ok === slack.commands && slack.duringRun && (bigRunDuringSlack?.problems.length ?? 0) === 0;
    add('Slack: all acknowledged (200) during the run, and that run right', fine ? 'yes' : `ok ${slack.ok}, during run ${slack.duringRun}, ${bigRunDuringSlack?.problems.join('; ')}`, 'yes', fine);
  }

  const loadAfter = loadAverage();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: pgVersion + (process.env.DATABASE_URL ? ' (DATABASE_URL)' : ' (embedded, fsync on)'),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
  };

  const out: string[] = [];
  out.push(`billbot benchmark, ${started.toISOString()}`);
  out.push(`machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, Postgres ${machine.postgres}`);
  out.push(`load average (1/5/15 min) before ${loadBefore}, after ${loadAfter}`);
  out.push('');
  if (runs.length) out.push(
    table([
      ['bill run', 'accounts', 'seconds', 'accounts/s', 'peak MB', 'batches', 'invoices', 'charges', 'floor s', 'run/floor', 'right'],
      ...runs.map((r) => [
        '',
        String(r.accounts),
        fmt(r.seconds),
        fmt(r.accountsPerSecond, 0),
        String(r.peakMb),
        String(r.batches),
        String(r.invoices),
        String(r.charges),
        fmt(r.floorSeconds),
        fmt(r.ratioToFloor, 1),
        r.correct ? 'yes' : 'NO',
      ]),
    ]),
  );
  out.push('');
  const other: string[][] = [['step', 'seconds', 'peak MB', 'detail']];
  if (parallel) other.push([`bill run of ${parallel.accounts}, 1 worker (not the default)`, fmt(parallel.seconds), String(parallel.peakMb), `${parallel.batches} batches, ${parallel.correct ? 'right' : 'WRONG'}`]);
  if (preview) other.push([`preview of ${preview.accounts}`, fmt(preview.seconds), String(preview.peakMb), preview.wroteNothing ? 'wrote nothing' : 'WROTE SOMETHING']);
  if (slack) other.push([`bill run of ${biggestOf(runs)} during Slack`, fmt(slack.runSeconds), '', `acks p50 ${fmt(slack.p50Ms, 1)} ms, p99 ${fmt(slack.p99Ms, 1)} ms, max ${fmt(slack.maxMs, 1)} ms (no run: p50 ${fmt(slack.idleP50Ms, 1)}, p99 ${fmt(slack.idleP99Ms, 1)})`]);
  if (importFigures) other.push([`import ${importFigures.rows} + ${importFigures.rows}`, fmt(importFigures.seconds), String(importFigures.peakMb), importFigures.applied ? 'applied' : 'NOT APPLIED']);
  if (payments) other.push(paymentsRow(payments));
  if (exportFigures) other.push([`export ${exportFigures.invoices} invoices`, fmt(exportFigures.seconds), String(exportFigures.peakMb), `${exportFigures.transactions} transactions`]);
  other.push(...pdfZip.rows());
  if (other.length > 1) out.push(table(other), '');
  if (userPath.length) {
    out.push(table(userPathRows(userPath)));
    out.push(...userPathExportLines(userPath), '');
  }
  if (receivables) out.push(table(receivablesRows(receivables)), '');
  if (startup.length) {
    out.push(table([['startup (fresh processes)', 'median ms', 'slowest ms', 'target ms'], ...startup.map((f) => [f.what, fmt(f.medianMs, 0), fmt(f.maxMs, 0), f.targetMs === null ? '' : `<= ${f.targetMs}`])]));
    out.push('');
  }
  out.push(table([['target', 'value', 'target', 'met'], ...targets.map((t) => [t.figure, t.value, t.target, t.met ? 'yes' : 'NO'])]));
  process.stdout.write(`${out.join('\n')}\n`);

  const json = {
    date: started.toISOString(),
    command: 'npm run bench',
    settings: { sizes: SIZES, importRows: IMPORT_ROWS, exportInvoices: EXPORT_INVOICES, slackCommands: SLACK_COMMANDS, userSizes: USER_SIZES, userPasses: USER_PASSES, familiesPerBatch: FAMILIES_PER_BATCH ?? 'default', workers: WORKERS ?? 'default' },
    machine,
    runs,
    preview,
    parallel,
    slack: slack ? { ...slack, runProblems: bigRunDuringSlack?.problems ?? [] } : undefined,
    import: importFigures,
    payments,
    export: exportFigures,
    startup,
    userPath,
    pdfs: pdfZip.figures,
    receivables,
    failures,
    targets,
    allMet: targets.every((t) => t.met),
  };
  await fs.writeFile(JSON_FILE, `${JSON.stringify(json, null, 2)}\n`);
  process.stderr.write(`figures written to ${path.relative(process.cwd(), JSON_FILE)}\n`);
}

function biggestOf(runs: RunFigures[]): number {
  return Math.max(...runs.map((r) => r.accounts));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
