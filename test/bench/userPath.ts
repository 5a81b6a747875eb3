/**
 * The user's own path (`npm run bench`, section "user path"; alone: `BENCH_STEPS=userpath npm
 * run bench`). The other sections seed rows straight into the tables and run VACUUM ANALYZE and
 * CHECKPOINT before measuring; no user does that. Here, for each N of BENCH_USER_SIZES
 * (default 100000,200000,400000, and 1000000 with BENCH_MILLION=1), in a new, empty, migrated
 * database with no maintenance of any kind between the steps (no ANALYZE, VACUUM, CHECKPOINT):
 *   1. a setup workbook of N accounts and N account packages is written (./workbook.ts, with
 *      a configuration over all its bill groups; every package is due once in October 2026);
 *   2. `billbot import <file>`;
 *   3. `billbot bill --config <it> --from <start> --to <end> --preview`, with every table's
 *      rows, the next invoice number and the next bill dates taken before and after it (data.ts's
 *      fingerprint): it must report the run's invoices and charges and change nothing;
 *   4. `billbot bill --config <it> --from <start> --to <end>`;
 *   5. `billbot export invoices <file> --run <the run>`: the run's invoices and their
 *      transactions; the file is read back (./xlsxSheets.ts): every row, on sheets continued
 *      past Excel's rows ("Transactions 2", ...);
 *   each a fresh process of the compiled CLI (bin/billbot.js), DATABASE_URL in its environment,
 *   measured for wall time and peak memory (maxRSS, written by the preload ./maxrss.cjs at its
 *   exit);
 *   6. the bare floor of the run: its transactions and invoices copied by plain INSERT ...
 *      SELECT, and as many account packages' next bill dates moved by a plain UPDATE, into
 *      tables with a primary key only, in one committed transaction (timed to its commit);
 *      the tables are dropped afterwards;
 *   7. November's run of the same accounts by the CLI, while the Slack app (bot/slack, HTTP
 *      receiver, signatures checked, in a process of its own: ./slack.ts) answers signed slash
 *      commands spread over the first half of the run; each acknowledgement is timed.
 * A step that fails (a refused import, say) is reported with its sentence, and the rest of
 * that N is skipped. The runs' invoices and charges, the preview's and the export's are checked
 * against what the workbook's construction says they must be. BENCH_USER_STEPS=import stops
 * each N after step 2 (the import's time and peak memory only). BENCH_USER_PASSES=k goes over
 * every N k times, steps 2-4 and 6 in the passes after the first, each N in a new database again;
 * the figures over the passes: ./userPathPasses.ts. The output: ./userPathReport.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { EXPORT_SHEETS } from '../../sheets/limits';
import { buildIfStale } from '../setup/build';
import { fingerprint } from './data';
import { measureAcksDuring } from './slack';
import type { StepFigure, UserPathFigures } from './userPathFigures';
import { bestOfPasses } from './userPathPasses';
import { ALL_GROUPS_CONFIGURATION, NEXT_PERIOD, SETUP_PERIOD, nextMonthExpectation, userPathExpectation, writeSetupWorkbook } from './workbook';
import { expectedSheets, readSheetRows, type SheetRows } from './xlsxSheets';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'billbot.js');
const PRELOAD = path.join(__dirname, 'maxrss.cjs');

export type { StepFigure, UserPathFigures };

export const USER_SIZES = userSizes(process.env.BENCH_USER_SIZES, process.env.BENCH_MILLION === '1');
/** BENCH_USER_STEPS=import: the import alone (its time and peak memory), no run or export. */
const IMPORT_ONLY = process.env.BENCH_USER_STEPS === 'import';

function userSizes(text: string | undefined, million: boolean): number[] {
  const given = text ? text.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0) : [];
  const sizes = given.length ? given : [100_000, 200_000, 400_000];
  if (million && !sizes.includes(1_000_000)) sizes.push(1_000_000);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  peakMb: number;
}

/** One fresh `node bin/billbot.js <args> --json` process on `databaseUrl` (in its environment). */
async function billbot(args: string[], databaseUrl: string, cwd: string): Promise<Cli> {
  const rssFile = path.join(cwd, `maxrss-${randomBytes(4).toString('hex')}`);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, BENCH_MAXRSS_FILE: rssFile, LOG_LEVEL: 'warn' };
  for (const key of Object.keys(env)) if (key.startsWith('SLACK_') || key.startsWith('BILLBOT_') || key === 'NODE_OPTIONS') delete env[key];
  const started = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', PRELOAD, BIN, ...args, '--json'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (c, signal) => resolve({ code: c ?? (signal ? 128 : 1), stdout: out, stderr: err }));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kb = Number(await fs.readFile(rssFile, 'utf8').catch(() => 'NaN'));
  await fs.rm(rssFile, { force: true });
  return { code, stdout, stderr, seconds, peakMb: Math.round(kb / 1024) };
}

