import { createBilling } from '../../../billing';
import { billCommand } from '../../../bot/slack/commands/bill';
import { billingCommand } from '../../../bot/slack/commands/billing';
import { creditCommand } from '../../../bot/slack/commands/credit';
import { creditReverseAction } from '../../../bot/slack/actions/creditReverse';
import type { WebClient } from '../../../bot/slack/deps';
import { accountOptions } from '../../../bot/slack/options/accounts';
import { RecentRequests } from '../../../bot/slack/requestKeys';
import { billAccountSubmission } from '../../../bot/slack/views/billAccount';
import { creditAddSubmission } from '../../../bot/slack/views/creditAdd';
import { useTestDatabase } from '../../helpers/db';
import { ADMIN, CHANNEL, CLOCK, fakeClient, fakeRespond, memoryLogger, optionsAck, settle, slashCommand, testDeps, userOf, viewAck, viewSubmission } from './helpers';

// Listeners called directly with fake ack/respond/client (as Slack's starter template tests them).

describe('Slack listeners with fakes', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
  });

  it('acknowledges a command before anything else, and replies ephemerally with a list', async () => {
    const deps = testDeps(t.db);
    const ack = jest.fn(async () => undefined);
    const respond = fakeRespond();
    const client = fakeClient();
    await creditCommand(deps)({ ack, respond, command: slashCommand('/credit', 'list Parent Co'), client: client as unknown as WebClient, logger: deps.logger });
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledWith();
    expect(respond).toHaveBeenCalledTimes(1);
    expect(ack.mock.invocationCallOrder[0]).toBeLessThan(respond.mock.invocationCallOrder[0]);
    expect(respond).toHaveBeenCalledWith({ response_type: 'ephemeral', text: 'Parent Co has no credits.', blocks: expect.any(Array) });
  });

  it('acknowledges even while the database does not answer', async () => {
    const deps = testDeps(t.db);
    deps.access = { ...deps.access, roleOf: () => new Promise(() => undefined) };
    const ack = jest.fn(async () => undefined);
    const respond = fakeRespond();
    void billingCommand(deps)({ ack, respond, command: slashCommand('/billing', 'help'), client: fakeClient() as unknown as WebClient, logger: deps.logger });
    await new Promise((resolve) => setImmediate(resolve));
    expect(ack).toHaveBeenCalledTimes(1);
    expect(respond).not.toHaveBeenCalled();
  });

  it('turns an unexpected failure into one sentence with a reference, never a stack trace', async () => {
    const logger = memoryLogger();
    const deps = testDeps(t.db, logger);
    deps.access = {
      ...deps.access,
      roleOf: async () => {
        throw new Error('connect ECONNREFUSED postgres://billbot:hunter2@db:5432');
      },
    };
    const respond = fakeRespond();
    await billingCommand(deps)({
      ack: async () => undefined,
      respond,
      command: slashCommand('/billing', 'help'),
      client: fakeClient() as unknown as WebClient,
      logger,
    });
    expect(respond).toHaveBeenCalledTimes(1);
    const reply = (respond.mock.calls[0] as unknown as [{ response_type: string; text: string }])[0];
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/^:warning: Something went wrong on our side while handling \/billing \(reference ([0-9a-f]{8})\)\./);
    expect(reply.text).not.toContain('hunter2');
    expect(reply.text).not.toMatch(/\n\s+at /);
    const ref = /reference ([0-9a-f]{8})/.exec(reply.text)![1];
    expect(logger.lines.some((l) => l.startsWith('error') && l.includes(`ref ${ref}`))).toBe(true);
  });

  it('answers a bill form with field errors through ack, without touching Slack', async () => {
    const deps = testDeps(t.db);
    const ack = viewAck();
    const client = fakeClient();
    const payload = viewSubmission(
      { id: 'V0FORM', callback_id: 'bill_account', private_metadata: JSON.stringify({ channel: CHANNEL, modal: { kind: 'bill.modal' }, version: 0 }) },
      {
        account: { account: { type: 'external_select', selected_option: { value: 'Child Co' } } },
        'from.0': { from: { type: 'datepicker', selected_date: '2026-09-01' } },
        'to.0': { to: { type: 'datepicker', selected_date: null } },
      },
    ) as any;
    await billAccountSubmission(deps)({ ack, body: payload, view: payload.view, client: client as unknown as WebClient, logger: deps.logger });
    expect(ack).toHaveBeenCalledWith({
      response_action: 'errors',
      errors: { 'to.0': 'Give both ends of the billing period (from YYYY-MM-DD to YYYY-MM-DD), or neither.' },
    });
    expect(client.chat.postMessage).not.toHaveBeenCalled();
    expect(client.chat.postEphemeral).not.toHaveBeenCalled();
  });

  it('adds a credit once even when two processes get the same submission', async () => {
    const submission = viewSubmission(
      { id: 'V0CREDIT', callback_id: 'credit_add', private_metadata: JSON.stringify({ channel: CHANNEL, modal: { kind: 'credit.add.modal' }, version: 0 }) },
      {
        account: { account: { type: 'external_select', selected_option: { value: 'Parent Co' } } },
        amount: { amount: { type: 'plain_text_input', value: '12.50' } },
        detail: { detail: { type: 'plain_text_input', value: 'Two deliveries' } },
        quantity: { quantity: { type: 'number_input', value: null } },
        autoDisburse: { autoDisburse: { type: 'checkboxes', selected_options: [] } },
      },
    ) as any;
    for (const recent of [new RecentRequests(), new RecentRequests()]) {
      const deps = { ...testDeps(t.db), recent };
      const ack = viewAck();
      await creditAddSubmission(deps)({ ack, body: submission, view: submission.view, client: fakeClient() as unknown as WebClient, logger: deps.logger });
      await settle(deps);
      expect(ack).toHaveBeenCalledWith();
    }
    expect(await t.db('credits').where('detail', 'Two deliveries').count('* as n').first()).toEqual({ n: 1 });
  });

  it('starts one bill run when two processes get the same command', async () => {
    const command = { ...slashCommand('/bill', 'Child Co from 2026-10-01 to 2026-10-31'), trigger_id: '777.888.same' };
    const replies: string[] = [];
    for (const recent of [new RecentRequests(), new RecentRequests()]) {
      const deps = { ...testDeps(t.db), recent };
      const respond = fakeRespond((m) => replies.push(m.text));
      await billCommand(deps)({ ack: async () => undefined, respond, command, client: fakeClient() as unknown as WebClient, logger: deps.logger });
    }
    expect(replies[0]).toMatch(/^Bill run #(\d+) scheduled: billing Child Co\./);
    const runId = /#(\d+)/.exec(replies[0])![1];
    expect(replies[1]).toBe(`This request already started bill run #${runId}, so it is not run again. \`/bill status ${runId}\` shows it.`);
    expect(await t.db('bill_runs').where('request_key', 'like', '%777.888.same').count('* as n').first()).toEqual({ n: 1 });
  });

  it('suggests accounts to the account picker', async () => {
    const deps = testDeps(t.db);
    const ack = optionsAck();
    await accountOptions(deps)({ ack, options: { type: 'block_suggestion', value: 'chi', user: userOf(ADMIN) } as any, logger: deps.logger });
    // The value is the account's id (it used to be the name).
    const child = await t.db('accounts').where({ name: 'Child Co' }).first('id');
    expect(ack).toHaveBeenCalledWith({
      options: [{ text: { type: 'plain_text', text: 'Child Co', emoji: true }, value: `a:${child.id}`, description: { type: 'plain_text', text: 'USD', emoji: true } }],
    });
  });

  it('reverses a credit once, however often its button is clicked', async () => {
    const billing = createBilling(t.db, CLOCK);
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '5', detail: 'Button test', createdBy: ADMIN });
    await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: ADMIN });
    const deps = testDeps(t.db);
    const click = (request: string) => {
      const respond = fakeRespond();
      const action = { type: 'button', action_id: 'credit_reverse', block_id: 'b', value: JSON.stringify({ credit: credit.id, request }), text: { type: 'plain_text', text: 'Reverse' }, action_ts: '1' };
      const body = { type: 'block_actions', user: userOf(ADMIN), channel: { id: CHANNEL, name: 'billing' }, actions: [action], response_url: 'https://hooks.slack.test/b' };
      return { respond, run: () => creditReverseAction(deps)({ ack: async () => undefined, body: body as any, action: action as any, respond, client: fakeClient() as unknown as WebClient, logger: deps.logger }) };
    };
    const first = click('0b6f1c1e-9c1a-4d59-9d49-3f0f6a1f0001');
    await first.run();
    expect(first.respond.mock.calls.map((c: any) => c[0].response_type)).toEqual(['ephemeral', 'in_channel']);
    expect((first.respond.mock.calls[1] as any)[0].text).toBe(`Credit *${credit.id}* of $5.00 on *Parent Co* is reversal pending.`);
    // The same click delivered again: nothing happens.
    await first.run();
    expect(first.respond).toHaveBeenCalledTimes(2);
    // Another button for the same credit (a second person): billing refuses, the state is the guard.
    const second = click('0b6f1c1e-9c1a-4d59-9d49-3f0f6a1f0002');
    await second.run();
    expect(second.respond).toHaveBeenCalledWith(expect.objectContaining({ response_type: 'ephemeral', replace_original: true, text: expect.stringMatching(new RegExp(`^${credit.id} is already reversal pending`)) }));
    expect(await t.db('credit_events').where({ credit_id: Number(credit.id.slice(3)), action: 'reversal requested' }).count('* as n').first()).toEqual({ n: 1 });
    // A button value that is not ours.
    const forged = click('not-a-uuid');
    await forged.run();
    expect(forged.respond).toHaveBeenCalledWith(expect.objectContaining({ text: 'That button is not one billbot understands any more; type the command again.' }));
  });
});

