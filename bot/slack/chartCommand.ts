import type { RespondFn } from '@slack/bolt';
import { drawChart, type ChartCommand } from '../commands/charts';
import { chartComment, chartSent } from '../render';
import { uploadChart } from './charts';
import type { SlackDeps, WebClient } from './deps';
import { directMessageChannel, ephemeral, type Where } from './reply';

/**
 * `/billing chart runs [<configuration>]` in Slack: the chart is uploaded to the person who
 * asked, in their direct message with billbot (as exports are: a channel's members may not all
 * have a role), with its alt text stating every figure; they can share it from there.
 */
export async function postChart(deps: SlackDeps, client: WebClient, command: ChartCommand, where: Where, respond: RespondFn): Promise<void> {
  const { chart, configuration, runs } = await drawChart(deps.services.billing, command);
  const channel = await directMessageChannel(client, where.user, where.channel);
  await uploadChart(client, chart, { channel, comment: chartComment(where.user, configuration, runs) });
  if (channel !== where.channel) await respond(ephemeral(chartSent(configuration)));
}
