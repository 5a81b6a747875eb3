import { createBilling } from '../../billing';
import { ManualClock } from '../../bot/scheduler';
import { SlackRunReporter } from '../../bot/slack/runReporter';
import { createSlackApp, type SlackApp } from '../../bot/slack/app';
import { useTestDatabase } from '../helpers/db';
import { ADMIN, CHANNEL, CLOCK, memoryLogger as slackLogger, postSigned, settle, SIGNING_SECRET, slashBody } from '../bot/slack/helpers';
import { createFamilies, memoryLogger, reportBlocks, stopSchedulers, testScheduler } from '../scheduler/helpers';
import { startSlackServer, type SlackServer } from './slackServer';

// Slack's Web API answering 429 (with Retry-After), 500, or not answering at all: a notice is
// delayed, never lost, never posted twice. Slack is a real HTTP server on 127.0.0.1 here, so
// the real WebClient's timeouts and retries are what is tested. A request that failed had no
// effect in Slack (a refused or unprocessed request); see the README's Guarantees for the
// one case no client can tell apart.

const FAST_RETRIES = { retries: 2, factor: 1, minTimeout: 20, maxTimeout: 20 };
const TIMEOUT_MS = 300;
const SWEEP_MS = 60_000;

describe('run reports when Slack is rate limited, failing or silent', () => {
  const t = useTestDatabase();
  let slack: SlackServer;

  beforeAll(async () => {
    await createFamilies(t.db, { prefix: 'Fault', count: 3, nextBillDate: '2026-09-05' });
    await createBilling(t.db).createConfiguration({ name: 'Nightly', billGroups: ['Default'], reportChannel: '#billing' });
  });
  beforeEach(async () => {
    slack = await startSlackServer();
    // The Web API client logs each retry on the console.
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await stopSchedulers();
    await slack.close();
    jest.restoreAllMocks();
  });

  function scheduler(clock: ManualClock, logger = memoryLogger()) {
    return testScheduler(t.db, clock, {
      reporter: SlackRunReporter.withToken('xoxb-faults', { slackApiUrl: slack.url, retryConfig: FAST_RETRIES, timeoutMs: TIMEOUT_MS }),
      progressIntervalMs: 3_600_000,
      sweepIntervalMs: SWEEP_MS,
      logger,
    });
  }

  async function run(s: ReturnType<typeof scheduler>, month: string) {
    const started = await s.runNow('Nightly', { startedBy: 'U_OPS', from: `${month}-01`, to: `${month}-28` });
    if (started.preview) throw new Error('not a preview');
    const report = await started.finished;
    expect(report.run.status).toBe('completed');
    return started.runId;
  }

  it('waits out a 429 and retries a 500 and a request that timed out: each notice shown once', async () => {
    const s = scheduler(new ManualClock('2026-10-06T09:00:00Z'));
    await s.start();
    slack.fail('chat.postMessage', { kind: 'rate limited', retryAfterSeconds: 1 });
    slack.fail('chat.update', { kind: 'server error' }, { kind: 'no answer' });
    const began = Date.now();
    const runId = await run(s, '2026-09');
    await s.idle();

    expect(Date.now() - began).toBeGreaterThanOrEqual(1000); // Retry-After was respected
    expect(slack.of('chat.postMessage').map((r) => r.outcome)).toEqual(['rate limited', 'ok']);
    expect(slack.of('chat.update').map((r) => r.outcome)).toEqual(['server error', 'no answer', 'ok']);
    const messages = slack.channel();
    expect(messages).toHaveLength(1);
    expect(messages[0].text).toMatch(new RegExp(`^Bill run #${runId} completed: Nightly, `));
    expect(reportBlocks(messages[0])).toContain(`Completed bill run #${runId} of *Nightly*`);
  });

  it('keeps a notice Slack refused every time and posts it once at the next sweep', async () => {
    const clock = new ManualClock('2026-11-06T09:00:00Z');
    const logger = memoryLogger();
    const s = scheduler(clock, logger);
    await s.start();
    // Every attempt fails: the start message (three attempts) and the end message (three more).
    slack.fail('chat.postMessage', ...Array.from({ length: 6 }, () => ({ kind: 'server error' as const })));
    const runId = await run(s, '2026-10');
    await s.idle();
    expect(slack.channel()).toEqual([]); // delayed ...
    expect(logger.lines.filter((l) => l.startsWith(`error Could not post the end of bill run #${runId}`))).toHaveLength(1);

    await clock.advance(SWEEP_MS);
    await s.idle();
    const messages = slack.channel();
    expect(messages).toHaveLength(1); // ... not lost
    expect(messages[0].text).toMatch(new RegExp(`^Bill run #${runId} completed: Nightly, `));
    expect(reportBlocks(messages[0])).toContain(`Completed bill run #${runId} of *Nightly*`);

    // Later sweeps find nothing more to say.
    await clock.advance(SWEEP_MS);
    await s.idle();
    expect(slack.channel()).toHaveLength(1);
    expect(slack.of('chat.postMessage').filter((r) => r.outcome === 'ok')).toHaveLength(1);
  });
});

describe('Slack app notices when Slack is rate limited, failing or silent', () => {
  const t = useTestDatabase();
  let slack: SlackServer;
  let app: SlackApp;
  let port: number;

  beforeAll(async () => {
    await createBilling(t.db, CLOCK).loadDemo();
    slack = await startSlackServer();
    app = createSlackApp(
      { billing: createBilling(t.db, CLOCK) },
      {
        botToken: 'xoxb-faults',
        signingSecret: SIGNING_SECRET,
        apiUrl: slack.url,
        port: 0,
        admins: [ADMIN],
        logger: slackLogger(),
        clientOptions: { retryConfig: FAST_RETRIES, timeout: TIMEOUT_MS },
        progressIntervalMs: 60_000,
      },
    );
    port = await app.start();
  });
  afterAll(async () => {
    await app?.stop();
    await slack?.close();
  });

  it('posts a bill run’s completion notice once, after a 429 and a 500', async () => {
    slack.fail('chat.postMessage', { kind: 'rate limited', retryAfterSeconds: 1 }, { kind: 'server error' });
    const params = new URLSearchParams(slashBody('/bill', 'Child Co from 2026-09-01 to 2026-09-30').body);
    params.set('response_url', `${slack.url.replace('/api/', '')}/response/1`);
    expect((await postSigned(port, params.toString())).status).toBe(200);
    await settle(app.deps);
    expect(slack.of('chat.postMessage').map((r) => r.outcome)).toEqual(['rate limited', 'server error', 'ok']);
    const notices = slack.channel().filter((m) => m.channel === CHANNEL);
    expect(notices).toHaveLength(1);
    expect(notices[0].text).toContain('INV-000018');
  });

  it('posts a bill run’s completion notice once after its request timed out', async () => {
    slack.fail('chat.postMessage', { kind: 'no answer' });
    const before = slack.channel().length;
    await app.deps.tasks.idle();
    const params = new URLSearchParams(slashBody('/bill', 'Child Co from 2026-10-01 to 2026-10-31').body);
    params.set('response_url', `${slack.url.replace('/api/', '')}/response/2`);
    expect((await postSigned(port, params.toString())).status).toBe(200);
    await settle(app.deps);
    expect(slack.of('chat.postMessage').slice(-2).map((r) => r.outcome)).toEqual(['no answer', 'ok']);
    expect(slack.channel().length).toBe(before + 1);
    expect(slack.channel().at(-1)!.text).toContain('INV-000019');
  });
});
