import { createBilling } from '../../../billing';
import { useTestDatabase } from '../../helpers/db';
import { ADMIN, CHANNEL, CLOCK, FakeSlack, fakeSlack, messageText, postSigned, settle, slashBody, startTestApp, useSlackApp } from './helpers';

const OPS = 'U0OPS';
const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';

// Slash commands on the real HTTP receiver: access, malformed text, repeats, long runs, failures.
describe('Slack slash commands', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    // A second invoicer family, so a bill run over the bill groups has two batches.
    await billing.createAccount({ name: 'Solo Ltd', currency: 'USD' });
    await billing.createPackage({ name: 'Basic', currency: 'USD', frequency: 'monthly', services: [{ name: 'Hosting', price: '25.00' }] });
    await billing.addAccountPackage({ account: 'Solo Ltd', package: 'Basic', effectiveDate: '2026-09-10', nextBillDate: '2026-09-10' });
  });
  const env = useSlackApp(t);

  async function command(name: string, text: string, user: string, o: { triggerId?: string; headers?: Record<string, string> } = {}) {
    const { body, responsePath } = slashBody(name, text, { user, triggerId: o.triggerId });
    const response = await postSigned(env.port, body, { headers: o.headers });
    expect(response.status).toBe(200);
    await settle(env.app.deps);
    return env.slack.responsesTo(responsePath);
  }

  async function lastAudit(actor: string) {
    return t.db('audit_log').where('actor', actor).orderBy('id', 'desc').first('command', 'input', 'action', 'role_required', 'decision', 'detail');
  }

  describe('access', () => {
    it('refuses someone without a role politely, and audits it', async () => {
      const [reply] = await command('/credit', 'list Parent Co', STRANGER);
      expect(reply).toEqual({
        response_type: 'ephemeral',
        text:
          `Sorry <@${STRANGER}>, this needs the *viewer* role (to look at billing (lists, status, previews, exports)). ` +
          `You don't have access to billbot yet. An admin can give it to you with \`/billing access grant <@${STRANGER}> viewer\`.`,
      });
      expect(await lastAudit(STRANGER)).toEqual({
        command: '/credit',
        input: 'list Parent Co',
        action: 'credit.list',
        role_required: 'viewer',
        decision: 'refused',
        detail: 'holds no role',
      });
    });

    it('lets an admin grant and revoke roles, and each role do only its part', async () => {
      let [reply] = await command('/billing', `access grant <@${VIEWER}|vera> viewer`, ADMIN);
      expect(reply).toMatchObject({ response_type: 'in_channel', text: `<@${ADMIN}> granted <@${VIEWER}> the *viewer* role.` });
      [reply] = await command('/billing', `access grant <@${VIEWER}> viewer`, ADMIN);
      expect(reply).toMatchObject({ response_type: 'ephemeral', text: `<@${VIEWER}> already has the *viewer* role; nothing changed.` });

      // A viewer lists and previews, but does not bill.
      [reply] = await command('/credit', 'list Parent Co', VIEWER);
      expect(reply).toMatchObject({ response_type: 'ephemeral', text: 'Parent Co has no credits.' });
      [reply] = await command('/bill', 'Child Co from 2026-09-01 to 2026-09-30 preview', VIEWER);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toBe('Preview (nothing was written) of billing Child Co using Monthly Billing for 2026-09-01 to 2026-09-30: 1 invoice (INV-000018), total $140.00, 1 account billed, 0 skipped.');
      [reply] = await command('/bill', 'Child Co from 2026-09-01 to 2026-09-30', VIEWER);
      expect(reply.text).toMatch(new RegExp(`^Sorry <@${VIEWER}>, this needs the \\*operator\\* role .* You have the viewer role, which does not include that\\.`));
      expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 0 });
      expect(await lastAudit(VIEWER)).toMatchObject({ action: 'bill', role_required: 'operator', decision: 'refused', detail: 'holds viewer' });

      // An operator adds credits but does not manage access.
      await command('/billing', `access grant <@${OPS}> operator`, ADMIN);
      [reply] = await command('/billing', `access grant <@${STRANGER}> admin`, OPS);
      expect(reply.text).toMatch(/this needs the \*admin\* role/);
      expect(await t.db('access_grants').where('principal', STRANGER).first()).toBeUndefined();

      // Revoking takes the role away again.
      [reply] = await command('/billing', `access revoke <@${VIEWER}> viewer`, ADMIN);
      expect(reply).toMatchObject({ response_type: 'in_channel', text: `<@${ADMIN}> revoked the *viewer* role from <@${VIEWER}>. They have no billbot role now.` });
      [reply] = await command('/credit', 'list Parent Co', VIEWER);
      expect(reply.text).toMatch(/^Sorry/);

      // An admin from BILLING_ADMINS cannot be revoked from Slack.
      [reply] = await command('/billing', `access revoke <@${ADMIN}> admin`, ADMIN);
      expect(reply).toMatchObject({ response_type: 'ephemeral' });
      expect(reply.text).toContain('is an admin from the BILLING_ADMINS setting');
    });

    it('keeps the audit trail append-only', async () => {
      expect(Number((await t.db('audit_log').count('* as n').first())?.n)).toBeGreaterThan(0);
      await expect(t.db('audit_log').update({ decision: 'allowed' })).rejects.toThrow(/the audit trail can only grow/);
      await expect(t.db('audit_log').delete()).rejects.toThrow(/the audit trail can only grow/);
      await expect(t.db.raw('TRUNCATE audit_log')).rejects.toThrow(/the audit trail can only grow/);
    });
  });

  describe('malformed text', () => {
    it.each([
      ['/credit', 'add Parent Co', 'No amount found after the account; write it like 50, 50.00, $50 or 1,234.56 (and put an account name that contains a number in double quotes). Use: /credit add <account> <amount> <detail...> [auto]'],
      ['/bill', 'Child Co from 2026-13-01 to 2026-09-30', '"2026-13-01" after "from" is not a real date; write dates as YYYY-MM-DD, for example 2026-09-30.'],
      ['/billing', 'frobnicate', '"frobnicate" is not a /billing command.'],
      ['/credit', 'reverse', 'Say which credit to reverse. Use: /credit reverse <credit>'],
      ['/billing', 'access grant someone operator', 'is not a Slack mention'],
    ])('%s %s: an ephemeral reply that says what was wrong and the right form', async (name, text, expected) => {
      const [reply] = await command(name, text, OPS);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toContain(expected);
      expect(reply.text).not.toMatch(/\n\s+at /); // never a stack trace
      expect(await lastAudit(OPS)).toMatchObject({ command: name, input: text, action: null, decision: 'invalid' });
    });

    it('answers a refusal from billing with its sentence', async () => {
      const [reply] = await command('/credit', 'list Nobody Ltd', OPS);
      expect(reply).toEqual({ response_type: 'ephemeral', text: 'There is no account named "Nobody Ltd".', blocks: expect.any(Array) });
      const [negative] = await command('/credit', 'add Parent Co -5 refund', OPS);
      expect(negative.text).toBe('Expected an amount greater than zero like 50, 50.00, $50 or 1,234.56; a negative amount like "-5" is not allowed.');
      const [run] = await command('/bill', 'Child Co using Nightly', OPS);
      expect(run.text).toBe(':warning: There is no bill run configuration named "Nightly". Known configurations: "Monthly Billing".');
    });
  });

  describe('repeats', () => {
    it('adds a credit once, and answers once, when Slack delivers the same command twice', async () => {
      const triggerId = '9001.2002.feedbeef';
      const first = await command('/credit', 'add Solo Ltd 10 Retry test', OPS, { triggerId });
      const second = await command('/credit', 'add Solo Ltd 10 Retry test', OPS, { triggerId, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
      expect(first[0].text).toMatch(/^Credit \*CR-\d+\* of \$10\.00 added to \*Solo Ltd\*/);
      expect(second).toEqual([]);
      expect(await t.db('credits').where('detail', 'Retry test').count('* as n').first()).toEqual({ n: 1 });
    });

    it('starts a bill run once for the same command', async () => {
      const triggerId = '9002.2003.cafebabe';
      const [scheduled] = await command('/bill', 'Solo Ltd from 2026-09-01 to 2026-09-30', OPS, { triggerId });
      expect(scheduled.text).toMatch(/^Bill run #(\d+) scheduled: billing Solo Ltd\./);
      expect(env.slack.of('chat.postMessage')).toHaveLength(1);
      env.slack.clear();
      expect(await command('/bill', 'Solo Ltd from 2026-09-01 to 2026-09-30', OPS, { triggerId })).toEqual([]);
      expect(env.slack.of('chat.postMessage')).toEqual([]);
      expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 1 });
      expect(await t.db('invoices').whereRaw('account_id = (SELECT id FROM accounts WHERE name = ?)', ['Solo Ltd']).count('* as n').first()).toEqual({ n: 1 });
    });
  });

  describe('where notices go', () => {
    it('replies in the channel through the response_url when the bot cannot post there', async () => {
      env.slack.fail('chat.postMessage', 'not_in_channel');
      const replies = await command('/bill', 'Child Co from 2026-09-01 to 2026-09-30', OPS);
      expect(replies).toHaveLength(2);
      expect(replies[0]).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Bill run #\d+ scheduled/) });
      expect(replies[1]).toMatchObject({ response_type: 'in_channel', text: expect.stringMatching(/^Bill run #\d+ completed: Child Co using Monthly Billing, 2026-09-01 to 2026-09-30: 1 invoice \(INV-000019\), total \$140\.00,/) });
    });
  });
});

describe('a long bill run in Slack', () => {
  const t = useTestDatabase();
  let slack: FakeSlack;

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    await billing.createAccount({ name: 'Solo Ltd', currency: 'USD' });
    await billing.createPackage({ name: 'Basic', currency: 'USD', frequency: 'monthly', services: [{ name: 'Hosting', price: '25.00' }] });
    await billing.addAccountPackage({ account: 'Solo Ltd', package: 'Basic', effectiveDate: '2026-09-10', nextBillDate: '2026-09-10' });
    await billing.createAccount({ name: 'Broken Ltd', currency: 'USD' });
    await billing.addAccountPackage({ account: 'Broken Ltd', package: 'Basic', effectiveDate: '2026-11-10', nextBillDate: '2026-11-10' });
    slack = fakeSlack();
  });
  afterAll(() => slack?.done());
  beforeEach(() => slack.clear());

  async function run(text: string) {
    // One batch at a time: the progress messages and which invoicer gets which number are fixed.
    const { slack: app, port } = await startTestApp(t.db, { progressIntervalMs: 0, familiesPerBatch: 1, workers: 1 });
    try {
      const { body, responsePath } = slashBody('/billing', text, { user: ADMIN });
      expect((await postSigned(port, body)).status).toBe(200);
      await settle(app.deps);
      return slack.responsesTo(responsePath);
    } finally {
      await app.stop();
    }
  }

  it('keeps one progress message up to date and turns it into the completion notice', async () => {
    const [scheduled] = await run('run Monthly Billing from 2026-09-01 to 2026-09-30');
    expect(scheduled.text).toMatch(/^Bill run #1 scheduled: billing the bill groups of Monthly Billing\./);
    // Three invoicer families, one per batch: progress after the first two, then the notice.
    const posted = slack.of('chat.postMessage');
    expect(posted).toHaveLength(1);
    expect(posted[0].args).toMatchObject({ channel: CHANNEL, text: ':hourglass_flowing_sand: Bill run #1: 1 of 3 batches billed so far…' });
    const updates = slack.of('chat.update');
    expect(updates.map((u) => u.args.ts)).toEqual(['1790000000.000001', '1790000000.000001']);
    expect(updates[0].args.text).toBe(':hourglass_flowing_sand: Bill run #1: 2 of 3 batches billed so far…');
    const final = updates[1].args;
    expect(final.text).toBe('Bill run #1 completed: Monthly Billing, 2026-09-01 to 2026-09-30: 2 invoices (INV-000018, INV-000019), total $165.00, 2 accounts billed, 1 skipped.');
    const text = messageText(final);
    expect(text).toContain('Billed (2 packages of 2 accounts)');
    expect(text).toContain('*Solo Ltd* — Basic: 2026-09-10 to 2026-10-09, $25.00; next bill date 2026-10-10');
    expect(text).toContain(
      '*Broken Ltd* — Basic: next bill date 2026-11-10 is after the period end 2026-09-30; a period from 2026-11-01 to 2026-11-30 would include it',
    );
  });

  it('posts a failure notice when the run fails', async () => {
    await t.db.raw(`
      CREATE FUNCTION test_simulated_outage() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.account_id = (SELECT id FROM accounts WHERE name = 'Broken Ltd') THEN RAISE EXCEPTION 'simulated outage'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_outage BEFORE INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION test_simulated_outage();
    `);
    const [scheduled] = await run('run Monthly Billing from 2026-11-01 to 2026-11-30');
    expect(scheduled.text).toMatch(/^Bill run #2 scheduled/);
    const notice = [...slack.of('chat.update'), ...slack.of('chat.postMessage')].map((c) => c.args).find((a) => /failed/.test(a.text));
    expect(notice?.text).toMatch(/^Bill run #2 failed: Something went wrong on our side while handling bill run #2 \(reference [0-9a-f]{8}\)/);
    // The stored error is internal (SQL and all): only the sentence with its reference is shown.
    expect(messageText(notice)).not.toContain('simulated outage');
    expect(messageText(notice)).not.toContain('INSERT INTO');
    expect(messageText(notice)).toContain('Bill run #2 failed');
    expect(messageText(notice)).not.toMatch(/\n\s+at /);
    expect(await t.db('bill_runs').where('id', 2).first('status')).toEqual({ status: 'failed' });
  });
});
