import type { Knex } from 'knex';
import { createBilling, Money } from '../../../billing';
import { blocksToText, HOME_BILL_ACTION, HOME_CREDIT_ACTION, HOME_EXPORT_ACTION, mrkdwnToText, slackTime } from '../../../bot/render';
import { useTestDatabase } from '../../helpers/db';
import { ADMIN, CLOCK, interactionBody, messageText, postSigned, settle, slashBody, userOf, useSlackApp } from './helpers';

const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';

let events = 0;

/** What Slack sends when someone opens the app's Home tab. */
function homeOpened(user: string): string {
  events += 1;
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    api_app_id: 'A0BILLBOT',
    event: { type: 'app_home_opened', user, channel: `D0${user.slice(2)}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
    type: 'event_callback',
    event_id: `Ev0HOME${events}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** A click on one of the Home tab's buttons (a Home tab has no response_url). */
function homeClick(actionId: string, user: string, triggerId: string): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: userOf(user),
    api_app_id: 'A0BILLBOT',
    token: 'legacy-verification-token',
    container: { type: 'view', view_id: `V0HOME-${user}` },
    trigger_id: triggerId,
    team: { id: 'T0TEST', domain: 'billbot-test' },
    enterprise: null,
    is_enterprise_install: false,
    view: { id: `V0HOME-${user}`, type: 'home', team_id: 'T0TEST', blocks: [], private_metadata: '', callback_id: '', hash: 'home-hash', app_id: 'A0BILLBOT', bot_id: 'B0BOT' },
    actions: [{ action_id: actionId, block_id: 'home_actions', text: { type: 'plain_text', text: 'Go' }, value: actionId, type: 'button', action_ts: `${Date.now() / 1000}` }],
  };
}

const usd = (amount: string) => Money.exact(amount, 'USD').format();

/**
 * Big data, set-based: `n` accounts with 190-character names sharing a long prefix, one invoice
 * each in one completed run (three in four open), a credit issued to every tenth with all of it
 * left, and 150 scheduled configurations.
 */
async function seedBigData(db: Knex, n: number): Promise<void> {
  await db.transaction(async (trx) => {
    const prefix = `Home Big Data Account ${'x'.repeat(160)} `;
    const { rows: [{ id: group }] } = await trx.raw(`SELECT id FROM bill_groups ORDER BY id LIMIT 1`);
    const { rows: [{ id: base }] } = await trx.raw(`SELECT coalesce(max(id), 0) AS id FROM accounts`);
    await trx.raw(
      `INSERT INTO accounts (id, name, currency, bill_group_id)
       SELECT :base + g, :prefix || lpad(g::text, 6, '0'), CASE WHEN g % 20 = 0 THEN 'EUR' ELSE 'USD' END, :group
       FROM generate_series(1, :n::int) g`,
      { base, prefix, group, n },
    );
    await trx.raw(`SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT max(id) FROM accounts))`);
    await trx.raw(
      `INSERT INTO bill_run_configurations (name, bill_packages, generate_invoice, period_rule, schedule, time_zone)
       SELECT 'Home Scheduled ' || lpad(g::text, 3, '0'), true, true, 'current month', (g % 28 + 1) || ' ' || (g % 24) || ' * * *', 'America/New_York'
       FROM generate_series(1, 150) g`,
    );
    const { rows: [{ id: run }] } = await trx.raw(
      `INSERT INTO bill_runs (configuration_id, scope, period_start, period_end, posting_date, invoice_date, bill_packages,
                              generate_invoice, started_by, status, finished_at)
       SELECT id, 'bill groups', '2026-09-01', '2026-09-30', '2026-09-30', '2026-09-30', true, true, 'seed', 'completed', '2026-10-01T06:30:00Z'
       FROM bill_run_configurations WHERE name = 'Home Scheduled 001' RETURNING id`,
    );
    await trx.raw(
      `WITH numbering AS (
         UPDATE settings SET next_invoice_number = next_invoice_number + :n RETURNING next_invoice_number - :n AS first
       )
       INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency, total, balance, status)
       SELECT numbering.first + g - 1, :base + g, :run, '2026-09-30', '2026-09-30', '2026-09-01', '2026-09-30',
              CASE WHEN g % 20 = 0 THEN 'EUR' ELSE 'USD' END, 140.00, CASE WHEN g % 4 = 0 THEN 0 ELSE 140.00 END,
              CASE WHEN g % 4 = 0 THEN 'paid' ELSE 'open' END
       FROM generate_series(1, :n::int) g CROSS JOIN numbering`,
      { n, base, run },
    );
    await trx.raw(
      `INSERT INTO credits (account_id, unit_amount, quantity, amount, currency, credit_date, detail, created_by, status, issued_invoice_id, amount_left)
       SELECT i.account_id, 25.00, 1, 25.00, i.currency, '2026-09-15', repeat('A long detail. ', 33), 'seed', 'issued', i.id, 25.00
       FROM invoices i WHERE i.bill_run_id = :run AND (i.account_id - :base) % 10 = 0`,
      { run, base },
    );
  });
}

