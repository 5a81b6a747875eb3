/**
 * Slack's file upload (files.getUploadURLExternal, the POST of the bytes to the upload URL,
 * files.completeUploadExternal) as the fake Web API of helpers.ts answers it, strictly: a file
 * is shared only when it was asked for, its bytes arrived, and they are as long as announced.
 */

export const UPLOAD_HOST = 'https://files.slack.com';

export interface FakeFile {
  id: string;
  filename: string;
  /** The length announced to files.getUploadURLExternal. */
  length: number;
  /** The alt text (Slack's argument is alt_txt). */
  altText: string | null;
  /** The bytes posted to the upload URL (null: none yet). */
  data: Buffer | null;
  /** Where files.completeUploadExternal shared it (null: not completed). */
  shared: { channelId: string | null; threadTs: string | null; title: string | null; comment: string | null } | null;
}

type Reply = [number, Record<string, unknown>];

/** A body as nock hands it over: binary bodies come hex-encoded. */
function bytesOf(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return /^(?:[0-9a-f]{2})+$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'utf8');
}

export function fakeUploads() {
  const files: FakeFile[] = [];
  const find = (id: string) => files.find((f) => f.id === id);
  return {
    files,
    ask(args: Record<string, any>): Reply {
      const id = `F0UPLOAD${files.length + 1}`;
      files.push({ id, filename: String(args.filename), length: Number(args.length), altText: args.alt_txt ?? null, data: null, shared: null });
      return [200, { ok: true, upload_url: `${UPLOAD_HOST}/upload/v1/${id}`, file_id: id }];
    },
    /** The POST to an upload URL: raw bytes or multipart/form-data (the file is its one file part). */
    async receive(id: string, body: unknown, contentType: string | undefined): Promise<[number, string]> {
      const file = find(id);
      if (!file) return [404, 'unknown upload'];
      let data = bytesOf(body);
      if (contentType?.startsWith('multipart/form-data')) {
        const parts = await new Response(data, { headers: { 'content-type': contentType } }).formData();
        const part = [...parts.values()].find((v) => typeof v !== 'string') as Blob | undefined;
        if (!part) return [400, 'no file in the form'];
        data = Buffer.from(await part.arrayBuffer());
      }
      file.data = data;
      return [200, 'OK'];
    },
    complete(args: Record<string, any>): Reply {
      const listed: { id: string; title?: string }[] = typeof args.files === 'string' ? JSON.parse(args.files) : args.files;
      for (const { id } of listed) {
        const file = find(id);
        if (!file || !file.data) return [200, { ok: false, error: 'file_not_found' }];
        if (file.data.length !== file.length) return [200, { ok: false, error: 'invalid_arguments' }];
      }
      for (const { id, title } of listed) {
        find(id)!.shared = { channelId: args.channel_id ?? null, threadTs: args.thread_ts ?? null, title: title ?? null, comment: args.initial_comment ?? null };
      }
      return [200, { ok: true, files: listed.map(({ id, title }) => ({ id, title })) }];
    },
  };
}
