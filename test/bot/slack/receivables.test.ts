import { createBilling } from '../../../billing';
import { useTestDatabase } from '../../helpers/db';
import { checkMessage } from '../../helpers/slackLimits';
import { billMonth } from '../../credits/fixtures';
import { accountsInCurrencies, longName, manyInvoices } from '../../payments/receivablesFixtures';
import { PNG } from 'pngjs';
import { ADMIN, CLOCK, dmOf, messageText, postSigned, settle, slashBody, useSlackApp } from './helpers';

const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';

/** /billing aging and /billing statement through the real HTTP receiver (signed requests), at size, every payload within Slack's limits. */
describe('receivables through Slack', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    await billMonth(billing, 'Child Co', '2026-09');
    await billing.recordPayment({ account: 'Parent Co', amount: '$60.00', reference: 'CHQ-1001', to: [{ invoice: '18' }] }, 'U0FIN');
  }, 120_000);
  const env = useSlackApp(t);

  async function command(text: string, user: string, failing?: [method: string, error: string]) {
    env.slack.clear();
    if (failing) env.slack.fail(...failing);
    const { body, responsePath } = slashBody('/billing', text, { user });
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    return env.slack.responsesTo(responsePath);
  }

  it("shows viewers the aging report and a statement, only to them; refuses people without a role", async () => {
    expect((await command(`access grant <@${VIEWER}|viewer> viewer`, ADMIN))[0].response_type).toBe('in_channel');
    const [aging] = await command('aging', VIEWER);
    expect(aging.response_type).toBe('ephemeral');
    expect(aging.text).toBe('Aging as of 2026-10-02: USD $80.00 owed by 1 account.');
    expect(messageText(aging)).toContain('*Parent Co* $80.00 (current)');
    // Its bar chart goes to the viewer's direct message, the figures in its alt text.
    expect(env.slack.files).toHaveLength(1);
    const [chart] = env.slack.files;
    expect(chart.shared).toMatchObject({
      channelId: dmOf(VIEWER),
      threadTs: null,
      comment: `<@${VIEWER}> asked for the aging report: its buckets as of 2026-10-02. The image's description has every figure.`,
    });
    expect(chart.filename).toBe('aging-2026-10-02.png');
    expect(chart.altText).toBe(
      'Bar chart of what is owed on open invoices by age as of 2026-10-02. ' +
        'USD: Current $80.00, 1-30 days $0.00, 31-60 days $0.00, 61-90 days $0.00, Over 90 days $0.00; total $80.00.',
    );
    const png = PNG.sync.read(chart.data!);
    expect(png.width).toBe(960);
    const [statement] = await command('statement Parent Co from 2026-10-01 to 2026-10-31', VIEWER);
    expect(statement.response_type).toBe('ephemeral');
    expect(messageText(statement)).toContain('2026-10-02 Payment PM-000001 CHQ-1001: -$60.00 → $80.00');
    const [refused] = await command('aging', STRANGER);
    expect(refused.text).toContain('this needs the *viewer* role');
    const [bad] = await command('aging as of yesterday', VIEWER);
    expect(bad.text).toContain('"yesterday" after "as of" is not a real date');
    expect(env.slack.files).toEqual([]);
  });

  it('keeps the aging report when its chart cannot be uploaded', async () => {
    const [aging] = await command('aging', VIEWER, ['files.getUploadURLExternal', 'file_uploads_disabled']);
    expect(aging.text).toBe('Aging as of 2026-10-02: USD $80.00 owed by 1 account.');
    expect(env.slack.files.filter((f) => f.shared)).toEqual([]);
    expect(env.logger.lines.some((l) => /could not send the aging chart to U0VIEWER \(.*file_uploads_disabled/.test(l))).toBe(true);
  });

  it('keeps the replies within Slack\'s limits with 10 currencies of long names and a statement of 5,000 invoices', async () => {
    await accountsInCurrencies(t.db, 12, '2026-06-01', 1000);
    const name = longName('Big Owner');
    await createBilling(t.db, CLOCK).createAccount({ name, currency: 'USD' });
    await manyInvoices(t.db, name, 5000, { firstNumber: 100_000, lastDue: '2026-10-01' });
    const [aging] = await command('aging', VIEWER);
    expect(checkMessage(aging)).toBeNull();
    expect(aging.text).toContain('and 5 more currencies.');
    expect(messageText(aging)).toContain('&lt;!channel&gt;');
    // The chart draws three currencies and names every one in its alt text (within Slack's 1,000 characters).
    expect(env.slack.files).toHaveLength(1);
    expect(env.slack.files[0].shared?.channelId).toBe(dmOf(VIEWER));
    const alt = env.slack.files[0].altText ?? '';
    expect(alt.length).toBeLessThanOrEqual(1000);
    const { totals } = await createBilling(t.db, CLOCK).receivables.aging(null);
    expect(totals.length).toBeGreaterThan(3);
    for (const total of totals) expect(alt).toContain(`${total.currency} `);
    const [statement] = await command(`statement "${name}"`, VIEWER);
    expect(checkMessage(statement)).toBeNull();
    expect(messageText(statement)).toContain('4,985 more lines in the workbook');
    expect(env.slack.unmatched).toEqual([]);
  }, 120_000);
});
