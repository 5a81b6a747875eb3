import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '../../../bot/slack/deps';
import { announce, tellUser } from '../../../bot/slack/reply';
import { CHANNEL, dmOf, memoryLogger } from './helpers';

// A notice that cannot go through the channel (the bot is not in it, the channel is gone) nor
// through the command's response_url (expired after 30 minutes, or used 5 times) goes to the
// person in a direct message (conversations.open, then chat.postMessage), never only to the log.

const USER = 'U0ASKER';

function platformError(error: string) {
  return Object.assign(new Error(`An API error occurred: ${error}`), { code: 'slack_webapi_platform_error', data: { ok: false, error } });
}

/** A client whose posts to channels fail with `error`; direct messages (D...) go through. */
function clientRefusingChannels(error: string) {
  const posted: { channel: string; text: string }[] = [];
  const opened: string[] = [];
  const client = {
    conversations: {
      open: jest.fn(async (a: { users: string }) => {
        opened.push(a.users);
        return { ok: true, channel: { id: dmOf(a.users) } };
      }),
    },
    chat: {
      postMessage: jest.fn(async (a: { channel: string; text: string }) => {
        if (!a.channel.startsWith('D')) throw platformError(error);
        posted.push(a);
        return { ok: true, channel: a.channel, ts: '1790000000.000100' };
      }),
      postEphemeral: jest.fn(async () => {
        throw platformError(error);
      }),
    },
  };
  return { client: client as unknown as WebClient, posted, opened };
}

/** A response_url Slack no longer takes (Bolt's respond throws on its 404). */
const expired: RespondFn = async () => {
  throw Object.assign(new Error('Failed to respond to the response_url: 404 Not Found'), { code: 'slack_bolt_respond_error' });
};

describe('notices that cannot go through the channel', () => {
  it.each(['not_in_channel', 'channel_not_found'])('%s, and an expired response_url: a direct message', async (error) => {
    const { client, posted, opened } = clientRefusingChannels(error);
    const logger = memoryLogger();
    const where = await announce(client, logger, { channel: CHANNEL, user: USER }, { text: 'Bill run #7 finished: 3 invoices.' }, expired);
    expect(opened).toEqual([USER]);
    expect(posted).toEqual([expect.objectContaining({ channel: dmOf(USER), text: 'Bill run #7 finished: 3 invoices.' })]);
    expect(where).toEqual({ channel: dmOf(USER), ts: '1790000000.000100' });
    expect(logger.lines.some((l) => l.includes('sending it by direct message'))).toBe(true);
  });

  it('a response_url that still works takes the notice, in the channel', async () => {
    const { client, posted } = clientRefusingChannels('not_in_channel');
    const replies: unknown[] = [];
    const respond: RespondFn = async (m) => {
      replies.push(m);
      return {} as never;
    };
    await announce(client, memoryLogger(), { channel: CHANNEL, user: USER }, 'Done.', respond);
    expect(replies).toEqual([expect.objectContaining({ response_type: 'in_channel', text: 'Done.' })]);
    expect(posted).toEqual([]);
  });

  it('no channel and no response_url (a form, a scheduled run): a direct message', async () => {
    const { client, posted, opened } = clientRefusingChannels('not_in_channel');
    await announce(client, memoryLogger(), { channel: null, user: USER }, 'Credit CR-1 added.');
    expect(opened).toEqual([USER]);
    expect(posted.map((p) => p.channel)).toEqual([dmOf(USER)]);
  });

  it('a reply only the person sees, when the bot is not in the channel: a direct message', async () => {
    const { client, posted, opened } = clientRefusingChannels('not_in_channel');
    await tellUser(client, memoryLogger(), { channel: CHANNEL, user: USER }, 'Only for you.');
    expect(opened).toEqual([USER]);
    expect(posted).toEqual([expect.objectContaining({ channel: dmOf(USER), text: 'Only for you.' })]);
  });
});
