import type { RespondFn } from '@slack/bolt';
import type { Outcome } from '../commands';
import { drawChart, type ChartCommand } from '../commands/charts';
import { agingChartComment, chartComment, chartSent } from '../render';
import { agingReportChart } from '../render/charts';
import { uploadChart } from './charts';
import type { SlackDeps, WebClient } from './deps';
import { errorSummary } from './errors';
import { directMessageChannel, ephemeral, type Where } from './reply';

/** Slack's answers when the app cannot reach the person in a direct message. */
const NO_DIRECT_MESSAGE = new Set(['cannot_dm_bot', 'user_not_found', 'user_disabled', 'not_in_channel', 'channel_not_found', 'restricted_action']);

/**
 * `/billing chart runs [<configuration>]` in Slack: the chart is uploaded to the person who
 * asked, in their direct message with billbot (as exports are: a channel's members may not all
 * have a role), with its alt text stating every figure; they can share it from there.
 */
export async function postChart(deps: SlackDeps, client: WebClient, command: ChartCommand, where: Where, respond: RespondFn): Promise<void> {
  const { chart, configuration, runs } = await drawChart(deps.services.billing, command);
  let channel: string;
  try {
    channel = await directMessageChannel(client, where.user, where.channel);
    await uploadChart(client, chart, { channel, comment: chartComment(where.user, configuration, runs) });
  } catch (error) {
    const code = (error as { data?: { error?: unknown } }).data?.error;
    if (typeof code !== 'string' || !NO_DIRECT_MESSAGE.has(code)) throw error;
    deps.logger.warn(`billbot: could not send the run history chart to ${where.user} (${code})`);
    await respond(ephemeral("I can't send you the chart in a direct message. Open billbot's Messages tab and ask again."));
    return;
  }
  if (channel !== where.channel) await respond(ephemeral(chartSent(configuration)));
}

/**
 * The chart that goes with a reply, sent after it to the person who asked (in their direct
 * message, as /billing chart runs is): the aging report's bar chart. A chart that cannot be
 * drawn or sent is logged; the reply, already given, stands on its own.
 */
export async function postReplyChart(deps: SlackDeps, client: WebClient, outcome: Outcome, where: Where): Promise<void> {
  if (outcome.kind !== 'receivables.aging') return;
  try {
    const chart = agingReportChart(outcome.report);
    if (!chart) return;
    const channel = await directMessageChannel(client, where.user, where.channel);
    await uploadChart(client, chart, { channel, comment: agingChartComment(where.user, outcome.report.asOf) });
  } catch (error) {
    deps.logger.warn(`billbot: could not send the aging chart to ${where.user} (${errorSummary(error).split('\n')[0]})`);
  }
}
