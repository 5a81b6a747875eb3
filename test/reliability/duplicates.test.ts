import { createBilling } from '../../billing';
import { creditCommand } from '../../bot/slack/commands/credit';
import type { WebClient } from '../../bot/slack/deps';
import { RecentRequests } from '../../bot/slack/requestKeys';
import { creditAddSubmission } from '../../bot/slack/views/creditAdd';
import { useTestDatabase } from '../helpers/db';
import { CHANNEL, CLOCK, fakeRespond, settle, slashCommand, testDeps, viewSubmission } from '../bot/slack/helpers';

// The same request delivered twice to two processes (a retry that lands on another instance,
// or after a restart, so the in-memory memory of handled requests does not help): one effect,
// and one announcement in the channel. (Deliveries to the same process, double clicks and
// bill runs: test/bot/slack/commands.test.ts, listeners.test.ts and modals.test.ts.)

function fakeClient(posted: unknown[]) {
  return {
    chat: {
      postMessage: async (a: { channel: string }) => {
        posted.push(a);
        return { ok: true, channel: a.channel, ts: `1790000000.00000${posted.length}` };
      },
      postEphemeral: async () => ({ ok: true, message_ts: '1790000000.999999' }),
      update: async (a: { channel: string; ts: string }) => ({ ok: true, channel: a.channel, ts: a.ts }),
    },
    views: { open: async () => ({ ok: true, view: { id: 'V0FAKE', hash: 'h0' } }), update: async () => ({ ok: true }) },
  } as unknown as WebClient;
}

/** Two processes: each with its own memory of handled requests. */
const twoProcesses = (db: Parameters<typeof testDeps>[0]) => [new RecentRequests(), new RecentRequests()].map((recent) => ({ ...testDeps(db), recent }));

describe('the same request delivered to two processes', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    await createBilling(t.db, CLOCK).loadDemo();
  });

  it('adds one credit for a slash command, and announces it once', async () => {
    const command = slashCommand('/credit', 'add "Parent Co" 7.25 Delivered twice', {
      responseUrl: 'https://hooks.slack.test/dup',
      triggerId: '4242.1.dup-command',
    });
    const replies: any[] = [];
    for (const deps of twoProcesses(t.db)) {
      await creditCommand(deps)({
        ack: async () => undefined,
        respond: fakeRespond((m) => replies.push(m)),
        command,
        client: fakeClient([]),
        logger: deps.logger,
      });
      await settle(deps);
    }
    expect(await t.db('credits').where('detail', 'Delivered twice').count('* as n').first()).toEqual({ n: 1 });
    expect(replies.filter((r) => r.response_type === 'in_channel')).toHaveLength(1);
    // The second delivery is told, only to the requester, what the first did.
    expect(replies.filter((r) => r.response_type === 'ephemeral').map((r) => r.text)).toEqual([
      expect.stringMatching(/This request already added CR-\d+ to Parent Co, so it is not added again\./),
    ]);
    expect(await t.db('credit_events').join('credits', 'credits.id', 'credit_events.credit_id').where('credits.detail', 'Delivered twice').count('* as n').first()).toEqual({ n: 1 });
  });

  it('adds one credit for a form submission, and announces it once', async () => {
    const submission = viewSubmission(
      { id: 'V0DUPCREDIT', callback_id: 'credit_add', private_metadata: JSON.stringify({ channel: CHANNEL, modal: { kind: 'credit.add.modal' }, version: 0 }) },
      {
        account: { account: { type: 'external_select', selected_option: { value: 'Parent Co' } } },
        amount: { amount: { type: 'plain_text_input', value: '3.50' } },
        detail: { detail: { type: 'plain_text_input', value: 'Submitted twice' } },
        quantity: { quantity: { type: 'number_input', value: null } },
        autoDisburse: { autoDisburse: { type: 'checkboxes', selected_options: [] } },
      },
    ) as any;
    const posted: unknown[] = [];
    for (const deps of twoProcesses(t.db)) {
      await creditAddSubmission(deps)({ ack: async () => undefined, body: submission, view: submission.view, client: fakeClient(posted), logger: deps.logger });
      await settle(deps);
    }
    expect(await t.db('credits').where('detail', 'Submitted twice').count('* as n').first()).toEqual({ n: 1 });
    expect(posted.filter((p: any) => p.channel === CHANNEL)).toHaveLength(1);
  });
});
