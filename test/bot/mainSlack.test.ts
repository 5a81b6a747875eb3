import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createBilling } from '../../billing';
import { todayIn } from '../../billing/dates';
import { npmStartCommand } from '../helpers/start';
import { useTestDatabase } from '../helpers/db';
import { createFamilies, reportBlocks, scheduleCountsFrom } from '../scheduler/helpers';
import { checkCall } from '../helpers/slackLimits';

const ROOT = path.resolve(__dirname, '../..');

jest.setTimeout(120_000);

interface Call {
  method: string;
  fields: Record<string, string>;
}

function bodyOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Slack's Web API on a loopback port: every call recorded, each answered as Slack would. */
async function fakeSlackServer(): Promise<{ server: Server; url: string; calls: Call[]; uploads: number[] }> {
  const calls: Call[] = [];
  const uploads: number[] = [];
  let ts = 0;
  const server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    const reply = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.url?.startsWith('/upload/')) {
      uploads.push(body.length);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
      return;
    }
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const text = body.toString('utf8');
    const fields: Record<string, string> = text.startsWith('{') ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
    calls.push({ method, fields });
    const port = (server.address() as AddressInfo).port;
    const refusal = checkCall(method, fields);
    if (refusal) return reply({ ok: false, error: refusal.error });
    switch (method) {
      case 'auth.test':
        return reply({ ok: true, url: 'https://t.slack.com/', team: 'T', user: 'billbot', team_id: 'T0TEST', user_id: 'U0BOT', bot_id: 'B0BOT' });
      case 'chat.postMessage':
        ts += 1;
        return reply({ ok: true, channel: 'C0REPORT', ts: `1790000000.${String(ts).padStart(6, '0')}` });
      case 'chat.update':
        return reply({ ok: true, channel: fields.channel, ts: fields.ts });
      case 'files.getUploadURLExternal':
        return reply({ ok: true, upload_url: `http://127.0.0.1:${port}/upload/F1`, file_id: 'F1' });
      case 'files.completeUploadExternal':
        return reply({ ok: true, files: [{ id: 'F1' }] });
      default:
        return reply({ ok: false, error: 'unknown_method' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`, calls, uploads };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start with Slack settings', () => {
  const t = useTestDatabase();

  it('starts one scheduler with the app, reports scheduled runs in Slack with their workbook, and stops it on SIGTERM before the database', async () => {
    const billing = createBilling(t.db);
    const today = todayIn('UTC', new Date());
    await createFamilies(t.db, { prefix: 'Live', count: 1, nextBillDate: `${today.slice(0, 8)}01` });
    // Every second (croner reads six fields as seconds first), counted from now.
    await billing.createConfiguration({ name: 'Every Second', schedule: '* * * * * *', reportChannel: '#billing' });
    await scheduleCountsFrom(t.db, 'Every Second', new Date().toISOString());

    const slack = await fakeSlackServer();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SLACK_'))) as Record<string, string>;
    const child = spawn(npmStartCommand().file, npmStartCommand().args, {
      cwd: ROOT,
      env: {
        ...env,
        DATABASE_URL: t.url,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_SIGNING_SECRET: 'test-signing-secret-0123456789',
        SLACK_API_URL: slack.url,
        PORT: String(await freePort()),
        LOG_LEVEL: 'info',
      },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await until(() => /billbot scheduler: Started \(1 scheduled configuration\(s\)\)/.test(stderr), 'the scheduler to start');
      // The first fire bills Live 01 Child; its report ends with the invoices workbook in the thread.
      await until(() => slack.calls.some((c) => c.method === 'files.completeUploadExternal'), 'the workbook to be attached');
      const first = slack.calls.find((c) => c.method === 'chat.postMessage');
      expect(first?.fields).toMatchObject({ channel: '#billing' });
      expect(first?.fields.text).toMatch(/^Bill run #\d+ started: Every Second, /);
      expect(reportBlocks(first!.fields)).toMatch(/^:hourglass_flowing_sand: Started bill run #\d+ of \*Every Second\*\./);
      const ends = slack.calls.filter((c) => c.method === 'chat.update' && /^Bill run #\d+ completed: Every Second, .*: 1 invoice /.test(c.fields.text));
      expect(ends.some((c) => /^:white_check_mark: Completed bill run #\d+ of \*Every Second\*/.test(reportBlocks(c.fields)))).toBe(true);
      expect(slack.uploads.length).toBeGreaterThan(0);
      // Then the run history chart, with its figures as alt text (npm start wires the chart in).
      const isChart = (c: Call) => c.method === 'files.getUploadURLExternal' && /\.png$/.test(c.fields.filename);
      // Each run's report attaches its own chart; a later run's may be uploaded first (they render side by side).
      const billedRunChart = /^Bar chart of the bill runs of Every Second: .*this run\): 1 invoice, \$140\.00 USD\./;
      await until(() => slack.calls.some(isChart), 'a chart to be attached');
      expect(slack.calls.find(isChart)?.fields.alt_txt).toMatch(/^Bar chart of the bill runs of Every Second: /);
      await until(() => slack.calls.some((c) => isChart(c) && billedRunChart.test(c.fields.alt_txt)), 'the billing run\'s chart to be attached');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    slack.server.close();
    expect(stderr).toContain('billbot: SIGTERM received, stopping');
    expect(stderr).not.toContain('xoxb-test-token');
    expect(stderr + stdout).not.toMatch(/Could not|failed:/);
    // Stopped before the database: no run was left unfinished.
    const statuses = await t.db('bill_runs').distinct('status').pluck('status');
    expect(statuses).toEqual(['completed']);
    const unreported = await t.db('bill_run_reports').whereNull('final_status').count('* as n').first();
    expect(Number(unreported?.n)).toBe(0);
  });
});
