import { createBilling } from '../../../billing';
import { useTestDatabase } from '../../helpers/db';
import { ADMIN, buttonClick, CHANNEL, CLOCK, interactionBody, messageText, postSigned, settle, slashBody, useSlackApp } from './helpers';

const FIN = 'U0FIN';

// DOMAIN.md's worked example, driven only through signed slash commands and a button click
// on the real HTTP receiver; the numbers are read from what the app posts to Slack.
describe('the worked example through Slack', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    await createBilling(t.db, CLOCK).loadDemo();
  });
  const env = useSlackApp(t);

  /** Sends a slash command and waits for everything it does after the acknowledgement. */
  async function command(name: string, text: string, user = FIN) {
    env.slack.clear();
    const { body, responsePath } = slashBody(name, text, { user });
    const response = await postSigned(env.port, body);
    expect(response.status).toBe(200);
    await settle(env.app.deps);
    return { replies: env.slack.responsesTo(responsePath), responsePath };
  }

  /** The completion notices posted in the channel (chat.postMessage). */
  function notices() {
    return env.slack.of('chat.postMessage').map((c) => c.args);
  }

  it('runs the whole example with its exact numbers', async () => {
    // An admin (BILLING_ADMINS) makes the finance person an operator.
    let r = await command('/billing', `access grant <@${FIN}|fin> operator`, ADMIN);
    expect(r.replies).toHaveLength(1);
    expect(r.replies[0]).toMatchObject({ response_type: 'in_channel' });
    expect(r.replies[0].text).toBe(`<@${ADMIN}> granted <@${FIN}> the *operator* role.`);

    // Add a $50.00 credit to Parent Co, automatic disbursement off: unissued.
    r = await command('/credit', 'add Parent Co $50.00 Service outage');
    expect(r.replies[0].response_type).toBe('in_channel');
    expect(messageText(r.replies[0])).toContain('Credit *CR-1* of $50.00 added to *Parent Co*');
    expect(messageText(r.replies[0])).toContain('unissued');

    // Bill Child Co for September: "scheduled" at once for the requester, the notice in the channel.
    r = await command('/bill', 'Child Co using Monthly Billing from 2026-09-01 to 2026-09-30');
    expect(r.replies[0]).toMatchObject({ response_type: 'ephemeral' });
    expect(r.replies[0].text).toMatch(/^Bill run #1 scheduled: billing Child Co\./);
    expect(notices()).toHaveLength(1);
    const september = notices()[0];
    expect(september.channel).toBe(CHANNEL);
    expect(september.text).toBe('Bill run #1 completed: Child Co using Monthly Billing, 2026-09-01 to 2026-09-30: 1 invoice (INV-000018), total $140.00, 1 account billed, 0 skipped.');
    const septemberText = messageText(september);
    expect(septemberText).toContain('*INV-000018* to *Parent Co*: total $140.00, balance $140.00 (open)');
    expect(septemberText).toContain('*Child Co* — Managed Network: 2026-09-15 to 2026-10-14, $140.00; next bill date 2026-10-15');
    expect(septemberText).toContain('1 account billed · 1 package billed · 0 skipped');
    expect(septemberText).toContain('1 credit issued');

    // The credit is issued to #18 with $50.00 left; it can no longer be deleted (the click says so).
    r = await command('/credit', 'list Parent Co');
    expect(r.replies[0].response_type).toBe('ephemeral');
    expect(messageText(r.replies[0])).toContain('CR-1 · *Parent Co* · $50.00 · issued · issued to INV-000018 · $50.00 left to disburse');

    // Billing the same period again creates nothing new, and says why.
    r = await command('/bill', 'Child Co using Monthly Billing from 2026-09-01 to 2026-09-30');
    expect(r.replies[0].text).toMatch(/^Bill run #2 scheduled/);
    const again = notices()[0];
    expect(again.text).toBe('Bill run #2 completed: Child Co using Monthly Billing, 2026-09-01 to 2026-09-30: no invoice, 0 accounts billed, 1 skipped.');
    expect(messageText(again)).toContain('*Child Co* — Managed Network: already billed for 2026-09-15 to 2026-10-14 on INV-000018; next bill date is 2026-10-15');
    expect(await t.db('invoices').count('* as n').first()).toEqual({ n: 1 });

    // Disburse $50.00 to #18: balance $90.00, nothing left; one more cent is refused.
    r = await command('/credit', 'disburse CR-1 INV-000018 50.00');
    expect(r.replies[0].response_type).toBe('in_channel');
    expect(r.replies[0].text).toBe('Disbursed $50.00 of CR-1 to INV-000018: its balance is now $90.00, and CR-1 has $0.00 left to disburse.');
    r = await command('/credit', 'disburse CR-1 INV-000018 0.01');
    expect(r.replies[0].response_type).toBe('ephemeral');
    expect(r.replies[0].text).toBe('CR-1 has nothing left to disburse.');
    r = await command('/billing', 'invoice INV-000018');
    expect(messageText(r.replies[0])).toContain('Invoice INV-000018 to Parent Co: total $140.00, balance $90.00 (open)');

    // Reverse: a button behind a confirmation; the click does it; #18 is unchanged.
    r = await command('/credit', 'reverse CR-1');
    const confirm = r.replies[0];
    expect(confirm.response_type).toBe('ephemeral');
    const button = confirm.blocks.find((b: any) => b.type === 'actions').elements[0];
    expect(button).toMatchObject({ action_id: 'credit_reverse', style: 'danger', confirm: { confirm: { text: 'Reverse' } } });
    expect(await t.db('credits').where('id', 1).first('status')).toEqual({ status: 'issued' }); // not yet: only the click does it
    env.slack.clear();
    const click = await postSigned(env.port, interactionBody(buttonClick('credit_reverse', button.value, r.responsePath, FIN)));
    expect(click.status).toBe(200);
    await settle(env.app.deps);
    const [done, notice] = env.slack.responsesTo(r.responsePath);
    expect(done).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(notice).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(notice.text).toBe('Credit *CR-1* of $50.00 on *Parent Co* is reversal pending.');
    expect(messageText(notice)).toContain('$50.00, goes onto the next invoice as a reversed credit');
    r = await command('/billing', 'invoice 18');
    expect(messageText(r.replies[0])).toContain('total $140.00, balance $90.00');

    // October: #19 carries the $140.00 charge and the +$50.00 reversed credit: $190.00.
    r = await command('/bill', 'Child Co using Monthly Billing from 2026-10-01 to 2026-10-31');
    expect(r.replies[0].text).toMatch(/^Bill run #3 scheduled/);
    const october = notices()[0];
    expect(october.text).toBe('Bill run #3 completed: Child Co using Monthly Billing, 2026-10-01 to 2026-10-31: 1 invoice (INV-000019), total $190.00, 1 account billed, 0 skipped.');
    expect(messageText(october)).toContain('*INV-000019* to *Parent Co*: total $190.00, balance $190.00 (open)');
    expect(messageText(october)).toContain('1 reversal applied');
    r = await command('/credit', 'list Parent Co');
    expect(messageText(r.replies[0])).toContain('CR-1 · *Parent Co* · $50.00 · reversed · issued to INV-000018 · reversed $50.00 on INV-000019');

    // Every command above is in the audit trail, with the Slack user id.
    const audit = await t.db('audit_log').orderBy('id').select('actor', 'command', 'action', 'decision');
    expect(audit).toHaveLength(13);
    expect(audit[0]).toEqual({ actor: ADMIN, command: '/billing', action: 'billing.access', decision: 'allowed' });
    expect(audit.filter((a) => a.actor === FIN).every((a) => a.decision === 'allowed')).toBe(true);
    expect(audit.find((a) => a.command === 'button:credit_reverse')).toEqual({
      actor: FIN,
      command: 'button:credit_reverse',
      action: 'credit.reverse',
      decision: 'allowed',
    });
    expect(env.slack.unmatched).toEqual([]);
  });
});
