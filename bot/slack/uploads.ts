import type { Logger } from '../log';
import { z } from 'zod';
import { BillingError } from '../../billing';
import { isPaymentsImport, WorkbookTooLargeError, type WorkbookImportResult } from '../../sheets';
import { megabytes } from '../../sheets/limits';
import { validateCommand } from '../commands';
import { importWorkbook, workbookBytes } from '../commands/workbooks';
import { escapeMrkdwn, importIsReady, renderBlocks, withImportDecision } from '../render';
import { authorize } from './access';
import { buttonValueReader } from './buttons';
import type { SlackDeps, WebClient } from './deps';
import { describeFailure, SlackRequestError } from './errors';
import { tellUser, type Message, type Where } from './reply';
import { uploadSettings, type UploadSettings } from './uploadSettings';

/**
 * A setup workbook sent to the bot (a file shared in a direct message, or in a channel with a
 * mention of the bot): the person's role is checked (admin, audited), the file's size is
 * checked before it is downloaded, the bytes are held (pending_imports) and checked with a dry
 * run, and the person gets a preview with Confirm and Cancel buttons. Confirm applies exactly
 * those bytes (see actions/importDecision.ts).
 *
 * Slack sends one upload as two events (a `message` with subtype file_share and a
 * `file_shared`), and retries events it thinks were lost: the event id and the file id are
 * claimed in this process, and the file id with the bytes' SHA-256 in the database, so one
 * upload gets one preview.
 */
export const CONFIRM_IMPORT_ACTION = 'workbook_import_confirm';
export const CANCEL_IMPORT_ACTION = 'workbook_import_cancel';
export const IMPORT_DECISION_BLOCK_ID = 'workbook_import_decision';

/** A Confirm or Cancel button's value: the held file. */
export const importButtonValueSchema = z.object({ pending: z.string().uuid() });

export const readImportButtonValue = buttonValueReader(importButtonValueSchema);

/** A file as files.info describes it (only what billbot uses). */
const fileInfoSchema = z.object({
  id: z.string().min(1),
  name: z.string().default('workbook.xlsx'),
  filetype: z.string().default(''),
  size: z.number().int().nonnegative().nullish(),
  url_private_download: z.string().nullish(),
  url_private: z.string().nullish(),
});
type FileInfo = z.infer<typeof fileInfoSchema>;

/** A file shared with the bot, as the events tell it. */
export interface SharedFile {
  /** Slack's file id (F...). */
  id: string;
  /** The name, when the event tells it (files.info does anyway). */
  name: string | null;
  /** Who shared it. */
  user: string;
  /** Where: a direct message (D...) or a channel. */
  channel: string;
  /** The event's id: a retried delivery repeats it. */
  eventId: string | null;
  /** Which event brought it (for the audit trail). */
  via: 'file_shared' | 'message';
}

export function isDirectMessage(channel: string): boolean {
  return channel.startsWith('D');
}

/** Replies to the person who sent a file: in a direct message as a message; in a channel only they see it. */
async function reply(client: WebClient, logger: Logger, where: Where & { channel: string }, m: Message): Promise<void> {
  if (isDirectMessage(where.channel)) {
    const message = typeof m === 'string' ? { text: m } : m;
    await client.chat.postMessage({ channel: where.channel, ...message });
    return;
  }
  await tellUser(client, logger, where, m);
}

/** Hosts billbot sends its bot token to when downloading a file. */
function isSlackFileHost(url: URL): boolean {
  return url.protocol === 'https:' && /(^|\.)(slack\.com|slack-gov\.com)$/i.test(url.hostname);
}

/**
 * Downloads a file Slack holds with the bot token: only from Slack's own hosts over https,
 * refused past `maxBytes` (by its stated length, and again while reading).
 */
export async function downloadSlackFile(address: string, token: string, settings: Pick<UploadSettings, 'maxBytes' | 'downloadTimeoutMs'>): Promise<Buffer> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new SlackRequestError('Slack gave no usable download address for the file; send it again.');
  }
  if (!isSlackFileHost(url)) throw new SlackRequestError("The file's download address is not Slack's, so billbot did not download it.");
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(settings.downloadTimeoutMs),
  }).catch((error: unknown) => {
    throw new SlackRequestError(`The file could not be downloaded from Slack (${(error as Error).name === 'TimeoutError' ? 'it took too long' : 'no answer'}); send it again.`);
  });
  const tooLarge = () => new WorkbookTooLargeError(`The file is over ${megabytes(settings.maxBytes)}; a workbook can be at most ${megabytes(settings.maxBytes)}.`);
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new SlackRequestError(`Slack did not hand over the file (HTTP ${response.status}); send it again.`);
  }
  if (/text\/html/i.test(response.headers.get('content-type') ?? '')) {
    await response.body?.cancel().catch(() => undefined);
    throw new SlackRequestError('Slack answered with a web page instead of the file (the app may lack the files:read scope); ask whoever runs billbot.');
  }
  const stated = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(stated) && stated > settings.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > settings.maxBytes) {
        await response.body.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks, total);
}

