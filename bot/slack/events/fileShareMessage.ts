import { z } from 'zod';
import type { SlackDeps } from '../deps';
import { describeFailure } from '../errors';
import { isDirectMessage, receiveSharedFile } from '../uploads';
import { eventIdOf, type EventArgs } from './fileShared';

/** Files sent with one message that billbot looks at (each gets its own preview). */
const MAX_FILES = 5;

const fileShareSchema = z.object({
  type: z.literal('message'),
  subtype: z.literal('file_share'),
  user: z.string().min(1),
  channel: z.string().min(1),
  channel_type: z.string().optional(),
  text: z.string().default(''),
  files: z.array(z.object({ id: z.string().min(1), name: z.string().nullish() })).min(1),
});

/**
 * A message with files (subtype file_share): in a direct message with the bot, every file is
 * a workbook to import; in a channel (message.channels, message.groups), only when the message
 * mentions the bot. Other messages are not billbot's business.
 */
export function fileShareMessageEvent(deps: SlackDeps) {
  return async ({ event, body, context, client, logger }: EventArgs): Promise<void> => {
    const parsed = fileShareSchema.safeParse(event);
    if (!parsed.success) return;
    const e = parsed.data;
    if (e.user === context.botUserId) return;
    const direct = e.channel_type === 'im' || isDirectMessage(e.channel);
    const mentioned = !!context.botUserId && e.text.includes(`<@${context.botUserId}>`);
    if (!direct && !mentioned) return;
    const eventId = eventIdOf(body);
    for (const [index, file] of e.files.slice(0, MAX_FILES).entries()) {
      await deps.tasks.run(
        () =>
          receiveSharedFile(deps, client, context.botToken ?? client.token, {
            id: file.id,
            name: file.name ?? null,
            user: e.user,
            channel: e.channel,
            eventId: eventId ? `${eventId}:${index}` : null,
            via: 'message',
          }),
        (error) => {
          describeFailure(error, logger, 'a shared file');
        },
      );
    }
  };
}