// The Home tab on the real HTTP receiver: signed app_home_opened events, views.publish checked
// against Slack's limits, and its buttons opening the forms.
describe('the Home tab', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    await createBilling(t.db, CLOCK).loadDemo();
    await t.db('access_grants').insert({ principal: VIEWER, role: 'viewer', granted_by: ADMIN });
    await t.db('bill_run_configurations').where('name', 'Monthly Billing').update({ schedule: '0 6 1 * *', time_zone: 'Europe/Paris' });
  });
  const env = useSlackApp(t);

  async function command(name: string, text: string) {
    const { body } = slashBody(name, text, { user: ADMIN });
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
  }

  /** Opens the Home tab as `user`; returns the view published for them. */
  async function openHome(user: string): Promise<{ type: string; blocks: any[] }> {
    env.slack.clear();
    const response = await postSigned(env.port, homeOpened(user), { headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    await settle(env.app.deps);
    const published = env.slack.of('views.publish');
    expect(published).toHaveLength(1);
    expect(published[0].args.user_id).toBe(user);
    return published[0].args.view;
  }

  const buttons = (view: { blocks: any[] }) => view.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements.map((e: any) => e.action_id));

  it('shows an admin the worked example at a glance: the run, the next scheduled run, the credit waiting, the open invoice', async () => {
    await command('/credit', 'add Parent Co $50.00 Service outage');
    await command('/bill', 'Child Co using Monthly Billing from 2026-09-01 to 2026-09-30');
    const run = await t.db('bill_runs').orderBy('id', 'desc').first();
    const invoice = await t.db('invoices').where('bill_run_id', run.id).first();
    expect(run.status).toBe('completed');

    const view = await openHome(ADMIN);
    expect(view.type).toBe('home');
    const shown = messageText(view);
    expect(shown).toContain(
      `#${run.id} completed · *Monthly Billing* for *Child Co* · 2026-09-01 to 2026-09-30 · 1 invoice, ${usd(invoice.total)} · finished ${slackTime(run.finished_at, 'UTC')}`,
    );
    // 1 November 06:00 in Paris (CET) is 05:00 UTC; each reader sees it in their own time zone.
    expect(shown).toContain(`*Monthly Billing* · <!date^${Date.parse('2026-11-01T05:00:00Z') / 1000}^{date_short} {time}|2026-11-01 06:00 (Europe/Paris)>`);
    expect(shown).toContain('*Credits waiting to be disbursed:* 1 credit, $50.00 left');
    expect(shown).toContain('CR-1 · *Parent Co* · $50.00 left · credited 2026-10-02');
    expect(shown).toContain(`USD: 1 open invoice, ${usd(invoice.balance)} due`);
    expect(buttons(view)).toEqual([HOME_BILL_ACTION, HOME_CREDIT_ACTION, HOME_EXPORT_ACTION]);
    // The terminal reads the fallback, never the token.
    expect(blocksToText(view.blocks)).toContain('· 2026-11-01 06:00 (Europe/Paris)');
    expect(blocksToText(view.blocks)).not.toContain('<!date');
  });

  it('shows a viewer the figures and the buttons a viewer may use', async () => {
    const view = await openHome(VIEWER);
    expect(messageText(view)).toContain('Credits waiting to be disbursed');
    expect(buttons(view)).toEqual([HOME_BILL_ACTION, HOME_EXPORT_ACTION]);
  });

  it('shows someone without a role a short polite page, and no figures', async () => {
    const view = await openHome(STRANGER);
    const shown = messageText(view);
    expect(shown).toContain("you don't have one yet. Please ask an admin to give you one");
    expect(shown).not.toContain('Parent Co');
    expect(buttons(view)).toEqual([]);
  });

  it('opens the Bill Account form from its button, on the click\'s trigger; refuses Add a credit to a viewer; explains exports', async () => {
    const triggerId = '1234.5678.home';
    expect((await postSigned(env.port, interactionBody(homeClick(HOME_BILL_ACTION, ADMIN, triggerId)))).status).toBe(200);
    await settle(env.app.deps);
    const [opened] = env.slack.of('views.open');
    expect(opened.args.trigger_id).toBe(triggerId);
    const [form] = env.slack.of('views.update');
    expect(form.args.view.callback_id).toBe('bill_account');
    expect(JSON.parse(form.args.view.private_metadata)).toMatchObject({ channel: null, modal: { kind: 'bill.modal' } });

    env.slack.clear();
    await postSigned(env.port, interactionBody(homeClick(HOME_CREDIT_ACTION, VIEWER, '2.2.refused')));
    await settle(env.app.deps);
    // The loading view opens on the trigger before the role check; the refusal replaces it (no form).
    expect(env.slack.of('views.open').map((c) => [c.args.trigger_id, c.args.view.callback_id])).toEqual([['2.2.refused', 'credit_add_loading']]);
    const [refusal] = env.slack.of('views.update');
    expect(refusal.args.view_id).toBe('V0VIEW2');
    expect(messageText(refusal.args.view)).toContain('this needs the *operator* role');
    expect(env.slack.of('views.update')).toHaveLength(1);
    const audited = await t.db('audit_log').where({ actor: VIEWER, command: `button:${HOME_CREDIT_ACTION}` }).first();
    expect(audited).toMatchObject({ decision: 'refused' });

    env.slack.clear();
    await postSigned(env.port, interactionBody(homeClick(HOME_EXPORT_ACTION, VIEWER, '3.3.export')));
    await settle(env.app.deps);
    expect(messageText(env.slack.of('views.open')[0].args.view)).toContain('`/billing export invoices`');
  });

  it('stays within Slack\'s limits with 100,000 accounts of 190-character names, their invoices, 10,000 credits waiting and 150 schedules', async () => {
    await seedBigData(t.db, 100_000);
    const started = Date.now();
    const view = await openHome(ADMIN);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const shown = messageText(view);
    expect(shown).toContain('*Credits waiting to be disbursed:* 10,001 credits, €125,000.00, $125,050.00 left');
    expect(shown).toContain('…and 9,996 more.');
    expect(shown).toContain('USD: 75,001 open invoices');
    expect(shown).not.toContain('EUR: '); // every EUR invoice of the seed is paid
    expect(shown).toContain('#2 completed · *Home Scheduled 001* · 2026-09-01 to 2026-09-30 · 100,000 invoices, €700,000.00, $13,300,000.00');
    expect(shown.match(/\*Home Scheduled \d{3}\* · <!date\^/g)?.length).toBe(5);
    expect(mrkdwnToText(shown)).not.toContain('<!date');
  }, 120_000);
});
