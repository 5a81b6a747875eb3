import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { HTTPModuleFunctions, type Logger } from '@slack/bolt';
import type { Access } from '../../billing';

/** Slack refuses requests older than this; so does billbot, and it remembers signatures this long. */
const MAX_AGE_MS = 5 * 60 * 1000;
const MAX_REMEMBERED = 100_000;

/**
 * Signatures of requests already accepted, for as long as their timestamp is fresh: the same
 * signed request sent again (a replay) is refused. Slack signs every delivery anew, retries
 * included, so a genuine request never repeats a signature.
 */
export class SeenSignatures {
  private readonly seen = new Map<string, number>();

  /** True the first time a signature is offered within the time it is fresh. */
  claim(signature: string, now = Date.now()): boolean {
    for (const [key, at] of this.seen) {
      if (now - at < MAX_AGE_MS && this.seen.size < MAX_REMEMBERED) break;
      this.seen.delete(key);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, now);
    return true;
  }
}

/** Who a rejected request claims to come from (unverified: for the audit trail only). */
function claimedUser(raw: string): string {
  try {
    const body = parseQuery(raw);
    if (typeof body.user_id === 'string' && body.user_id.trim()) return body.user_id.slice(0, 100);
    if (typeof body.payload === 'string') {
      const payload = JSON.parse(body.payload) as { user?: { id?: unknown } };
      if (typeof payload.user?.id === 'string' && payload.user.id.trim()) return payload.user.id.slice(0, 100);
    }
  } catch {
    // not a Slack body at all
  }
  return 'unknown';
}

function claimedCommand(raw: string): string {
  try {
    const body = parseQuery(raw);
    if (typeof body.command === 'string' && body.command.trim()) return body.command.slice(0, 100);
    if (typeof body.payload === 'string') {
      const payload = JSON.parse(body.payload) as { type?: unknown };
      if (typeof payload.type === 'string' && payload.type.trim()) return payload.type.slice(0, 100);
    }
  } catch {
    // not a Slack body at all
  }
  return 'request';
}

/**
 * Wraps Bolt's HTTP request listener: a POST to the events endpoint whose signature does not
 * verify (wrong, missing, or older than 5 minutes) or that repeats a signature already seen
 * (a replay) is answered 401 and written to the audit trail; every other request goes on to
 * Bolt, which verifies it again as usual.
 */
export function guardRequests(options: {
  listener: RequestListener;
  signingSecret: string;
  endpoint: string;
  access: Pick<Access, 'record'>;
  logger: Logger;
  seen?: SeenSignatures;
}): RequestListener {
  const seen = options.seen ?? new SeenSignatures();
  const reject = async (_req: IncomingMessage, res: ServerResponse, reason: string, raw: string) => {
    options.logger.warn(`billbot: refused a Slack request: ${reason}`);
    try {
      await options.access.record({
        actor: claimedUser(raw),
        source: 'slack-http',
        channel: null,
        command: claimedCommand(raw),
        input: raw.slice(0, 2000),
        action: null,
        roleRequired: null,
        decision: 'refused',
        detail: reason,
      });
    } catch (error) {
      options.logger.error(`billbot: could not audit a refused Slack request: ${(error as Error).message}`);
    }
    HTTPModuleFunctions.buildNoBodyResponse(res, 401);
  };
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== options.endpoint) {
      options.listener(req, res);
      return;
    }
    void (async () => {
      let buffered: IncomingMessage & { rawBody: Buffer };
      try {
        buffered = await HTTPModuleFunctions.bufferIncomingMessage(req, HTTPModuleFunctions.defaultBodyLimit);
      } catch (error) {
        const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && (error as { statusCode?: number }).statusCode === 413;
        options.logger.warn(`billbot: could not read a Slack request: ${(error as Error).message}`);
        HTTPModuleFunctions.buildNoBodyResponse(res, tooLarge ? 413 : 400);
        return;
      }
      const raw = buffered.rawBody.toString();
      const signature = req.headers['x-slack-signature'];
      const timestamp = req.headers['x-slack-request-timestamp'];
      if (typeof signature !== 'string' || typeof timestamp !== 'string') {
        if (/^ssl_check=1(&|$)/.test(raw)) return options.listener(buffered, res);
        await reject(req, res, 'missing signature headers', raw);
        return;
      }
      // Bolt refuses only the past; a timestamp far in the future would stay "fresh" after this
      // process has forgotten its signature, so it is refused as well.
      const sentAt = Number(timestamp) * 1000;
      if (Number.isFinite(sentAt) && Math.abs(Date.now() - sentAt) > MAX_AGE_MS) {
        await reject(req, res, 'stale timestamp (more than 5 minutes off)', raw);
        return;
      }
      try {
        await HTTPModuleFunctions.parseAndVerifyHTTPRequest({ enabled: true, signingSecret: options.signingSecret }, buffered);
      } catch (error) {
        const message = (error as Error).message ?? '';
        await reject(req, res, /stale|old|timestamp/i.test(message) ? 'stale timestamp (more than 5 minutes off)' : 'bad signature', raw);
        return;
      }
      if (!seen.claim(signature)) {
        await reject(req, res, 'replayed request (signature already used)', raw);
        return;
      }
      options.listener(buffered, res);
    })().catch((error: unknown) => {
      options.logger.error(`billbot: could not check a Slack request: ${(error as Error).message}`);
      if (!res.headersSent) HTTPModuleFunctions.buildNoBodyResponse(res, 500);
    });
  };
}
