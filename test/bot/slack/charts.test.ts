import { PNG } from 'pngjs';
import { createBilling } from '../../../billing';
import { useTestDatabase } from '../../helpers/db';
import { ADMIN, CHANNEL, CLOCK, dmOf, postSigned, settle, slashBody, useSlackApp } from './helpers';

const VIEWER = 'U0VIEWER';

// Charts in Slack through the app (signed requests, the fake Web API refusing what Slack would
// refuse): the run history in a bill run report's thread, and /billing chart runs on demand.
describe('charts in Slack', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo(); // Parent Co / Child Co, $140.00 a month, in "Monthly Billing"
    await billing.access.grant({ principal: VIEWER, role: 'viewer', grantedBy: ADMIN });
  });
  const env = useSlackApp(t);

  async function command(name: string, text: string, user = ADMIN) {
    const { body, responsePath } = slashBody(name, text, { user });
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    return env.slack.responsesTo(responsePath);
  }

  it('puts the run history chart, with its figures in its alt text, in the thread of a bill run report', async () => {
    await command('/billing', 'run Monthly Billing from 2026-09-01 to 2026-09-30');
    await command('/billing', 'run Monthly Billing from 2026-10-01 to 2026-10-31');
    const runs = await t.db('bill_runs').orderBy('id').pluck('id');
    expect(runs).toHaveLength(2);
    const notices = env.slack.of('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts);
    expect(notices.map((n) => n.args.text)).toEqual([expect.stringMatching(/^Bill run #\d+ completed/), expect.stringMatching(/^Bill run #\d+ completed/)]);

    // Each chart is shared in its own report's thread: the notice's ts, as chat.postMessage answered it.
    expect(env.slack.files).toHaveLength(2);
    const [september, october] = env.slack.files;
    expect(september.shared).toEqual({ channelId: CHANNEL, threadTs: '1790000000.000001', title: `Bill runs of Monthly Billing up to #${runs[0]}`, comment: null });
    expect(october.shared?.threadTs).toBe('1790000000.000002');
    expect(october.filename).toBe(`bill-runs-monthly-billing-run-${runs[1]}.png`);

    const png = PNG.sync.read(october.data!);
    expect([png.width, png.height]).toEqual([960, 610]);
    expect(october.length).toBe(october.data!.length);
    expect(october.altText).toBe(
      'Bar chart of the bill runs of Monthly Billing: the last 2 completed runs, invoices created and amount invoiced per run, oldest first. ' +
        `Run #${runs[0]} (2026-09-01 to 2026-09-30): 1 invoice, $140.00 USD. ` +
        `Run #${runs[1]} (2026-10-01 to 2026-10-31, this run): 1 invoice, $140.00 USD.`,
    );
    expect(env.slack.unmatched).toEqual([]);
  });

  it('keeps the report when the chart cannot be uploaded', async () => {
    env.slack.fail('files.getUploadURLExternal', 'file_uploads_disabled');
    await command('/billing', 'run Monthly Billing from 2026-11-01 to 2026-11-30');
    const notice = env.slack.of('chat.postMessage').find((c) => c.args.channel === CHANNEL && !c.args.thread_ts);
    expect(notice?.args.text).toMatch(/^Bill run #\d+ completed/);
    expect(env.slack.files.filter((f) => f.shared)).toEqual([]);
    expect(env.logger.lines.some((l) => /could not post the run history chart of bill run #\d+ in its thread \(.*file_uploads_disabled/.test(l))).toBe(true);
  });

  it('sends /billing chart runs to the person who asked, in their direct message', async () => {
    const [reply] = await command('/billing', 'chart runs', VIEWER);
    expect(reply).toMatchObject({ response_type: 'ephemeral', text: ':inbox_tray: Sent to you in a direct message with billbot: the run history chart of *Monthly Billing*.' });
    expect(env.slack.files).toHaveLength(1);
    const [file] = env.slack.files;
    expect(file.shared).toMatchObject({
      channelId: dmOf(VIEWER),
      threadTs: null,
      comment: `<@${VIEWER}> asked for this: the last 3 completed bill runs of *Monthly Billing*. The image's description has every figure.`,
    });
    expect(file.filename).toBe('bill-runs-monthly-billing.png');
    expect(file.altText).toMatch(/the last 3 completed runs.*\(2026-11-01 to 2026-11-30, the latest\): 1 invoice, \$140\.00 USD\.$/);
  });

  it('says so when it cannot reach the person in a direct message', async () => {
    env.slack.fail('conversations.open', 'cannot_dm_bot');
    const [reply] = await command('/billing', 'chart runs', VIEWER);
    expect(reply).toMatchObject({ response_type: 'ephemeral', text: "I can't send you the chart in a direct message. Open billbot's Messages tab and ask again." });
    expect(env.slack.files).toEqual([]);
  });

  it('answers a configuration without completed runs with one sentence', async () => {
    await createBilling(t.db, CLOCK).createConfiguration({ name: 'Quarterly' });
    const [reply] = await command('/billing', 'chart runs Quarterly');
    expect(reply).toMatchObject({ response_type: 'ephemeral', text: ':warning: Quarterly has no completed bill run yet, so there is nothing to draw.' });
    expect(env.slack.files).toEqual([]);
  });
});
