import { CommandSyntaxError } from './errors';
import { asOfClause, nameAndClauses } from './parseExports';
import { Command, USAGE, validateCommand } from './schema';
import type { Token } from './tokens';

/**
 * The receivables family of /billing (parse.ts hands it the words after the subcommand):
 *
 *   /billing aging [as of YYYY-MM-DD]
 *   /billing statement <account> [from YYYY-MM-DD] [to YYYY-MM-DD]
 */

export function parseAging(rest: Token[]): Command {
  const usage = USAGE['billing.aging'];
  return validateCommand({ kind: 'billing.aging', asOf: asOfClause(rest, usage) }, usage);
}

export function parseStatement(rest: Token[]): Command {
  const usage = USAGE['billing.statement'];
  if (rest.length === 0) throw new CommandSyntaxError('Say whose statement to show', usage);
  const c = nameAndClauses(rest, usage, false);
  if (!c.name) throw new CommandSyntaxError('Name the account before the dates', usage);
  return validateCommand({ kind: 'billing.statement', account: c.name, from: c.from, to: c.to }, usage);
}
