import { createHmac } from 'node:crypto';
import type { Logger, SlashCommand } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import type { Knex } from 'knex';
import nock from 'nock';
import { createBilling, type Billing } from '../../../billing';
import { createAccess } from '../../../billing/access';
import { createSlackApp, SlackApp } from '../../../bot/slack/app';
import type { SlackDeps, SlackServices } from '../../../bot/slack/deps';
import { RecentRequests } from '../../../bot/slack/requestKeys';
import { BackgroundWork } from '../../../bot/slack/tasks';
import { checkCall, recordRefusal, responseUrlRefusal } from '../../helpers/slackLimits';
import { checkedAnswer } from './checked';

export { fakeRespond, optionsAck, viewAck } from './checked';
import { fakeUploads, UPLOAD_HOST } from './fakeUploads';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-token';
export const ADMIN = 'U0ADMIN';
export const CHANNEL = 'C0BILLING';
export const RESPONSE_HOST = 'https://hooks.slack.test';
/**
 * A slash command as Bolt hands it to a command listener, typed by `user` in CHANNEL (each
 * with its own trigger id unless one is given).
 */
export function slashCommand(
  command: string,
  text: string,
  o: { user?: string; triggerId?: string; responseUrl?: string } = {},
): SlashCommand {
  return {
    token: 't',
    command,
    text,
    response_url: o.responseUrl ?? `${RESPONSE_HOST}/x`,
    trigger_id: o.triggerId ?? `${Math.random()}`,
    user_id: o.user ?? ADMIN,
    user_name: 'u',
    team_id: 'T0TEST',
    team_domain: 'd',
    channel_id: CHANNEL,
    channel_name: 'billing',
    api_app_id: 'A0BILLBOT',
  };
}

/** Slack's refusal of a payload past its limits, as the Web API client throws it. */
function refused(method: string, args: Record<string, any>): void {
  const refusal = checkCall(method, args);
  if (refusal) throw Object.assign(new Error(`An API error occurred: ${refusal.error}`), { code: 'slack_webapi_platform_error', data: { ok: false, error: refusal.error } });
}

/** The id of a person's direct message with the app, as the fakes' conversations.open answers it. */
export function dmOf(user: string): string {
  return `D${user.replace(/^U/, '')}`;
}

/**
 * A Web API client for listeners called directly: posts, updates and modals succeed and are
 * recorded, unless they break Slack's limits (then they fail as Slack fails them).
 */
export function fakeClient() {
  return {
    chat: {
      postMessage: jest.fn(async (a: { channel: string }) => (refused('chat.postMessage', a), { ok: true, channel: a.channel, ts: '1790000000.000001' })),
      postEphemeral: jest.fn(async (a: Record<string, any>) => (refused('chat.postEphemeral', a), { ok: true, message_ts: '1790000000.000002' })),
      update: jest.fn(async (a: { channel: string; ts: string }) => (refused('chat.update', a), { ok: true, channel: a.channel, ts: a.ts })),
    },
    conversations: {
      open: jest.fn(async (a: { users: string }) => ({ ok: true, channel: { id: dmOf(a.users) } })),
    },
    views: {
      open: jest.fn(async (a: Record<string, any>) => (refused('views.open', a), { ok: true, view: { id: 'V0FAKE', hash: 'h0' } })),
      update: jest.fn(async (a: Record<string, any>) => (refused('views.update', a), { ok: true })),
      publish: jest.fn(async (a: Record<string, any>) => (refused('views.publish', a), { ok: true })),
    },
  };
}

/** The worked example's run date (DOMAIN.md): after September, before October's bill date. */
export const CLOCK = { now: () => new Date('2026-10-02T12:00:00Z') };

/** A logger that keeps its lines (and prints nothing). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  let level = LogLevel.DEBUG;
  const make = (l: string) => (...msg: unknown[]) => {
    lines.push(`${l} ${msg.map(String).join(' ')}`);
  };
  return {
    lines,
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export interface ApiCall {
  method: string;
  args: Record<string, any>;
  /** When the fake received it (performance.now()). */
  at: number;
}

function fields(body: unknown): Record<string, any> {
  const raw: Record<string, any> =
    typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : { ...((body as Record<string, any>) ?? {}) };
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string' && /^[[{]/.test(v)) {
      try {
        raw[k] = JSON.parse(v);
      } catch {
        // plain text that starts with a bracket
      }
    }
  }
  return raw;
}

/**
 * Slack over nock: the Web API at https://slack.com/api/* and response_url posts at
 * RESPONSE_HOST, every call recorded. Install before the App is built (Bolt calls auth.test
 * in its constructor).
 */
