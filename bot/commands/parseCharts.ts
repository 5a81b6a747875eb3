import { CommandSyntaxError } from './errors';
import { Command, USAGE, validateCommand } from './schema';
import { isWord, joinTokens, Token } from './tokens';

/**
 * The chart family of /billing: `/billing chart runs [<configuration>]` (the words after
 * "chart"). The configuration is the rest of the text, as typed (or quoted); without one, the
 * default configuration.
 */
export function parseChart(rest: Token[]): Command {
  const usage = USAGE['billing.chart'];
  const [what, ...name] = rest;
  if (!what) throw new CommandSyntaxError('Say which chart to draw: runs', usage);
  if (!isWord(what, 'runs', 'run')) throw new CommandSyntaxError(`"${what.text}" is not a chart; say runs`, usage);
  return validateCommand({ kind: 'billing.chart', what: 'runs', configuration: name.length ? joinTokens(name) : null }, usage);
}
