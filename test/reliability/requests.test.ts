import type { SlackApp } from '../../bot/slack/app';
import { createBilling } from '../../billing';
import { useTestDatabase } from '../helpers/db';
import { ADMIN, CLOCK, fakeSlack, FakeSlack, postSigned, settle, signature, SIGNING_SECRET, slashBody, startTestApp } from '../bot/slack/helpers';

// Hostile requests at the real HTTP receiver: each is refused with 401, does nothing, and is
// written to the audit trail; a person without the role is refused politely, and audited.
describe('requests that must not get in', () => {
  const t = useTestDatabase();
  let slack: FakeSlack;
  let app: SlackApp;
  let port: number;
  const STRANGER = 'U0STRANGER';

  beforeAll(async () => {
    slack = fakeSlack();
    ({ slack: app, port } = await startTestApp(t.db));
    await createBilling(t.db, CLOCK).loadDemo();
  });
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });
  beforeEach(() => slack.clear());

  const auditCount = async () => Number((await t.db('audit_log').count('* as n').first())!.n);
  const lastAudit = () => t.db('audit_log').orderBy('id', 'desc').first();
  const creditCount = async () => Number((await t.db('credits').count('* as n').first())!.n);

  /** A command that would add a credit if it got in. */
  const addCredit = (user = ADMIN) => slashBody('/credit', 'add "Parent Co" 50 Not for you', { user });

  async function expectRejected(send: () => Promise<{ status: number }>, detail: string): Promise<void> {
    const [audited, credits] = [await auditCount(), await creditCount()];
    expect((await send()).status).toBe(401);
    await settle(app.deps);
    expect(slack.responses).toEqual([]);
    expect(slack.calls).toEqual([]);
    expect(await creditCount()).toBe(credits);
    expect(await auditCount()).toBe(audited + 1);
    expect(await lastAudit()).toMatchObject({ source: 'slack-http', decision: 'refused', detail, command: '/credit' });
  }

  it('refuses a bad signature, and audits it', async () => {
    const { body } = addCredit();
    await expectRejected(() => postSigned(port, body, { secret: 'not-the-secret' }), 'bad signature');
    expect((await lastAudit()).actor).toBe(ADMIN); // who the request claimed to be, for the record
  });

  it('refuses a correctly signed request older than 5 minutes, and audits it', async () => {
    const { body } = addCredit();
    await expectRejected(() => postSigned(port, body, { timestamp: Math.floor(Date.now() / 1000) - 5 * 60 - 5 }), 'stale timestamp (more than 5 minutes off)');
  });

  it('refuses a request from the future beyond 5 minutes, and audits it', async () => {
    const { body } = addCredit();
    await expectRejected(() => postSigned(port, body, { timestamp: Math.floor(Date.now() / 1000) + 5 * 60 + 5 }), 'stale timestamp (more than 5 minutes off)');
  });

  it('refuses a replayed request (the same signed body sent again), and audits it', async () => {
    const { body } = addCredit();
    const timestamp = Math.floor(Date.now() / 1000);
    expect((await postSigned(port, body, { timestamp })).status).toBe(200);
    await settle(app.deps);
    expect(await creditCount()).toBe(1);
    slack.clear();
    await expectRejected(() => postSigned(port, body, { timestamp }), 'replayed request (signature already used)');
    expect(await creditCount()).toBe(1);
  });

  it.each([
    ['the signature', 'x-slack-signature'],
    ['the timestamp', 'x-slack-request-timestamp'],
  ])('refuses a request without %s header, and audits it', async (_what, header) => {
    const { body } = addCredit();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(SIGNING_SECRET, timestamp, body),
    };
    delete headers[header];
    await expectRejected(
      () => fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers, body }),
      'missing signature headers',
    );
  });

  it('refuses a person without the role, tells only them, and audits it', async () => {
    const [audited, credits] = [await auditCount(), await creditCount()];
    const { body, responsePath } = addCredit(STRANGER);
    expect((await postSigned(port, body)).status).toBe(200);
    await settle(app.deps);
    const [reply] = slack.responsesTo(responsePath);
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toContain('this needs the *operator* role');
    expect(await creditCount()).toBe(credits);
    expect(await auditCount()).toBe(audited + 1);
    expect(await lastAudit()).toMatchObject({ actor: STRANGER, source: 'slack', action: 'credit.add', decision: 'refused', role_required: 'operator' });
  });
});
