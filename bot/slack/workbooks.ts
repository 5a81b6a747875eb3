import type { RespondFn } from '@slack/bolt';
import type { Logger } from '../log';
import { workbookFileName, workbookToBuffer, type WorkbookCommand } from '../commands/workbooks';
import { escapeMrkdwn, workbookUpload } from '../render';
import type { SlackDeps, WebClient } from './deps';
import { errorSummary } from './errors';
import { directMessageChannel, ephemeral } from './reply';

/**
 * `/billing template` and `/billing export accounts|invoices|credits [...] [in #channel]`: the
 * workbook is written (in memory: the Web API client holds an upload in memory anyway) and
 * uploaded, with a comment saying what it holds, to the person who asked, in their direct
 * message with the app (conversations.open, scope im:write): an export is for the person whose
 * role allowed it, not for everyone in the channel where the command was typed. Only when they
 * name a channel is it posted there; the app must be in that channel, and when it is not the
 * person is told so (it never goes somewhere else instead). Needs files:write and im:write.
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
  const { title, comment } = workbookUpload(workbook, filename, where.user, rows);
  if (command.channel) {
    await postInChannel(client, logger, command.channel, { data, filename, title, comment }, respond);
    return;
  }
  await sendToPerson(client, logger, where, respond, { file: data, filename, title, comment });
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
    if (!cannotPost(error)) throw error;
    logger.warn(`billbot: could not send ${filename} to ${where.user} (${errorSummary(error).split('\n')[0]})`);
    await respond(ephemeral("I can't send you files in a direct message. Open billbot's Messages tab (or ask whoever runs billbot to add it to your workspace) and ask again."));
    return;
  }
  if (!inDirectMessage) await respond(ephemeral(`:inbox_tray: Sent to you in a direct message with billbot: ${escapeMrkdwn(filename)}.`));
}

/** Slack refused the upload because of where it was going (not a fault of the app or of Slack). */
function cannotPost(error: unknown): string | null {
  const code = platformError(error);
  return code && CANNOT_POST.has(code) ? code : null;
}

/** The workbook in the channel the person named; when Slack refuses, one sentence saying why (no other destination). */
async function postInChannel(
  client: WebClient,
  logger: Logger,
  channel: string,
  file: { data: Buffer; filename: string; title: string; comment: string },
  respond: RespondFn,
): Promise<void> {
  const named = `<#${channel}>`;
  try {
    await client.filesUploadV2({ channel_id: channel, file: file.data, filename: file.filename, title: file.title, initial_comment: file.comment });
  } catch (error) {
    const code = cannotPost(error);
    if (!code) throw error;
    logger.warn(`billbot: could not post ${file.filename} in ${channel} (${code})`);
    const why =
      code === 'not_in_channel'
        ? `I'm not in ${named}, so I did not post the workbook there: add me to the channel (\`/invite @billbot\`) and ask again, or leave out "in #channel" to get it in a direct message.`
        : `Slack did not let me post in ${named} (${code}), so the workbook was not sent: name another channel, or leave out "in #channel" to get it in a direct message.`;
    await respond(ephemeral(`:warning: ${why}`));
    return;
  }
  await respond(ephemeral(`:outbox_tray: Posted in ${named}: ${escapeMrkdwn(file.filename)}.`));
}
