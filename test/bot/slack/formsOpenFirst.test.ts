import { createBilling } from '../../../billing';
import { HOME_CREDIT_ACTION } from '../../../bot/render';
import { ACK_BUDGET } from '../../../bot/slack/views/submit';
import { useTestDatabase } from '../../helpers/db';
import { ADMIN, CLOCK, interactionBody, messageText, postSigned, settle, slashBody, userOf, useSlackApp } from './helpers';

const VIEWER = 'U0VIEWER';

// A trigger id is valid 3 seconds after Slack sent it: a form's view must be opened before
// any database work (the role check, the audit, the form's data). Through the Slack app, with
// every query of the app's database timed against the fake Slack's views.open.
describe('forms open their view before any database work', () => {
  const t = useTestDatabase();
  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    // CR-1 and an unpaid invoice to disburse it to.
    await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Outage', createdBy: ADMIN, autoDisburse: false });
    await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: ADMIN });
    await t.db('access_grants').insert({ principal: VIEWER, role: 'viewer', granted_by: ADMIN });
  });
  const env = useSlackApp(t);
  const queries: { at: number; sql: string }[] = [];
  const onQuery = (q: { sql: string }) => queries.push({ at: performance.now(), sql: q.sql });
  let db: typeof t.db;
  beforeAll(() => {
    db = t.db;
    db.on('query', onQuery);
  });
  afterAll(() => db?.removeListener('query', onQuery));
  beforeEach(() => (queries.length = 0));
  afterEach(() => jest.restoreAllMocks());

  /** Sends a request, waits for what it does; when views.open came after the request, and the queries before it. */
  async function timed(body: string) {
    const sent = performance.now();
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    const [open] = env.slack.of('views.open');
    return { openedAfterMs: open.at - sent, queriesBefore: queries.filter((q) => q.at < open.at && q.at >= sent), queriesAfter: queries.filter((q) => q.at > open.at) };
  }

  it.each([
    ['/bill', '', 'bill_account'],
    ['/credit', 'add', 'credit_add'],
    ['/credit', 'disburse CR-1', 'credit_disburse'],
  ])('%s %s: views.open first, then the role check, the audit and the form', async (command, text, callback) => {
    const { openedAfterMs, queriesBefore, queriesAfter } = await timed(slashBody(command, text, { user: ADMIN }).body);
    expect(queriesBefore).toEqual([]);
    expect(queriesAfter.some((q) => /insert into "audit_log"/.test(q.sql))).toBe(true);
    expect(openedAfterMs).toBeLessThan(ACK_BUDGET.ms);
    expect(env.slack.of('views.open')[0].args.view.callback_id).toBe(`${callback}_loading`);
    expect(env.slack.of('views.update').map((c) => c.args.view.callback_id)).toEqual([callback]);
    console.log(`${command} ${text}: views.open ${openedAfterMs.toFixed(0)} ms after the request, before any of its ${queriesAfter.length} queries`);
  });

  it('opens the view at once even when the role check is slow, and shows a refusal in it', async () => {
    const roleOf = env.app.deps.access.roleOf.bind(env.app.deps.access);
    jest.spyOn(env.app.deps.access, 'roleOf').mockImplementation(async (user: string) => {
      await new Promise((resolve) => setTimeout(resolve, 2500));
      return roleOf(user);
    });
    const { openedAfterMs, queriesBefore } = await timed(slashBody('/credit', 'add', { user: VIEWER }).body);
    expect(queriesBefore).toEqual([]);
    expect(openedAfterMs).toBeLessThan(1000); // not after the 2.5 s role check
    const [shown] = env.slack.of('views.update');
    expect(shown.args.view_id).toBe('V0VIEW4'); // the loading view this command opened (the 4th of the file)
    expect(messageText(shown.args.view)).toContain('this needs the *operator* role');
    expect(await t.db('audit_log').where({ actor: VIEWER, command: '/credit' }).orderBy('id', 'desc').first('decision')).toEqual({ decision: 'refused' });
  }, 15_000);

  it('the Home tab buttons too: views.open on the click, before the role check', async () => {
    const click = {
      type: 'block_actions',
      user: userOf(ADMIN),
      api_app_id: 'A0BILLBOT',
      token: 'legacy-verification-token',
      container: { type: 'view', view_id: 'V0HOME' },
      trigger_id: '9.9.home',
      team: { id: 'T0TEST', domain: 'billbot-test' },
      view: { id: 'V0HOME', type: 'home', callback_id: '', private_metadata: '', hash: 'h', state: { values: {} } },
      actions: [{ type: 'button', action_id: HOME_CREDIT_ACTION, block_id: 'home_actions', text: { type: 'plain_text', text: 'Add a credit' }, action_ts: '1.0' }],
    };
    const { openedAfterMs, queriesBefore, queriesAfter } = await timed(interactionBody(click));
    expect(queriesBefore).toEqual([]);
    expect(queriesAfter.length).toBeGreaterThan(0);
    expect(openedAfterMs).toBeLessThan(ACK_BUDGET.ms);
    expect(env.slack.of('views.open')[0].args.trigger_id).toBe('9.9.home');
    expect(env.slack.of('views.update').map((c) => c.args.view.callback_id)).toEqual(['credit_add']);
  });
});
