import { CommandSyntaxError } from './errors';
import { parseBilling } from './parseBilling';
import { parseCredit } from './parseCredit';
import { parsePayment } from './parsePayment';
import { parseRunClauses } from './parseRun';
import { words } from './parseWords';
import { Command, USAGE, validateCommand } from './schema';
import { isWord } from './tokens';

/**
 * The one parser for command text, shared by Slack, the local shell and (through the same
 * schemas) the CLI. `/credit add Parent Co 50 Outage` arrives as command "/credit" with text
 * "add Parent Co 50 Outage".
 *
 * Throws a CommandSyntaxError (a BillingError) that says what was wrong and the right form;
 * never anything else, whatever the text. /billing's forms are in parseBilling.ts.
 */
export type SlashCommand = '/bill' | '/credit' | '/payment' | '/billing';

export const SLASH_COMMANDS: readonly SlashCommand[] = ['/bill', '/credit', '/payment', '/billing'];

export interface ParseOptions {
  /**
   * Slack sends command text with &, < and > escaped as &amp;, &lt; and &gt; (mentions stay
   * <@U123>). Set this for text that came from Slack so "R&amp;D" is read as "R&D".
   */
  slackEscaped?: boolean;
}

export function parseCommand(command: SlashCommand, text: string, options: ParseOptions = {}): Command {
  const source = options.slackEscaped ? decodeSlackText(text) : text;
  if (source.includes('\u0000')) throw new CommandSyntaxError('The command contains a NUL character, which billbot cannot store; type it again without it');
  switch (command) {
    case '/bill':
      return parseBill(source);
    case '/credit':
      return parseCredit(source);
    case '/payment':
      return parsePayment(source);
    case '/billing':
      return parseBilling(source);
    default:
      throw new CommandSyntaxError(`"${String(command)}" is not a billbot command; the commands are /bill, /credit, /payment and /billing`);
  }
}

/** Undoes Slack's escaping of &, < and > in message and command text. */
export function decodeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

// -------------------------------------------------------------------------------------------
// /bill

function parseBill(text: string): Command {
  const tokens = words(text, USAGE.bill);
  if (tokens.length === 0) return validateCommand({ kind: 'bill.modal' });
  const [first, ...rest] = tokens;
  // "status <run> [resume]"; "Status Co from ..." is an account whose name starts with Status.
  const resume = rest.length === 2 && isWord(rest[1], 'resume');
  const run = rest.length === 1 || resume ? /^(?:#|run-?)?(\d{1,9})$/i.exec(rest[0].text) : null;
  if (isWord(first, 'status') && (rest.length === 0 || run)) {
    const usage = USAGE['bill.status'];
    if (!run) throw new CommandSyntaxError('Say which bill run to show, by its number', usage);
    return resume
      ? validateCommand({ kind: 'bill.resume', run: Number(run[1]) }, USAGE['bill.resume'])
      : validateCommand({ kind: 'bill.status', run: Number(run[1]) }, usage);
  }
  if (isWord(first, 'help') && rest.length === 0) return validateCommand({ kind: 'billing.help', topic: 'bill' });
  const c = parseRunClauses(tokens, { usage: USAGE.bill, subject: 'the account to bill', allowUsing: true });
  return validateCommand(
    { kind: 'bill', account: c.name, configuration: c.using, from: c.from, to: c.to, posting: c.posting, preview: c.preview },
    USAGE.bill,
  );
}
