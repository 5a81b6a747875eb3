import type { SlackApp } from '../../bot/slack/app';
import { useTestDatabase } from '../helpers/db';
import { ADMIN, fakeSlack, FakeSlack, memoryLogger, postSigned, settle, startTestApp } from '../bot/slack/helpers';

// Slack redelivers an event it thinks was lost (X-Slack-Retry-Num, Bolt's context.retryNum):
// through the real HTTP receiver, a redelivery is acknowledged 200 and processed at most once,
// while a forged or stale request, retry header or not, is still refused with 401 and audited.
describe('events Slack delivers again', () => {
  const t = useTestDatabase();
  let slack: FakeSlack;
  let app: SlackApp;
  let port: number;
  let logger: ReturnType<typeof memoryLogger>;
  const DM = 'D0ADMIN';

  beforeAll(async () => {
    slack = fakeSlack();
    ({ slack: app, port, logger } = await startTestApp(t.db));
  });
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });
  beforeEach(() => slack.clear());

  /** A file shared in the admin's direct message with the bot: billbot looks it up (files.info). */
  function fileShared(eventId: string, file: string): string {
    return JSON.stringify({
      token: 'legacy-verification-token',
      team_id: 'T0TEST',
      api_app_id: 'A0BILLBOT',
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
      event: { type: 'file_shared', file_id: file, file: { id: file }, user_id: ADMIN, channel_id: DM, event_ts: `${Date.now() / 1000}` },
    });
  }

  async function deliver(body: string, o: { retry?: number; secret?: string; timestamp?: number } = {}) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (o.retry) Object.assign(headers, { 'x-slack-retry-num': String(o.retry), 'x-slack-retry-reason': 'http_timeout' });
    const response = await postSigned(port, body, { headers, secret: o.secret, timestamp: o.timestamp });
    await settle(app.deps);
    return response.status;
  }

  const lookups = () => slack.of('files.info').map((c) => c.args.file);
  const auditCount = async () => Number((await t.db('audit_log').count('* as n').first())!.n);

  it('processes an event once however often Slack delivers it, acknowledging each delivery', async () => {
    expect(await deliver(fileShared('Ev0RETRY1', 'F0ONE'))).toBe(200);
    expect(lookups()).toEqual(['F0ONE']);
    // Slack did not see the acknowledgement in time: retries 1 and 2, each signed anew.
    expect(await deliver(fileShared('Ev0RETRY1', 'F0ONE'), { retry: 1 })).toBe(200);
    expect(await deliver(fileShared('Ev0RETRY1', 'F0ONE'), { retry: 2 })).toBe(200);
    // The same delivery again without a retry header: handled already.
    expect(await deliver(fileShared('Ev0RETRY1', 'F0ONE'))).toBe(200);
    expect(lookups()).toEqual(['F0ONE']);
    expect(logger.lines.filter((l) => l.includes('event Ev0RETRY1 was delivered again'))).toHaveLength(3);
    expect(logger.lines.some((l) => l.includes('(retry 2)'))).toBe(true);
  });

  it('drops a redelivered event at the delivery, before any listener looks at it', async () => {
    expect(await deliver(fileShared('Ev0RETRY2', 'F0TWO'))).toBe(200);
    // Same event id, whatever it carries: one event, one processing.
    expect(await deliver(fileShared('Ev0RETRY2', 'F0OTHER'), { retry: 1 })).toBe(200);
    expect(lookups()).toEqual(['F0TWO']);
  });

  it('processes a retry whose first delivery never arrived', async () => {
    expect(await deliver(fileShared('Ev0RETRY3', 'F0THREE'), { retry: 1 })).toBe(200);
    expect(lookups()).toEqual(['F0THREE']);
  });

  it('still refuses and audits a forged or stale retry', async () => {
    const before = await auditCount();
    expect(await deliver(fileShared('Ev0FORGED', 'F0FORGED'), { retry: 1, secret: 'not-the-secret' })).toBe(401);
    expect(await deliver(fileShared('Ev0STALE', 'F0STALE'), { retry: 3, timestamp: Math.floor(Date.now() / 1000) - 5 * 60 - 5 })).toBe(401);
    expect(slack.calls).toEqual([]);
    expect(await auditCount()).toBe(before + 2);
    const refused = await t.db('audit_log').orderBy('id', 'desc').limit(2);
    expect(refused.map((r) => [r.source, r.decision, r.detail])).toEqual([
      ['slack-http', 'refused', 'stale timestamp (more than 5 minutes off)'],
      ['slack-http', 'refused', 'bad signature'],
    ]);
    // Refused deliveries were not taken: the genuine event is processed when it comes.
    expect(await deliver(fileShared('Ev0FORGED', 'F0FORGED'), { retry: 2 })).toBe(200);
    expect(lookups()).toEqual(['F0FORGED']);
  });
});
