import { createBilling } from '../../../billing';
import { useTestDatabase } from '../../helpers/db';
import { ADMIN, CHANNEL, CLOCK, interactionBody, messageText, postSigned, settle, slashBody, userOf, useSlackApp, viewSubmission } from './helpers';

const VIEWER = 'U0VIEWER';

type Answers = Record<string, string | boolean | null>;

/** The state Slack would send back for a view with these answers, built from the view's own input blocks. */
function stateFor(view: any, answers: Answers) {
  const values: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const block of view.blocks.filter((b: any) => b.type === 'input')) {
    const field = String(block.block_id).split('.')[0];
    const element = block.element;
    const answer = field in answers ? answers[field] : undefined;
    let state: Record<string, unknown>;
    switch (element.type) {
      case 'external_select':
      case 'static_select': {
        const value = answer === undefined ? (element.initial_option?.value ?? null) : answer;
        state = { type: element.type, selected_option: value ? { text: { type: 'plain_text', text: value }, value } : null };
        break;
      }
      case 'datepicker':
        state = { type: 'datepicker', selected_date: answer === undefined ? (element.initial_date ?? null) : answer };
        break;
      case 'checkboxes':
        state = { type: 'checkboxes', selected_options: answer === true ? [{ value: 'yes', text: { type: 'plain_text', text: 'Yes' } }] : [] };
        break;
      default:
        state = { type: element.type, value: answer === undefined ? (element.initial_value ?? null) : answer };
    }
    values[block.block_id] = { [element.action_id]: state };
  }
  return values;
}