export function fakeSlack() {
  const calls: ApiCall[] = [];
  const responses: { path: string; body: Record<string, any> }[] = [];
  const unmatched: string[] = [];
  let ts = 0;
  let views = 0;
  const failing = new Map<string, string>();
  const uploads = fakeUploads();
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const onNoMatch = (req: { method?: string; href?: string; path?: string; host?: string; hostname?: string }) => {
    const where = `${req.method} ${req.href ?? req.path}`;
    if (!/127\.0\.0\.1|localhost/.test(where + (req.hostname ?? req.host ?? ''))) unmatched.push(where);
  };
  nock.emitter.on('no match', onNoMatch);
  nock('https://slack.com')
    .persist()
    .post(/^\/api\/[\w.]+$/)
    .reply((uri: string, body: unknown) => {
      const method = uri.replace('/api/', '');
      const args = fields(body);
      calls.push({ method, args, at: performance.now() });
      const error = failing.get(method);
      if (error) return [200, { ok: false, error }];
      const refusal = checkCall(method, args);
      if (refusal) return [200, { ok: false, error: refusal.error }];
      switch (method) {
        case 'auth.test':
          return [200, { ok: true, url: 'https://billbot-test.slack.com/', team: 'Test', user: 'billbot', team_id: 'T0TEST', user_id: 'U0BOT', bot_id: 'B0BOT' }];
        case 'chat.postMessage':
          ts += 1;
          return [200, { ok: true, channel: args.channel, ts: `1790000000.${String(ts).padStart(6, '0')}`, message: { text: args.text } }];
        case 'chat.update':
          return [200, { ok: true, channel: args.channel, ts: args.ts, text: args.text }];
        case 'chat.postEphemeral':
          return [200, { ok: true, message_ts: '1790000000.999999' }];
        case 'views.open':
          views += 1;
          return [200, { ok: true, view: { id: `V0VIEW${views}`, hash: `hash-${views}-0`, ...args.view } }];
        case 'views.update':
          return [200, { ok: true, view: { id: args.view_id, hash: `${args.view_id}-updated`, ...args.view } }];
        case 'conversations.open':
          return [200, { ok: true, channel: { id: dmOf(String(args.users)) } }];
        case 'views.publish':
          return [200, { ok: true, view: { id: `V0HOME-${args.user_id}`, hash: 'home-hash', ...args.view } }];
        case 'files.getUploadURLExternal':
          return uploads.ask(args);
        case 'files.completeUploadExternal':
          return uploads.complete(args);
        default:
          return [200, { ok: false, error: 'unknown_method' }];
      }
    });
  nock(UPLOAD_HOST)
    .persist()
    .post(/^\/upload\/v1\/\w+$/)
    .reply(async function (uri: string, body: unknown) {
      return uploads.receive(uri.split('/').pop()!, body, this.req.headers['content-type'] as string | undefined);
    });
  nock(RESPONSE_HOST)
    .persist()
    .post(/.*/)
    .reply((uri: string, body: unknown) => {
      const reply = typeof body === 'string' ? JSON.parse(body) : (body as Record<string, any>);
      responses.push({ path: uri, body: reply });
      const refusal = responseUrlRefusal(reply);
      if (refusal) {
        recordRefusal('response_url', refusal);
        return [400, refusal.error];
      }
      return [200, 'ok'];
    });
  return {
    calls,
    responses,
    unmatched,
    of: (method: string) => calls.filter((c) => c.method === method),
    /** Files uploaded (files.getUploadURLExternal, the bytes, files.completeUploadExternal), with their alt text and where they were shared. */
    files: uploads.files,
    /** What was posted to one response_url. */
    responsesTo: (path: string) => responses.filter((r) => r.path === path).map((r) => r.body),
    /** Makes a Web API method answer `{ ok: false, error }` from now on. */
    fail: (method: string, error: string) => failing.set(method, error),
    clear: () => {
      calls.length = 0;
      responses.length = 0;
      uploads.files.length = 0;
      failing.clear();
    },
    done: () => {
      nock.emitter.removeListener('no match', onNoMatch);
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}
export type FakeSlack = ReturnType<typeof fakeSlack>;

/** The Slack app on a free port, against the test database, with Slack faked. */
export async function startTestApp(
  db: Knex,
  options: { progressIntervalMs?: number; familiesPerBatch?: number; workers?: number; services?: SlackServices } = {},
): Promise<{ slack: SlackApp; port: number; logger: ReturnType<typeof memoryLogger> }> {
  const logger = memoryLogger();
  const slack = createSlackApp(
    options.services ?? { billing: createBilling(db, CLOCK) },
    {
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      port: 0,
      admins: [ADMIN],
      logger,
      clientOptions: { retryConfig: { retries: 0 } },
      progressIntervalMs: options.progressIntervalMs ?? 60_000,
      familiesPerBatch: options.familiesPerBatch,
      workers: options.workers,
    },
  );
  const port = await slack.start();
  return { slack, port, logger };
}

export type TestAppOptions = NonNullable<Parameters<typeof startTestApp>[1]>;

/**
 * A test file's Slack app: the strict fake Slack installed and the app started (on the file's
 * database) before its tests, after the beforeAll hooks registered before it (seed data
 * there); stopped after them; the fake's records cleared before each test. Read its fields
 * inside tests and hooks.
 */
export function useSlackApp(t: { db: Knex }, options: TestAppOptions = {}) {
  const env = {} as { slack: FakeSlack; app: SlackApp; port: number; logger: ReturnType<typeof memoryLogger> };
  beforeAll(async () => {
    env.slack = fakeSlack();
    const started = await startTestApp(t.db, options);
    Object.assign(env, { app: started.slack, port: started.port, logger: started.logger });
  });
  afterAll(async () => {
    await env.app?.stop();
    env.slack?.done();
  });
  beforeEach(() => env.slack.clear());
  return env;
}

/** Listener dependencies without an app, for calling a listener with fake ack/respond/client. */
export function testDeps(db: Knex, logger: Logger = memoryLogger()): SlackDeps {
  return {
    services: { billing: createBilling(db, CLOCK) },
    access: createAccess(db, { admins: [ADMIN] }),
    tasks: new BackgroundWork(),
    recent: new RecentRequests(),
    logger,
    progressIntervalMs: 60_000,
  };
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface PostOptions {
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  secret?: string;
  headers?: Record<string, string>;
}

/** POSTs a correctly signed (unless told otherwise) request to the app's /slack/events. */
export async function postSigned(port: number, body: string, o: PostOptions = {}): Promise<{ status: number; text: string; json: any }> {
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(o.secret ?? SIGNING_SECRET, timestamp, body),
      ...o.headers,
    },
    body,
  });
  const text = await response.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (response.status === 200) checkedAnswer(body, json);
  return { status: response.status, text, json };
}

