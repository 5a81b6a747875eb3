import { createBilling } from '../../../billing';
import type { SlackApp } from '../../../bot/slack/app';
import { useTestDatabase } from '../../helpers/db';
import * as h from './helpers';

const FIN = 'U0FIN';
const VIEWER = 'U0VIEWER';

// /payment through the real HTTP receiver with signed requests: DOMAIN.md's worked example
// continued ($60.00 on invoice 18 leaves $30.00; reversing it behind a confirmation brings
// $90.00 back), roles, and the Record Payment form with the account's unpaid invoices.
describe('payments through Slack', () => {
  const t = useTestDatabase();
  let slack: h.FakeSlack;
  let app: SlackApp;
  let port: number;

  beforeAll(async () => {
    const billing = createBilling(t.db, h.CLOCK);
    await billing.loadDemo();
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Service outage', createdBy: FIN });
    await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: FIN });
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50', actor: FIN });
    await t.db('access_grants').insert([
      { principal: FIN, role: 'operator', granted_by: h.ADMIN },
      { principal: VIEWER, role: 'viewer', granted_by: h.ADMIN },
    ]);
    slack = h.fakeSlack();
    ({ slack: app, port } = await h.startTestApp(t.db));
  });
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });

  async function command(name: string, text: string, user = FIN) {
    slack.clear();
    const { body, responsePath } = h.slashBody(name, text, { user });
    expect((await h.postSigned(port, body)).status).toBe(200);
    await h.settle(app.deps);
    return { replies: slack.responsesTo(responsePath), responsePath };
  }

  it('records $60.00 on invoice 18, leaving $30.00, and a confirmed reversal brings $90.00 back', async () => {
    let r = await command('/payment', 'add Parent Co $60.00 ref CHQ-1001 method cheque to INV-000018');
    expect(r.replies[0].response_type).toBe('in_channel');
    expect(r.replies[0].text).toBe('Payment *PM-000001* of $60.00 from *Parent Co* recorded (received 2026-10-02, cheque, reference “CHQ-1001”).');
    expect(h.messageText(r.replies[0])).toContain('INV-000018: $60.00 paid · balance $30.00 (partly paid)');

    // The same reference again is refused, only to the person.
    r = await command('/payment', 'add Parent Co 60 ref CHQ-1001');
    expect(r.replies[0]).toMatchObject({ response_type: 'ephemeral' });
    expect(r.replies[0].text).toContain('"Parent Co" already has PM-000001 with reference "CHQ-1001"');

    r = await command('/payment', 'list Parent Co', VIEWER);
    expect(r.replies[0].response_type).toBe('ephemeral');
    expect(h.messageText(r.replies[0])).toContain('PM-000001 · *Parent Co* · $60.00 · received 2026-10-02, cheque, reference “CHQ-1001” · recorded · paid INV-000018 $60.00 · $0.00 unapplied');

    // Reverse: a button behind a short confirmation; the details and the reason in the message.
    r = await command('/payment', 'reverse PM-000001 Cheque returned unpaid');
    const confirm = r.replies[0];
    expect(confirm.response_type).toBe('ephemeral');
    expect(h.messageText(confirm)).toContain('because “Cheque returned unpaid”');
    expect(h.messageText(confirm)).toContain('INV-000018: $60.00 goes back onto its balance');
    const button = confirm.blocks.find((b: any) => b.type === 'actions').elements[0];
    expect(button).toMatchObject({ action_id: 'payment_reverse', style: 'danger', confirm: { confirm: { text: 'Reverse' } } });
    expect(button.confirm.text.text.length).toBeLessThanOrEqual(300);
    expect((await t.db('payments').first('status')).status).toBe('recorded'); // only the click does it

    slack.clear();
    expect((await h.postSigned(port, h.interactionBody(h.buttonClick('payment_reverse', button.value, r.responsePath, FIN)))).status).toBe(200);
    await h.settle(app.deps);
    const [done, notice] = slack.responsesTo(r.responsePath);
    expect(done).toMatchObject({ response_type: 'ephemeral', replace_original: true });
    expect(notice).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(notice.text).toBe('Payment *PM-000001* of $60.00 from *Parent Co* is reversed: “Cheque returned unpaid”.');
    expect(h.messageText(notice)).toContain('INV-000018: $60.00 back on its balance · balance $90.00 (partly paid)');
    r = await command('/billing', 'invoice 18');
    expect(h.messageText(r.replies[0])).toContain('total $140.00, balance $90.00');
    expect(h.messageText(r.replies[0])).toContain('*Due date:* 2026-11-01');

    // A second click on the same button: billing refuses, only to the person.
    slack.clear();
    const again = JSON.parse(button.value);
    await h.postSigned(port, h.interactionBody(h.buttonClick('payment_reverse', JSON.stringify({ ...again, request: '0b7c1a52-2f7e-4a57-9d55-5f1f5d2c9a10' }), r.responsePath, FIN)));
    await h.settle(app.deps);
    expect(slack.responsesTo(r.responsePath)[0].text).toContain('PM-000001 is already reversed');
  });

  it('lets viewers read but not record or reverse', async () => {
    let r = await command('/payment', 'add Parent Co 5', VIEWER);
    expect(r.replies[0].response_type).toBe('ephemeral');
    expect(r.replies[0].text).toMatch(/operator/);
    r = await command('/payment', 'reverse PM-000001 nope', VIEWER);
    expect(r.replies[0].text).toMatch(/operator/);
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 1 });
    const decisions = await t.db('audit_log').where({ actor: VIEWER, command: '/payment' }).orderBy('id').pluck('decision');
    expect(decisions).toEqual(['allowed', 'refused', 'refused']);
  });

  it('opens the Record Payment form alone, offers the unpaid invoices once the account is picked, and records from it', async () => {
    slack.clear();
    const { body } = h.slashBody('/payment', 'add', { user: FIN });
    expect((await h.postSigned(port, body)).status).toBe(200);
    await h.settle(app.deps);
    const [updated] = slack.of('views.update');
    const form = { id: updated.args.view_id as string, view: updated.args.view };
    expect(form.view.callback_id).toBe('payment_add');
    const blocks = Object.fromEntries(form.view.blocks.map((b: any) => [b.block_id, b]));
    expect(Object.keys(blocks)).toEqual(['account', 'amount', 'to.0', 'reference', 'receivedOn', 'method']);
    expect(blocks.account).toMatchObject({ dispatch_action: true, element: { type: 'external_select', action_id: 'account' } });
    expect(blocks['to.0'].element.type).toBe('plain_text_input');

    const parent = (await t.db('accounts').where('name', 'Parent Co').first('id')).id;
    slack.clear();
    const pick = {
      type: 'block_actions',
      user: h.userOf(FIN),
      api_app_id: 'A0BILLBOT',
      token: 'legacy-verification-token',
      container: { type: 'view', view_id: form.id },
      trigger_id: '1.2.3',
      team: { id: 'T0TEST', domain: 'billbot-test' },
      view: { id: form.id, hash: 'h-1', callback_id: 'payment_add', private_metadata: form.view.private_metadata, state: { values: {} } },
      actions: [
        {
          type: 'external_select',
          action_id: 'account',
          block_id: 'account',
          selected_option: { text: { type: 'plain_text', text: 'Parent Co' }, value: `a:${parent}` },
          action_ts: '1.0',
        },
      ],
    };
    expect((await h.postSigned(port, h.interactionBody(pick))).status).toBe(200);
    await h.settle(app.deps);
    const [refilled] = slack.of('views.update');
    expect(refilled.args).toMatchObject({ view_id: form.id, hash: 'h-1' });
    const view = refilled.args.view;
    const to = view.blocks.find((b: any) => b.block_id === 'to.1');
    expect(to.element).toMatchObject({ type: 'multi_static_select', action_id: 'to' });
    expect(to.element.options).toEqual([
      { text: { type: 'plain_text', text: 'INV-000018 · $90.00 of $140.00 · due 2026-11-01', emoji: true }, value: 'INV-000018' },
    ]);

    slack.clear();
    const state = {
      account: { account: { type: 'external_select', selected_option: { value: `a:${parent}` } } },
      amount: { amount: { type: 'plain_text_input', value: '100' } },
      'to.1': { to: { type: 'multi_static_select', selected_options: [{ value: 'INV-000018' }] } },
      reference: { reference: { type: 'plain_text_input', value: 'WIRE-9' } },
      receivedOn: { receivedOn: { type: 'datepicker', selected_date: '2026-10-01' } },
      method: { method: { type: 'plain_text_input', value: null } },
    };
    const submitted = h.viewSubmission({ id: form.id, callback_id: 'payment_add', private_metadata: view.private_metadata }, state, FIN);
    expect((await h.postSigned(port, h.interactionBody(submitted))).status).toBe(200);
    await h.settle(app.deps);
    const [notice] = slack.of('chat.postMessage');
    expect(notice.args.channel).toBe(h.CHANNEL);
    expect(notice.args.text).toBe('Payment *PM-000002* of $100.00 from *Parent Co* recorded (received 2026-10-01, reference “WIRE-9”).');
    expect(h.messageText(notice.args)).toContain('INV-000018: $90.00 paid · balance $0.00 (paid)');
    expect(h.messageText(notice.args)).toContain("$10.00 is unapplied: it pays Parent Co's next invoices, oldest first, when they are made.");
  });
});
