import fc from 'fast-check';
import { createBilling } from '../../billing';
import { grantRole } from '../../billing/access';
import { parseCommand, type SlashCommand } from '../../bot/commands';
import type { WebClient } from '../../bot/slack/deps';
import { handleSlashCommand } from '../../bot/slack/dispatch';
import type { SlackApp } from '../../bot/slack/app';
import { useTestDatabase } from '../helpers/db';
import { ADMIN, CLOCK, fakeClient, fakeRespond, fakeSlack, FakeSlack, memoryLogger, postSigned, settle, slashBody, slashCommand, startTestApp, testDeps } from '../bot/slack/helpers';

// Property-based fuzzing of the text of every slash command, as anyone could type it: never a
// crash, never an error status, always an answer only the requester sees (a change that
// succeeded is the one thing announced in the channel).

const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';
const COMMANDS: SlashCommand[] = ['/bill', '/credit', '/payment', '/billing'];
/** Commands whose success is announced in the channel (bot/slack/dispatch.ts). */
const ANNOUNCED = new Set(['credit.add', 'credit.disburse', 'credit.reverse', 'credit.delete', 'payment.add', 'payment.reverse', 'billing.access']);

const words = fc.constantFrom(
  'add', 'disburse', 'reverse', 'delete', 'list', 'status', 'ref', 'on', 'method', 'PM-000001', 'INV-000018=5', 'help', 'access', 'grant', 'revoke', 'run', 'invoices', 'invoice',
  'from', 'to', 'using', 'posting', 'preview', 'auto', 'viewer', 'admin', '"', '“', '”', "'", '2026-09-01', '2026-09-30', '2026-13-45',
  '$50', '50', '-5', '0', '1,234.56', '50.001', '1e9', '99999999999999999999', 'CR-1', 'CR-999999999999', 'INV-000018', '#18', '18',
  '<@U0EVIL>', '<!channel>', '<!here>', '&lt;', '&amp;', '*bold*', '`code`', "Robert'); DROP TABLE accounts;--", '=1+1', '@SUM(A1)',
  'Child', 'Co', 'Parent', 'Monthly', 'Billing', 'Default', '\t', '\n', ' ', 'NaN', 'null', 'undefined', '%00', '\u0000', 'ñ', '🙂',
);
const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(words, { maxLength: 9 }).map((w) => w.join(' ')),
  fc.array(words, { maxLength: 9 }).map((w) => w.join('')),
  fc.tuple(fc.array(words, { maxLength: 4 }), fc.string({ maxLength: 3000 })).map(([w, tail]) => `${w.join(' ')} ${tail}`),
);

function kindOf(command: SlashCommand, input: string): string | null {
  try {
    return parseCommand(command, input, { slackEscaped: true }).kind;
  } catch {
    return null;
  }
}

describe('fuzzed slash-command text', () => {
  const t = useTestDatabase();
  let triggers = 0;

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await billing.loadDemo();
    await billing.createAccount({ name: 'Parent', currency: 'USD' });
    await grantRole(t.db, { principal: VIEWER, role: 'viewer', grantedBy: ADMIN });
  });

  it('is always acknowledged and answered, only to the requester unless a change was made, never with a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), text, fc.constantFrom(ADMIN, VIEWER, STRANGER), async (command, input, user) => {
        triggers += 1;
        const logger = memoryLogger();
        const deps = testDeps(t.db, logger);
        const ack = jest.fn(async () => undefined);
        const respond = fakeRespond();
        const client = fakeClient();
        await handleSlashCommand(deps, {
          ack,
          respond,
          client: client as unknown as WebClient,
          logger,
          command: slashCommand(command, input, { user, triggerId: `fuzz.${triggers}` }),
        });
        await deps.tasks.idle();
        expect(ack).toHaveBeenCalledTimes(1);
        expect(ack).toHaveBeenCalledWith();
        const replies = respond.mock.calls.map((c) => c[0]);
        // Answered: by a reply, or by the form it opens.
        expect(replies.length + client.views.open.mock.calls.length).toBeGreaterThan(0);
        for (const reply of replies) {
          expect(reply.text).not.toMatch(/Something went wrong on our side/);
          if (reply.response_type !== 'ephemeral') {
            expect(reply.response_type).toBe('in_channel');
            expect(ANNOUNCED.has(kindOf(command, input) ?? '')).toBe(true);
            expect(user).toBe(ADMIN);
          }
        }
        expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
      }),
      { numRuns: 400 },
    );
    // Every one of them is in the audit trail (understood or not).
    expect(Number((await t.db('audit_log').count('* as n').first())!.n)).toBeGreaterThanOrEqual(400);
  }, 60_000);

  it.each([
    ['a NUL character', 'add "Parent Co" 5 bad\u0000detail'],
    ['a lone surrogate', 'list \ud800Parent'],
    ['only whitespace', ' \t\n '],
  ])('answers text with %s with one sentence', async (_what, input) => {
    const logger = memoryLogger();
    const deps = testDeps(t.db, logger);
    const respond = fakeRespond();
    await handleSlashCommand(deps, {
      ack: async () => undefined,
      respond,
      client: fakeClient() as unknown as WebClient,
      logger,
      command: slashCommand('/credit', input, { triggerId: `odd.${triggers++}` }),
    });
    await deps.tasks.idle();
    expect(respond).toHaveBeenCalledTimes(1);
    expect(respond.mock.calls[0][0].text).not.toMatch(/Something went wrong on our side/);
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});

describe('fuzzed slash-command text over HTTP', () => {
  const t = useTestDatabase();
  let slack: FakeSlack;
  let app: SlackApp;
  let port: number;

  beforeAll(async () => {
    slack = fakeSlack();
    ({ slack: app, port } = await startTestApp(t.db));
    await createBilling(t.db, CLOCK).loadDemo();
    await grantRole(t.db, { principal: VIEWER, role: 'viewer', grantedBy: ADMIN });
  });
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });

  it('never answers Slack with an error status, and replies to every command', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), text, async (command, input) => {
        slack.clear();
        const { body, responsePath } = slashBody(command, input, { user: VIEWER });
        const response = await postSigned(port, body);
        expect(response.status).toBe(200);
        await settle(app.deps);
        const replies = slack.responsesTo(responsePath);
        expect(replies.length + slack.of('views.open').length).toBeGreaterThan(0);
        for (const reply of replies) {
          expect(reply.response_type).toBe('ephemeral'); // a viewer changes nothing
          expect(reply.text).not.toMatch(/Something went wrong on our side/);
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
