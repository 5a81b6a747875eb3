import {
  blocksToText,
  runEndedMessage,
  runNotStartedMessage,
  runProgressMessage,
  runStartedMessage,
  type Rendered,
  type RunNotStarted,
  type RunView,
} from '../render';
import { SHELL_CHANNEL, type InvoicesWorkbookFile, type PostedMessage, type RunReporter } from '../scheduler/reporter';

/** The report emoji as a terminal shows them. */
const EMOJI: Record<string, string> = {
  ':hourglass_flowing_sand:': '…',
  ':white_check_mark:': '✓',
  ':x:': '✗',
  ':warning:': '!',
};

/** A report's blocks as terminal lines (its `text` is only the one-line summary). */
function plain(rendered: Rendered): string[] {
  const text = blocksToText(rendered.blocks).replace(/:[a-z_]+:/g, (code) => EMOJI[code] ?? code);
  return text.split('\n').filter((line) => line.trim() !== '');
}

/**
 * Reports bill runs as text lines (the local shell): the blocks of the messages Slack gets,
 * each headed by the channel it would be posted in ("[report]" for the shell itself). A
 * progress update prints only its progress line.
 */
export class TextRunReporter implements RunReporter {
  private posted = 0;

  constructor(
    private readonly write: (text: string) => void,
    /** The channel name that means "here" (shown as [report]). */
    private readonly here = SHELL_CHANNEL,
  ) {}

  private label(channel: string): string {
    return channel === this.here ? '[report]' : `[report in ${channel}]`;
  }

  private print(channel: string, rendered: Rendered): PostedMessage {
    const [first, ...rest] = plain(rendered);
    this.write([`${this.label(channel)} ${first}`, ...rest.map((line) => `  ${line}`)].join('\n'));
    this.posted += 1;
    return { channelId: channel, ts: String(this.posted) };
  }

  async runStarted(channel: string, run: RunView): Promise<PostedMessage> {
    return this.print(channel, runStartedMessage(run));
  }

  async runProgress(message: PostedMessage, run: RunView): Promise<void> {
    const lines = plain(runProgressMessage(run));
    this.write(`${this.label(message.channelId)} Bill run #${run.report.run.id}: ${lines[lines.length - 1]}`);
  }

  async runEnded(channel: string, message: PostedMessage | null, run: RunView): Promise<PostedMessage> {
    const printed = this.print(message?.channelId ?? channel, runEndedMessage(run));
    return message ?? printed;
  }

  async attachInvoices(message: PostedMessage, run: RunView, file: InvoicesWorkbookFile): Promise<void> {
    this.write(`${this.label(message.channelId)} Bill run #${run.report.run.id}: invoices workbook ${file.filename} (${file.data.length} bytes).`);
  }

  async runNotStarted(channel: string, failure: RunNotStarted): Promise<void> {
    this.print(channel, runNotStartedMessage(failure));
  }

  async postDigest(channel: string, message: Rendered): Promise<PostedMessage> {
    return this.print(channel, message);
  }
}
