import { createHash, randomUUID } from 'node:crypto';

/**
 * Stable keys for requests that must take effect once (billing's requestKey): the same
 * Slack request, retried or clicked twice, maps to the same key.
 */

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function digest(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 32);
}

/** A slash command: Slack's trigger_id is unique per invocation and repeated on a retry. */
export function commandRequestKey(command: { trigger_id: string; command: string }): string {
  return `slack:command:${command.command}:${command.trigger_id}`.slice(0, 200);
}

/** A modal submission: the view id plus what was submitted (a resubmission after an edit is a new request). */
export function viewRequestKey(view: { id: string; state?: { values?: unknown } }): string {
  return `slack:view:${view.id}:${digest(view.state?.values ?? {})}`;
}

/** A button click: the request id the button was rendered with. */
export function buttonRequestKey(requestId: string): string {
  return `slack:button:${requestId}`.slice(0, 200);
}

/** A fresh request id to put in a button's value. */
export function newRequestId(): string {
  return randomUUID();
}

/**
 * Request keys this process has already handled, for a while: a second delivery of the same
 * request (a double submission, a retry) is answered without doing or announcing it again.
 * The database's request keys are what guarantee a single effect across processes.
 */
export class RecentRequests {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 30 * 60 * 1000,
    private readonly max = 10_000,
  ) {}

  /** True the first time a key is claimed within the time to live. */
  claim(key: string, now = Date.now()): boolean {
    if (this.has(key, now)) return false;
    this.seen.set(key, now);
    return true;
  }

  /** True when the key was claimed within the time to live. */
  has(key: string, now = Date.now()): boolean {
    for (const [k, at] of this.seen) {
      if (now - at < this.ttlMs && this.seen.size < this.max) break;
      this.seen.delete(k);
    }
    return this.seen.has(key);
  }
}

/** The envelope's id of an Events API delivery (a retry repeats it). */
function deliveryId(body: unknown): string | null {
  const b = (body ?? {}) as { type?: unknown; event_id?: unknown };
  return b.type === 'event_callback' && typeof b.event_id === 'string' && b.event_id ? b.event_id : null;
}

/**
 * Bolt global middleware: an event Slack delivers again (a retry, header X-Slack-Retry-Num,
 * Bolt's `context.retryNum`, after a slow or lost acknowledgement) or that this process has
 * already taken is acknowledged (Bolt acknowledges events before any middleware) and not
 * processed again. Slash commands and interactions are not retried by Slack; their request keys
 * (above) keep a double delivery from acting twice. Forged and stale requests never get here:
 * the request guard refuses them first.
 */
export function onceEachDelivery(recent: RecentRequests, logger: { info(...m: unknown[]): void }) {
  return async ({ body, context, next }: { body: unknown; context: { retryNum?: number }; next: () => Promise<void> }): Promise<void> => {
    const id = deliveryId(body);
    if (id && !recent.claim(`slack:delivery:${id}`)) {
      logger.info(`billbot: event ${id} was delivered again${context.retryNum ? ` (retry ${context.retryNum})` : ''}; already handled`);
      return;
    }
    await next();
  };
}
