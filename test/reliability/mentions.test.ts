import nock from 'nock';
import type { SlackApp } from '../../bot/slack/app';
import { createBilling } from '../../billing';
import { runEndedMessage, runStartedMessage } from '../../bot/render';
import { useTestDatabase } from '../helpers/db';
import { ADMIN, CLOCK, fakeSlack, FakeSlack, postSigned, settle, slashBody, startTestApp } from '../bot/slack/helpers';

// Account names, credit details and file names people typed reach Slack as text: through every
// message and view kind the app sends (command replies, notices, confirmations, previews, run
// reports, upload replies, forms), no mention, broadcast or link can form from them. Everything
// the fake Slack received is read: Web API payloads and response_url posts.

const MENTION = '<!channel>';
const LINK = '<https://x.io|bank>';
const DETAIL = `${MENTION} ${LINK} <@U0EVIL> <#C0EVIL>`;

/**
 * mrkdwn that makes a mention, a broadcast, a channel link or a link. The app's own mention of
 * the person who asked (<@U0ADMIN>) and Slack's date formatting (<!date^...>) are its own.
 */
const CONTROL = /<(?:!(?!date\^)|@(?!U0ADMIN>)|#|https?:|mailto:)/;

/** Every mrkdwn text of a payload: a message's text, mrkdwn objects of blocks and views, an upload's comment. */
function mrkdwnOf(payload: Record<string, any>, isView = false): string[] {
  const found: string[] = [];
  if (!isView && typeof payload.text === 'string') found.push(payload.text);
  if (typeof payload.initial_comment === 'string') found.push(payload.initial_comment);
  const walk = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (node.type === 'mrkdwn' && typeof node.text === 'string') found.push(node.text);
    for (const value of Object.values(node)) if (typeof value === 'object') walk(value);
  };
  walk(payload.blocks);
  walk(payload.view);
  walk(payload.attachments);
  return found;
}

/** Slack escapes &, < and > in command text, except in the mentions it makes itself. */
function typed(name: string): string {
  return name.replace(/&/g, '&amp;').replace(/<(?![!@])/g, '&lt;').replace(/(?<![!@][\w|^.-]*)>/g, '&gt;');
}

