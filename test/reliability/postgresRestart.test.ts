import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Knex } from 'knex';
import { createBilling } from '../../billing';
import { createDb } from '../../billing/db';
import { migrateLatest } from '../../billing/migrate';
import { ensureDatabase, withDatabase } from '../../bot/database';
import { ManualClock } from '../../bot/scheduler';
import { SlackRunReporter } from '../../bot/slack/runReporter';
import { ledgerViolations } from '../credits/fixtures';
import { memoryLogger, reportBlocks, stopSchedulers, testScheduler } from '../scheduler/helpers';
import { jobOutcome } from './fixtures/billingJob';
import { setUpJob } from './fixtures/jobSetup';
import { startSlackServer, type SlackServer } from './slackServer';

// Postgres stops in the middle of a bill run and starts again. The jest server is shared by
// every test file, so this test runs a server of its own in a child process
// (fixtures/pgServer.ts) and stops that one.

const FAMILIES = 10;
const SWEEP_MS = 60_000;

/** The child process that owns the server, driven line by line. */
class PgServer {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(): Promise<{ server: PgServer; url: string }> {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'fixtures', 'pgServer.ts')], {
      cwd: path.join(__dirname, '..', '..'),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (d) => (errors += d));
    const server = new PgServer(child);
    const first = await server.next(60_000);
    if (!first.startsWith('{')) throw new Error(`The Postgres fixture did not start: ${first} ${errors}`);
    return { server, url: JSON.parse(first).url as string };
  }

  private async next(timeoutMs = 30_000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const line = await Promise.race([
        this.lines.next(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('The Postgres fixture did not answer in time.')), timeoutMs);
        }),
      ]);
      if (line.done) throw new Error('The Postgres fixture ended.');
      return line.value;
    } finally {
      clearTimeout(timer);
    }
  }

  async send(command: 'stop' | 'start'): Promise<void> {
    this.child.stdin.write(`${command}\n`);
    const answer = await this.next();
    if (answer !== `${command === 'stop' ? 'stopped' : 'started'}`) throw new Error(`Postgres fixture: ${answer}`);
  }

  async quit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function count(db: Knex, sql: string): Promise<number> {
  return Number((await db.raw(sql)).rows[0].n);
}

