import type { WebClient as WebApiClient } from '@slack/web-api';
import type { Billing } from '../../billing';
import type { Logger } from '../log';
import type { ChartImage } from '../render/charts';
import { runHistoryChartSource } from '../scheduler/chart';
import { errorSummary } from './errors';

/** How long the bytes of a chart may take to reach Slack's upload URL. */
const UPLOAD_TIMEOUT_MS = 30_000;

export interface ChartPlace {
  channel: string;
  /** The message whose thread gets the chart (its own ts, never a reply's). */
  threadTs?: string;
  /** Text posted with the file. */
  comment?: string;
}

/**
 * Uploads a chart with Slack's file upload (files.getUploadURLExternal, the bytes posted to the
 * URL it gives, files.completeUploadExternal into the channel or a message's thread), with its
 * alt text. Done step by step rather than through the Web API client's filesUploadV2, which
 * sends the alt text as `alt_text`: Slack's method takes it as `alt_txt` (at most 1,000
 * characters). Needs files:write.
 */
export async function uploadChart(client: Pick<WebApiClient, 'files'>, chart: ChartImage, place: ChartPlace): Promise<string> {
  // alt_txt is Slack's name for the argument; the client's typings only know alt_text.
  const ask: Parameters<WebApiClient['files']['getUploadURLExternal']>[0] & { alt_txt: string } = {
    filename: chart.filename,
    length: chart.png.length,
    alt_txt: chart.altText,
  };
  const target = await client.files.getUploadURLExternal(ask);
  if (!target.upload_url || !target.file_id) throw new Error('files.getUploadURLExternal answered without an upload URL.');
  const sent = await fetch(target.upload_url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(chart.png),
    signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
  });
  if (!sent.ok) throw new Error(`Slack's upload URL refused the chart (HTTP ${sent.status}).`);
  await client.files.completeUploadExternal({
    files: [{ id: target.file_id, title: chart.title }],
    channel_id: place.channel,
    ...(place.threadTs ? { thread_ts: place.threadTs } : {}),
    ...(place.comment ? { initial_comment: place.comment } : {}),
  });
  return target.file_id;
}

/**
 * A completed run's chart (its configuration's last runs, the run highlighted) in its notice's
 * thread. A failure is logged: the notice stands on its own.
 */
export async function postChartInThread(
  client: Pick<WebApiClient, 'files'>,
  billing: Billing,
  logger: Logger,
  notice: { channel: string; ts: string },
  runId: number,
): Promise<void> {
  try {
    const chart = await runHistoryChartSource(billing, runId);
    if (chart) await uploadChart(client, chart, { channel: notice.channel, threadTs: notice.ts });
  } catch (error) {
    logger.warn(`billbot: could not post the run history chart of bill run #${runId} in its thread (${errorSummary(error).split('\n')[0]})`);
  }
}
