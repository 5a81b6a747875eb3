import { BillingError } from '../../billing';

/**
 * Command text (or a CLI argument, or a form field) that does not fit its command's form.
 * The message says what was wrong and, where there is one, the right form.
 */
export class CommandSyntaxError extends BillingError {
  readonly code = 'command_syntax';
  constructor(
    /** What was wrong, as one sentence. */
    readonly problem: string,
    /** The right form, e.g. "/credit reverse <credit>"; null when no single form applies. */
    readonly usage: string | null = null,
    /** The form field (command property) the problem is in, when known: lets a modal mark the field. */
    readonly field: string | null = null,
  ) {
    super(usage ? `${ensureStop(problem)} Use: ${usage}` : ensureStop(problem));
  }
}

function ensureStop(sentence: string): string {
  const trimmed = sentence.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
