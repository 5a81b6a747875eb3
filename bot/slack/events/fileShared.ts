import type { Logger } from '../../log';
import { z } from 'zod';
import type { SlackDeps, WebClient } from '../deps';
import { describeFailure } from '../errors';
import { isDirectMessage, receiveSharedFile } from '../uploads';

/** What a listener for an event uses (a subset of Bolt's arguments, so tests can pass fakes). */
export interface EventArgs {
  event: unknown;
  body: unknown;
  context: { botUserId?: string; botToken?: string };
  client: WebClient;
  logger: Logger;
}

const fileSharedSchema = z.object({
  type: z.literal('file_shared'),
  file_id: z.string().min(1),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
});

/** The envelope's event id (a retried delivery repeats it). */
export function eventIdOf(body: unknown): string | null {
  const id = (body as { event_id?: unknown } | null)?.event_id;
  return typeof id === 'string' && id ? id : null;
}

/**
 * `file_shared`: a file was shared where the bot can see it. In a direct message with the
 * bot it is a workbook to import (the `message` event of the same upload is the same file,
 * taken once). In a channel, only a message that mentions the bot says the file is for it,
 * so there the `message` event decides.
 */
export function fileSharedEvent(deps: SlackDeps) {
  return async ({ event, body, context, client, logger }: EventArgs): Promise<void> => {
    const parsed = fileSharedSchema.safeParse(event);
    if (!parsed.success) return;
    const e = parsed.data;
    if (e.user_id === context.botUserId || !isDirectMessage(e.channel_id)) return;
    await deps.tasks.run(
      () =>
        receiveSharedFile(deps, client, context.botToken ?? client.token, {
          id: e.file_id,
          name: null,
          user: e.user_id,
          channel: e.channel_id,
          eventId: eventIdOf(body),
          via: 'file_shared',
        }),
      (error) => {
        describeFailure(error, logger, 'a shared file');
      },
    );
  };
}
