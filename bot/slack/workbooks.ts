import type { RespondFn } from '@slack/bolt';
import type { Logger } from '../log';
import { workbookFileName, workbookToBuffer, type WorkbookCommand } from '../commands/workbooks';
import { escapeMrkdwn, workbookUpload } from '../render';
import type { SlackDeps, WebClient } from './deps';
import { errorSummary } from './errors';
import { directMessageChannel, ephemeral } from './reply';

/**
 * `/billing template` and `/billing export accounts|invoices|credits [...]`: the workbook is
 * written (in memory: the Web API client holds an upload in memory anyway) and uploaded to the
 * person who asked, in their direct message with the app (conversations.open, scope im:write),
 * with a comment saying what it holds: an export is for the person whose role allowed it, never
 * for everyone in the channel where the command was typed. The command grammar has no channel
 * word; to share an export, the person forwards the file. Needs files:write and im:write.
 */
const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'access_denied', 'cannot_dm_bot', 'user_not_found', 'user_disabled']);

function platformError(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : null;
}

export async function postWorkbook(
  deps: SlackDeps,
  client: WebClient,
  logger: Logger,
  command: WorkbookCommand,
  where: { channel: string | null; user: string },
  respond: RespondFn,
): Promise<void> {
  if ('what' in command) {
    await respond(ephemeral(`:hourglass_flowing_sand: Preparing the ${command.what} export…`));
  }
  const { workbook, rows, data } = await workbookToBuffer(deps.services.billing, command);
  const filename = workbookFileName(command, new Date().toISOString().slice(0, 10));
  await sendToPerson(client, logger, where, respond, { file: data, filename, ...workbookUpload(workbook, filename, where.user, rows) });
}

/**
 * Uploads a file to the person, in their direct message with the app (files upload v2), and
 * tells them where it went when they asked elsewhere; a workspace that does not let the app
 * message them gets a sentence instead.
 */
export async function sendToPerson(
  client: WebClient,
  logger: Logger,
  where: { channel: string | null; user: string },
  respond: RespondFn,
  upload: { file: Buffer | NodeJS.ReadableStream; filename: string; title: string; comment: string },
): Promise<void> {
  const { file, filename, title, comment } = upload;
  const inDirectMessage = !!where.channel?.startsWith('D');
  try {
    const channel = await directMessageChannel(client, where.user, where.channel);
    await client.filesUploadV2({ channel_id: channel, file: file as Buffer, filename, title, initial_comment: comment });
  } catch (error) {
    const code = platformError(error);
    if (!code || !CANNOT_POST.has(code)) throw error;
    logger.warn(`billbot: could not send ${filename} to ${where.user} (${errorSummary(error).split('\n')[0]})`);
    await respond(ephemeral("I can't send you files in a direct message. Open billbot's Messages tab (or ask whoever runs billbot to add it to your workspace) and ask again."));
    return;
  }
  if (!inDirectMessage) await respond(ephemeral(`:inbox_tray: Sent to you in a direct message with billbot: ${escapeMrkdwn(filename)}.`));
}
