import { randomBytes } from 'node:crypto';
import type { Logger } from '../log';
import { BillingError } from '../../billing';

/**
 * What a person is told when something fails: a BillingError (bad input, a refused
 * operation) is its own one sentence; anything else is a bug, logged with a reference the
 * person can quote, and never shown as a stack trace.
 */
export function describeFailure(error: unknown, logger?: Pick<Logger, 'error'>, what = 'that request'): string {
  if (error instanceof BillingError) return error.message;
  const ref = randomBytes(4).toString('hex');
  logger?.error(`billbot: unexpected failure in ${what} (ref ${ref}): ${errorSummary(error)}`);
  return `Something went wrong on our side while handling ${what} (reference ${ref}). It has been logged; please try again or tell an admin.`;
}

/** The error's class, code and stack, without request bodies or headers (which could carry tokens). */
export function errorSummary(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code ? ` [${String(code)}]` : ''}: ${error.message}\n${error.stack ?? ''}`;
  }
  return String(error);
}

/** A Slack-side refusal a person can act on (a form that could not open in time). */
export class SlackRequestError extends BillingError {
  readonly code = 'slack_request';
}
