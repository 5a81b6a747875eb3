import { Billing, Clock, createBilling, createDb, migrateLatest } from '../billing';
import type { CommandHandlers, ScheduleRuntime } from './commands/types';
import { Config, loadConfig } from './config';
import { openDatabase } from './database';
import { createLogger, type Logger } from './log';
import type { SchedulerLogger } from './scheduler/logger';
import type { RunReporter } from './scheduler/reporter';
import type { RunChartSource } from './scheduler/chart';
import type { InvoicesWorkbookSource } from './scheduler/runReports';
import { Scheduler, SchedulerOptions } from './scheduler/scheduler';

/**
 * The composition root: settings, database, migrations and the billing services, opened once
 * by whichever face runs (Slack app, local shell, CLI) and stopped once on exit.
 */

export { createLogger, type Logger } from './log';

export interface Services {
  config: Config;
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
  /**
   * A brief process that reads or changes a few rows (most CLI commands): the embedded server
   * starts with PostgreSQL's default shared buffers, in half the time (bot/database).
   */
  brief?: boolean;
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
    { brief: options.brief },
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

/** The scheduler's log lines in billbot's log, so LOG_LEVEL applies to them too. */
export function schedulerLogger(log: Logger): SchedulerLogger {
  return {
    info: (m) => log.info(`billbot scheduler: ${m}`),
    warn: (m) => log.warn(`billbot scheduler: ${m}`),
    error: (m) => log.error(`billbot scheduler: ${m}`),
  };
}

/** Plugs the scheduler or the workbook folder into the services a face runs commands with; later ones win. */
export function withHandlers<S extends object>(services: S, handlers: CommandHandlers): S & { handlers: CommandHandlers } {
  const existing = (services as { handlers?: CommandHandlers }).handlers;
  return { ...services, handlers: { ...existing, ...handlers } };
}

/** A scheduler, and what plugs it into the command table (schedules, run now, run status and resume). */
export interface Scheduling {
  scheduler: Scheduler;
  handlers: CommandHandlers;
}

export interface SchedulingOptions extends Pick<ScheduleRuntime, 'reportChannel' | 'waitForRuns' | 'resumeCommand'> {
  /** Where runs are reported: Slack (SlackRunReporter), the shell's output, or null (the CLI: the Slack app posts them later). */
  reporter: RunReporter | null;
  /** A completed run's invoices workbook, attached to its report (Slack: sheets' invoice export). */
  workbook?: InvoicesWorkbookSource | null;
  /** A completed run's chart, attached to its report (Slack: the configuration's run history). */
  chart?: RunChartSource | null;
  /** More scheduler settings (tests: a ManualClock, no polling). */
  scheduler?: Omit<Partial<SchedulerOptions>, 'billing' | 'reporter' | 'workbook' | 'chart'>;
}

/**
 * One scheduler on the services' database with its command handlers. Not started: the face
 * starts it when it should fire schedules and resume unfinished runs (the Slack app and the
 * shell do; the CLI only runs commands through it), and stops it before the database stops.
 */
export function createScheduling(services: Pick<Services, 'billing' | 'log'>, options: SchedulingOptions): Scheduling {
  const scheduler = new Scheduler({
    logger: schedulerLogger(services.log),
    ...options.scheduler,
    billing: services.billing,
    reporter: options.reporter,
    workbook: options.workbook ?? null,
    chart: options.chart ?? null,
  });
  const scheduling: ScheduleRuntime = {
    scheduler,
    billing: services.billing,
    reportChannel: options.reportChannel,
    waitForRuns: options.waitForRuns,
    resumeCommand: options.resumeCommand,
  };
  return { scheduler, handlers: { scheduling } };
}