describe('RecentRequests', () => {
  it('claims a key once within its time to live', () => {
    const recent = new RecentRequests(1000, 10);
    expect(recent.claim('a', 0)).toBe(true);
    expect(recent.claim('a', 500)).toBe(false);
    expect(recent.has('a', 999)).toBe(true);
    expect(recent.claim('a', 1500)).toBe(true);
  });

  it('forgets the oldest keys beyond its size', () => {
    const recent = new RecentRequests(60_000, 3);
    for (const k of ['a', 'b', 'c', 'd']) recent.claim(k, 0);
    expect(recent.has('a', 1)).toBe(false);
    expect(recent.has('d', 1)).toBe(true);
  });
});

describe('forms that cannot open', () => {
  const t = useTestDatabase();

  it('says so when the trigger id expired', async () => {
    const deps = testDeps(t.db);
    const client = fakeClient();
    client.views.open.mockImplementation(async () => {
      throw Object.assign(new Error('An API error occurred: expired_trigger_id'), { data: { ok: false, error: 'expired_trigger_id' } });
    });
    const respond = fakeRespond();
    await billCommand(deps)({ ack: async () => undefined, respond, command: slashCommand('/bill', ''), client: client as unknown as WebClient, logger: deps.logger });
    expect(respond).toHaveBeenCalledWith({
      response_type: 'ephemeral',
      text: ':warning: The form could not be opened in time (Slack allows 3 seconds); please run the command again.',
    });
    expect(client.views.update).not.toHaveBeenCalled();
  });
});
