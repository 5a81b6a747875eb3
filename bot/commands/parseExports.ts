import { parseIsoDate } from '../../billing';
import { CommandSyntaxError } from './errors';
import { Command, USAGE, validateCommand } from './schema';
import { isWord, joinTokens, Token } from './tokens';

/**
 * The export family of /billing (parse.ts hands it the words after "export"):
 *
 *   /billing export accounts|invoices|credits|payments [<account>] [from D] [to D] [run N] [in #channel]
 *   /billing export aging [as of D] [in #channel]
 *   /billing export statement <account> [from D] [to D] [in #channel]
 */

/** A channel as Slack sends it in command text (<#C123|name>, or <#C123>), or typed as #name. */
const CHANNEL_LINK = /^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$/;

/**
 * A final `in #channel` (where a workbook is posted instead of the person's direct message):
 * the words before it, and the channel's id (null when there is no such clause). A channel
 * typed as plain text (Slack did not link it) is refused: billbot posts by id.
 */
export function channelClause(tokens: Token[], usage: string): { tokens: Token[]; channel: string | null } {
  const last = tokens[tokens.length - 1];
  if (tokens.length < 2 || !isWord(tokens[tokens.length - 2], 'in') || last.quoted) return { tokens, channel: null };
  const link = CHANNEL_LINK.exec(last.text);
  if (link) return { tokens: tokens.slice(0, -2), channel: link[1] };
  if (/^#[^\s#]+$/.test(last.text)) {
    throw new CommandSyntaxError(`Slack did not link "${last.text}" as a channel; type # and pick the channel from the list`, usage);
  }
  return { tokens, channel: null };
}

export interface NameAndClauses {
  name: string | null;
  from: string | null;
  to: string | null;
  run: number | null;
}

/**
 * `[<name>] [from D] [to D] [run N]`: the name runs up to the first clause (quote a name that
 * contains "from", "to" or "run" before a date or number); the clauses come in any order, each
 * at most once. `run` only where `allowRun`.
 */
export function nameAndClauses(tokens: Token[], usage: string, allowRun = true): NameAndClauses {
  const isDate = (t: Token | undefined) => /^\d{4}-/.test(t?.text ?? '');
  const clause = (k: number) =>
    (isWord(tokens[k], 'from', 'to') && isDate(tokens[k + 1])) ||
    (allowRun && isWord(tokens[k], 'run') && /^(?:#|run-?)?\d/i.test(tokens[k + 1]?.text ?? ''));
  let i = 0;
  const nameTokens: Token[] = [];
  while (i < tokens.length && !clause(i)) nameTokens.push(tokens[i++]);
  const values: { from: string | null; to: string | null; run: number | null } = { from: null, to: null, run: null };
  while (i < tokens.length) {
    const keyword = tokens[i];
    const word = keyword.text.toLowerCase() as 'from' | 'to' | 'run';
    const value = tokens[i + 1];
    if (!clause(i) || !value) throw new CommandSyntaxError(`Did not understand "${keyword.text}"; the account comes before the dates`, usage);
    if (values[word] !== null) throw new CommandSyntaxError(`"${word}" is given twice`, usage);
    if (word === 'run') {
      const m = /^(?:#|run-?)?(\d{1,9})$/i.exec(value.text);
      if (!m) throw new CommandSyntaxError(`"${value.text}" is not a bill run number`, usage);
      values.run = Number(m[1]);
    } else {
      values[word] = typedDate(value, word, usage);
    }
    i += 2;
  }
  return { name: nameTokens.length ? joinTokens(nameTokens) : null, ...values };
}

/** A date as typed after a keyword, or a sentence saying the form. */
export function typedDate(token: Token, keyword: string, usage: string): string {
  try {
    return parseIsoDate(token.text);
  } catch {
    throw new CommandSyntaxError(`"${token.text}" after "${keyword}" is not a real date; write dates as YYYY-MM-DD, for example 2026-09-30`, usage);
  }
}

/** `[as] [of] YYYY-MM-DD`, or nothing: the day of an aging report (null: today). */
export function asOfClause(tokens: Token[], usage: string): string | null {
  let i = 0;
  if (isWord(tokens[i], 'as')) i++;
  if (isWord(tokens[i], 'of')) i++;
  if (i === tokens.length) {
    if (i > 0) throw new CommandSyntaxError('Give the day after "as of", written YYYY-MM-DD', usage);
    return null;
  }
  if (tokens.length - i > 1) throw new CommandSyntaxError(`Did not understand "${tokens[i + 1].text}"; write as of YYYY-MM-DD`, usage);
  return typedDate(tokens[i], 'as of', usage);
}

export function parseExport(all: Token[]): Command {
  const usage = USAGE['billing.export'];
  const { tokens: rest, channel } = channelClause(all, usage);
  if (rest.length === 0) throw new CommandSyntaxError('Say what to export: accounts, invoices, credits, payments, aging or statement', usage);
  const [first, ...tokens] = rest;
  const what = first.quoted ? '' : first.text.toLowerCase().replace(/^(account|invoice|credit|payment)$/, '$1s').replace(/^statements$/, 'statement');
  if (what === 'aging') {
    const receivables = USAGE['billing.export.receivables'];
    return validateCommand({ kind: 'billing.export', what, asOf: asOfClause(tokens, receivables), channel }, receivables);
  }
  if (what !== 'accounts' && what !== 'invoices' && what !== 'credits' && what !== 'payments' && what !== 'statement') {
    throw new CommandSyntaxError(`"${first.text}" is not an export; say accounts, invoices, credits, payments, aging or statement`, usage);
  }
  const statement = what === 'statement';
  const c = nameAndClauses(tokens, statement ? USAGE['billing.export.receivables'] : usage, !statement);
  return validateCommand(
    { kind: 'billing.export', what, account: c.name, from: c.from, to: c.to, run: c.run, channel },
    statement ? USAGE['billing.export.receivables'] : usage,
  );
}
