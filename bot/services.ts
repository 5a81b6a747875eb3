import { format } from 'node:util';
import type { Logger as BoltLogger } from '@slack/bolt';
import type { Knex } from 'knex';
import { Billing, Clock, createBilling } from '../billing';
import { createDb } from '../billing/db';
import { migrateLatest } from '../billing/migrate';
import { Config, loadConfig, LogLevel } from './config';
import { openDatabase } from './database';

/**
 * The composition root: settings, database, migrations and the billing services, opened once
 * by whichever face runs (Slack app, local shell, CLI) and stopped once on exit.
 */

/** The logging methods billbot uses; Bolt's logger fits, so the Slack app can pass its own. */
export type Logger = Pick<BoltLogger, 'debug' | 'info' | 'warn' | 'error'>;

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Writes log lines at or above `level` to stderr (never stdout: the CLI's output stays clean). */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at = LEVELS.indexOf(level);
  const make = (l: LogLevel) => (...msg: unknown[]) => {
    if (LEVELS.indexOf(l) >= at) write(`${new Date().toISOString()} ${l.toUpperCase()} ${format(...msg)}\n`);
  };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

export interface Services {
  config: Config;
  db: Knex;
  billing: Billing;
  log: Logger;
  /** True when an embedded Postgres was started for this process. */
  embedded: boolean;
  /** Migrations applied while opening (empty when the schema was already current). */
  migrated: string[];
  /** Closes the pool and stops the embedded database; safe to call more than once. */
  stop: () => Promise<void>;
}

export interface OpenOptions {
  clock?: Clock;
  log?: Logger;
  /** Where the default embedded data folder (.billbot/pg) is placed. */
  cwd?: string;
  /** Settings already loaded (otherwise read from env). */
  config?: Config;
}

/**
 * Opens everything from the environment: DATABASE_URL or the embedded Postgres (see
 * bot/database.ts), brings the schema up to date, and binds the billing services.
 */
export async function openServices(
  env: Record<string, string | undefined> = process.env,
  options: OpenOptions = {},
): Promise<Services> {
  const config = options.config ?? loadConfig(env);
  const log = options.log ?? createLogger(config.logLevel);
  const database = await openDatabase(
    { DATABASE_URL: config.databaseUrl ?? undefined, BILLBOT_DATA_DIR: config.dataDir ?? undefined },
    options.cwd,
  );
  const db = createDb(database.url);
  let migrated: string[];
  try {
    migrated = await migrateLatest(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    await database.stop().catch(() => undefined);
    throw error;
  }
  if (migrated.length) log.info(`billbot: applied ${migrated.length} migration(s)`);
  let stopping: Promise<void> | undefined;
  return {
    config,
    db,
    billing: createBilling(db, options.clock),
    log,
    embedded: database.embedded,
    migrated,
    stop: () =>
      (stopping ??= (async () => {
        try {
          await db.destroy();
        } finally {
          await database.stop();
        }
      })()),
  };
}
