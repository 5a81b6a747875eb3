import { WebClient, type RetryOptions } from '@slack/web-api';
import {
  REPORT_SHOWN,
  reportThread,
  restOfLists,
  runEndedMessage,
  runInvoicesTitle,
  runInterruptedMessage,
  runNotStartedMessage,
  runProgressMessage,
  runStartedMessage,
  type Rendered,
  type RunInterrupted,
  type RunNotStarted,
  type RunView,
} from '../render';
import type { ChartImage } from '../render/charts';
import { SHELL_CHANNEL, type InvoicesWorkbookFile, type PostedMessage, type RunReporter } from '../scheduler/reporter';
import { uploadChart } from './charts';

export interface SlackReporterOptions {
  /** Defaults to Slack's; tests point it elsewhere. */
  slackApiUrl?: string;
  /** The Web API client's retry policy (tests: { retries: 0 }). */
  retryConfig?: RetryOptions;
  /**
   * How long one request may wait for Slack's answer before it is retried (default 30 s).
   * Without it a Slack that never answers would hold the run's report (and its lock) forever.
   */
  timeoutMs?: number;
}

/** Thread replies a run's lists take at most (the rest is counted, and in its workbook). */
export const THREAD_REPLIES = 3;

/** Reports runs in Slack channels through the Web API (chat.postMessage, chat.update, files upload). */
export class SlackRunReporter implements RunReporter {
  constructor(private readonly client: WebClient) {}

  /** Every Slack channel; not the local shell's. */
  canPost(channel: string): boolean {
    return channel !== SHELL_CHANNEL;
  }

  /** A reporter on its own Web API client (needs chat:write and files:write). */
  static withToken(token: string, options: SlackReporterOptions = {}): SlackRunReporter {
    return new SlackRunReporter(
      new WebClient(token, {
        slackApiUrl: options.slackApiUrl,
        retryConfig: options.retryConfig ?? { retries: 5, factor: 2, minTimeout: 1000, maxTimeout: 30_000 },
        timeout: options.timeoutMs ?? 30_000,
      }),
    );
  }

  async runStarted(channel: string, run: RunView): Promise<PostedMessage> {
    return this.post(channel, runStartedMessage(run));
  }

  async runProgress(posted: PostedMessage, run: RunView): Promise<void> {
    await this.client.chat.update({ channel: posted.channelId, ts: posted.ts, ...runProgressMessage(run) });
  }

  async runEnded(channel: string, posted: PostedMessage | null, run: RunView): Promise<PostedMessage> {
    const content = runEndedMessage(run);
    if (!posted) return this.post(channel, content);
    await this.client.chat.update({ channel: posted.channelId, ts: posted.ts, ...content });
    return posted;
  }

  async attachInvoices(posted: PostedMessage, run: RunView, file: InvoicesWorkbookFile): Promise<void> {
    await this.client.filesUploadV2({
      channel_id: posted.channelId,
      thread_ts: posted.ts,
      file: file.data,
      filename: file.filename,
      title: runInvoicesTitle(run),
    });
  }

  /** The run history chart in the report's thread, with its alt text. */
  async attachChart(posted: PostedMessage, _run: RunView, chart: ChartImage): Promise<void> {
    await uploadChart(this.client, chart, { channel: posted.channelId, threadTs: posted.ts });
  }

  /**
   * The run's lists as replies in its message's thread (after its invoices workbook), when
   * the message shows only the first few: at most THREAD_REPLIES messages, within Slack's limits.
   */
  async attachLists(posted: PostedMessage, run: RunView): Promise<void> {
    const { totals } = run.report;
    if (totals.invoicesCreated <= REPORT_SHOWN && totals.packagesSkipped <= REPORT_SHOWN) return;
    for (const m of reportThread(run.report, { messages: THREAD_REPLIES, rest: restOfLists(run.report, true) })) {
      await this.client.chat.postMessage({ channel: posted.channelId, thread_ts: posted.ts, ...m });
    }
  }

  async runNotStarted(channel: string, failure: RunNotStarted): Promise<void> {
    await this.post(channel, runNotStartedMessage(failure));
  }

  async runInterrupted(channel: string, posted: PostedMessage | null, interruption: RunInterrupted): Promise<PostedMessage> {
    const content = runInterruptedMessage(interruption);
    if (!posted) return this.post(channel, content);
    await this.client.chat.update({ channel: posted.channelId, ts: posted.ts, ...content });
    return posted;
  }

  async postDigest(channel: string, message: Rendered): Promise<PostedMessage> {
    return this.post(channel, message);
  }

  /** The aging chart in the digest's thread, with its alt text. */
  async attachDigestChart(posted: PostedMessage, chart: ChartImage): Promise<void> {
    await uploadChart(this.client, chart, { channel: posted.channelId, threadTs: posted.ts });
  }

  private async post(channel: string, content: Rendered): Promise<PostedMessage> {
    const result = await this.client.chat.postMessage({ channel, ...content });
    if (!result.channel || !result.ts) throw new Error('Slack did not return the posted message.');
    return { channelId: result.channel, ts: result.ts };
  }
}
