import { formatDuration, formatLocalTime } from '../render/time';
import { WebClient, type KnownBlock, type RetryOptions } from '@slack/web-api';
import { Money, type BillRunReport } from '../../billing';
import { escapeMrkdwn } from '../render/mrkdwn';

/** Everything a channel report shows about a bill run at one moment. */
export interface RunView {
  report: BillRunReport;
  /** The configuration's time zone: times are shown in it. */
  timeZone: string;
  /** The scheduled time, when a schedule started the run. */
  scheduledFor: Date | null;
  /** Started after its scheduled time (caught up after downtime). */
  late: boolean;
  /** When this process started working on the run (for "ran late" wording). */
  startedAt: Date;
  /** Packages skipped, per reason (complete, unlike report.skipped). */
  skipReasons: { reason: string; count: number }[];
  /** What is not done yet (batches and the accounts in them). */
  remaining: { batches: number; accounts: number };
}

/** A posted message: Slack's channel id and message timestamp. */
export interface PostedMessage {
  channelId: string;
  ts: string;
}

export interface InvoicesWorkbookFile {
  data: Buffer;
  filename: string;
}

export interface RunNotStarted {
  configuration: string;
  scheduledFor: Date;
  timeZone: string;
  late: boolean;
  error: string;
}

/**
 * Where bill runs are reported. The scheduler decides when (once per run, claimed in the
 * database); an implementation decides how the report looks and where it goes.
 */
/**
 * The channel of the local shell (bot/shell): a run started there, for a configuration without
 * a report channel, is reported "here", in the shell's output. No Slack channel has this name
 * (Slack's are ids or #names), so the Slack reporter leaves such reports alone.
 */
export const SHELL_CHANNEL = 'shell';

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
  /** A scheduled run that could not even start (the configuration targets nothing, ...). */
  runNotStarted(channel: string, failure: RunNotStarted): Promise<void>;
  /**
   * The run stopped because the database could not be reached (so nothing about it can be read
   * or recorded): updates its message, or posts one when there is none.
   */
  runInterrupted?(channel: string, message: PostedMessage | null, interruption: RunInterrupted): Promise<PostedMessage>;
}

