import nock from 'nock';
import { checkCall } from '../../helpers/slackLimits';
import { BOT_TOKEN } from './helpers';

/** Slack's file API for the Slack tests (workbooks sent to the app, files the app uploads). */

const FILES = 'https://files.slack.com';
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
 * interceptors are matched before its catch-all.
 */
export function fakeFiles() {
  const stored = new Map<string, StoredFile>();
  const info: string[] = [];
  const downloads: { file: string; authorization: string | undefined }[] = [];
  const uploads: { id: string; filename: string | null; data: Buffer }[] = [];
  const completed: Record<string, any>[] = [];
  let uploaded = 0;
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