describe('Postgres stopped in the middle of a bill run', () => {
  let pg: PgServer | undefined;
  let adminUrl = '';
  const pools: Knex[] = [];
  let slack: SlackServer | undefined;

  beforeAll(async () => {
    ({ server: pg, url: adminUrl } = await PgServer.start());
  }, 90_000);
  afterAll(async () => {
    await stopSchedulers();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
    await slack?.close();
    await pg?.quit();
  }, 30_000);

  async function database(name: string): Promise<Knex> {
    await ensureDatabase(adminUrl, name);
    const db = createDb(withDatabase(adminUrl, name), { poolMax: 4 });
    pools.push(db);
    await migrateLatest(db);
    await setUpJob(db, FAMILIES);
    await createBilling(db).createConfiguration({ name: 'Nightly', billGroups: ['Default'], reportChannel: '#billing' });
    return db;
  }

  it('fails cleanly, says so in Slack, and resumes to the same result as an undisturbed run', async () => {
    // knex prints the refused connections of the outage with console.log.
    const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const db = await database('billbot');
    const reference = await database('reference');
    slack = await startSlackServer();
    const clock = new ManualClock('2026-10-06T09:00:00Z');
    const logger = memoryLogger();
    const scheduler = testScheduler(db, clock, {
      reporter: SlackRunReporter.withToken('xoxb-reliability', { slackApiUrl: slack.url, retryConfig: { retries: 0 } }),
      familiesPerBatch: 1,
      sweepIntervalMs: SWEEP_MS,
      logger,
    });
    await scheduler.start();

    // Hold one family's row so that the run stops inside batch 5 with the other nine committed
    // (two batches at once, billing's default: the second worker bills the rest meanwhile).
    const blocker = await db.transaction();
    await blocker.raw(`SELECT id FROM accounts WHERE name = 'Fam 05' FOR UPDATE`);
    const started = await scheduler.runNow('Nightly', { startedBy: 'U_OPS', from: '2026-09-01', to: '2026-09-30' });
    if (started.preview) throw new Error('not a preview');
    const observer = createDb(withDatabase(adminUrl, 'billbot'), { poolMax: 1 });
    pools.push(observer);
    await waitFor('nine batches done and the fifth waiting on its lock', async () =>
      (await count(observer, 'SELECT count(*) AS n FROM bill_run_batches WHERE done')) === FAMILIES - 1 &&
      (await count(observer, `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'billbot'`)) === 1,
    );

    // Postgres stops (a fast shutdown ends every session, the blocked batch rolls back).
    await pg!.send('stop');
    await blocker.rollback().catch(() => undefined);
    await expect(started.finished).rejects.toThrow();

    // It said so in Slack, in the run's message: one message, never a second one.
    expect(slack.channel()).toHaveLength(1);
    const [stopped] = slack.channel();
    expect(stopped.text).toContain(`Bill run #${started.runId} of *Nightly* stopped: the database could not be reached`);
    expect(stopped.text).not.toContain('\n');
    expect(reportBlocks(stopped)).toContain('resumes by itself once the database is back');
    expect(reportBlocks(stopped)).not.toMatch(/postgres:\/\/|password|SELECT|UPDATE /i);
    expect(logger.lines.some((l) => l.startsWith(`error Bill run #${started.runId} failed:`))).toBe(true);

    // Postgres is back. Nothing half done was committed: nine families billed, the ledger holds.
    await pg!.send('start');
    expect(await count(db, `SELECT count(*) AS n FROM bill_run_batches WHERE done`)).toBe(FAMILIES - 1);
    expect(await count(db, `SELECT count(*) AS n FROM invoices`)).toBe(FAMILIES - 1);
    expect(await db('invoices').join('accounts', 'accounts.id', 'invoices.account_id').where('accounts.name', 'Fam 05').first('invoices.id')).toBeUndefined();
    expect(await ledgerViolations(db)).toEqual([]);

    // The next sweep resumes the run and shows its end in the same message.
    await clock.advance(SWEEP_MS);
    await scheduler.idle();
    expect(logger.lines).toContain(`info Resuming bill run #${started.runId} (running).`);
    expect(await db('bill_runs').where('id', started.runId).first('status')).toEqual({ status: 'completed' });
    expect(slack.of('chat.postMessage').filter((r) => r.outcome === 'ok' && !r.body.thread_ts)).toHaveLength(1);
    expect(slack.of('chat.postMessage').filter((r) => r.body.thread_ts).map((r) => r.body.text)).toEqual([`The lists of bill run #${started.runId}`]);
    const [finished] = slack.channel();
    expect(finished.ts).toBe(stopped.ts);
    expect(finished.text).toMatch(new RegExp(`^Bill run #${started.runId} completed: Nightly, [\\d-]+ to [\\d-]+: ${FAMILIES} invoices, total `));
    expect(reportBlocks(finished)).toContain(`Completed bill run #${started.runId} of *Nightly*`);
    expect(reportBlocks(finished)).toContain(`Invoices created: ${FAMILIES}`);

    // The same result as the same run, undisturbed, on the same data.
    const undisturbed = await createBilling(reference, clock).bill({ configuration: 'Nightly', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_OPS' }, { familiesPerBatch: 1 });
    expect(undisturbed.run.status).toBe('completed');
    const outcome = async (d: Knex) => {
      const { runs, ...rest } = await jobOutcome(d);
      return { ...rest, runs: runs.map((r: any) => ({ ...r, request_key: null })) };
    };
    expect(await outcome(db)).toEqual(await outcome(reference));
    expect(await ledgerViolations(db)).toEqual([]);
    quiet.mockRestore();
  }, 90_000);
});