let triggers = 0;

export interface SlashOptions {
  user?: string;
  channel?: string;
  triggerId?: string;
  /** The response_url path at RESPONSE_HOST. */
  responsePath?: string;
}

export function slashBody(command: string, text: string, o: SlashOptions = {}): { body: string; responsePath: string; triggerId: string } {
  triggers += 1;
  const triggerId = o.triggerId ?? `${1000 + triggers}.2000.${triggers.toString(16).padStart(8, '0')}`;
  const responsePath = o.responsePath ?? `/commands/T0TEST/${triggers}`;
  const params = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    team_domain: 'billbot-test',
    channel_id: o.channel ?? CHANNEL,
    channel_name: 'billing',
    user_id: o.user ?? ADMIN,
    user_name: 'someone',
    command,
    text,
    api_app_id: 'A0BILLBOT',
    is_enterprise_install: 'false',
    response_url: `${RESPONSE_HOST}${responsePath}`,
    trigger_id: triggerId,
  });
  return { body: params.toString(), responsePath, triggerId };
}

export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function userOf(id: string) {
  return { id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: 'T0TEST' };
}

/** A view_submission payload for a view the app built (as Slack sends it back). */
export function viewSubmission(
  view: { id: string; callback_id: string; private_metadata: string; hash?: string },
  values: Record<string, Record<string, Record<string, unknown>>>,
  user = ADMIN,
): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0TEST', domain: 'billbot-test' },
    user: userOf(user),
    api_app_id: 'A0BILLBOT',
    token: 'legacy-verification-token',
    trigger_id: `${Date.now()}.1.abc`,
    view: {
      id: view.id,
      team_id: 'T0TEST',
      type: 'modal',
      blocks: [],
      private_metadata: view.private_metadata,
      callback_id: view.callback_id,
      state: { values },
      hash: view.hash ?? 'hash',
      title: { type: 'plain_text', text: 'Form' },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: view.id,
      app_id: 'A0BILLBOT',
      external_id: '',
      app_installed_team_id: 'T0TEST',
      bot_id: 'B0BOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** A block_actions payload for a click on a button of an ephemeral message. */
export function buttonClick(actionId: string, value: string, responsePath: string, user = ADMIN): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: userOf(user),
    api_app_id: 'A0BILLBOT',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1790000000.000001', channel_id: CHANNEL, is_ephemeral: true },
    trigger_id: `${Date.now()}.2.def`,
    team: { id: 'T0TEST', domain: 'billbot-test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: CHANNEL, name: 'billing' },
    state: { values: {} },
    response_url: `${RESPONSE_HOST}${responsePath}`,
    actions: [
      {
        action_id: actionId,
        block_id: 'confirm',
        text: { type: 'plain_text', text: 'Go' },
        value,
        style: 'danger',
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

/** Waits until the work the app took on after acknowledging is finished. */
export async function settle(deps: Pick<SlackDeps, 'tasks'>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await deps.tasks.idle();
  }
}

/** Every text a message carries: its text and the text of its blocks (sections, fields, context). */
export function messageText(message: { text?: string; blocks?: any[] } | undefined): string {
  if (!message) return '';
  const parts: string[] = [message.text ?? ''];
  const walk = (node: any) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node.text === 'string') parts.push(node.text);
    for (const value of Object.values(node)) if (typeof value === 'object') walk(value);
  };
  walk(message.blocks ?? []);
  return parts.join('\n');
}
