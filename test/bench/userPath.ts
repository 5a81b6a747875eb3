/**
 * The user's own path (`npm run bench`, section "user path"; alone: `BENCH_STEPS=userpath npm
 * run bench`). The other sections seed rows straight into the tables and run VACUUM ANALYZE and
 * CHECKPOINT before measuring; no user does that. Here, for each N of BENCH_USER_SIZES
 * (default 100000,200000,400000, and 1000000 with BENCH_MILLION=1), in a new, empty, migrated
 * database with no maintenance of any kind between the steps (no ANALYZE, VACUUM, CHECKPOINT):
 *   1. a setup workbook of N accounts and N account packages is written (./workbook.ts, with
 *      a configuration over all its bill groups; every package is due once in October 2026);
 *   2. `billbot import <file>`, 3. `billbot bill --config <it> --from <start> --to <end>`,
 *   4. `billbot export invoices <file> --run <the run>`: each a fresh process of the compiled
 *      CLI (bin/billbot.js), DATABASE_URL in its environment, measured for wall time and peak
 *      memory (maxRSS, written by the preload ./maxrss.cjs at its exit);
 *   5. the bare floor of the run: its transactions and invoices copied by plain INSERT ...
 *      SELECT, and as many account packages' next bill dates moved by a plain UPDATE, into
 *      tables with a primary key only, in one committed transaction (timed to its commit);
 *      the tables are dropped afterwards.
 * A step that fails (a refused import, say) is reported with its sentence, and the rest of
 * that N is skipped. The run's invoices and charges and the export's invoices are checked
 * against what the workbook's construction says they must be. BENCH_USER_STEPS=import stops
 * each N after step 2 (the import's time and peak memory only).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { buildIfStale } from '../setup/build';
import { ALL_GROUPS_CONFIGURATION, SETUP_PERIOD, userPathExpectation, writeSetupWorkbook } from './workbook';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'billbot.js');
const PRELOAD = path.join(__dirname, 'maxrss.cjs');

export const USER_SIZES = userSizes(process.env.BENCH_USER_SIZES, process.env.BENCH_MILLION === '1');
/** BENCH_USER_STEPS=import: the import alone (its time and peak memory), no run or export. */
const IMPORT_ONLY = process.env.BENCH_USER_STEPS === 'import';

function userSizes(text: string | undefined, million: boolean): number[] {
  const given = text ? text.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0) : [];
  const sizes = given.length ? given : [100_000, 200_000, 400_000];
  if (million && !sizes.includes(1_000_000)) sizes.push(1_000_000);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export interface StepFigure {
  seconds: number;
  /** Peak resident memory of the process, MB (NaN when the preload could not report it). */
  peakMb: number;
}

