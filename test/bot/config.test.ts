import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../../bot/config';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('the settings were accepted');
}

describe('loadConfig', () => {
  it('runs the local shell on the embedded database with nothing set', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: null,
      dataDir: null,
      slack: null,
      port: 3000,
      billingAdmins: [],
      shellUser: 'local-admin',
      cliUser: null,
      logLevel: 'info',
      company: { name: 'billbot', address: [], logo: null, footer: 'Thank you for your business.' },
    });
  });

  it('reads every setting, treating blank values as unset', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://billbot:pw@db.example:5432/billbot',
      BILLBOT_DATA_DIR: ' ',
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5',
      SLACK_API_URL: 'http://localhost:9999/api/',
      PORT: '8080',
      BILLING_ADMINS: 'U012ABC, W0XYZ9 ,',
      BILLBOT_SHELL_USER: 'alice',
      BILLBOT_USER: 'ops',
      LOG_LEVEL: 'DEBUG',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://billbot:pw@db.example:5432/billbot',
      dataDir: null,
      slack: { botToken: 'xoxb-1-2-abc', signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', appToken: null, apiUrl: 'http://localhost:9999/api/' },
      port: 8080,
      billingAdmins: ['U012ABC', 'W0XYZ9'],
      shellUser: 'alice',
      cliUser: 'ops',
      logLevel: 'debug',
    });
  });

  it.each<[Record<string, string>, string]>([
    [{ PORT: 'eighty' }, 'PORT must be a whole number from 1 to 65535.'],
    [{ PORT: '70000' }, 'PORT must be a whole number from 1 to 65535.'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be debug, info, warn or error.'],
    [{ BILLING_ADMINS: 'alice,bob' }, 'BILLING_ADMINS must be a comma-separated list of Slack user ids such as U012ABCDEF.'],
    [{ DATABASE_URL: 'mysql://root:hunter2@db/x' }, 'DATABASE_URL must be a postgres:// connection string.'],
    [{ SLACK_BOT_TOKEN: 'xoxp-hunter2-user-token' }, 'SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-).'],
    [{ SLACK_SIGNING_SECRET: 'hunter2hunter2' }, 'SLACK_BOT_TOKEN is not set: the Slack app needs it (or unset the other SLACK_ settings to use the local shell).'],
    [{ SLACK_BOT_TOKEN: 'xoxb-hunter2' }, 'Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) along with SLACK_BOT_TOKEN.'],
  ])('refuses %j with one sentence that does not repeat the value', (env, message) => {
    const text = refusal(env);
    expect(text).toBe(message);
    expect(text).not.toContain('hunter2');
  });

  it('never prints secrets when the settings are logged', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://billbot:hunter2@db.example/billbot',
      SLACK_BOT_TOKEN: 'xoxb-hunter2',
      SLACK_APP_TOKEN: 'xapp-hunter2',
    });
    expect(config.slack?.appToken).toBe('xapp-hunter2');
    for (const shown of [inspect(config, { depth: 5 }), JSON.stringify(config), inspect(config.slack), JSON.stringify(config.slack)]) {
      expect(shown).not.toContain('hunter2');
      expect(shown).toContain('[redacted]');
    }
  });
});
