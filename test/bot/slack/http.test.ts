import knexFactory from 'knex';
import nock from 'nock';
import { createBilling } from '../../../billing';
import { startSlack } from '../../../bot/slack';
import { useTestDatabase } from '../../helpers/db';
import {
  ADMIN,
  BOT_TOKEN,
  CLOCK,
  postSigned,
  RESPONSE_HOST,
  settle,
  signature,
  SIGNING_SECRET,
  slashBody,
  startTestApp,
  useSlackApp,
} from './helpers';

// The real HTTP receiver: signature checks, /healthz, and a command answered end to end.
describe('the Slack app over HTTP', () => {
  const t = useTestDatabase();
  const env = useSlackApp(t);

  it('answers GET /healthz with 200 when the database answers', async () => {
    const response = await fetch(`http://127.0.0.1:${env.port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });

  it('answers GET /healthz with 503 when the database does not', async () => {
    // A pool pointed at a port where no database listens.
    const quiet = { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined };
    const dead = knexFactory({ client: 'pg', connection: 'postgres://nobody:nothing@127.0.0.1:9/none', pool: { min: 0, max: 1 }, log: quiet });
    const { slack: other, port: otherPort } = await startTestApp(t.db, { services: { billing: createBilling(dead, CLOCK) } });
    try {
      const response = await fetch(`http://127.0.0.1:${otherPort}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.text()).toBe('database unavailable');
    } finally {
      await other.stop();
      await dead.destroy();
    }
  });

  it('accepts a correctly signed command and acknowledges it at once', async () => {
    const { body, responsePath } = slashBody('/billing', 'help');
    const response = await postSigned(env.port, body);
    expect(response.status).toBe(200);
    await settle(env.app.deps);
    const [reply] = env.slack.responsesTo(responsePath);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain('billbot commands');
  });

  it('rejects a request signed with the wrong secret (401) and does nothing but audit it', async () => {
    const audited = Number((await t.db('audit_log').count('* as n').first())!.n);
    const { body, responsePath } = slashBody('/billing', 'help');
    const response = await postSigned(env.port, body, { secret: `${SIGNING_SECRET}-wrong` });
    expect(response.status).toBe(401);
    await settle(env.app.deps);
    expect(env.slack.responsesTo(responsePath)).toEqual([]);
    // The refusal itself is in the audit trail (test/reliability/requests.test.ts covers every kind).
    expect(Number((await t.db('audit_log').count('* as n').first())!.n)).toBe(audited + 1);
    expect(await t.db('audit_log').orderBy('id', 'desc').first()).toMatchObject({ decision: 'refused', detail: 'bad signature' });
  });

  it('rejects a correctly signed request with a stale timestamp (401)', async () => {
    const { body, responsePath } = slashBody('/billing', 'help');
    const response = await postSigned(env.port, body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(response.status).toBe(401);
    await settle(env.app.deps);
    expect(env.slack.responsesTo(responsePath)).toEqual([]);
  });

  it('rejects a request whose body was changed after signing (401)', async () => {
    const { body } = slashBody('/billing', 'help');
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`http://127.0.0.1:${env.port}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature(SIGNING_SECRET, timestamp, body),
      },
      body: body.replace('help', 'access+grant+%3C%40U0EVIL%3E+admin'),
    });
    expect(response.status).toBe(401);
    expect(await t.db('access_grants').where('principal', 'U0EVIL').first()).toBeUndefined();
  });

  it('posts replies to the response_url it was given', async () => {
    const { body, responsePath } = slashBody('/credit', 'help', { user: ADMIN });
    await postSigned(env.port, body);
    await settle(env.app.deps);
    expect(env.slack.responses.map((r) => `${RESPONSE_HOST}${r.path}`)).toEqual([`${RESPONSE_HOST}${responsePath}`]);
  });
});

describe('startSlack from the settings', () => {
  const t = useTestDatabase();

  it('uses SLACK_API_URL as the Web API base and BILLING_ADMINS as admins', async () => {
    const calls: string[] = [];
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1/);
    nock('https://slack-proxy.test')
      .persist()
      .post(/^\/api\/[\w.]+$/)
      .reply((uri: string) => {
        calls.push(uri);
        if (uri === '/api/auth.test') return [200, { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0TEST' }];
        return [200, { ok: true, view: { id: 'V0PROXY', hash: 'h' } }];
      });
    const slack = await startSlack(
      { billing: createBilling(t.db, CLOCK) },
      {
        slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: null, apiUrl: 'https://slack-proxy.test/api/' },
        port: 0,
        billingAdmins: ['U0BOSS'],
        logLevel: 'error',
      },
    );
    try {
      expect(slack.port).toBeGreaterThan(0);
      const { body } = slashBody('/credit', 'add', { user: 'U0BOSS' });
      expect((await postSigned(slack.port, body)).status).toBe(200);
      await settle(slack.deps);
      expect(calls).toEqual(['/api/auth.test', '/api/views.open', '/api/views.update']);
    } finally {
      await slack.stop();
      nock.cleanAll();
      nock.enableNetConnect();
    }
  });
});
