import type { RespondArguments, RespondFn } from '@slack/bolt';
import type { Logger } from '../log';
import type { Rendered } from '../render';
import type { WebClient } from './deps';
import { errorSummary } from './errors';

/** A reply: its text (the notification and fallback) and, optionally, blocks. */
export interface RichMessage {
  text: string;
  blocks?: Rendered['blocks'];
}
export type Message = string | RichMessage;

function parts(m: Message): RichMessage {
  return typeof m === 'string' ? { text: m } : m.blocks ? { text: m.text, blocks: m.blocks } : { text: m.text };
}

/** Only the requester sees it: errors, previews, lists, refusals. */
export function ephemeral(m: Message, extra: Partial<RespondArguments> = {}): RespondArguments {
  return { response_type: 'ephemeral', ...parts(m), ...extra } as RespondArguments;
}

/** Everyone in the channel sees it: completion notices. */
export function inChannel(m: Message, extra: Partial<RespondArguments> = {}): RespondArguments {
  return { response_type: 'in_channel', ...parts(m), ...extra } as RespondArguments;
}

export interface Where {
  /** The channel the request came from; null when unknown (then the user gets a direct message). */
  channel: string | null;
  user: string;
}

/**
 * The app's direct message with a person (conversations.open, scope im:write): its channel id.
 * A channel id given (a D... channel: the command was typed in that direct message) is used as is.
 */
export async function directMessageChannel(client: WebClient, user: string, typedIn?: string | null): Promise<string> {
  if (typedIn && typedIn.startsWith('D')) return typedIn;
  const opened = await client.conversations.open({ users: user });
  const id = opened.channel?.id;
  if (!id) throw new Error('conversations.open answered without a channel id');
  return id;
}

/** Posts a message to the person in their direct message with the app. */
export async function directMessage(client: WebClient, user: string, m: Message): Promise<{ channel: string; ts: string } | null> {
  const channel = await directMessageChannel(client, user);
  const posted = await client.chat.postMessage({ channel, ...parts(m) });
  return posted.channel && posted.ts ? { channel: posted.channel, ts: posted.ts } : null;
}

/**
 * Tells one person something only they see, in the channel they asked in; when that is not
 * possible (no channel, the bot is not in it) in a direct message from the app.
 */
export async function tellUser(client: WebClient, logger: Logger, where: Where, m: Message): Promise<void> {
  const message = parts(m);
  if (where.channel) {
    try {
      await client.chat.postEphemeral({ channel: where.channel, user: where.user, ...message });
      return;
    } catch (error) {
      logger.warn(`billbot: could not post an ephemeral reply in ${where.channel}; sending a direct message instead (${errorSummary(error).split('\n')[0]})`);
    }
  }
  await directMessage(client, where.user, message);
}

/**
 * Posts a notice everyone in the channel sees and returns where it is (to update it later).
 * When the bot cannot post in the channel (not_in_channel, channel_not_found...): `fallback` (a
 * slash command's response_url); when that fails too (expired after 30 minutes or used 5 times)
 * or there is none, a direct message to the user. A notice is never left only in the log.
 */
export async function announce(
  client: WebClient,
  logger: Logger,
  where: Where,
  m: Message,
  fallback?: RespondFn,
): Promise<{ channel: string; ts: string } | null> {
  const message = parts(m);
  if (where.channel) {
    try {
      const posted = await client.chat.postMessage({ channel: where.channel, ...message });
      if (posted.channel && posted.ts) return { channel: posted.channel, ts: posted.ts };
      return null;
    } catch (error) {
      logger.warn(`billbot: could not post in ${where.channel} (${errorSummary(error).split('\n')[0]}); replying another way`);
      if (fallback) {
        try {
          await fallback(inChannel(m));
          return null;
        } catch (failed) {
          logger.warn(`billbot: the response_url did not take the notice either (${errorSummary(failed).split('\n')[0]}); sending it by direct message`);
        }
      }
    }
  }
  return directMessage(client, where.user, message);
}
