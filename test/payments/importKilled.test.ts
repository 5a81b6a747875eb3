import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { ledgerSnapshot, ledgerViolations } from '../credits/fixtures';
import { useTestDatabase } from '../helpers/db';
import { tempPath } from '../sheets/helpers';
import { payer, paymentsWorkbook, seedPayers } from './importFixtures';

const WORKER = path.join(__dirname, 'fixtures', 'importWorker.ts');
const APP = 'billbot-payments-import';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A payments import whose process is killed in the middle (SIGKILL: no handler runs, the
 * connection just drops), at two points: after every row is staged and checked, waiting for the
 * accounts' locks before the write; and with every payment, application and balance written,
 * waiting to ANALYZE before the commit. Either way nothing of it is left; the same file then
 * imports whole, and again changes nothing.
 */
describe('a payments import whose process is killed', () => {
  const t = useTestDatabase();
  const N = 1000;
  const ROWS = 5000;
  let file: string;

  beforeAll(async () => {
    await seedPayers(t.db, N);
    file = await tempPath();
    await fs.writeFile(file, await paymentsWorkbook(Array.from({ length: ROWS }, (_, k) => ['2026-10-05', payer(k % N), '55.50', 'wire', `W-${k}`, null])));
  }, 120_000);

  function start() {
    const url = new URL(t.url);
    url.searchParams.set('application_name', APP);
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), WORKER], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, BILLBOT_FIXTURE_DATABASE_URL: url.toString(), BILLBOT_FIXTURE_FILE: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? String(code))));
    return { child, exited, output: () => output };
  }

  /** Waits until the worker's session waits for a lock in a statement that starts with `statement`. */
  async function waitForBlocked(statement: string): Promise<void> {
    for (let i = 0; i < 1200; i++) {
      const { rows } = await t.db.raw(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock' AND ltrim(query, E' \n\t') ILIKE ?`,
        [APP, `${statement}%`],
      );
      if (rows[0].n > 0) return;
      await sleep(50);
    }
    throw new Error(`The import never waited in ${statement}.`);
  }

  async function sessionsGone(): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const { rows } = await t.db.raw(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ?`, [APP]);
      if (rows[0].n === 0) return;
      await sleep(50);
    }
    throw new Error("The killed worker's sessions did not end.");
  }

  /** Runs the worker while `hold` keeps a lock open in another transaction, and kills it once it waits in `statement`. */
  async function killWhileBlocked(hold: (trx: Knex.Transaction) => Promise<unknown>, statement: string): Promise<void> {
    const trx = await t.db.transaction();
    try {
      await hold(trx);
      const worker = start();
      await waitForBlocked(statement);
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe('SIGKILL');
    } finally {
      await trx.rollback();
    }
    await sessionsGone();
  }

  it('leaves nothing when killed before or during the write, then imports whole once', async () => {
    const before = await ledgerSnapshot(t.db);

    // Staged and checked; waiting for an account's lock (someone recording a payment on it).
    await killWhileBlocked((trx) => trx('accounts').where('name', payer(7)).forUpdate().first('id'), 'SELECT count(*) FROM (SELECT id FROM accounts');
    expect(await ledgerSnapshot(t.db)).toBe(before);

    // Every row written; waiting for the statistics of the payments table before the commit.
    await killWhileBlocked((trx) => trx.raw('LOCK TABLE payments IN SHARE UPDATE EXCLUSIVE MODE'), 'SET LOCAL default_statistics_target');
    expect(await ledgerSnapshot(t.db)).toBe(before);
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 0 });

    const whole = start();
    expect(await whole.exited).toBe('0');
    expect(JSON.parse(whole.output())).toEqual({ applied: true, payments: ROWS, totalProblems: 0 });
    expect(await ledgerViolations(t.db)).toEqual([]);
    const after = await ledgerSnapshot(t.db);

    const again = start();
    expect(await again.exited).toBe('0');
    expect(JSON.parse(again.output())).toEqual({ applied: false, payments: 0, totalProblems: 0 });
    expect(await ledgerSnapshot(t.db)).toBe(after);
  }, 180_000);
});