describe('user text never becomes a mention or a link', () => {
  const t = useTestDatabase();
  let slack: FakeSlack;
  let app: SlackApp;
  let port: number;
  let files: { id: string; name: string; filetype: string; size: number }[] = [];

  beforeAll(async () => {
    // files.info before fakeSlack's catch-all: files named like a broadcast and a link.
    nock('https://slack.com')
      .persist()
      .post('/api/files.info')
      .reply((_uri: string, body: unknown) => {
        const id = new URLSearchParams(String(body)).get('file');
        const file = files.find((f) => f.id === id);
        return [200, file ? { ok: true, file } : { ok: false, error: 'file_not_found' }];
      });
    slack = fakeSlack();
    ({ slack: app, port } = await startTestApp(t.db));
    await createBilling(t.db, CLOCK).loadDemo();
    await t.db('accounts').where('name', 'Parent Co').update({ name: MENTION });
    await t.db('accounts').where('name', 'Child Co').update({ name: LINK });
  });
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });

  /** Every mrkdwn text Slack received since the last check that forms a control sequence. */
  function controls(): string[] {
    const texts = [
      ...slack.calls.flatMap((c) => mrkdwnOf(c.args, c.method.startsWith('views.'))),
      ...slack.responses.flatMap((r) => mrkdwnOf(r.body)),
    ];
    slack.clear();
    return texts.filter((text) => CONTROL.test(text));
  }

  async function command(name: string, text: string): Promise<Record<string, any>[]> {
    const { body, responsePath } = slashBody(name, text);
    expect((await postSigned(port, body)).status).toBe(200);
    await settle(app.deps);
    return slack.responsesTo(responsePath);
  }

  const received = () => slack.calls.length + slack.responses.length;

  it('in command replies, notices, previews, confirmations and run reports', async () => {
    for (const name of [MENTION, LINK]) {
      const account = `"${typed(name)}"`;
      await command('/credit', `add ${account} 12.50 ${typed(DETAIL)}`);
      await command('/credit', `list ${account}`);
      await command('/billing', `invoices ${account}`);
      await command('/bill', `${account} from 2026-09-01 to 2026-09-30 preview`);
      await command('/bill', `${account} using "Monthly Billing" from 2026-09-01 to 2026-09-30`);
      await command('/credit', `add ${account} 1 ${typed(name)}`);
      expect(received()).toBeGreaterThan(0);
      expect(controls()).toEqual([]);
    }
    await command('/billing', 'run Monthly Billing from 2026-10-01 to 2026-10-31 preview');
    await command('/billing', 'run Monthly Billing from 2026-10-01 to 2026-10-31');
    const runs = await t.db('bill_runs').orderBy('id').pluck('id');
    for (const run of runs) await command('/bill', `status ${run}`);
    // The scheduler's channel reports of the same runs (one bills an account named like a broadcast, or a link).
    const billing = createBilling(t.db, CLOCK);
    for (const run of runs) {
      const view = { report: await billing.getBillRunReport(run, 200), timeZone: 'UTC', scheduledFor: null, late: false, startedAt: new Date(), skipReasons: [], remaining: { batches: 0, accounts: 0 } };
      const texts = [runStartedMessage(view), runEndedMessage(view)].flatMap((m) => mrkdwnOf(m));
      expect(texts.some((text) => text.includes('&lt;!channel&gt;') || text.includes('&lt;https://x.io|bank&gt;'))).toBe(true);
      expect(texts.filter((text) => CONTROL.test(text))).toEqual([]);
    }
    const invoices = await t.db('invoices').orderBy('id').pluck('number');
    for (const number of invoices) await command('/billing', `invoice ${number}`);
    // The credits whose detail is the account's name: a longer one makes today's confirm dialog
    // longer than Slack takes (300 characters), which the confirm dialogs' own work fixes.
    const credits = await t.db('credits').whereIn('detail', [MENTION, LINK]).orderBy('id').pluck('id');
    expect(credits).toHaveLength(2);
    for (const id of credits) await command('/credit', `delete CR-${id}`);
    await command('/credit', `reverse CR-${credits[0]}`);
    expect(received()).toBeGreaterThan(0);
    expect(controls()).toEqual([]);
  });

  it('in the forms', async () => {
    await command('/bill', '');
    await command('/credit', 'add');
    expect(slack.of('views.open').length).toBe(2);
    expect(controls()).toEqual([]);
  });

  // Fails today: modals/creditDisburse.ts puts the credit's account, detail and invoicer in its
  // mrkdwn unescaped (lines 24, 32, 43-44). Turn into it(...) once they go through escapeMrkdwn.
  it('in the disburse form', async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.addCredit({ account: MENTION, amount: '5', detail: DETAIL, createdBy: ADMIN } as never);
    const credits = await t.db('credits').orderBy('id').pluck('id');
    slack.clear();
    for (const id of credits) await command('/credit', `disburse CR-${id}`);
    expect(slack.of('views.update').length + slack.of('views.open').length).toBeGreaterThan(0);
    expect(controls()).toEqual([]);
  });

  it('in the replies to uploaded files', async () => {
    files = [
      { id: 'F0TXT', name: `${MENTION} ${LINK}.txt`, filetype: 'text', size: 10 },
      { id: 'F0XLS', name: `${MENTION} ${LINK}.xls`, filetype: 'xls', size: 10 },
      { id: 'F0BIG', name: `${MENTION} ${LINK}.xlsx`, filetype: 'xlsx', size: 200 * 1024 * 1024 },
    ];
    for (const [i, file] of files.entries()) {
      const body = JSON.stringify({
        token: 'legacy-verification-token',
        team_id: 'T0TEST',
        api_app_id: 'A0BILLBOT',
        type: 'event_callback',
        event_id: `Ev0NAME${i}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'file_shared', file_id: file.id, file: { id: file.id }, user_id: ADMIN, channel_id: 'D0ADMIN', event_ts: `${Date.now() / 1000}` },
      });
      expect((await postSigned(port, body, { headers: { 'content-type': 'application/json' } })).status).toBe(200);
      await settle(app.deps);
    }
    const replies = slack.of('chat.postMessage');
    expect(replies).toHaveLength(3);
    expect(replies.map((r) => r.args.text).join('\n')).toContain('&lt;!channel&gt;');
    expect(controls()).toEqual([]);
  });
});