export interface UserPathFigures {
  accounts: number;
  /** Size of the setup workbook, MB. */
  workbookMb: number;
  expected: { invoices: number; charges: number; accountPackages: number };
  import?: StepFigure;
  run?: StepFigure & { runId: number; invoices: number; charges: number };
  export?: StepFigure & { invoices: number; transactions: number };
  floor?: { seconds: number; transactions: number; invoices: number; accountPackages: number };
  /** Run seconds over floor seconds. */
  ratioToFloor?: number;
  /** The step that failed and its sentence; the steps after it were skipped. */
  failed?: { step: string; error: string };
  /** Results that differ from the workbook's construction. */
  problems: string[];
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

/** Steps 1-5 for one N; `fresh` makes the new, empty, migrated database. */
async function oneSize(n: number, fresh: () => Promise<{ url: string; db: Knex }>, log: (m: string) => void): Promise<UserPathFigures> {
  const folder = path.join(os.tmpdir(), `billbot-bench-userpath-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(folder);
  const workbook = path.join(folder, `setup-${n}.xlsx`);
  const invoicesFile = path.join(folder, `invoices-${n}.xlsx`);
  const figures: UserPathFigures = { accounts: n, workbookMb: 0, expected: userPathExpectation(n), problems: [] };
  const fail = (step: string, error: string) => {
    figures.failed = { step, error };
    log(`user path ${n}: ${step} FAILED: ${error}`);
    return figures;
  };
  try {
    await writeSetupWorkbook(workbook, n, { allGroups: true });
    figures.workbookMb = Math.round(((await fs.stat(workbook)).size / 2 ** 20) * 10) / 10;
    const { url, db } = await fresh();
    try {
      const imported = await billbot(['import', workbook], url, folder);
      figures.import = { seconds: imported.seconds, peakMb: imported.peakMb };
      log(`user path ${n}: import ${imported.seconds.toFixed(2)} s, ${imported.peakMb} MB, exit ${imported.code}`);
      if (imported.code !== 0) return fail('import', why(imported));
      if (IMPORT_ONLY) return figures;

      const billed = await billbot(['bill', '--config', ALL_GROUPS_CONFIGURATION, '--from', SETUP_PERIOD.start, '--to', SETUP_PERIOD.end], url, folder);
      log(`user path ${n}: bill run ${billed.seconds.toFixed(2)} s, ${billed.peakMb} MB, exit ${billed.code}`);
      if (billed.code !== 0) return fail('bill run', why(billed));
      const report = JSON.parse(billed.stdout).report;
      const run = { runId: Number(report.run.id), invoices: Number(report.totals.invoicesCreated), charges: Number(report.totals.charges) };
      figures.run = { seconds: billed.seconds, peakMb: billed.peakMb, ...run };
      if (report.run.status !== 'completed') figures.problems.push(`run status ${report.run.status}`);
      if (run.invoices !== figures.expected.invoices) figures.problems.push(`run: ${run.invoices} invoices, expected ${figures.expected.invoices}`);
      if (run.charges !== figures.expected.charges) figures.problems.push(`run: ${run.charges} charges, expected ${figures.expected.charges}`);

      const exported = await billbot(['export', 'invoices', invoicesFile, '--run', String(run.runId)], url, folder);
      log(`user path ${n}: export ${exported.seconds.toFixed(2)} s, ${exported.peakMb} MB, exit ${exported.code}`);
      if (exported.code !== 0) return fail('export', why(exported));
      const rows = JSON.parse(exported.stdout).rows as { invoices: number; transactions: number };
      figures.export = { seconds: exported.seconds, peakMb: exported.peakMb, invoices: rows.invoices, transactions: rows.transactions };
      if (rows.invoices !== run.invoices) figures.problems.push(`export: ${rows.invoices} invoices, the run made ${run.invoices}`);

      figures.floor = await measureBareFloor(db, run.runId);
      figures.ratioToFloor = billed.seconds / figures.floor.seconds;
      log(`user path ${n}: floor ${figures.floor.seconds.toFixed(2)} s (${figures.floor.transactions} transactions, ${figures.floor.invoices} invoices, ${figures.floor.accountPackages} account packages); run/floor ${figures.ratioToFloor.toFixed(1)}`);
      // What the run wrote, counted in the database.
      const { rows: [c] } = await db.raw(
        `SELECT (SELECT count(*) FROM invoices WHERE bill_run_id = :run) AS invoices,
                (SELECT count(*) FROM transactions WHERE bill_run_id = :run AND kind = 'charge') AS charges,
                (SELECT count(*) FROM account_packages WHERE next_bill_date > :end::date) AS moved`,
        { run: run.runId, end: SETUP_PERIOD.end },
      );
      if (Number(c.invoices) !== figures.expected.invoices) figures.problems.push(`database: ${c.invoices} invoices of the run, expected ${figures.expected.invoices}`);
      if (Number(c.charges) !== figures.expected.charges) figures.problems.push(`database: ${c.charges} charges of the run, expected ${figures.expected.charges}`);
      if (Number(c.moved) !== n) figures.problems.push(`database: ${c.moved} next bill dates moved, expected ${n}`);
      if (figures.problems.length) log(`user path ${n}: PROBLEMS: ${figures.problems.join('; ')}`);
      return figures;
    } finally {
      await db.destroy();
    }
  } catch (error) {
    return fail('user path', error instanceof Error ? error.message : String(error));
  } finally {
    await fs.rm(folder, { recursive: true, force: true });
  }
}

/** Every N of `sizes`, each in a database of its own made by `fresh(label)`. */
export async function measureUserPath(
  sizes: number[],
  fresh: (label: string) => Promise<{ url: string; db: Knex }>,
  log: (m: string) => void,
): Promise<UserPathFigures[]> {
  await buildIfStale();
  const out: UserPathFigures[] = [];
  for (const n of sizes) out.push(await oneSize(n, () => fresh(`user${n}`), log));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output

export interface UserPathTarget {
  figure: string;
  value: string;
  target: string;
  met: boolean;
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '-' : Number.isFinite(n) ? n.toFixed(digits) : String(n));
const sMb = (s?: StepFigure) => (s ? `${fmt(s.seconds)} / ${s.peakMb}` : '-');

/** The rows of the section's table (the first is the header). */
export function userPathRows(figures: UserPathFigures[]): string[][] {
  return [
    ['user path', 'N', 'import s/MB', 'run s/MB', 'export s/MB', 'floor s', 'run/floor', 'right'],
    ...figures.map((f) => [
      '',
      String(f.accounts),
      sMb(f.import),
      sMb(f.run),
      sMb(f.export),
      fmt(f.floor?.seconds),
      fmt(f.ratioToFloor, 1),
      f.failed ? `${f.failed.step} FAILED` : f.problems.length ? 'NO' : 'yes',
    ]),
  ];
}

/** The section's targets, each against its value; a figure that was not measured is a target not met. */
export function userPathTargets(figures: UserPathFigures[]): UserPathTarget[] {
  const targets: UserPathTarget[] = [];
  const add = (figure: string, value: string, target: string, met: boolean) => targets.push({ figure, value, target, met });
  const missing = (f: UserPathFigures | undefined, step: string) =>
    !f ? 'not measured' : f.failed ? `not measured (${f.failed.step} of ${f.accounts} failed)` : `not measured (${step})`;

  for (const f of figures) {
    const right = !f.failed && f.problems.length === 0;
    add(`user path ${f.accounts}: import applied, run and export complete and right`, right ? 'yes' : f.failed ? `${f.failed.step}: ${f.failed.error}` : f.problems.join('; '), 'yes', right);
  }
  const at = (n: number) => figures.find((f) => f.accounts === n);
  const hundred = at(100_000);
  if (hundred) {
    const r = hundred.ratioToFloor;
    add('user path 100,000: run / bare floor', r === undefined ? missing(hundred, 'floor') : `${fmt(r, 1)} x`, '<= 4 x', r !== undefined && r <= 4);
  }
  // Each doubling of N: at most 2.1 x the time (for another step in N, 2.1 per doubling: 400k -> 1M, 2.1^log2(2.5)).
  for (let i = 1; i < figures.length; i++) {
    const a = figures[i - 1];
    const b = figures[i];
    const bound = 2.1 ** Math.log2(b.accounts / a.accounts);
    for (const step of ['run', 'import'] as const) {
      const x = a[step];
      const y = b[step];
      const measured = x && y && !(step === 'import' && (a.failed?.step === 'import' || b.failed?.step === 'import'));
      add(
        `user path ${step} time, ${a.accounts} -> ${b.accounts}`,
        measured ? `${fmt(y.seconds / x.seconds)} x` : missing(!x ? a : b, step),
        `<= ${fmt(bound)} x`,
        Boolean(measured && y.seconds / x.seconds <= bound),
      );
    }
  }
  const million = at(1_000_000);
  if (million) {
    const limits: [string, StepFigure | undefined, number, number][] = [
      ['run', million.run, Infinity, 500],
      ['import', million.failed?.step === 'import' ? undefined : million.import, 120, 600],
      ['export', million.export, 90, 500],
    ];
    const r = million.ratioToFloor;
    add('user path 1,000,000: run / bare floor', r === undefined ? missing(million, 'floor') : `${fmt(r, 1)} x`, '<= 4 x', r !== undefined && r <= 4);
    for (const [step, s, seconds, mb] of limits) {
      if (Number.isFinite(seconds)) add(`user path 1,000,000: ${step} time`, s ? `${fmt(s.seconds)} s` : missing(million, step), `<= ${seconds} s`, Boolean(s && s.seconds <= seconds));
      add(`user path 1,000,000: ${step} peak memory`, s ? `${s.peakMb} MB` : missing(million, step), `<= ${mb} MB`, Boolean(s && s.peakMb <= mb));
    }
  }
  return targets;
}
