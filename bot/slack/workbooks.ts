import type { RespondFn } from '@slack/bolt';
import type { Logger } from '../log';
import { workbookFileName, workbookToBuffer, type WorkbookCommand } from '../commands/workbooks';
import { workbookUpload } from '../render';
import type { SlackDeps, WebClient } from './deps';
import { errorSummary } from './errors';
import { ephemeral } from './reply';

/**
 * `/billing template` and `/billing export accounts|invoices|credits [...]`: the workbook is
 * written (in memory: the Web API client holds an upload in memory anyway) and uploaded to
 * the channel the command came from, with a comment saying who asked and what it holds.
 * Needs the files:write scope, and the bot in the channel (or the command typed in the bot's
 * direct messages).
 */
const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action', 'access_denied']);

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
  const { title, comment } = workbookUpload(workbook, filename, where.user, rows);
  try {
    await client.filesUploadV2({ channel_id: where.channel ?? where.user, file: data, filename, title, initial_comment: comment });
  } catch (error) {
    const code = platformError(error);
    if (!code || !CANNOT_POST.has(code)) throw error;
    logger.warn(`billbot: could not upload ${filename} to ${where.channel} (${errorSummary(error).split('\n')[0]})`);
    await respond(
      ephemeral(
        "I can't post files in this channel. Invite me with `/invite @billbot`, or ask me in a direct message with billbot.",
      ),
    );
  }
}
