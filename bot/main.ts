// First: the heap's growth is set before anything is allocated.
import './heap';
import { Config, ConfigError, loadConfig } from './config';
import { runHistoryChartSource } from './scheduler/chart';
import { invoicesWorkbook } from './scheduler/workbook';
import { createScheduling, openServices, Services, withHandlers } from './services';
import { runShell } from './shell';

/**
 * `npm start`: with Slack settings (SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or
 * SLACK_APP_TOKEN) the Slack app; otherwise the local shell on the same services. Either way
 * one scheduler fires the configurations' schedules and reports runs: in their Slack channels
 * (with the invoices workbook), or in the shell's output.
 */

type SlackFace = Pick<typeof import('./slack'), 'startSlack' | 'SlackRunReporter'>;

/** bot/slack (and Bolt) is loaded only in Slack mode; a build without it says so. */
function loadSlack(): SlackFace | null {
  try {
    require.resolve('./slack');
  } catch {
    return null;
  }
  const mod = require('./slack') as Partial<typeof import('./slack')>;
  return typeof mod.startSlack === 'function' && typeof mod.SlackRunReporter === 'function'
    ? { startSlack: mod.startSlack, SlackRunReporter: mod.SlackRunReporter }
    : null;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

export async function main(env: Record<string, string | undefined> = process.env): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }

  let slackFace: SlackFace | null = null;
  if (config.slack) {
    slackFace = loadSlack();
    if (!slackFace) {
      process.stderr.write(
        'Slack mode is not available: this build has no Slack app (bot/slack/index.ts with startSlack). Unset the SLACK_ settings to use the local shell.\n',
      );
      return 1;
    }
  }

  let services: Services;
  try {
    services = await openServices(env, { config });
  } catch (e) {
    process.stderr.write(`Could not open the database: ${(e as Error).message}\n`);
    return 1;
  }

  try {
    if (slackFace && config.slack) {
      const { startSlack, SlackRunReporter } = slackFace;
      const scheduling = createScheduling(services, {
        reporter: SlackRunReporter.withToken(config.slack.botToken, { slackApiUrl: config.slack.apiUrl ?? undefined }),
        workbook: invoicesWorkbook,
        chart: runHistoryChartSource,
      });
      const signals = untilSignal();
      const handle = await startSlack(withHandlers(services, { ...scheduling.handlers, documents: { company: config.company } }), config);
      try {
        await scheduling.scheduler.start();
        const signal = await signals;
        services.log.info(`billbot: ${signal} received, stopping`);
      } finally {
        // No new requests, then the runs in progress end, then (finally below) the database stops.
        await handle.stop();
        await scheduling.scheduler.stop({ wait: true });
      }
    } else {
      const controller = new AbortController();
      const abort = () => controller.abort();
      process.once('SIGTERM', abort);
      // Not a terminal: Ctrl-C reaches the process, not readline.
      if (!process.stdin.isTTY) process.once('SIGINT', abort);
      if (services.embedded) services.log.debug('billbot: using the embedded database');
      await runShell({
        input: process.stdin,
        output: process.stdout,
        services: withHandlers(services, { documents: { company: config.company } }),
        user: config.shellUser,
        signal: controller.signal,
        // Runs reported into the shell; the shell has no Slack to attach workbooks to.
        scheduling: { create: (reporter) => createScheduling(services, { reporter }), start: true },
      });
      process.off('SIGTERM', abort);
      process.off('SIGINT', abort);
    }
    return 0;
  } finally {
    await services.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
      // stdin (the shell's input) may keep the event loop alive after the shell ended.
      if (!code) process.stdin.pause();
    },
    (error: unknown) => {
      process.stderr.write(`billbot failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
