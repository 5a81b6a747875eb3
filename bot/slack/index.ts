import type { Config } from '../config';
import { createSlackApp, SlackApp } from './app';
import type { SlackServices } from './deps';

export { createSlackApp } from './app';
export type { SlackApp, SlackAppOptions } from './app';
export { SlackRunReporter } from './runReporter';
export type { SlackReporterOptions } from './runReporter';

/**
 * Starts the Slack app from the settings (bot/main.ts calls this when SLACK_BOT_TOKEN and
 * SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN, are set).
 */
export async function startSlack(
  services: SlackServices,
  config: Pick<Config, 'slack' | 'port' | 'billingAdmins' | 'logLevel'>,
): Promise<SlackApp & { port: number }> {
  if (!config.slack) throw new Error('The Slack settings are missing (SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN).');
  const slack = createSlackApp(services, {
    botToken: config.slack.botToken,
    signingSecret: config.slack.signingSecret,
    appToken: config.slack.appToken,
    apiUrl: config.slack.apiUrl,
    port: config.port,
    admins: config.billingAdmins,
    logLevel: config.logLevel,
  });
  const port = await slack.start();
  return { ...slack, port };
}