export interface RunInterrupted {
  runId: number;
  configuration: string;
  /** The database error, as its driver gave it. */
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Message text (Slack mrkdwn)


function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function title(run: RunView): string {
  const r = run.report.run;
  const scope = r.scope === 'account' && r.account ? ` for ${escapeMrkdwn(r.account)}` : '';
  return `bill run #${r.id} of *${escapeMrkdwn(r.configuration)}*${scope}`;
}

function contextLines(run: RunView): string[] {
  const r = run.report.run;
  const lines = [`Billing period ${r.periodStart} to ${r.periodEnd}.`];
  if (run.scheduledFor) {
    const when = `${formatLocalTime(run.scheduledFor, run.timeZone)} (${run.timeZone})`;
    if (run.late) {
      const lateBy = formatDuration(run.startedAt.getTime() - run.scheduledFor.getTime());
      lines.push(`:warning: Ran late: scheduled for ${when}, started ${lateBy} later (the bot was not running then).`);
    } else {
      lines.push(`Scheduled for ${when}.`);
    }
  } else {
    lines.push(`Started by ${escapeMrkdwn(r.startedBy)}.`);
  }
  return lines;
}

function amounts(byCurrency: Record<string, string>): string {
  const entries = Object.entries(byCurrency).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return 'nothing';
  return entries.map(([currency, amount]) => `${Money.exact(amount, currency).format()} ${currency}`).join(', ');
}

function totalsLines(run: RunView): string[] {
  const t = run.report.totals;
  const lines = [
    `Accounts billed: ${t.accountsBilled.toLocaleString('en-US')} · packages billed: ${t.packagesBilled.toLocaleString('en-US')} · charges: ${t.charges.toLocaleString('en-US')}`,
    `Invoices created: ${t.invoicesCreated.toLocaleString('en-US')} · amount invoiced: ${amounts(t.invoicedByCurrency)}`,
    `Credits issued: ${t.creditsIssued.toLocaleString('en-US')} · credits disbursed: ${t.creditsDisbursed.toLocaleString('en-US')} · reversals applied: ${t.reversalsApplied.toLocaleString('en-US')}`,
  ];
  if (t.packagesSkipped === 0) {
    lines.push('Packages skipped: none');
  } else {
    const reasons = run.skipReasons.map((s) => `${escapeMrkdwn(s.reason)} ${s.count.toLocaleString('en-US')}`).join(', ');
    lines.push(`Packages skipped: ${t.packagesSkipped.toLocaleString('en-US')} (${reasons})`);
    const shown = run.report.skipped.slice(0, 5);
    for (const s of shown) lines.push(`• ${escapeMrkdwn(s.account)} – ${escapeMrkdwn(s.package)}: ${escapeMrkdwn(s.message)}`);
    if (t.packagesSkipped > shown.length) lines.push(`• … and ${plural(t.packagesSkipped - shown.length, 'more')} in the workbook and the run's report.`);
  }
  return lines;
}

function progressLine(run: RunView): string {
  const r = run.report.run;
  return `Progress: ${r.batchesDone.toLocaleString('en-US')} of ${plural(r.batchesTotal, 'batch', 'batches')} done · ${plural(run.report.totals.accountsBilled, 'account')} billed so far.`;
}

/**
 * A run's error as people should read it: the database's own sentence without the SQL that
 * knex puts in front of it, at most 500 characters.
 */
export function errorForPeople(error: string | null): string {
  if (!error) return 'unknown error';
  // knex writes "<the SQL> - <the database's message>"; billing keeps the end of long ones ("…").
  const sql = /^(?:…|\s*(?:with|select|insert|update|delete)\b)[\s\S]* - ([^\n]+)$/i.exec(error);
  const text = (sql ? sql[1] : error).trim();
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}

export interface RunMessage {
  text: string;
  blocks: KnownBlock[];
}

function message(headline: string, lines: string[]): RunMessage {
  const body = lines.join('\n');
  return {
    text: `${headline}\n${body}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      { type: 'section', text: { type: 'mrkdwn', text: body.slice(0, 3000) } },
    ],
  };
}

export function runStartedMessage(run: RunView): RunMessage {
  return message(`:hourglass_flowing_sand: Started ${title(run)}.`, [...contextLines(run), progressLine(run)]);
}

export function runProgressMessage(run: RunView): RunMessage {
  return message(`:hourglass_flowing_sand: Running ${title(run)}.`, [...contextLines(run), progressLine(run)]);
}

export function runEndedMessage(run: RunView): RunMessage {
  const r = run.report.run;
  if (r.status === 'completed') {
    return message(`:white_check_mark: Completed ${title(run)}.`, [...contextLines(run), ...totalsLines(run)]);
  }
  const done = `Done: ${r.batchesDone.toLocaleString('en-US')} of ${plural(r.batchesTotal, 'batch', 'batches')}, with these results:`;
  const notDone =
    run.remaining.batches > 0
      ? `Not done: ${plural(run.remaining.batches, 'batch', 'batches')} (${plural(run.remaining.accounts, 'account')} not billed yet). Resuming run #${r.id} bills only those; nothing done is billed twice.`
      : 'Not done: nothing left to bill, but the run did not complete.';
  return message(`:x: Failed ${title(run)}: ${escapeMrkdwn(errorForPeople(r.error))}`, [
    ...contextLines(run),
    done,
    ...totalsLines(run),
    notDone,
  ]);
}

export function runInterruptedMessage(interruption: RunInterrupted): RunMessage {
  return message(
    `:x: Bill run #${interruption.runId} of *${escapeMrkdwn(interruption.configuration)}* stopped: the database could not be reached (${escapeMrkdwn(errorForPeople(interruption.reason))}).`,
    [
      'Everything billed before it stopped stays billed. The run resumes by itself once the database is back, and nothing is billed twice; this message then shows how it ended.',
    ],
  );
}

export function runNotStartedMessage(failure: RunNotStarted): RunMessage {
  const when = `${formatLocalTime(failure.scheduledFor, failure.timeZone)} (${failure.timeZone})`;
  return message(`:x: The scheduled bill run of *${escapeMrkdwn(failure.configuration)}* could not start: ${escapeMrkdwn(failure.error)}`, [
    `Scheduled for ${when}${failure.late ? ', run late' : ''}. Nothing was billed.`,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Slack

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
    const r = run.report.run;
    await this.client.filesUploadV2({
      channel_id: posted.channelId,
      thread_ts: posted.ts,
      file: file.data,
      filename: file.filename,
      title: `Invoices of bill run #${r.id} (${r.configuration}, ${r.periodStart} to ${r.periodEnd})`,
    });
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

  private async post(channel: string, content: RunMessage): Promise<PostedMessage> {
    const result = await this.client.chat.postMessage({ channel, ...content });
    if (!result.channel || !result.ts) throw new Error('Slack did not return the posted message.');
    return { channelId: result.channel, ts: result.ts };
  }
}
