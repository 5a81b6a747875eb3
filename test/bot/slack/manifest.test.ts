import manifest from '../../../bot/manifest.json';
import { SLASH_COMMANDS } from '../../../bot/commands';

// bot/manifest.json: what Slack needs to create the app (see the README's "Slack app").
describe('the app manifest', () => {
  it('declares the three slash commands with usage hints, on the events endpoint', () => {
    const commands = manifest.features.slash_commands;
    expect(commands.map((c) => c.command)).toEqual([...SLASH_COMMANDS]);
    for (const c of commands) {
      expect(c.usage_hint.length).toBeGreaterThan(10);
      expect(c.url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    }
    // Mentions in /billing access arrive as <@U123|name> only when Slack escapes them.
    expect(commands.find((c) => c.command === '/billing')?.should_escape).toBe(true);
  });

  it('asks for exactly the scopes the app uses, with interactivity, the upload events and the Home tab\'s', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      'channels:history',
      'chat:write',
      'commands',
      'files:read',
      'files:write',
      'groups:history',
      'im:history',
      'users:read',
    ]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.message_menu_options_url).toMatch(/\/slack\/events$/);
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([
      'app_home_opened',
      'file_shared',
      'message.channels',
      'message.groups',
      'message.im',
    ]);
  });

  it('has a Home tab, published when someone opens it', () => {
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
  });
});
