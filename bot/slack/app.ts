import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, type CodedError, type Logger as BoltLogger } from '@slack/bolt';
import type { webApi } from '@slack/bolt';
import { createBilling, type Access } from '../../billing';
import type { Logger } from '../log';
import { register as registerActions } from './actions';
import { register as registerCommands } from './commands';
import { register as registerEvents } from './events';
import type { SlackDeps, SlackServices } from './deps';
import { describeFailure } from './errors';
import { healthRoute } from './health';
import { register as registerOptions } from './options';
import { guardRequests } from './requestGuard';
import { directMessage } from './reply';
import { onceEachDelivery, RecentRequests } from './requestKeys';
import { BackgroundWork } from './tasks';
import type { UploadSettings } from './uploadSettings';
import { register as registerViews } from './views';

export interface SlackAppOptions {
  botToken: string;
  /** HTTP mode: requests are verified with it (HMAC-SHA256, at most 5 minutes old). */
  signingSecret: string | null;
  /** Set: Socket Mode instead of HTTP. */
  appToken?: string | null;
  /** The Web API base URL (default https://slack.com/api/). */
  apiUrl?: string | null;
  /** HTTP port: POST /slack/events (HTTP mode) and GET /healthz. */
  port: number;
  /** Slack user ids that are admins from start-up (BILLING_ADMINS). */
  admins: readonly string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Bolt's logger interface in full (Bolt sets its level and name). */
  logger?: BoltLogger;
  /** More Web API client options (tests: `{ retryConfig: { retries: 0 } }`). */
  clientOptions?: webApi.WebClientOptions;
  /** Least time between two updates of a bill run's progress message (default 3 s). */
  progressIntervalMs?: number;
  /** Invoicer families per bill run batch. */
  familiesPerBatch?: number;
  /** Batches billed at once (billing's default when absent). */
  workers?: number;
  /** Limits for workbooks sent to the bot (bot/slack/uploadSettings.ts has the defaults). */
  uploads?: Partial<UploadSettings>;
}

export interface SlackApp {
  app: App;
  deps: SlackDeps;
  /** Starts listening; resolves with the HTTP port. */
  start(): Promise<number>;
  /** Stops listening, then waits for work already acknowledged (bill runs) to finish. */
  stop(): Promise<void>;
}

const LEVELS: Record<NonNullable<SlackAppOptions['logLevel']>, LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

/** The app's logger, or Bolt's own at the configured level. */
function logging(options: SlackAppOptions): { logger: BoltLogger } | { logLevel: LogLevel } {
  return options.logger ? { logger: options.logger } : { logLevel: LEVELS[options.logLevel ?? 'info'] };
}

/**
 * HTTP mode: Bolt's HTTPReceiver, whose requests are refused with 401 and audited when their
 * signature is bad, missing, stale or replayed (Bolt would refuse the first three silently and
 * accept a replay within 5 minutes). The guard is installed once the app's logger exists.
 */
function httpReceiver(options: SlackAppOptions, access: Access, customRoutes: ReturnType<typeof healthRoute>[]) {
  const signingSecret = options.signingSecret as string;
  const receiver = new HTTPReceiver({ signingSecret, port: options.port, customRoutes, ...logging(options) });
  const guard = (logger: BoltLogger) => {
    receiver.requestListener = guardRequests({ listener: receiver.requestListener, signingSecret, endpoint: '/slack/events', access, logger });
  };
  return { receiver, guard };
}

/**
 * Bolt's extended error handler (extendedErrorHandler: true also gives it the request body):
 * the person is told something went wrong (through the request's response_url, else, or when
 * it expired, in a direct message) instead of being left with silence.
 */
function tellOfFailure(app: App) {
  return async ({ error, logger, body }: { error: CodedError; logger: Logger; body: unknown }): Promise<void> => {
    const original = (error as { original?: unknown }).original ?? error;
    const text = `:warning: ${describeFailure(original, logger, 'a Slack request')}`;
    const b = (body ?? {}) as { response_url?: unknown; user_id?: unknown; user?: { id?: unknown } };
    const user = typeof b.user_id === 'string' ? b.user_id : typeof b.user?.id === 'string' ? b.user.id : null;
    try {
      if (typeof b.response_url === 'string') {
        const answered = await fetch(b.response_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        }).then((r) => r.ok, () => false);
        if (answered) return;
      }
      // No response_url, or it expired (30 minutes) or was used up (5 times): a direct message.
      if (user) await directMessage(app.client, user, text);
    } catch {
      // Slack cannot be reached: the failure is logged above.
    }
  };
}

/**
 * Builds the Bolt app: HTTP mode (Bolt's HTTPReceiver, signature verification on) or Socket
 * Mode, with GET /healthz, every listener registered, and a global error handler that tells
 * the person something went wrong instead of leaving them with silence.
 */
export function createSlackApp(services: SlackServices, options: SlackAppOptions): SlackApp {
  const socketMode = !!options.appToken;
  if (!socketMode && !options.signingSecret) throw new Error('The Slack app needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode).');
  // A Slack that never answers a request is given up on after 30 s (and the request retried by
  // the client's retry policy), instead of holding a notice back forever.
  const clientOptions: webApi.WebClientOptions = {
    timeout: 30_000,
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    ...options.clientOptions,
  };
  const customRoutes = [healthRoute(services.billing)];
  const common = { token: options.botToken, customRoutes, clientOptions, extendedErrorHandler: true, ...logging(options) };
  const access = createBilling(services.billing.db, services.billing.clock, { admins: options.admins }).access;
  const http = socketMode ? null : httpReceiver(options, access, customRoutes);
  const app = http
    ? new App({ ...common, receiver: http.receiver })
    : new App({ ...common, appToken: options.appToken as string, socketMode: true, installerOptions: { port: options.port } });
  http?.guard(app.logger);

  const deps: SlackDeps = {
    services,
    access,
    tasks: new BackgroundWork(),
    recent: new RecentRequests(),
    logger: app.logger,
    progressIntervalMs: options.progressIntervalMs ?? 3000,
    familiesPerBatch: options.familiesPerBatch,
    workers: options.workers,
    uploads: options.uploads,
  };

  app.use(onceEachDelivery(deps.recent, app.logger) as Parameters<App['use']>[0]);
  registerCommands(app, deps);
  registerViews(app, deps);
  registerActions(app, deps);
  registerOptions(app, deps);
  registerEvents(app, deps);
  app.error(tellOfFailure(app) as Parameters<App['error']>[0]);

  let server: Server | null = null;
  return {
    app,
    deps,
    async start() {
      if (socketMode) {
        await app.start();
        app.logger.info(`billbot: Slack app connected in Socket Mode; /healthz on port ${options.port}`);
        return options.port;
      }
      server = (await app.start(options.port)) as Server;
      const port = (server.address() as AddressInfo).port;
      app.logger.info(`billbot: Slack app listening on port ${port} (POST /slack/events, GET /healthz)`);
      return port;
    },
    async stop() {
      await app.stop();
      await deps.tasks.idle();
    },
  };
}