/** The sentence a failed CLI step gave: its stderr, else what its JSON says went wrong. */
function why(r: Cli): string {
  const text = r.stderr.trim();
  if (text) return `exit ${r.code}: ${text.split('\n').slice(-3).join(' | ')}`;
  try {
    const o = JSON.parse(r.stdout);
    const problems = o?.result?.problems;
    if (Array.isArray(problems) && problems.length) return `exit ${r.code}: ${o.result.totalProblems} problem(s), first: ${JSON.stringify(problems[0])}`;
  } catch {
    // not JSON
  }
  return `exit ${r.code}: ${r.stdout.trim().slice(0, 300)}`;
}

/**
 * The bare floor of run `runId`: its rows written by plain statements into tables with a
 * primary key only (created and, for the account packages, filled beforehand, untimed); the
 * three statements and the commit are timed; the tables are dropped afterwards.
 */
export async function measureBareFloor(db: Knex, runId: number): Promise<NonNullable<UserPathFigures['floor']>> {
  const tables = ['floor_transactions', 'floor_invoices', 'floor_account_packages'];
  try {
    await db.raw('CREATE TABLE floor_transactions (LIKE transactions)');
    await db.raw('ALTER TABLE floor_transactions ADD PRIMARY KEY (id)');
    await db.raw('CREATE TABLE floor_invoices (LIKE invoices)');
    await db.raw('ALTER TABLE floor_invoices ADD PRIMARY KEY (id)');
    await db.raw('CREATE TABLE floor_account_packages AS SELECT * FROM account_packages');
    await db.raw('ALTER TABLE floor_account_packages ADD PRIMARY KEY (id)');
    const started = process.hrtime.bigint();
    const counts = await db.transaction(async (trx) => {
      const t = await trx.raw('INSERT INTO floor_transactions SELECT * FROM transactions WHERE bill_run_id = ?', [runId]);
      const i = await trx.raw('INSERT INTO floor_invoices SELECT * FROM invoices WHERE bill_run_id = ?', [runId]);
      const a = await trx.raw(
        `UPDATE floor_account_packages f SET next_bill_date = f.next_bill_date + 31
         FROM (SELECT DISTINCT account_package_id AS id FROM transactions WHERE bill_run_id = ? AND account_package_id IS NOT NULL) b
         WHERE f.id = b.id`,
        [runId],
      );
      return { transactions: t.rowCount ?? 0, invoices: i.rowCount ?? 0, accountPackages: a.rowCount ?? 0 };
    });
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, ...counts };
  } finally {
    for (const table of tables) await db.raw(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** What the steps of one N share. */
interface Ctx {
  n: number;
  url: string;
  db: Knex;
  folder: string;
  /** The setup workbook of N accounts (step 1). */
  workbook: string;
  figures: UserPathFigures;
  options: Required<UserPathOptions>;
  log: (m: string) => void;
  cli: (args: string[]) => Promise<Cli>;
}

/** A step of one N: resolves with what failed (the steps after it are skipped), or nothing. */
type Step = (c: Ctx) => Promise<{ step: string; error: string } | undefined>;

const billArgs = (period: { start: string; end: string }) => ['bill', '--config', ALL_GROUPS_CONFIGURATION, '--from', period.start, '--to', period.end];

const importStep: Step = async ({ n, cli, figures, log, workbook }) => {
  const imported = await cli(['import', workbook]);
  figures.import = { seconds: imported.seconds, peakMb: imported.peakMb };
  log(`user path ${n}: import ${imported.seconds.toFixed(2)} s, ${imported.peakMb} MB, exit ${imported.code}`);
  return imported.code === 0 ? undefined : { step: 'import', error: why(imported) };
};

/** The preview of the run, in its own process, before it: what it reports, and that the database is as it was. */
const previewStep: Step = async ({ n, cli, db, figures, log }) => {
  const before = await fingerprint(db);
  const previewed = await cli([...billArgs(SETUP_PERIOD), '--preview']);
  const after = await fingerprint(db);
  log(`user path ${n}: preview ${previewed.seconds.toFixed(2)} s, ${previewed.peakMb} MB, exit ${previewed.code}`);
  if (previewed.code !== 0) return { step: 'preview', error: why(previewed) };
  const report = JSON.parse(previewed.stdout).report;
  const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
  figures.preview = {
    seconds: previewed.seconds,
    peakMb: previewed.peakMb,
    invoices: Number(report.totals.invoicesCreated),
    charges: Number(report.totals.charges),
    wroteNothing: changed.length === 0,
  };
  if (report.preview !== true) figures.problems.push('preview: the report is not a preview');
  if (changed.length) figures.problems.push(`preview: wrote to ${changed.map((k) => `${k} (${before[k]} -> ${after[k]})`).join(', ')}`);
  if (figures.preview.invoices !== figures.expected.invoices) figures.problems.push(`preview: ${figures.preview.invoices} invoices, expected ${figures.expected.invoices}`);
  if (figures.preview.charges !== figures.expected.charges) figures.problems.push(`preview: ${figures.preview.charges} charges, expected ${figures.expected.charges}`);
  return undefined;
};

const runStep: Step = async ({ n, cli, db, figures, log }) => {
  const billed = await cli(billArgs(SETUP_PERIOD));
  if (billed.code !== 0) {
    log(`user path ${n}: bill run ${billed.seconds.toFixed(2)} s, ${billed.peakMb} MB, exit ${billed.code}`);
    return { step: 'bill run', error: why(billed) };
  }
  const report = JSON.parse(billed.stdout).report;
  const run = { runId: Number(report.run.id), invoices: Number(report.totals.invoicesCreated), charges: Number(report.totals.charges) };
  const { rows: [d] } = await db.raw('SELECT extract(epoch FROM finished_at - started_at) AS s FROM bill_runs WHERE id = ?', [run.runId]);
  figures.run = { seconds: billed.seconds, peakMb: billed.peakMb, ...run, runSeconds: Number(d.s) };
  log(`user path ${n}: bill run ${billed.seconds.toFixed(2)} s (the run itself ${figures.run.runSeconds.toFixed(2)} s), ${billed.peakMb} MB`);
  if (report.run.status !== 'completed') figures.problems.push(`run status ${report.run.status}`);
  if (run.invoices !== figures.expected.invoices) figures.problems.push(`run: ${run.invoices} invoices, expected ${figures.expected.invoices}`);
  if (run.charges !== figures.expected.charges) figures.problems.push(`run: ${run.charges} charges, expected ${figures.expected.charges}`);
  return undefined;
};

/** The export of the run's invoices and their transactions; the file read back: every row, sheets continued past Excel's rows. */
const exportStep: Step = async ({ n, cli, db, folder, figures, log }) => {
  const run = figures.run!;
  const file = path.join(folder, `invoices-${n}.xlsx`);
  const exported = await cli(['export', 'invoices', file, '--run', String(run.runId)]);
  log(`user path ${n}: export ${exported.seconds.toFixed(2)} s, ${exported.peakMb} MB, exit ${exported.code}`);
  if (exported.code !== 0) return { step: 'export', error: why(exported) };
  const rows = JSON.parse(exported.stdout).rows as { invoices: number; transactions: number };
  const { rows: [t] } = await db.raw('SELECT count(*) AS n FROM transactions WHERE bill_run_id = ?', [run.runId]);
  const sheets = await readSheetRows(file);
  await fs.rm(file, { force: true });
  figures.export = { seconds: exported.seconds, peakMb: exported.peakMb, invoices: rows.invoices, transactions: rows.transactions, sheets };
  if (rows.invoices !== run.invoices) figures.problems.push(`export: ${rows.invoices} invoices, the run made ${run.invoices}`);
  if (rows.transactions !== Number(t.n)) figures.problems.push(`export: ${rows.transactions} transactions, the run wrote ${t.n}`);
  const expected = [...expectedSheets('Invoices', run.invoices, EXPORT_SHEETS.maxDataRows), ...expectedSheets('Transactions', Number(t.n), EXPORT_SHEETS.maxDataRows)];
  const show = (list: SheetRows[]) => list.map((x) => `${x.name}: ${x.rows}`).join(', ');
  if (show(sheets) !== show(expected)) figures.problems.push(`export file: sheets ${show(sheets)}; expected ${show(expected)}`);
  return undefined;
};

/** The bare floor, and what the run wrote counted in the database. */
const floorStep: Step = async ({ n, db, figures, log }) => {
  const run = figures.run!;
  figures.floor = await measureBareFloor(db, run.runId);
  figures.ratioToFloor = run.seconds / figures.floor.seconds;
  log(`user path ${n}: floor ${figures.floor.seconds.toFixed(2)} s (${figures.floor.transactions} transactions, ${figures.floor.invoices} invoices, ${figures.floor.accountPackages} account packages); run/floor ${figures.ratioToFloor.toFixed(1)}`);
  const { rows: [c] } = await db.raw(
    `SELECT (SELECT count(*) FROM invoices WHERE bill_run_id = :run) AS invoices,
            (SELECT count(*) FROM transactions WHERE bill_run_id = :run AND kind = 'charge') AS charges,
            (SELECT count(*) FROM account_packages WHERE next_bill_date > :end::date) AS moved`,
    { run: run.runId, end: SETUP_PERIOD.end },
  );
  if (Number(c.invoices) !== figures.expected.invoices) figures.problems.push(`database: ${c.invoices} invoices of the run, expected ${figures.expected.invoices}`);
  if (Number(c.charges) !== figures.expected.charges) figures.problems.push(`database: ${c.charges} charges of the run, expected ${figures.expected.charges}`);
  if (Number(c.moved) !== n) figures.problems.push(`database: ${c.moved} next bill dates moved, expected ${n}`);
  if (figures.preview && (figures.preview.invoices !== run.invoices || figures.preview.charges !== run.charges)) {
    figures.problems.push(`preview: ${figures.preview.invoices} invoices and ${figures.preview.charges} charges, the run ${run.invoices} and ${run.charges}`);
  }
  return undefined;
};

/**
 * Slack commands the app answers during the next month's run: help, and two reads of the
 * database (the first account's credits: none; its invoices: October's, at least), each with a
 * text its reply must contain.
 */
export function userPathCommands(count: number): { command: string; text: string; answers: string }[] {
  const mix = [
    { command: '/billing', text: 'help', answers: 'writes nothing' },
    { command: '/credit', text: 'list Import 0000001', answers: 'Import 0000001 has no credits.' },
    { command: '/billing', text: 'invoices Import 0000001', answers: '*INV-' },
  ];
  return Array.from({ length: count }, (_, i) => mix[i % mix.length]);
}

/**
 * The next month's run by the CLI, while the Slack app (another process) answers signed slash
 * commands spread over the first half of the run (half of the first run's own time, from its
 * start to its end in the database).
 */
const slackStep: Step = async ({ n, url, db, cli, figures, options, log }) => {
  const run = () => db('bill_runs').where({ period_start: NEXT_PERIOD.start }).whereNotNull('started_at').first('id', db.raw('extract(epoch from finished_at) * 1000 AS finished'));
  const { latency, result: billed } = await measureAcksDuring({
    databaseUrl: url,
    commands: userPathCommands(options.slackCommands),
    concurrency: options.slackConcurrency,
    windowMs: (figures.run!.runSeconds * 1000) / 2,
    startRun: () => cli(billArgs(NEXT_PERIOD)),
    runStarted: async () => (await run()) !== undefined,
    runEndedAt: async () => {
      const finished = (await run())?.finished;
      return finished == null ? null : Number(finished);
    },
  });
  log(`user path ${n}: next month's run ${billed.seconds.toFixed(2)} s, exit ${billed.code}; Slack acks p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, max ${latency.maxMs.toFixed(1)} ms, last ${latency.lastAckSeconds.toFixed(2)} s into the ${latency.runSeconds.toFixed(2)} s run`);
  if (billed.code !== 0) return { step: "next month's run", error: why(billed) };
  const report = JSON.parse(billed.stdout).report;
  const expected = nextMonthExpectation(n);
  const made = { invoices: Number(report.totals.invoicesCreated), charges: Number(report.totals.charges) };
  figures.slack = { ...latency, run: { seconds: billed.seconds, peakMb: billed.peakMb, ...made } };
  if (made.invoices !== expected.invoices || made.charges !== expected.charges) {
    figures.problems.push(`next month's run: ${made.invoices} invoices and ${made.charges} charges, expected ${expected.invoices} and ${expected.charges}`);
  }
  if (latency.ok !== latency.commands || latency.replies !== latency.commands) figures.problems.push(`Slack: ${latency.ok} acknowledged and ${latency.replies} answered of ${latency.commands} sent`);
  if (latency.wrongAnswers) figures.problems.push(`Slack: ${latency.wrongAnswers} replies were not the answer, the first: ${latency.firstWrongAnswer}`);
  return undefined;
};

/**
 * Step 1: the setup workbook of N accounts, written into the run's folder; or, with
 * BENCH_WORKBOOKS=<folder>, written there once and used again by later runs (the same N gives
 * the same workbook; writing the 1,000,000 one takes about 6 minutes, and is not measured).
 */
async function workbookFor(n: number, folder: string): Promise<string> {
  const kept = process.env.BENCH_WORKBOOKS;
  const file = path.join(kept || folder, `setup-${n}.xlsx`);
  if (kept && (await fs.stat(file).catch(() => null))) return file;
  if (kept) await fs.mkdir(kept, { recursive: true });
  const partial = `${file}.partial`;
  await writeSetupWorkbook(partial, n, { allGroups: true });
  await fs.rename(partial, file);
  return file;
}

/** A new, empty, migrated database, and how to drop it. */
type FreshDatabase = { url: string; db: Knex; drop: () => Promise<void> };

/**
 * Steps 1-7 for one N; `fresh` makes the new, empty, migrated database, dropped once its steps
 * are done: left behind, its autovacuum (of the tables the two runs wrote) and the server's
 * writing of its pages ran during the next N's import (a 400,000 import on the diagnostic
 * server: 36.2 and 38.0 s alone, 45.8 s right after a 200,000 import and two runs in another
 * database, 41.0 s when that database was dropped first). Within one N nothing is maintained.
 */
async function oneSize(n: number, fresh: () => Promise<FreshDatabase>, log: (m: string) => void, options: Required<UserPathOptions>, steps: Step[]): Promise<UserPathFigures> {
  const folder = path.join(os.tmpdir(), `billbot-bench-userpath-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(folder);
  const figures: UserPathFigures = { accounts: n, workbookMb: 0, expected: userPathExpectation(n), problems: [] };
  const fail = (step: string, error: string) => {
    figures.failed = { step, error };
    log(`user path ${n}: ${step} FAILED: ${error}`);
    return figures;
  };
  try {
    const workbook = await workbookFor(n, folder);
    figures.workbookMb = Math.round(((await fs.stat(workbook)).size / 2 ** 20) * 10) / 10;
    const { url, db, drop } = await fresh();
    try {
      const ctx: Ctx = { n, url, db, folder, workbook, figures, options, log, cli: (args) => billbot(args, url, folder) };
      for (const step of steps) {
        const failed = await step(ctx);
        if (failed) return fail(failed.step, failed.error);
      }
      if (figures.problems.length) log(`user path ${n}: PROBLEMS: ${figures.problems.join('; ')}`);
      return figures;
    } finally {
      await db.destroy();
      await drop().catch((e: Error) => log(`user path ${n}: could not drop its database: ${e.message}`));
    }
  } catch (error) {
    return fail('user path', error instanceof Error ? error.message : String(error));
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

export interface UserPathOptions {
  /** Slack commands sent during the next month's run (BENCH_SLACK_COMMANDS, default 200), this many at a time (20). */
  slackCommands?: number;
  slackConcurrency?: number;
  /**
   * Passes over every N (BENCH_USER_PASSES, default 1): the first measures every step, each later
   * one the steps the doubling targets compare (import, preview, run and its floor), each N in a
   * new database again; the figures over them are ./userPathPasses.ts's.
   */
  passes?: number;
}

/** Every N of `sizes`, each in a database of its own made by `fresh(label)`. */
export async function measureUserPath(
  sizes: number[],
  fresh: (label: string) => Promise<FreshDatabase>,
  log: (m: string) => void,
  options: UserPathOptions = {},
): Promise<UserPathFigures[]> {
  await buildIfStale();
  const all = { slackCommands: options.slackCommands ?? 200, slackConcurrency: options.slackConcurrency ?? 20, passes: options.passes ?? 1 };
  const byPass: UserPathFigures[][] = [];
  for (let pass = 1; pass <= all.passes; pass++) {
    const steps = IMPORT_ONLY ? [importStep] : pass === 1 ? [importStep, previewStep, runStep, exportStep, floorStep, slackStep] : [importStep, previewStep, runStep, floorStep];
    const say = pass === 1 ? log : (m: string) => log(`pass ${pass}: ${m}`);
    const out: UserPathFigures[] = [];
    for (const n of sizes) out.push(await oneSize(n, () => fresh(pass === 1 ? `user${n}` : `user${n}_${pass}`), say, all, steps));
    byPass.push(out);
  }
  return sizes.map((_, i) => bestOfPasses(byPass.map((p) => p[i])));
}
