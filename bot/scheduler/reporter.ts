import type { ChartImage } from '../render/charts';
import type { Rendered } from '../render/kit';
import type { RunInterrupted, RunNotStarted, RunView } from '../render/runReports';

/** A posted message: Slack's channel id and message timestamp. */
export interface PostedMessage {
  channelId: string;
  ts: string;
}

export interface InvoicesWorkbookFile {
  data: Buffer;
  filename: string;
}

/**
 * The channel of the local shell (bot/shell): a run started there, for a configuration without
 * a report channel, is reported "here", in the shell's output. No Slack channel has this name
 * (Slack's are ids or #names), so the Slack reporter leaves such reports alone.
 */
export const SHELL_CHANNEL = 'shell';

/**
 * Where bill runs are reported. The scheduler decides when (once per run, claimed in the
 * database); an implementation decides where the report goes (bot/render builds how it looks):
 * Slack channels (bot/slack/runReporter.ts) or the shell's output (bot/shell/runReporter.ts).
 */
export interface RunReporter {
  /** Whether this reporter can post in the channel (absent: every channel). Reports it cannot post are left for one that can. */
  canPost?(channel: string): boolean;
  /** Posts the "run started" message in a channel (a name or an id). */
  runStarted(channel: string, run: RunView): Promise<PostedMessage>;
  /** Updates the run's message with its progress. */
  runProgress(message: PostedMessage, run: RunView): Promise<void>;
  /** Shows the run's end (completed with totals, or failed with what was and was not done), updating its message or posting one. */
  runEnded(channel: string, message: PostedMessage | null, run: RunView): Promise<PostedMessage>;
  /** Attaches the run's invoices workbook next to its message. */
  attachInvoices(message: PostedMessage, run: RunView, file: InvoicesWorkbookFile): Promise<void>;
  /** Attaches a chart of the configuration's runs next to its message (absent: this reporter shows no charts). */
  attachChart?(message: PostedMessage, run: RunView, chart: ChartImage): Promise<void>;
  /** Posts the run's lists (invoices, packages skipped and billed) next to its message, when the message cannot show them all. */
  attachLists?(message: PostedMessage, run: RunView): Promise<void>;
  /** A scheduled run that could not even start (the configuration targets nothing, ...). */
  runNotStarted(channel: string, failure: RunNotStarted): Promise<void>;
  /**
   * The run stopped because the database could not be reached (so nothing about it can be read
   * or recorded): updates its message, or posts one when there is none.
   */
  runInterrupted?(channel: string, message: PostedMessage | null, interruption: RunInterrupted): Promise<PostedMessage>;
  /** Posts an overdue digest (built by bot/render) in its channel (absent: digests are not posted here). */
  postDigest?(channel: string, message: Rendered): Promise<PostedMessage>;
  /** Attaches the aging chart in a posted digest's thread (absent: this reporter shows no charts). */
  attachDigestChart?(message: PostedMessage, chart: ChartImage): Promise<void>;
}
