import { parseIsoDate } from '../../billing';
import { CommandSyntaxError } from './errors';
import type { HelpTopic } from './schema';
import { isWord, joinTokens, nextToken, Token, tokenize, UnclosedQuoteError } from './tokens';

/** The pieces the command families' parsers share: words of the text, help topics, the run clauses. */

function quoteError(e: unknown, usage: string): never {
  if (e instanceof UnclosedQuoteError) {
    throw new CommandSyntaxError('A double quote is not closed; put the closing " after the name', usage);
  }
  throw e;
}

export function words(text: string, usage: string, from = 0): Token[] {
  try {
    return tokenize(text, from);
  } catch (e) {
    return quoteError(e, usage);
  }
}

export function next(text: string, from: number, usage: string): Token | null {
  try {
    return nextToken(text, from);
  } catch (e) {
    return quoteError(e, usage);
  }
}

export function helpTopic(token: Token | undefined): HelpTopic | null {
  const word = token?.text.toLowerCase().replace(/^\//, '');
  return word === 'bill' || word === 'credit' || word === 'billing' ? word : null;
}

export interface RunClauses {
  name: string;
  using: string | null;
  from: string | null;
  to: string | null;
  posting: string | null;
  preview: boolean;
}

const CLAUSE_WORDS = ['using', 'from', 'posting', 'preview'];

/**
 * `<name> [using <configuration>] [from D to D] [posting D] [preview]`, clauses in any order,
 * each at most once. The name runs up to the first keyword (quote it to use a keyword in it).
 */
export function parseRunClauses(
  tokens: Token[],
  opts: { usage: string; subject: string; allowUsing: boolean },
): RunClauses {
  const { usage } = opts;
  const keywords = opts.allowUsing ? CLAUSE_WORDS : CLAUSE_WORDS.filter((w) => w !== 'using');
  let i = 0;
  const nameTokens: Token[] = [];
  // "to" ends the name only before a date, so "Back to Basics" stays a name.
  const ends = (k: number) => isWord(tokens[k], ...keywords) || (isWord(tokens[k], 'to') && /^\d{4}-/.test(tokens[k + 1]?.text ?? ''));
  while (i < tokens.length && !ends(i)) nameTokens.push(tokens[i++]);
  if (nameTokens.length === 0) {
    throw new CommandSyntaxError(
      `Name ${opts.subject} first (put it in double quotes if it starts with a word like "${tokens[0]?.text ?? 'from'}")`,
      usage,
    );
  }
  const result: RunClauses = { name: joinTokens(nameTokens), using: null, from: null, to: null, posting: null, preview: false };
  const seen = new Set<string>();

  const date = (keyword: string): string => {
    const token = tokens[i++];
    if (!token || isWord(token, ...keywords, 'to')) {
      throw new CommandSyntaxError(`Give a date after "${keyword}", written YYYY-MM-DD (for example 2026-09-30)`, usage);
    }
    try {
      return parseIsoDate(token.text);
    } catch {
      const real = /^\d{4}-\d{2}-\d{2}$/.test(token.text) ? 'a real date' : 'a date';
      throw new CommandSyntaxError(
        `"${token.text}" after "${keyword}" is not ${real}; write dates as YYYY-MM-DD, for example 2026-09-30`,
        usage,
      );
    }
  };

  while (i < tokens.length) {
    const token = tokens[i];
    const word = token.text.toLowerCase();
    if (!isWord(token, ...keywords, 'to')) {
      throw new CommandSyntaxError(`Did not understand "${token.text}" after the ${seen.size ? 'options' : 'name'}`, usage);
    }
    if (seen.has(word)) throw new CommandSyntaxError(`"${word}" is given twice`, usage);
    seen.add(word);
    i++;
    switch (word) {
      case 'using': {
        const config: Token[] = [];
        while (i < tokens.length && !isWord(tokens[i], ...keywords)) config.push(tokens[i++]);
        if (config.length === 0) throw new CommandSyntaxError('Name the bill run configuration after "using"', usage);
        result.using = joinTokens(config);
        break;
      }
      case 'from': {
        result.from = date('from');
        if (!isWord(tokens[i], 'to')) {
          throw new CommandSyntaxError('The billing period needs an end: write from YYYY-MM-DD to YYYY-MM-DD', usage);
        }
        seen.add('to');
        i++;
        result.to = date('to');
        break;
      }
      case 'to':
        throw new CommandSyntaxError('The billing period needs a start: write from YYYY-MM-DD to YYYY-MM-DD', usage);
      case 'posting':
        result.posting = date('posting');
        break;
      case 'preview':
        result.preview = true;
        break;
    }
  }
  return result;
}
