import { CommandSyntaxError } from './errors';
import { asOfClause, nameAndClauses } from './parseExports';
import { Command, USAGE, validateCommand } from './schema';
import { isWord, type Token } from './tokens';

/**
 * The receivables family of /billing (parse.ts hands it the words after the subcommand):
 *
 *   /billing aging [as of YYYY-MM-DD]
 *   /billing statement <account> [from YYYY-MM-DD] [to YYYY-MM-DD] [pdf]
 *   /billing schedule digest <channel> <cron> [<time zone>] | pause | resume
 */

export function parseAging(rest: Token[]): Command {
  const usage = USAGE['billing.aging'];
  return validateCommand({ kind: 'billing.aging', asOf: asOfClause(rest, usage) }, usage);
}

export function parseStatement(rest: Token[]): Command {
  // A last word "pdf" (after the account and any dates) asks for the statement as a PDF.
  const pdf = rest.length > 1 && isWord(rest[rest.length - 1], 'pdf');
  const usage = USAGE[pdf ? 'statement.pdf' : 'billing.statement'];
  const words = pdf ? rest.slice(0, -1) : rest;
  if (words.length === 0) throw new CommandSyntaxError('Say whose statement to show', usage);
  const c = nameAndClauses(words, usage, false);
  if (!c.name) throw new CommandSyntaxError('Name the account before the dates', usage);
  return validateCommand({ kind: pdf ? 'statement.pdf' : 'billing.statement', account: c.name, from: c.from, to: c.to }, usage);
}

/** A channel as typed or as Slack sends a mention of it: `<#C0123ABC|finance>` is C0123ABC. */
function channelOf(token: Token): string {
  const mention = /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(token.text);
  return mention ? mention[1] : token.text;
}

/** A time zone as typed: an IANA name (Europe/Paris, America/New_York) or UTC. */
const TIME_ZONE = /^(?:UTC|[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+)$/;

/**
 * `/billing schedule digest <channel> <cron> [<time zone>]` (the cron's five fields typed
 * plainly or in quotes) and `/billing schedule digest <channel> pause|resume`.
 */
export function parseDigest(rest: Token[]): Command {
  const usage = USAGE['billing.digest'];
  const [channel, ...words] = rest;
  if (!channel) throw new CommandSyntaxError('Name the channel the digest goes to, like #finance', usage);
  if (words.length === 0) throw new CommandSyntaxError('Give the cron schedule (like 0 9 * * 1), or say pause or resume', usage);
  if (words.length === 1 && isWord(words[0], 'pause', 'resume')) {
    return validateCommand({ kind: 'billing.digest', action: words[0].text.toLowerCase(), channel: channelOf(channel) }, usage);
  }
  const zone = words.length > 1 && TIME_ZONE.test(words[words.length - 1].text) ? words.pop()!.text : null;
  return validateCommand(
    { kind: 'billing.digest', action: 'set', channel: channelOf(channel), schedule: words.map((w) => w.text).join(' '), timeZone: zone },
    usage,
  );
}
