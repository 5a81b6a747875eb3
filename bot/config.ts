import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';
import { DEFAULT_COMPANY, imageKind, type CompanyHeader } from '../sheets/documents/company';

/**
 * billbot's settings, read from the environment through one zod schema. A bad setting is
 * refused with one sentence that names the variable and never repeats its value (some of
 * them are secrets).
 */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SlackSettings {
  /** Bot token (xoxb-...). Secret. */
  botToken: string;
  /** Request signing secret (HTTP mode). Secret. */
  signingSecret: string | null;
  /** App-level token (xapp-...) for Socket Mode. Secret. */
  appToken: string | null;
  /** Another Slack Web API base URL (tests, proxies). */
  apiUrl: string | null;
}

export interface Config {
  /** Postgres connection string; null: the embedded database. Contains a password: never log it. */
  databaseUrl: string | null;
  /** Folder of the embedded database; null: <cwd>/.billbot/pg. */
  dataDir: string | null;
  /** Set when the Slack app should run instead of the local shell. */
  slack: SlackSettings | null;
  /** HTTP port of the Slack app. */
  port: number;
  /** Slack user ids that are always billing admins. */
  billingAdmins: string[];
  /** Who the local shell acts as. */
  shellUser: string;
  /** Who the CLI acts as; null: the OS user name. */
  cliUser: string | null;
  logLevel: LogLevel;
  /** The company documents are from: header (name, address, logo) and footer; defaults in sheets/documents/company.ts. */
  company: CompanyHeader;
}

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(blank, schema.optional());
const secret = (name: string, prefix: string | null, what: string) =>
  optional(
    z
      .string()
      .trim()
      .refine((v) => (prefix ? v.startsWith(prefix) : v.length >= 8) && !/\s/.test(v), {
        message: `${name} must be ${what}.`,
      }),
  );

const LOGO_MAX_BYTES = 1024 * 1024;

/** BILLBOT_COMPANY_LOGO: a PNG or JPEG file of at most 1 MB, read once at start. */
const logoSchema = z.string().trim().transform((file, ctx) => {
  try {
    const size = statSync(file).size;
    if (size > LOGO_MAX_BYTES) {
      ctx.addIssue({ code: 'custom', message: 'BILLBOT_COMPANY_LOGO must be an image of at most 1 MB.' });
      return z.NEVER;
    }
    const bytes = readFileSync(file);
    if (imageKind(bytes)) return bytes;
    ctx.addIssue({ code: 'custom', message: 'BILLBOT_COMPANY_LOGO must be a PNG or JPEG file.' });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'BILLBOT_COMPANY_LOGO names a file that cannot be read.' });
  }
  return z.NEVER;
});

/** Lines separated by "|" or a new line (an address). */
const linesSchema = (name: string, max: number) =>
  z
    .string()
    .transform((v) =>
      v
        .split(/\||\n|\\n/)
        .map((l) => l.trim())
        .filter(Boolean),
    )
    .refine((lines) => lines.length <= 6 && lines.every((l) => l.length <= max), {
      message: `${name} can have at most 6 lines (separated by |) of at most ${max} characters.`,
    });

