import { createBilling } from '../../../billing';
import type { SlackApp } from '../../../bot/slack/app';
import { useTestDatabase } from '../../helpers/db';
import { checkMessage } from '../../helpers/slackLimits';
import { billMonth } from '../../credits/fixtures';
import { accountsInCurrencies, longName, manyInvoices } from '../../payments/receivablesFixtures';
import { ADMIN, CLOCK, fakeSlack, FakeSlack, messageText, postSigned, settle, slashBody, startTestApp } from './helpers';

const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';

/** /billing aging and /billing statement through the real HTTP receiver (signed requests), at size, every payload within Slack's limits. */
describe('receivables through Slack', () => {
  const t = useTestDatabase();
  let slack: FakeSlack;
  let app: SlackApp;
  let port: number;

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    await billMonth(billing, 'Child Co', '2026-09');
    await billing.recordPayment({ account: 'Parent Co', amount: '$60.00', reference: 'CHQ-1001', to: [{ invoice: '18' }] }, 'U0FIN');
    slack = fakeSlack();
    ({ slack: app, port } = await startTestApp(t.db));
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });

  async function command(text: string, user: string) {
    slack.clear();
    const { body, responsePath } = slashBody('/billing', text, { user });
    expect((await postSigned(port, body)).status).toBe(200);
    await settle(app.deps);
    return slack.responsesTo(responsePath);
  }

  it("shows viewers the aging report and a statement, only to them; refuses people without a role", async () => {
    expect((await command(`access grant <@${VIEWER}|viewer> viewer`, ADMIN))[0].response_type).toBe('in_channel');
    const [aging] = await command('aging', VIEWER);
    expect(aging.response_type).toBe('ephemeral');
    expect(aging.text).toBe('Aging as of 2026-10-02: USD $80.00 owed by 1 account.');
    expect(messageText(aging)).toContain('*Parent Co* $80.00 (current)');
    const [statement] = await command('statement Parent Co from 2026-10-01 to 2026-10-31', VIEWER);
    expect(statement.response_type).toBe('ephemeral');
    expect(messageText(statement)).toContain('2026-10-02 Payment PM-000001 CHQ-1001: -$60.00 → $80.00');
    const [refused] = await command('aging', STRANGER);
    expect(refused.text).toContain('this needs the *viewer* role');
    const [bad] = await command('aging as of yesterday', VIEWER);
    expect(bad.text).toContain('"yesterday" after "as of" is not a real date');
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
    const [statement] = await command(`statement "${name}"`, VIEWER);
    expect(checkMessage(statement)).toBeNull();
    expect(messageText(statement)).toContain('4,985 more lines in the workbook');
    expect(slack.unmatched).toEqual([]);
  }, 120_000);
});
