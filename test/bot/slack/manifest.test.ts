import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { App } from '@slack/bolt';
import type { Knex } from 'knex';
import httpManifest from '../../../bot/manifest.json';
import socketManifest from '../../../bot/manifest.socket.json';
import { SLASH_COMMANDS } from '../../../bot/commands';
import type { Billing } from '../../../billing';
import { createSlackApp } from '../../../bot/slack/app';
import { BOT_TOKEN, fakeSlack, memoryLogger, SIGNING_SECRET } from './helpers';

// bot/manifest.json (HTTP) and bot/manifest.socket.json (Socket Mode): what Slack needs to create
// the app (see the README's "Slack app"). Each must name every slash command, shortcut, event and
// scope the code registers or calls, and nothing more: what the code registers is recorded by
// building the app against the fake Slack; the Web API methods it calls are read from bot/'s source.

/** The scope each Web API method billbot calls needs (methods needing none map to null). */
const METHOD_SCOPES: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'chat.delete': 'chat:write',
  'conversations.open': 'im:write',
  'files.info': 'files:read',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  filesUploadV2: 'files:write',
  'users.info': 'users:read',
  'views.open': null,
  'views.update': null,
  'views.push': null,
  'views.publish': null,
};

/** The manifest's bot events an `app.event(type)` stands for, with the scope each needs. */
const EVENT_SUBSCRIPTIONS: Record<string, Record<string, string | null>> = {
  message: { 'message.im': 'im:history', 'message.channels': 'channels:history', 'message.groups': 'groups:history', 'message.mpim': 'mpim:history' },
  file_shared: { file_shared: 'files:read' },
  app_home_opened: { app_home_opened: null },
  app_mention: { app_mention: 'app_mentions:read' },
};

interface Registrations {
  commands: string[];
  events: string[];
  shortcuts: string[];
  interactive: number;
  options: number;
}

/** Builds the app with Slack faked and records what it registers. */
function registrations(): Registrations {
  const seen: Registrations = { commands: [], events: [], shortcuts: [], interactive: 0, options: 0 };
  const name = (c: unknown) => (typeof c === 'string' ? c : ((c as { callback_id?: string }).callback_id ?? String(c)));
  const spies = [
    jest.spyOn(App.prototype, 'command').mockImplementation(function (this: App, c: unknown) {
      seen.commands.push(String(c));
      return this;
    } as never),
    jest.spyOn(App.prototype, 'event').mockImplementation(function (this: App, e: unknown) {
      seen.events.push(String(e));
      return this;
    } as never),
    jest.spyOn(App.prototype, 'shortcut').mockImplementation(function (this: App, c: unknown) {
      seen.shortcuts.push(name(c));
      return this;
    } as never),
    jest.spyOn(App.prototype, 'action').mockImplementation(function (this: App) {
      seen.interactive += 1;
      return this;
    } as never),
    jest.spyOn(App.prototype, 'view').mockImplementation(function (this: App) {
      seen.interactive += 1;
      return this;
    } as never),
    jest.spyOn(App.prototype, 'options').mockImplementation(function (this: App) {
      seen.options += 1;
      return this;
    } as never),
  ];
  const slack = fakeSlack();
  try {
    createSlackApp(
      { billing: { db: {} as Knex } as unknown as Billing },
      { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, port: 0, admins: [], logger: memoryLogger(), clientOptions: { retryConfig: { retries: 0 } } },
    );
  } finally {
    for (const spy of spies) spy.mockRestore();
    slack.done();
  }
  return seen;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? sourceFiles(full) : f.endsWith('.ts') ? [full] : [];
  });
}

/** Every Web API method bot/ calls through a client: `client.chat.postMessage(`, `client.filesUploadV2(`. */
function methodsCalled(): string[] {
  const found = new Set<string>();
  for (const file of sourceFiles(path.join(__dirname, '../../../bot'))) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/\bclient\s*\.\s*([a-z]\w*)\s*\.\s*([a-z]\w*)\s*\(/g)) found.add(`${m[1]}.${m[2]}`);
    for (const m of source.matchAll(/\bclient\s*\.\s*(filesUploadV2|apiCall)\s*\(/g)) found.add(m[1]);
  }
  return [...found].sort();
}

const MANIFESTS = { 'manifest.json': httpManifest, 'manifest.socket.json': socketManifest } as const;

