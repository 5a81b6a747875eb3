import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Knex } from 'knex';
import { ledgerViolations } from '../credits/fixtures';
import { createTestDatabase, useTestDatabase } from '../helpers/db';
import { chargeCounts } from '../scheduler/helpers';
import { jobOutcome, runJob } from './fixtures/billingJob';
import { setUpJob } from './fixtures/jobSetup';
import { randomSource } from './random';

// The process doing a day's billing is SIGKILLed at random moments, 20 times in a row; each
// restart runs the same job again. Once a restart finishes, everything must have been billed
// once, invoice numbers must be gapless, the ledger must hold, and the outcome must be the
// same as the same job run once without interruption.

const WORKER = path.join(__dirname, 'fixtures', 'killableWorker.ts');
const FAMILIES = 36;
const KILLS = 20;
const APP = 'billbot-killed';

async function count(db: Knex, sql: string, bindings: unknown[] = []): Promise<number> {
  const { rows } = await db.raw(sql, bindings as any);
  return Number(rows[0].n);
}

/** Units of work committed so far: batches billed and credits added. */
const progress = (db: Knex) =>
  count(db, `SELECT (SELECT count(*) FROM bill_run_batches WHERE done) + (SELECT count(*) FROM credits) AS n`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a bill run whose process is killed again and again', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    await setUpJob(t.db, FAMILIES);
  });

  it('after restarts, bills everything once, numbers invoices without gaps and keeps the ledger', async () => {
    const random = randomSource();
    const url = new URL(t.url);
    url.searchParams.set('application_name', APP);
    const start = () => {
      const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), WORKER], {
        cwd: path.join(__dirname, '..', '..'),
        env: { ...process.env, BILLBOT_FIXTURE_DATABASE_URL: url.toString(), BILLBOT_FIXTURE_FAMILIES: String(FAMILIES) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? String(code))));
      return { child, exited, output: () => output };
    };

    const killedMidRun: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const worker = start();
      const before = await progress(t.db);
      // Most kills wait for 1-6 more units of work, then a few milliseconds (inside the next
      // batch's transaction, between batches, between a commit and its next statement); the
      // others fall at a random time after the start, before any work or during start-up.
      const byProgress = random() < 0.75;
      const target = before + 1 + Math.floor(random() * 6);
      const deadline = Date.now() + 15_000;
      if (byProgress) {
        while ((await progress(t.db)) < target && worker.child.exitCode === null && Date.now() < deadline) await sleep(3);
        await sleep(Math.floor(random() * 15));
      } else {
        await sleep(Math.floor(random() * 600));
      }
      if (worker.child.exitCode !== null) {
        // The whole job got done before this kill (rare: the job is sized for about twice the
        // work 20 kills let through). Fine, as long as most kills happened.
        if (worker.child.exitCode !== 0) throw new Error(`The worker failed (seed ${random.seed}):\n${worker.output()}`);
        expect(kill).toBeGreaterThan(KILLS * 0.75);
        break;
      }
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe('SIGKILL');
      // Postgres ends the dead process's sessions (rolling back what it had not committed).
      for (let i = 0; (await count(t.db, 'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ?', [APP])) > 0; i++) {
        if (i > 500) throw new Error('The killed worker\'s database sessions did not end.');
        await sleep(10);
      }
      if ((await count(t.db, `SELECT count(*) AS n FROM bill_runs WHERE status = 'running'`)) > 0) killedMidRun.push(kill);
      // The ledger holds at every point a crash can leave it in.
      expect(await ledgerViolations(t.db)).toEqual([]);
    }

    // The restart that is left alone finishes the job.
    const last = start();
    expect(await last.exited).toBe('0');
    expect(last.output()).toContain('job done');

    // Many kills fell inside a bill run (not all: some land while credits are added or during start-up).
    expect(killedMidRun.length).toBeGreaterThanOrEqual(KILLS / 4);

    // Billed once: one charge per service and period, one invoice per family per month, gapless numbers.
    expect(await count(t.db, `SELECT count(*) AS n FROM bill_runs WHERE status = 'completed'`)).toBe(3);
    expect(await count(t.db, `SELECT count(*) AS n FROM bill_runs`)).toBe(3);
    const charges = await chargeCounts(t.db);
    expect(charges).toHaveLength(FAMILIES * 2 * 3);
    expect(charges.filter((c) => c.n !== 1)).toEqual([]);
    expect(await count(t.db, 'SELECT count(*) AS n FROM invoices')).toBe(FAMILIES * 3);
    const numbers = (await t.db('invoices').orderBy('number').pluck('number')).map(Number);
    expect(numbers).toEqual(Array.from({ length: FAMILIES * 3 }, (_, i) => i + 1));
    expect(await ledgerViolations(t.db)).toEqual([]);

    // The same outcome as the job run once, undisturbed, on the same starting data.
    const reference = await createTestDatabase();
    try {
      await setUpJob(reference.db, FAMILIES);
      await runJob(reference.db, FAMILIES);
      expect(await jobOutcome(t.db)).toEqual(await jobOutcome(reference.db));
    } finally {
      await reference.drop();
    }
  }, 120_000);
});
