import { CommandSyntaxError } from './errors';
import { nextToken, Token, tokenize, UnclosedQuoteError } from './tokens';

/** The words of command text for the parsers of each family (parse.ts and parse<Family>.ts); an unclosed quote is a CommandSyntaxError. */

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