describe('the app manifests', () => {
  const code = registrations();
  const methods = methodsCalled();

  it('reads registrations and Web API calls from the code', () => {
    expect(code.commands.length).toBeGreaterThan(0);
    expect(code.events).toContain('file_shared');
    expect(methods).toEqual(expect.arrayContaining(['chat.postMessage', 'conversations.open', 'files.info', 'filesUploadV2', 'views.open']));
    expect(methods.filter((m) => !(m in METHOD_SCOPES))).toEqual([]); // a new method: add its scope above
    expect(code.events.filter((e) => !(e in EVENT_SUBSCRIPTIONS))).toEqual([]); // a new event: add it above
  });

  describe.each(Object.entries(MANIFESTS))('%s', (_file, manifest) => {
    const m = manifest as typeof httpManifest & { features: { shortcuts?: { callback_id: string }[]; app_home?: { home_tab_enabled?: boolean } } };

    it('names every slash command the code registers, and no other', () => {
      expect(m.features.slash_commands.map((c) => c.command).sort()).toEqual([...code.commands].sort());
      expect(m.features.slash_commands.map((c) => c.command)).toEqual([...SLASH_COMMANDS]);
      for (const c of m.features.slash_commands) expect(c.usage_hint.length).toBeGreaterThan(10);
      // Mentions in /billing access arrive as <@U123|name> only when Slack escapes them.
      expect(m.features.slash_commands.find((c) => c.command === '/billing')?.should_escape).toBe(true);
    });

    it('names every shortcut the code registers, and no other', () => {
      expect((m.features.shortcuts ?? []).map((s) => s.callback_id).sort()).toEqual([...code.shortcuts].sort());
    });

    it('subscribes to every event the code listens to, and no other', () => {
      const subscribed = [...m.settings.event_subscriptions.bot_events].sort();
      const standsFor = (event: string) => Object.keys(EVENT_SUBSCRIPTIONS).find((e) => event in EVENT_SUBSCRIPTIONS[e]);
      for (const event of code.events) expect(subscribed.some((s) => standsFor(s) === event)).toBe(true);
      expect(subscribed.filter((s) => !code.events.includes(standsFor(s) ?? ''))).toEqual([]);
      // Workbooks come in direct messages and, with a mention, in channels.
      expect(subscribed).toEqual(expect.arrayContaining(['file_shared', 'message.im', 'message.channels']));
      expect(!!m.features.app_home?.home_tab_enabled).toBe(code.events.includes('app_home_opened'));
    });

    it('asks for exactly the scopes the code uses', () => {
      const needed = new Set<string>();
      if (code.commands.length > 0 || code.shortcuts.length > 0) needed.add('commands');
      for (const method of methods) if (METHOD_SCOPES[method]) needed.add(METHOD_SCOPES[method]);
      for (const event of m.settings.event_subscriptions.bot_events) {
        const scope = Object.values(EVENT_SUBSCRIPTIONS).find((s) => event in s)?.[event];
        if (scope) needed.add(scope);
      }
      expect([...m.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
      expect(m.oauth_config.scopes.bot).not.toContain('users:read');
      expect(m.oauth_config.scopes.bot).toContain('im:write');
    });

    it('turns interactivity on for the forms, buttons and menus the code registers', () => {
      expect(m.settings.interactivity.is_enabled).toBe(code.interactive + code.options + code.shortcuts.length > 0);
    });
  });

  it('HTTP: every request goes to the events endpoint, Socket Mode off', () => {
    const m = httpManifest;
    expect(m.settings.socket_mode_enabled).toBe(false);
    for (const c of m.features.slash_commands) expect(c.url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(m.settings.event_subscriptions.request_url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(m.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    // The account picker's options come from the app (app.options).
    expect(!!m.settings.interactivity.message_menu_options_url).toBe(code.options > 0);
    if (code.options > 0) expect(m.settings.interactivity.message_menu_options_url).toMatch(/\/slack\/events$/);
  });

  it('Socket Mode: the same app with no URLs', () => {
    const m = socketManifest;
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(m)).not.toMatch(/"(url|request_url|message_menu_options_url)"/);
    const withoutUrls = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value, (k, v) => (['url', 'request_url', 'message_menu_options_url', 'socket_mode_enabled'].includes(k) ? undefined : v)));
    expect(withoutUrls(m)).toEqual(withoutUrls(httpManifest));
  });
});
