import nock from 'nock';
import { checkCall } from '../../helpers/slackLimits';
import { ADMIN, BOT_TOKEN, CHANNEL } from './helpers';

/** Slack's files and the events of a file shared with the bot, for the workbook upload tests. */

export const FILES = 'https://files.slack.com';
export const ADMIN_DM = 'D0ADMIN';
export const VIEWER = 'U0VIEWER';
export const STRANGER = 'U0STRANGER';
export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface StoredFile {
  id: string;
  name: string;
  data: Buffer;
  /** What files.info states (defaults to the real size). */
  size?: number;
}

/**
 * Slack's file API over nock: files.info, the private download URL (its Authorization header
 * recorded), and the three steps of filesUploadV2. Installed before fakeSlack(), so that these
 * interceptors are matched before its catch-all. The upload's completion is checked against
 * Slack's limits, and refused with not_in_channel in a channel the app is not in (`channels`:
 * those it is in; direct messages always take it).
 */
export function fakeFiles(o: { channels?: string[] } = {}) {
  const stored = new Map<string, StoredFile>();
  const info: string[] = [];
  const downloads: { file: string; authorization: string | undefined }[] = [];
  const uploads: { id: string; filename: string | null; data: Buffer }[] = [];
  const completed: Record<string, any>[] = [];
  let uploaded = 0;
  const member = new Set(o.channels ?? [CHANNEL]);
  const form = (body: unknown) => Object.fromEntries(new URLSearchParams(String(body)));

  nock('https://slack.com')
    .persist()
    .post('/api/files.info')
    .reply((_uri: string, body: unknown) => {
      const { file } = form(body);
      info.push(file);
      const f = stored.get(file);
      if (!f) return [200, { ok: false, error: 'file_not_found' }];
      return [
        200,
        {
          ok: true,
          file: {
            id: f.id,
            name: f.name,
            title: f.name,
            mimetype: XLSX,
            filetype: f.name.split('.').pop(),
            size: f.size ?? f.data.length,
            url_private: `${FILES}/files-pri/T0TEST-${f.id}/${f.name}`,
            url_private_download: `${FILES}/files-pri/T0TEST-${f.id}/download/${f.name}`,
          },
        },
      ];
    });
  nock(FILES)
    .persist()
    .get(/^\/files-pri\/T0TEST-(\w+)\/download\/.+$/)
    .reply(function (uri: string) {
      const id = /T0TEST-(\w+)\//.exec(uri)![1];
      const authorization = this.req.headers.authorization as string | undefined;
      downloads.push({ file: id, authorization });
      if (authorization !== `Bearer ${BOT_TOKEN}`) return [302, '', { location: 'https://slack.com/signin' }];
      const f = stored.get(id)!;
      return [200, f.data, { 'content-type': XLSX, 'content-length': String(f.data.length) }];
    });
  nock('https://slack.com')
    .persist()
    .post('/api/files.getUploadURLExternal')
    .reply((_uri: string, body: unknown) => {
      uploaded += 1;
      const id = `F0UP${uploaded}`;
      uploads.push({ id, filename: form(body).filename ?? null, data: Buffer.alloc(0) });
      return [200, { ok: true, upload_url: `${FILES}/upload/v1/${id}`, file_id: id }];
    });
  nock(FILES)
    .persist()
    .post(/^\/upload\/v1\/\w+$/)
    .reply(async function (uri: string, body: unknown) {
      const id = uri.split('/').pop()!;
      // multipart/form-data, hex-encoded by nock: undici's own parser takes it apart.
      const raw = Buffer.from(String(body), 'hex');
      const parts = await new Response(raw, { headers: { 'content-type': String(this.req.headers['content-type']) } }).formData();
      const file = parts.get('body') as Blob;
      uploads.find((u) => u.id === id)!.data = Buffer.from(await file.arrayBuffer());
      return [200, 'OK'];
    });
  nock('https://slack.com')
    .persist()
    .post('/api/files.completeUploadExternal')
    .reply((_uri: string, body: unknown) => {
      const args = form(body);
      const refusal = checkCall('files.completeUploadExternal', args);
      if (refusal) return [200, { ok: false, error: refusal.error }];
      if (!args.channel_id?.startsWith('D') && !member.has(args.channel_id)) return [200, { ok: false, error: 'not_in_channel' }];
      completed.push({ ...args, files: JSON.parse(args.files) });
      return [200, { ok: true, files: JSON.parse(args.files) }];
    });
  return {
    put: (f: StoredFile) => stored.set(f.id, f),
    info,
    downloads,
    uploads,
    completed,
    clear: () => {
      info.length = 0;
      downloads.length = 0;
      uploads.length = 0;
      completed.length = 0;
    },
  };
}
export type FakeFiles = ReturnType<typeof fakeFiles>;

let eventCount = 0;

export function eventBody(event: Record<string, unknown>, eventId = `Ev0TEST${++eventCount}`): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0TEST',
    api_app_id: 'A0BILLBOT',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEST', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** The message Slack sends when someone shares a file (message.im / message.channels). */
export function fileShareMessage(file: StoredFile, o: { user?: string; channel?: string; text?: string } = {}) {
  const channel = o.channel ?? ADMIN_DM;
  return {
    type: 'message',
    subtype: 'file_share',
    text: o.text ?? '',
    user: o.user ?? ADMIN,
    channel,
    channel_type: channel.startsWith('D') ? 'im' : 'channel',
    ts: `${Date.now() / 1000}`,
    event_ts: `${Date.now() / 1000}`,
    upload: true,
    files: [{ id: file.id, name: file.name, filetype: 'xlsx', mimetype: XLSX, size: file.size ?? file.data.length }],
  };
}

export function fileSharedEvent(file: StoredFile, o: { user?: string; channel?: string } = {}) {
  return { type: 'file_shared', file_id: file.id, file: { id: file.id }, user_id: o.user ?? ADMIN, channel_id: o.channel ?? ADMIN_DM, event_ts: `${Date.now() / 1000}` };
}

/** A button of a posted message, found by its action id. */
export function buttonOf(message: { blocks?: any[] } | undefined, actionId: string): { value: string } | undefined {
  for (const block of message?.blocks ?? []) {
    for (const element of block.elements ?? []) if (element.action_id === actionId) return element;
  }
  return undefined;
}