function isWorkbookName(file: FileInfo): 'xlsx' | 'xls' | null {
  const type = file.filetype.toLowerCase();
  if (type === 'xlsx' || /\.xlsx$/i.test(file.name)) return 'xlsx';
  if (type === 'xls' || /\.xls$/i.test(file.name)) return 'xls';
  return null;
}

/** What the held row remembers of a check (counts, problems), without the rows themselves. */
export function checkSummary(result: WorkbookImportResult): Record<string, unknown> {
  if (isPaymentsImport(result)) {
    const { workbook, payments, applications, totals, alreadyRecorded, totalProblems, applied } = result;
    return { workbook, payments, applications, totals, alreadyRecorded, totalProblems, applied };
  }
  return {
    accounts: result.accounts,
    packages: result.packages,
    accountPackages: result.accountPackages,
    billRuns: result.billRuns,
    billGroupsCreated: result.billGroupsCreated,
    totalProblems: result.totalProblems,
    applied: result.applied,
  };
}

/** The preview of a checked workbook; with Confirm and Cancel when it can be applied. */
export function previewMessage(outcome: Awaited<ReturnType<typeof importWorkbook>>, pending: string | null): Message {
  const ids = { blockId: IMPORT_DECISION_BLOCK_ID, confirm: CONFIRM_IMPORT_ACTION, cancel: CANCEL_IMPORT_ACTION };
  return withImportDecision(renderBlocks(outcome), ids, pending);
}

/**
 * Takes a shared file: role, size, download, hold, dry run, preview. Failures the person can
 * act on are told as one sentence; nothing is imported here.
 */
export async function receiveSharedFile(deps: SlackDeps, client: WebClient, token: string | undefined, shared: SharedFile): Promise<void> {
  // A retried event, or the second event of the same upload: handled already (or being handled).
  if (shared.eventId && !deps.recent.claim(`slack:event:${shared.eventId}`)) return;
  if (!deps.recent.claim(`slack:file:${shared.id}`)) return;
  const where = { channel: shared.channel, user: shared.user };
  const tell = (m: Message) => reply(client, deps.logger, where, m);
  try {
    const audit = {
      user: shared.user,
      channel: shared.channel,
      command: `event:${shared.via}`,
      input: `file ${shared.id}${shared.name ? ` (${shared.name})` : ''}`,
    };
    // Who first: a person without the admin role has nothing of theirs downloaded.
    const refused = await authorize(deps, audit, validateCommand({ kind: 'billing.import', dryRun: true }));
    if (refused) {
      await tell(refused);
      return;
    }
    const info = await client.files.info({ file: shared.id });
    const parsed = fileInfoSchema.safeParse(info.file);
    if (!parsed.success) throw new SlackRequestError('Slack did not describe the file; send it again.');
    const file = parsed.data;
    const kind = isWorkbookName(file);
    if (kind !== 'xlsx') {
      await tell(
        kind === 'xls'
          ? `${escapeMrkdwn(file.name)} is a legacy Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx) and send it again.`
          : `${escapeMrkdwn(file.name)} is not an Excel workbook: send billbot a setup workbook (.xlsx) to import it. \`/billing template\` gives an empty one.`,
      );
      return;
    }
    const settings = uploadSettings(deps);
    if (typeof file.size === 'number' && file.size > settings.maxBytes) {
      await tell(`${escapeMrkdwn(file.name)} is ${megabytes(file.size)}; a workbook can be at most ${megabytes(settings.maxBytes)}, so it was not downloaded. Split it into several workbooks.`);
      return;
    }
    const address = file.url_private_download ?? file.url_private;
    if (!address) throw new SlackRequestError(`Slack gave no download address for ${escapeMrkdwn(file.name)}; send it again.`);
    if (!token) throw new SlackRequestError('billbot has no bot token to download files with; ask whoever runs it.');
    const bytes = workbookBytes(file.name, await downloadSlackFile(address, token, settings));
    const { billing } = deps.services;
    const held = await billing.pendingImports.hold({
      source: `slack:${file.id}`,
      sha256: bytes.sha256,
      fileName: file.name,
      actor: shared.user,
      content: bytes.data,
      ttlMs: settings.ttlMs,
    });
    // The same file and bytes are held already: another delivery (another process) previews it.
    if (!held.created) return;
    let outcome: Awaited<ReturnType<typeof importWorkbook>>;
    try {
      outcome = await importWorkbook(billing, bytes, { actor: shared.user, dryRun: true });
    } catch (error) {
      await billing.pendingImports.recordCheck(held.pending.id, { status: 'rejected', summary: { error: error instanceof BillingError ? error.message : 'unexpected failure' } });
      throw error;
    }
    const ready = importIsReady(outcome.result);
    await billing.pendingImports.recordCheck(held.pending.id, { status: ready ? 'previewed' : 'rejected', summary: checkSummary(outcome.result) });
    await tell(previewMessage(outcome, ready ? held.pending.id : null));
  } catch (error) {
    await tell(`:warning: ${describeFailure(error, deps.logger, 'the uploaded workbook')}`);
  }
}