const envSchema = z.object({
  DATABASE_URL: optional(
    z
      .string()
      .trim()
      .refine((v) => /^postgres(?:ql)?:\/\/\S+$/.test(v), { message: 'DATABASE_URL must be a postgres:// connection string.' }),
  ),
  BILLBOT_DATA_DIR: optional(z.string().trim()),
  SLACK_BOT_TOKEN: secret('SLACK_BOT_TOKEN', 'xoxb-', 'a bot token (it starts with xoxb-)'),
  SLACK_SIGNING_SECRET: secret('SLACK_SIGNING_SECRET', null, "the app's signing secret (Basic Information in the app settings)"),
  SLACK_APP_TOKEN: secret('SLACK_APP_TOKEN', 'xapp-', 'an app-level token (it starts with xapp-)'),
  SLACK_API_URL: optional(
    z
      .string()
      .trim()
      .refine((v) => /^https?:\/\/\S+$/.test(v), { message: 'SLACK_API_URL must be an http(s) URL such as https://slack.com/api/.' }),
  ),
  PORT: z.preprocess(
    blank,
    z
      .string()
      .trim()
      .regex(/^\d{1,5}$/, 'PORT must be a whole number from 1 to 65535.')
      .transform(Number)
      .pipe(z.number().min(1, 'PORT must be a whole number from 1 to 65535.').max(65535, 'PORT must be a whole number from 1 to 65535.'))
      .default(3000),
  ),
  BILLING_ADMINS: optional(
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .refine((ids) => ids.every((id) => /^[UW][A-Z0-9]{2,}$/.test(id)), {
        message: 'BILLING_ADMINS must be a comma-separated list of Slack user ids such as U012ABCDEF.',
      }),
  ),
  BILLBOT_SHELL_USER: z.preprocess(blank, z.string().trim().max(100, 'BILLBOT_SHELL_USER can be at most 100 characters.').default('local-admin')),
  BILLBOT_USER: optional(z.string().trim().max(100, 'BILLBOT_USER can be at most 100 characters.')),
  BILLBOT_COMPANY_NAME: optional(z.string().trim().max(100, 'BILLBOT_COMPANY_NAME can be at most 100 characters.')),
  BILLBOT_COMPANY_ADDRESS: optional(linesSchema('BILLBOT_COMPANY_ADDRESS', 100)),
  BILLBOT_COMPANY_LOGO: optional(logoSchema),
  BILLBOT_INVOICE_FOOTER: optional(
    z
      .string()
      .trim()
      .max(500, 'BILLBOT_INVOICE_FOOTER can be at most 500 characters.')
      .transform((v) => v.replace(/\\n/g, '\n')),
  ),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof blank(v) === 'string' ? (v as string).trim().toLowerCase() : undefined),
    z.enum(['debug', 'info', 'warn', 'error'], { error: 'LOG_LEVEL must be debug, info, warn or error.' }).default('info'),
  ),
});

const REDACTED = '[redacted]';

function redacted(slack: SlackSettings): object {
  return {
    botToken: REDACTED,
    signingSecret: slack.signingSecret ? REDACTED : null,
    appToken: slack.appToken ? REDACTED : null,
    apiUrl: slack.apiUrl,
  };
}

/** Slack settings that print as [redacted] (console.log, util.inspect, JSON.stringify). */
function protect(slack: SlackSettings): SlackSettings {
  Object.defineProperties(slack, {
    toJSON: { value: () => redacted(slack), enumerable: false },
    [inspect.custom]: { value: () => redacted(slack), enumerable: false },
  });
  return slack;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? 'the environment');
    throw new ConfigError(issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
  }
  const e = parsed.data;
  let slack: SlackSettings | null = null;
  const anySlack = e.SLACK_BOT_TOKEN || e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN;
  if (anySlack) {
    if (!e.SLACK_BOT_TOKEN) {
      throw new ConfigError('SLACK_BOT_TOKEN is not set: the Slack app needs it (or unset the other SLACK_ settings to use the local shell).');
    }
    if (!e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
      throw new ConfigError('Set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) along with SLACK_BOT_TOKEN.');
    }
    slack = protect({
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET ?? null,
      appToken: e.SLACK_APP_TOKEN ?? null,
      apiUrl: e.SLACK_API_URL ?? null,
    });
  }
  const config: Config = {
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.BILLBOT_DATA_DIR ?? null,
    slack,
    port: e.PORT,
    billingAdmins: e.BILLING_ADMINS ?? [],
    shellUser: e.BILLBOT_SHELL_USER || 'local-admin',
    cliUser: e.BILLBOT_USER ?? null,
    logLevel: e.LOG_LEVEL,
    company: {
      name: e.BILLBOT_COMPANY_NAME ?? DEFAULT_COMPANY.name,
      address: e.BILLBOT_COMPANY_ADDRESS ?? DEFAULT_COMPANY.address,
      logo: e.BILLBOT_COMPANY_LOGO ?? DEFAULT_COMPANY.logo,
      footer: e.BILLBOT_INVOICE_FOOTER ?? DEFAULT_COMPANY.footer,
    },
  };
  const logo = config.company.logo ? `${config.company.logo.length} bytes` : null;
  const safe = () => ({ ...config, databaseUrl: config.databaseUrl ? REDACTED : null, slack: slack ? redacted(slack) : null, company: { ...config.company, logo } });
  Object.defineProperties(config, {
    toJSON: { value: safe, enumerable: false },
    [inspect.custom]: { value: safe, enumerable: false },
  });
  return config;
}
