/**
 * Splits command text into words, keeping double-quoted text ("Child Co") together.
 * Slack (and macOS) may turn straight quotes into curly ones, so “ and ” count too.
 * Quotes are only special at the start of a word; a quote inside a word is kept as typed.
 *
 * Not a shell: shell-quote and string-argv treat $, <, > and backslashes specially, which
 * would mangle amounts ($50) and Slack mentions (<@U123>), and neither says which words were
 * quoted, which the parsers need (a quoted "preview" is a name, not the keyword).
 */
export interface Token {
  /** The word without its quotes. */
  text: string;
  quoted: boolean;
  /** Offsets in the source text: [start, end). */
  start: number;
  end: number;
}

const QUOTES = new Set(['"', '\u201C', '\u201D']);

export class UnclosedQuoteError extends Error {
  constructor(readonly at: number) {
    super('A double quote is not closed.');
  }
}

function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

/** The next word at or after `from`, or null at the end of the text. */
export function nextToken(text: string, from: number): Token | null {
  let i = from;
  while (i < text.length && isSpace(text[i])) i++;
  if (i >= text.length) return null;
  const start = i;
  if (QUOTES.has(text[i])) {
    let j = i + 1;
    while (j < text.length && !QUOTES.has(text[j])) j++;
    if (j >= text.length) throw new UnclosedQuoteError(start);
    return { text: text.slice(i + 1, j).trim().replace(/\s+/g, ' '), quoted: true, start, end: j + 1 };
  }
  let j = i;
  while (j < text.length && !isSpace(text[j])) j++;
  return { text: text.slice(i, j), quoted: false, start, end: j };
}

/** Every word of the text. */
export function tokenize(text: string, from = 0): Token[] {
  const tokens: Token[] = [];
  let pos = from;
  for (;;) {
    const token = nextToken(text, pos);
    if (!token) return tokens;
    tokens.push(token);
    pos = token.end;
  }
}

/** True when the token is the unquoted keyword (case-insensitive). */
export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return !!token && !token.quoted && words.includes(token.text.toLowerCase());
}

/** The words as one name: "Child" "Co" -> "Child Co". */
export function joinTokens(tokens: Token[]): string {
  return tokens
    .map((t) => t.text)
    .join(' ')
    .trim();
}
