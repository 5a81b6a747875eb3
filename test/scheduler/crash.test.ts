import { ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Knex } from 'knex';
import { createBilling } from '../../billing';
import { invoicesWorkbook as workbook, ManualClock } from '../../bot/scheduler';
import { useTestDatabase } from '../helpers/db';
import { checkCall } from '../helpers/slackLimits';
import {
  chargeCounts,
  createFamilies,
  fakeSlackApi,
  memoryLogger,
  reportBlocks,
  scheduleCountsFrom,
  sheetRows,
  stopSchedulers,
  testScheduler,
  uploadedFile,
} from './helpers';

const FIXTURE = path.join(__dirname, 'fixtures', 'scheduledRunToKill.ts');
const CHILD_APP = 'billbot-doomed';

/** The Slack Web API as the killed process sees it: a small HTTP server on 127.0.0.1 that records each call. */
async function localSlackApi(): Promise<{ server: Server; url: string; calls: { method: string; body: Record<string, string> }[] }> {
  const calls: { method: string; body: Record<string, string> }[] = [];
  let posted = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '');
      const body = Object.fromEntries(new URLSearchParams(raw));
      calls.push({ method, body });
      res.setHeader('content-type', 'application/json');
      const refusal = checkCall(method, body);
      if (refusal) {
        res.end(JSON.stringify({ ok: false, error: refusal.error }));
        return;
      }
      if (method === 'chat.postMessage') {
        posted += 1;
        res.end(JSON.stringify({ ok: true, channel: 'C0DOOMED', ts: `1790000001.00000${posted}` }));
      } else {
        res.end(JSON.stringify({ ok: true }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, calls };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function count(db: Knex, sql: string, bindings: readonly unknown[] = []): Promise<number> {
  const { rows } = await db.raw(sql, bindings as any);
  return Number(rows[0].n);
}

describe('a scheduled run whose process is killed half way', () => {
  const t = useTestDatabase();
  let child: ChildProcess | undefined;
  let slackServer: Server | undefined;

  beforeAll(async () => {
    await createFamilies(t.db, { prefix: 'Family', count: 12, nextBillDate: '2026-10-05' });
    await createBilling(t.db).createConfiguration({ name: 'Nightly', schedule: '0 2 * * *', timeZone: 'UTC', reportChannel: '#billing' });
    await scheduleCountsFrom(t.db, 'Nightly', '2026-10-01T00:00:00Z');
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stopSchedulers();
    await new Promise((resolve) => (slackServer ? slackServer.close(resolve) : resolve(undefined)));
  });

  it('is finished by the next start: every account billed exactly once, one report posted once', async () => {
    const local = await localSlackApi();
    slackServer = local.server;

    // Hold Family 06's row: the child bills a batch (one family) at a time on each of two
    // connections (billing's default); the one that claims batch 6 waits inside its transaction,
    // the other bills the rest.
    const blocker = await t.db.transaction();
    await blocker.raw(`SELECT id FROM accounts WHERE name = 'Family 06' FOR UPDATE`);

    const url = new URL(t.url);
    url.searchParams.set('application_name', CHILD_APP);
    child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), FIXTURE], {
      cwd: path.join(__dirname, '..', '..'),
      env: {
        ...process.env,
        BILLBOT_FIXTURE_DATABASE_URL: url.toString(),
        BILLBOT_FIXTURE_SLACK_URL: local.url,
        BILLBOT_FIXTURE_START: '2026-10-01T01:59:00Z',
        BILLBOT_FIXTURE_FIRE_AT: '2026-10-01T02:00:00Z',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child?.on('exit', (code, signal) => resolve(signal ?? code)));

    try {
      await waitFor('eleven batches done and the sixth waiting on its lock', async () => {
        if (child?.exitCode !== null) throw new Error(`The child process ended early:\n${output}`);
        const done = await count(t.db, 'SELECT count(*) AS n FROM bill_run_batches WHERE done');
        const waiting = await count(
          t.db,
          `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'`,
          [CHILD_APP],
        );
        // ...and the eleventh batch's progress has reached Slack.
        const updates = local.calls.filter((c) => c.method === 'chat.update').length;
        return done === 11 && waiting === 1 && updates === 11;
      }, 30_000);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      await blocker.rollback();
    }
    // Its database sessions end (the one in batch 6 rolls back) once postgres notices the dead client.
    await waitFor('the killed process to leave the database', async () =>
      (await count(t.db, 'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ?', [CHILD_APP])) === 0,
    );

    // What the crash left: a running run, 11 of 12 batches billed (not Family 06), its start posted once.
    const [run] = await t.db('bill_runs').select('id', 'status');
    expect(run.status).toBe('running');
    expect(await count(t.db, 'SELECT count(*) AS n FROM bill_run_batches WHERE done')).toBe(11);
    expect(await count(t.db, 'SELECT count(*) AS n FROM invoices')).toBe(11);
    expect(await count(t.db, `SELECT count(*) AS n FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE a.name = 'Family 06'`)).toBe(0);
    expect(local.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    // It showed its progress after each batch (no throttling in the fixture) in that message:
    // one update per batch, counting up to the eleven done (two batches that finish together
    // may show the same count, and the accounts are counted a moment after the batches).
    const progress = local.calls.filter((c) => c.method === 'chat.update');
    expect(progress.every((c) => c.body.channel === 'C0DOOMED' && c.body.ts === '1790000001.000001')).toBe(true);
    const shown = progress.map((c) => /Progress: (\d+) of 12 batches done · (\d+) accounts? billed so far/.exec(reportBlocks(c.body))?.slice(1).map(Number));
    expect(shown).toHaveLength(11);
    // The one-line text says the same.
    expect(progress.map((c) => /: (\d+) of 12 batches done, (\d+) accounts? billed so far\.$/.exec(c.body.text)?.slice(1).map(Number))).toEqual(shown);
    const countsUp = (i: number) => i === 0 || (shown[i]![0] >= shown[i - 1]![0] && shown[i]![1] >= shown[i - 1]![1]);
    expect(shown.every((p, i) => p !== undefined && p[1] >= p[0] && countsUp(i))).toBe(true);
    expect(shown.at(-1)).toEqual([11, 11]);
    expect(await t.db('bill_run_reports').where('bill_run_id', run.id).first()).toMatchObject({
      destination_id: 'C0DOOMED',
      message_id: '1790000001.000001',
      final_status: null,
    });
    expect(output).not.toContain('finished');

    // The next start, a few minutes later.
    const slack = fakeSlackApi();
    try {
      const logger = memoryLogger();
      const scheduler = testScheduler(t.db, new ManualClock('2026-10-01T02:07:00Z'), { reporter: slack.reporter(), workbook, logger });
      await scheduler.start();
      await scheduler.idle();
      expect(logger.lines).toContain(`info Resuming bill run #${run.id} (running).`);

      // Finished, nothing twice: one run, one fire, one charge per service, one invoice per family.
      expect(await t.db('bill_runs').select('id', 'status')).toEqual([{ id: run.id, status: 'completed' }]);
      expect(await count(t.db, 'SELECT count(*) AS n FROM scheduled_fires')).toBe(1);
      const charges = await chargeCounts(t.db);
      expect(charges).toHaveLength(24);
      expect(charges.filter((c) => c.n !== 1)).toEqual([]);
      expect(new Set(charges.map((c) => c.account)).size).toBe(12);
      expect(
        await count(t.db, `SELECT count(*) AS n FROM (SELECT account_id FROM invoices GROUP BY account_id HAVING count(*) = 1) x`),
      ).toBe(12);
      expect(await count(t.db, `SELECT count(*) AS n FROM account_packages WHERE next_bill_date = '2026-11-05'`)).toBe(12);

      // One report: the killed process's message, updated by the next start; never posted again.
      expect(slack.of('chat.postMessage').filter((c) => !c.body.thread_ts)).toEqual([]);
      // Its 12 invoices are more than the message shows: the lists follow once in its thread.
      expect(slack.of('chat.postMessage').map((c) => [c.body.thread_ts, c.body.text])).toEqual([['1790000001.000001', `The lists of bill run #${run.id}`]]);
      expect(reportBlocks(slack.of('chat.postMessage')[0].body)).toContain('*Invoices created (12)*');
      expect(local.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
      const end = slack.of('chat.update').at(-1)!;
      expect(end.body).toMatchObject({ channel: 'C0DOOMED', ts: '1790000001.000001' });
      expect(end.body.text).toMatch(new RegExp(`^Bill run #${run.id} completed: Nightly, .*: 12 invoices, total \\$1,680\\.00, 12 accounts billed, 0 skipped\\.$`));
      expect(reportBlocks(end.body)).toContain(`Completed bill run #${run.id} of *Nightly*`);
      expect(reportBlocks(end.body)).toContain('Accounts billed: 12 ·');
      expect(reportBlocks(end.body)).toContain('Invoices created: 12 · amount invoiced: $1,680.00 USD');
      expect(slack.of('files.completeUploadExternal').map((c) => c.body.thread_ts)).toEqual(['1790000001.000001']);
      expect((await sheetRows(uploadedFile(slack.uploads[0]), 'Invoices')).length).toBe(1 + 12);
      expect(slack.unmatched).toEqual([]);

      // Another start finds nothing to do.
      const calls = slack.calls.length;
      const again = testScheduler(t.db, new ManualClock('2026-10-01T02:09:00Z'), { reporter: slack.reporter(), workbook });
      await again.start();
      await again.idle();
      expect(slack.calls.length).toBe(calls);
      expect(await count(t.db, 'SELECT count(*) AS n FROM bill_runs')).toBe(1);
    } finally {
      slack.done();
    }
  }, 90_000);
});
