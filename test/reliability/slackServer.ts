import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkCall } from '../helpers/slackLimits';

/** What Slack does with one request: answer it, or fail the way Slack's Web API can. */
export type SlackFault = { kind: 'rate limited'; retryAfterSeconds: number } | { kind: 'server error' } | { kind: 'no answer' };

export interface SlackRequest {
  method: string;
  body: Record<string, string>;
  /** How it was answered ('ok', or the fault). */
  outcome: 'ok' | SlackFault['kind'];
}

/**
 * The Slack Web API as a small HTTP server on 127.0.0.1 (for a real WebClient, with real
 * timeouts and retries): chat.postMessage, chat.update and the file upload steps, with faults
 * injected per method. A request that gets a fault has no effect, like a request Slack refused
 * or never processed; `channel()` shows what people would see: each posted message once, as
 * last updated.
 */
export async function startSlackServer() {
  const requests: SlackRequest[] = [];
  const messages: { channel: string; ts: string; text: string; blocks?: string; updates: number }[] = [];
  const faults = new Map<string, SlackFault[]>();
  const hanging = new Set<ServerResponse>();
  let uploads = 0;

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '');
      const body: Record<string, string> = (req.headers['content-type'] ?? '').includes('json')
        ? JSON.parse(raw || '{}')
        : Object.fromEntries(new URLSearchParams(raw));
      const fault = faults.get(method)?.shift();
      requests.push({ method, body, outcome: fault?.kind ?? 'ok' });
      if (fault?.kind === 'rate limited') {
        res.writeHead(429, { 'retry-after': String(fault.retryAfterSeconds), 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      if (fault?.kind === 'server error') {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('Internal Server Error');
        return;
      }
      if (fault?.kind === 'no answer') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.setHeader('content-type', 'application/json');
      const refusal = checkCall(method, body);
      if (refusal) {
        res.end(JSON.stringify({ ok: false, error: refusal.error }));
        return;
      }
      if (method === 'chat.postMessage') {
        const ts = `1790000002.${String(messages.length + 1).padStart(6, '0')}`;
        messages.push({ channel: body.channel, ts, text: body.text, blocks: body.blocks, updates: 0 });
        res.end(JSON.stringify({ ok: true, channel: 'C0RELIABLE', ts }));
      } else if (method === 'chat.update') {
        const message = messages.find((m) => m.ts === body.ts);
        if (!message) {
          res.end(JSON.stringify({ ok: false, error: 'message_not_found' }));
          return;
        }
        message.text = body.text;
        message.blocks = body.blocks;
        message.updates += 1;
        res.end(JSON.stringify({ ok: true, channel: body.channel, ts: body.ts }));
      } else if (method === 'files.getUploadURLExternal') {
        uploads += 1;
        const port = (server.address() as AddressInfo).port;
        res.end(JSON.stringify({ ok: true, upload_url: `http://127.0.0.1:${port}/upload/F${uploads}`, file_id: `F${uploads}` }));
      } else if (method.startsWith('upload/')) {
        res.end('OK');
      } else if (method === 'files.completeUploadExternal') {
        res.end(JSON.stringify({ ok: true, files: JSON.parse(body.files ?? '[]') }));
      } else if (method === 'auth.test') {
        res.end(JSON.stringify({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0TEST', url: 'https://billbot-test.slack.com/' }));
      } else {
        res.end(JSON.stringify({ ok: true }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;

  return {
    url,
    requests,
    /** The messages as people see them in the channel. */
    channel: () => messages.map((m) => ({ ...m })),
    /** The next requests to `method` fail in these ways, in order; later ones are answered. */
    fail(method: string, ...next: SlackFault[]) {
      faults.set(method, [...(faults.get(method) ?? []), ...next]);
    },
    of: (method: string) => requests.filter((r) => r.method === method),
    close: async () => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
export type SlackServer = Awaited<ReturnType<typeof startSlackServer>>;