// The forms behind bare /bill, /credit add and /credit disburse CR-1, on the real HTTP receiver.
describe('Slack modals', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    await t.db('access_grants').insert({ principal: VIEWER, role: 'viewer', granted_by: ADMIN });
  });
  const env = useSlackApp(t);

  /** Runs a slash command that opens a form; returns the form as built (views.update) and its id. */
  async function openForm(command: string, text: string, user = ADMIN) {
    const { body, triggerId } = slashBody(command, text, { user });
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    const [opened] = env.slack.of('views.open');
    expect(opened.args.trigger_id).toBe(triggerId);
    const [updated] = env.slack.of('views.update');
    // The form replaces the loading view that views.open answered with (its id and hash).
    expect(updated.args).toMatchObject({ view_id: expect.stringMatching(/^V0VIEW\d+$/), hash: expect.stringMatching(/^hash-\d+-0$/) });
    expect(updated.args.hash).toBe(`hash-${updated.args.view_id.slice('V0VIEW'.length)}-0`);
    return { loading: opened.args.view, view: updated.args.view, id: updated.args.view_id as string };
  }

  /** Menus carry ids: an account or configuration named in the answers is chosen by its id (an unknown name stays as typed). */
  async function byId(answers: Answers): Promise<Answers> {
    const out = { ...answers };
    for (const [field, table, prefix] of [['account', 'accounts', 'a:'], ['configuration', 'bill_run_configurations', 'c:']] as const) {
      const row = typeof out[field] === 'string' ? await t.db(table).where({ name: out[field] }).first('id') : null;
      if (row) out[field] = `${prefix}${row.id}`;
    }
    return out;
  }

  async function submit(form: { view: any; id: string }, answers: Answers, user = ADMIN) {
    env.slack.clear();
    const state = stateFor(form.view, await byId(answers));
    const payload = viewSubmission({ id: form.id, callback_id: form.view.callback_id, private_metadata: form.view.private_metadata }, state, user);
    const response = await postSigned(env.port, interactionBody(payload));
    expect(response.status).toBe(200);
    await settle(env.app.deps);
    return response.json as { response_action: string; errors: Record<string, string> } | null;
  }

  const september = { account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', preview: false };

  describe('Bill Account (bare /bill)', () => {
    it('opens a loading view at once, then fills the form from the configuration for today', async () => {
      const form = await openForm('/bill', '');
      expect(form.loading).toMatchObject({ type: 'modal', callback_id: 'bill_account_loading' });
      expect(form.view.callback_id).toBe('bill_account');
      expect(JSON.parse(form.view.private_metadata)).toEqual({ channel: CHANNEL, modal: { kind: 'bill.modal', account: null }, version: 0 });
      const blocks = Object.fromEntries(form.view.blocks.map((b: any) => [b.block_id, b]));
      expect(blocks.account.element).toMatchObject({ type: 'external_select', action_id: 'account', min_query_length: 1 });
      // Menus carry ids, never names (changed with the menus: they used to carry names).
      const monthly = await t.db('bill_run_configurations').where({ name: 'Monthly Billing' }).first('id');
      expect(blocks.configuration.element.options.map((o: any) => [o.text.text, o.value])).toEqual([['Monthly Billing', `c:${monthly.id}`]]);
      expect(blocks.configuration.element.initial_option.value).toBe(`c:${monthly.id}`);
      // Monthly Billing bills the current month; today is 2026-10-02.
      expect(blocks['from.0'].element).toMatchObject({ type: 'datepicker', initial_date: '2026-10-01' });
      expect(blocks['to.0'].element).toMatchObject({ type: 'datepicker', initial_date: '2026-10-31' });
      expect(blocks.posting).toMatchObject({ optional: true, element: { type: 'datepicker' } });
      expect(blocks.preview.element.type).toBe('checkboxes');
      expect(form.view.submit.text).toBe('Bill');
    });

    it('suggests accounts by name in the account picker, to people with a role only', async () => {
      const suggestion = (user: string) => ({
        type: 'block_suggestion',
        user: userOf(user),
        action_id: 'account',
        block_id: 'account',
        value: 'co',
        team: { id: 'T0TEST', domain: 'billbot-test' },
        api_app_id: 'A0BILLBOT',
        token: 'legacy-verification-token',
        container: { type: 'view', view_id: 'V0VIEW1' },
      });
      const found = await postSigned(env.port, interactionBody(suggestion(VIEWER)));
      // The value is the account's id (it used to be the name).
      const ids = Object.fromEntries((await t.db('accounts').select('name', 'id')).map((a: any) => [a.name, `a:${a.id}`]));
      expect(found.json.options.map((o: any) => [o.text.text, o.value])).toEqual([
        ['Child Co', ids['Child Co']],
        ['Parent Co', ids['Parent Co']],
      ]);
      const refused = await postSigned(env.port, interactionBody(suggestion('U0STRANGER')));
      expect(refused.json).toEqual({ options: [] });
    });

    it('marks the fields at fault, and bills nothing', async () => {
      const form = await openForm('/bill', '');
      expect(await submit(form, { ...september, account: null })).toEqual({
        response_action: 'errors',
        errors: { account: 'The account to bill is required.' },
      });
      expect(await submit(form, { ...september, from: '2026-09-30', to: '2026-09-01' })).toEqual({
        response_action: 'errors',
        errors: { 'from.0': 'The billing period starts after it ends; the "from" date must not be after the "to" date.' },
      });
      expect(await submit(form, { ...september, account: 'Nobody Ltd' })).toEqual({
        response_action: 'errors',
        errors: { account: 'There is no account named "Nobody Ltd".' },
      });
      expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 0 });
    });

    it('says on the period when no package is due in it, naming the next bill dates', async () => {
      const form = await openForm('/bill', '');
      // The form's own default (October) is the trap: Child Co's package is due 2026-09-15.
      expect(await submit(form, { account: 'Child Co' })).toEqual({
        response_action: 'errors',
        errors: {
          'from.0':
            'No package of Child Co has its next bill date between 2026-10-01 and 2026-10-31, so nothing would be billed. ' +
            'Next bill dates: 2026-09-15 (Managed Network). Choose a period that includes one.',
        },
      });
      expect((await submit(form, { ...september, account: 'Parent Co', from: '2026-11-01', to: '2026-11-30' }))?.errors).toEqual({
        'from.0': expect.stringContaining('Next bill dates: 2026-09-15 (Managed Network on Child Co).'),
      });
      expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 0 });
    });

    it('refuses a viewer on the preview field unless it is a preview, which writes nothing', async () => {
      const form = await openForm('/bill', '', VIEWER);
      const refused = await submit(form, september, VIEWER);
      expect(refused?.errors.preview).toMatch(/^Sorry @U0VIEWER, this needs the operator role/);
      expect(await submit(form, { ...september, preview: true }, VIEWER)).toBeNull();
      const [preview] = env.slack.of('chat.postEphemeral');
      expect(preview.args).toMatchObject({ channel: CHANNEL, user: VIEWER });
      expect(preview.args.text).toBe(
        'Preview (nothing was written) of billing Child Co using Monthly Billing for 2026-09-01 to 2026-09-30: 1 invoice (INV-000018), total $140.00, 1 account billed, 0 skipped.',
      );
      expect(env.slack.of('chat.postMessage')).toEqual([]);
      expect(await t.db('invoices').count('* as n').first()).toEqual({ n: 0 });
      expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 0 });
      const decisions = await t.db('audit_log').where({ actor: VIEWER, command: 'view:bill_account' }).orderBy('id').pluck('decision');
      expect(decisions).toEqual(['refused', 'allowed']);
    });

    it('refills the period when another configuration is chosen', async () => {
      await createBilling(t.db, CLOCK).createConfiguration({ name: 'Last Month', periodRule: 'previous month' });
      const form = await openForm('/bill', '');
      // With two configurations and none named Default, none is chosen for the person.
      expect(form.view.blocks.find((b: any) => b.block_id === 'configuration').element.initial_option).toBeUndefined();
      env.slack.clear();
      const payload = {
        type: 'block_actions',
        user: userOf(ADMIN),
        api_app_id: 'A0BILLBOT',
        token: 'legacy-verification-token',
        container: { type: 'view', view_id: form.id },
        trigger_id: '1.2.3',
        team: { id: 'T0TEST', domain: 'billbot-test' },
        view: { id: form.id, hash: 'h-1', callback_id: 'bill_account', private_metadata: form.view.private_metadata, state: { values: stateFor(form.view, await byId({ account: 'Child Co' })) } },
        actions: [
          {
            type: 'static_select',
            action_id: 'bill_configuration',
            block_id: 'configuration',
            selected_option: { text: { type: 'plain_text', text: 'Last Month' }, value: (await byId({ configuration: 'Last Month' })).configuration },
            action_ts: '1.0',
          },
        ],
      };
      expect((await postSigned(env.port, interactionBody(payload))).status).toBe(200);
      await settle(env.app.deps);
      const [update] = env.slack.of('views.update');
      expect(update.args).toMatchObject({ view_id: form.id, hash: 'h-1' });
      const blocks = Object.fromEntries(update.args.view.blocks.map((b: any) => [b.block_id, b]));
      expect(blocks['from.1'].element.initial_date).toBe('2026-09-01');
      expect(blocks['to.1'].element.initial_date).toBe('2026-09-30');
      expect(blocks.account.element.initial_option).toMatchObject({ text: { text: 'Child Co' }, value: (await byId({ account: 'Child Co' })).account });
      expect(JSON.parse(update.args.view.private_metadata).version).toBe(1);
    });
  });

  describe('Add Credit (/credit add alone)', () => {
    it('opens the form with the text form’s fields and enforces what is required', async () => {
      const form = await openForm('/credit', 'add');
      expect(form.view.callback_id).toBe('credit_add');
      const blocks = Object.fromEntries(form.view.blocks.map((b: any) => [b.block_id, b]));
      expect(Object.keys(blocks)).toEqual(['account', 'amount', 'detail', 'quantity', 'autoDisburse']);
      expect(blocks.account.optional).toBe(false);
      expect(blocks.amount.optional).toBe(false);
      expect(blocks.detail).toMatchObject({ optional: false, element: { multiline: true } });
      expect(blocks.quantity).toMatchObject({ optional: true, element: { type: 'number_input', is_decimal_allowed: false } });

      const answers = { account: 'Parent Co', amount: '$50.00', detail: 'Service outage', quantity: null, autoDisburse: false };
      expect(await submit(form, { ...answers, amount: 'fifty' })).toEqual({
        response_action: 'errors',
        errors: { amount: '"fifty" is not an amount; expected an amount like 50, 50.00, $50 or 1,234.56.' },
      });
      expect(await submit(form, { ...answers, detail: null })).toEqual({
        response_action: 'errors',
        errors: { detail: 'A detail (the reason for the credit) is required.' },
      });
      expect(await submit(form, { ...answers, amount: '50.001' })).toEqual({
        response_action: 'errors',
        errors: { amount: expect.stringContaining('has more decimal places than USD allows (2)') },
      });
      expect(await t.db('credits').count('* as n').first()).toEqual({ n: 0 });

      expect(await submit(form, answers)).toBeNull();
      const [notice] = env.slack.of('chat.postMessage');
      expect(notice.args.channel).toBe(CHANNEL);
      expect(notice.args.text).toBe('Credit *CR-1* of $50.00 added to *Parent Co*: “Service outage”.');
      // The same submission again (a double click): no second credit, no second notice.
      expect(await submit(form, answers)).toBeNull();
      expect(env.slack.of('chat.postMessage')).toEqual([]);
      expect(await t.db('credits').count('* as n').first()).toEqual({ n: 1 });
    });
  });

  describe('a bill run from the form, and Disburse Credit', () => {
    it('bills once however often the same form is submitted, then disburses from the form', async () => {
      const form = await openForm('/bill', '');
      expect(await submit(form, september)).toBeNull();
      const [scheduled] = env.slack.of('chat.postEphemeral');
      expect(scheduled.args).toMatchObject({ channel: CHANNEL, user: ADMIN });
      expect(scheduled.args.text).toMatch(/^Bill run #\d+ scheduled: billing Child Co\./);
      const [notice] = env.slack.of('chat.postMessage');
      expect(notice.args.channel).toBe(CHANNEL);
      expect(notice.args.text).toMatch(/^Bill run #\d+ completed: Child Co using Monthly Billing, 2026-09-01 to 2026-09-30: 1 invoice \(INV-000018\), total \$140\.00, 1 account billed, 0 skipped\.$/);
      expect(messageText(notice.args)).toContain('next bill date 2026-10-15');

      // Slack delivering the same submission again, even with a retry header: nothing new.
      env.slack.clear();
      const payload = viewSubmission({ id: form.id, callback_id: 'bill_account', private_metadata: form.view.private_metadata }, stateFor(form.view, await byId(september)));
      const again = await postSigned(env.port, interactionBody(payload), { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
      expect(again.status).toBe(200);
      await settle(env.app.deps);
      expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 1 });
      expect(await t.db('invoices').count('* as n').first()).toEqual({ n: 1 });
      expect(env.slack.of('chat.postMessage')).toEqual([]);

      // Disburse CR-1 (issued to INV-000018 by that run) from its form.
      const disburse = await openForm('/credit', 'disburse CR-1');
      expect(disburse.view.callback_id).toBe('credit_disburse');
      const intro = disburse.view.blocks[0].text.text;
      expect(intro).toContain('*CR-1* for *Parent Co* (Service outage): *$50.00* left to disburse of $50.00, issued to INV-000018.');
      expect(intro).toContain('• INV-000018 (2026-10-02): total $140.00, balance *$140.00*, at most *$50.00* from this credit');
      const blocks = Object.fromEntries(disburse.view.blocks.filter((b: any) => b.block_id).map((b: any) => [b.block_id, b]));
      expect(blocks.credit).toBeUndefined();
      expect(blocks.invoice.element.initial_option.value).toBe('INV-000018');
      expect(blocks.amount.element.initial_value).toBe('50.00');

      expect(await submit(disburse, { amount: '50.01' })).toEqual({
        response_action: 'errors',
        errors: { amount: 'At most $50.00 can go from CR-1 to INV-000018: CR-1 has $50.00 left and INV-000018 a balance of $140.00.' },
      });
      expect(await submit(disburse, {})).toBeNull();
      const [disbursed] = env.slack.of('chat.postMessage');
      expect(disbursed.args.text).toBe('Disbursed $50.00 of CR-1 to INV-000018: its balance is now $90.00, and CR-1 has $0.00 left to disburse.');
      expect(await submit(disburse, {})).toBeNull();
      expect(await t.db('disbursements').count('* as n').first()).toEqual({ n: 1 });

      // Nothing left: the form explains instead of asking.
      const empty = await openForm('/credit', 'disburse CR-1');
      expect(empty.view.blocks[0].text.text).toBe('CR-1 has nothing left to disburse ($50.00 already disbursed).');
      expect(empty.view.submit).toBeUndefined();
    });
  });
});
