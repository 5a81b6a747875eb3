import { createBilling } from '../../../billing';
import { ACK_BUDGET } from '../../../bot/slack/views/submit';
import { useTestDatabase } from '../../helpers/db';
import { checkOptions, checkView } from '../../helpers/slackLimits';
import { ADMIN, CLOCK, interactionBody, postSigned, settle, slashBody, userOf, useSlackApp, viewSubmission } from './helpers';

// The menus and forms at real size, through the Slack app (signed requests; every view the app
// sends, every options answer and every acknowledgement checked against Slack's limits).

const ACCOUNTS = 3000;
const CONFIGURATIONS = 150;
const INVOICES = 400;
/** 174 shared characters, then "Subsidiary 00001": 190 characters in all. */
const PREFIX = 'Northwind Traders International Holdings Worldwide Distribution and Logistics Services Group '.padEnd(174, 'X');
const accountName = (g: number) => `${PREFIX}Subsidiary ${String(g).padStart(5, '0')}`;

describe('menus and forms at real size', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    // 3,000 accounts with 190-character names sharing 174 characters, set-based.
    await t.db.raw(
      `INSERT INTO accounts (name, currency, bill_group_id)
       SELECT ? || 'Subsidiary ' || lpad(g::text, 5, '0'), 'USD', (SELECT id FROM bill_groups WHERE name = 'Default')
       FROM generate_series(1, ?::int) g`,
      [PREFIX, ACCOUNTS],
    );
    // 150 configurations (Config 001..150) and the default, named "Default", past the 100th.
    await t.db.raw(
      `WITH c AS (
         INSERT INTO bill_run_configurations (name, period_rule)
         SELECT 'Config ' || lpad(g::text, 3, '0'), 'previous month' FROM generate_series(1, ?::int) g
         UNION ALL SELECT 'Default', 'current month'
         RETURNING id
       )
       INSERT INTO bill_run_configuration_groups (configuration_id, bill_group_id)
       SELECT c.id, (SELECT id FROM bill_groups WHERE name = 'Default') FROM c`,
      [CONFIGURATIONS],
    );
    // CR-1 issued to INV-000018 (Parent Co), then 399 more unpaid invoices of Parent Co.
    await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Service outage', createdBy: ADMIN });
    await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: ADMIN });
    await t.db.raw(
      `INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency, total, balance, status)
       SELECT 18 + g, i.account_id, i.bill_run_id, i.invoice_date, i.posting_date, i.period_start, i.period_end, i.currency, 100, 100, 'open'
       FROM invoices i CROSS JOIN generate_series(1, ?::int) g WHERE i.number = 18`,
      [INVOICES - 1],
    );
    await t.db('settings').update({ next_invoice_number: 18 + INVOICES });
  });
  const env = useSlackApp(t);
  afterAll(() => {
    ACK_BUDGET.ms = 2000;
  });

  async function openForm(command: string, text: string) {
    const { body } = slashBody(command, text);
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    const [updated] = env.slack.of('views.update');
    expect(checkView(updated.args.view)).toBeNull();
    const view = updated.args.view;
    const blocks = Object.fromEntries(view.blocks.filter((b: any) => b.block_id).map((b: any) => [String(b.block_id).split('.')[0], b]));
    return { view, id: updated.args.view_id as string, blocks };
  }

  /** What the options handler answers as the person types into a menu of the view. */
  async function suggest(view: any, actionId: string, typed: string) {
    const payload = {
      type: 'block_suggestion',
      user: userOf(ADMIN),
      action_id: actionId,
      block_id: actionId,
      value: typed,
      team: { id: 'T0TEST', domain: 'billbot-test' },
      api_app_id: 'A0BILLBOT',
      token: 'legacy-verification-token',
      container: { type: 'view', view_id: 'V0VIEW1' },
      view: { id: 'V0VIEW1', callback_id: view.callback_id, private_metadata: view.private_metadata },
    };
    const started = performance.now();
    const answer = await postSigned(env.port, interactionBody(payload));
    const ms = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(checkOptions(answer.json)).toBeNull();
    return { options: answer.json.options as { text: { text: string }; value: string }[], ms };
  }

  /** Submits the form with these states (block id → element state); returns the acknowledgement and how long it took. */
  async function submit(form: { view: any; id: string }, values: Record<string, Record<string, Record<string, unknown>>>) {
    env.slack.clear();
    const payload = viewSubmission({ id: form.id, callback_id: form.view.callback_id, private_metadata: form.view.private_metadata }, values);
    const started = performance.now();
    const response = await postSigned(env.port, interactionBody(payload));
    const ms = performance.now() - started;
    expect(response.status).toBe(200);
    if (response.json?.view) expect(checkView(response.json.view)).toBeNull();
    await settle(env.app.deps);
    return { ack: response.json, ms };
  }

  const select = (type: string, actionId: string, value: string) => ({ [actionId]: { type, selected_option: { text: { type: 'plain_text', text: value }, value } } });
  const text = (actionId: string, value: string | null) => ({ [actionId]: { type: 'plain_text_input', value } });

  it('finds and picks the 3,000th of 3,000 accounts with 190-character names sharing their first 174', async () => {
    const form = await openForm('/credit', 'add');
    expect(form.blocks.account.element).toMatchObject({ type: 'external_select', action_id: 'account' });
    // The shared prefix matches them all: 100 options, each a different account, each text shortened with its end kept.
    const all = await suggest(form.view, 'account', 'Northwind Traders');
    expect(all.options).toHaveLength(100);
    expect(new Set(all.options.map((o) => o.value)).size).toBe(100);
    expect(new Set(all.options.map((o) => o.text.text)).size).toBe(100);
    for (const o of all.options) expect(o.text.text).toMatch(/^Northwind Traders International .*….*Subsidiary \d{5}$/);
    const last = await suggest(form.view, 'account', 'subsidiary 03000');
    expect(last.options.map((o) => o.text.text)).toEqual([expect.stringMatching(/…XXX+Subsidiary 03000$/)]);
    const chosen = last.options[0].value;
    const id = (await t.db('accounts').where({ name: accountName(ACCOUNTS) }).first('id')).id;
    expect(chosen).toBe(`a:${id}`);
    console.log(`account search over ${ACCOUNTS} accounts answered in ${all.ms.toFixed(0)} ms (prefix) and ${last.ms.toFixed(0)} ms (one)`);

    // Renamed while the form is open: the id still names the same account.
    await t.db('accounts').where({ id }).update({ name: `${accountName(ACCOUNTS)} (renamed)` });
    const done = await submit(form, {
      account: { account: { type: 'external_select', selected_option: { text: { type: 'plain_text', text: last.options[0].text.text }, value: chosen } } },
      amount: text('amount', '12.50'),
      detail: text('detail', 'Picked from 3,000'),
      quantity: { quantity: { type: 'number_input', value: null } },
      autoDisburse: { autoDisburse: { type: 'checkboxes', selected_options: [] } },
    });
    expect(done.ack).toBeNull();
    console.log(`Add Credit submission (checks and audit, ${ACCOUNTS} accounts) acknowledged in ${done.ms.toFixed(0)} ms`);
    expect(await t.db('credits').where({ account_id: id }).count('* as n').first()).toEqual({ n: 1 });
    const [notice] = env.slack.of('chat.postMessage');
    expect(notice.args.text).toContain('Subsidiary 03000 (renamed)');
  });

  it('picks configuration 150 of 150, and shows a default configuration past the 100th', async () => {
    const form = await openForm('/bill', '');
    const menu = form.blocks.configuration;
    expect(menu.dispatch_action).toBe(true);
    const fallback = await t.db('bill_run_configurations').where({ name: 'Default' }).first('id');
    expect(menu.element).toMatchObject({ type: 'external_select', action_id: 'bill_configuration', initial_option: { value: `c:${fallback.id}` } });
    const found = await suggest(form.view, 'bill_configuration', '150');
    expect(found.options.map((o) => o.text.text)).toEqual(['Config 150']);
    const blank = await suggest(form.view, 'bill_configuration', '');
    expect(blank.options).toHaveLength(100);

    // Choosing it refills the period from its rule (previous month: September).
    const childId = (await t.db('accounts').where({ name: 'Child Co' }).first('id')).id;
    const action = {
      type: 'block_actions',
      user: userOf(ADMIN),
      api_app_id: 'A0BILLBOT',
      token: 'legacy-verification-token',
      container: { type: 'view', view_id: form.id },
      trigger_id: '1.2.3',
      team: { id: 'T0TEST', domain: 'billbot-test' },
      view: { id: form.id, hash: 'h-1', callback_id: 'bill_account', private_metadata: form.view.private_metadata, state: { values: { account: select('external_select', 'account', `a:${childId}`) } } },
      actions: [{ type: 'external_select', action_id: 'bill_configuration', block_id: 'configuration', selected_option: found.options[0], action_ts: '1.0' }],
    };
    env.slack.clear();
    expect((await postSigned(env.port, interactionBody(action))).status).toBe(200);
    await settle(env.app.deps);
    const [refilled] = env.slack.of('views.update');
    const blocks = Object.fromEntries(refilled.args.view.blocks.map((b: any) => [String(b.block_id).split('.')[0], b]));
    expect(blocks.configuration.element.initial_option).toMatchObject({ text: { text: 'Config 150' }, value: found.options[0].value });
    expect(blocks.from.element.initial_date).toBe('2026-09-01');
    expect(blocks.account.element.initial_option.text.text).toBe('Child Co');

    const done = await submit(form, {
      account: select('external_select', 'account', `a:${childId}`),
      configuration: select('external_select', 'bill_configuration', found.options[0].value),
      // (Child Co's package was billed for September before: it is due again in October.)
      'from.1': { from: { type: 'datepicker', selected_date: '2026-10-01' } },
      'to.1': { to: { type: 'datepicker', selected_date: '2026-10-31' } },
      preview: { preview: { type: 'checkboxes', selected_options: [{ value: 'yes', text: { type: 'plain_text', text: 'Yes' } }] } },
    });
    expect(done.ack).toBeNull();
    console.log(`Bill Account submission (packages due, ${CONFIGURATIONS} configurations) acknowledged in ${done.ms.toFixed(0)} ms`);
    const audit = await t.db('audit_log').where({ command: 'view:bill_account' }).orderBy('id', 'desc').first('input', 'decision');
    expect(audit.decision).toBe('allowed');
    expect(JSON.parse(audit.input)).toMatchObject({ account: 'Child Co', configuration: 'Config 150' });
  });

  it('disburses to the 400th of 400 unpaid invoices, and says how many there are', async () => {
    const form = await openForm('/credit', 'disburse CR-1');
    expect(form.view.blocks[0].text.text).toContain('Unpaid invoices of *Parent Co* (400):');
    expect(form.view.blocks[0].text.text).toContain('…and 380 more to find in the menu below: type digits of an invoice number.');
    expect(form.blocks.invoice.element).toMatchObject({ type: 'external_select', initial_option: { value: 'INV-000018' } });
    const found = await suggest(form.view, form.blocks.invoice.element.action_id, '417');
    expect(found.options[0]).toMatchObject({ text: { text: 'INV-000417: balance $100.00' }, value: 'INV-000417' });
    const oldest = await suggest(form.view, form.blocks.invoice.element.action_id, '');
    expect(oldest.options).toHaveLength(100);

    const values = (amount: string | null) => ({
      invoice: select('external_select', form.blocks.invoice.element.action_id, 'INV-000417'),
      amount: text('amount', amount),
    });
    const tooMuch = await submit(form, values('50.01'));
    expect(tooMuch.ack).toEqual({
      response_action: 'errors',
      errors: { amount: 'At most $50.00 can go from CR-1 to INV-000417: CR-1 has $50.00 left and INV-000417 a balance of $100.00.' },
    });
    console.log(`Disburse check (${INVOICES} unpaid invoices) answered in ${tooMuch.ms.toFixed(0)} ms`);
    expect((await submit(form, values('20.00'))).ack).toBeNull();
    const [row] = await t.db('disbursements as d').join('invoices as i', 'i.id', 'd.invoice_id').select('i.number', 'd.amount');
    expect(Number(row.number)).toBe(417);
  });

  it('acknowledges at once when the checks outlast the budget, and shows the outcome in the form', async () => {
    ACK_BUDGET.ms = 0;
    try {
      const form = await openForm('/credit', 'add');
      const parent = (await t.db('accounts').where({ name: 'Parent Co' }).first('id')).id;
      const answers = (amount: string) => ({
        account: select('external_select', 'account', `a:${parent}`),
        amount: text('amount', amount),
        detail: text('detail', 'Slow checks'),
      });
      const refused = await submit(form, answers('50.001'));
      expect(refused.ack).toMatchObject({ response_action: 'update', view: { type: 'modal' } });
      const [shown] = env.slack.of('views.update');
      expect(shown.args.view_id).toBe(form.id);
      expect(shown.args.view.blocks[0].text.text).toMatch(/^:warning: Nothing was done:\n• .*more decimal places than USD allows/);
      expect(await t.db('credits').where({ account_id: parent }).count('* as n').first()).toEqual({ n: 1 });

      const accepted = await submit(form, answers('5.00'));
      expect(accepted.ack).toMatchObject({ response_action: 'update' });
      expect(env.slack.of('views.update')[0].args.view.blocks[0].text.text).toContain('Submitted');
      expect(env.slack.of('chat.postMessage')[0].args.text).toContain('Slow checks');
      expect(await t.db('credits').where({ account_id: parent }).count('* as n').first()).toEqual({ n: 2 });
    } finally {
      ACK_BUDGET.ms = 2000;
    }
  });
});
