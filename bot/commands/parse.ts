import { looksLikeAmount, parseIsoDate } from '../../billing';
import { CommandSyntaxError } from './errors';
import { Command, HelpTopic, USAGE, validateCommand } from './schema';
import { isWord, joinTokens, nextToken, Token, tokenize, UnclosedQuoteError } from './tokens';

/**
 * The one parser for command text, shared by Slack, the local shell and (through the same
 * schemas) the CLI. `/credit add Parent Co 50 Outage` arrives as command "/credit" with text
 * "add Parent Co 50 Outage".
 *
 * Throws a CommandSyntaxError (a BillingError) that says what was wrong and the right form;
 * never anything else, whatever the text.
 */
export type SlashCommand = '/bill' | '/credit' | '/billing';

export const SLASH_COMMANDS: readonly SlashCommand[] = ['/bill', '/credit', '/billing'];

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
    case '/billing':
      return parseBilling(source);
    default:
      throw new CommandSyntaxError(`"${String(command)}" is not a billbot command; the commands are /bill, /credit and /billing`);
  }
}

/** Undoes Slack's escaping of &, < and > in message and command text. */
export function decodeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const CREDIT_FORMS = '/credit add|disburse|reverse|delete|list ... (/credit help shows each form)';
const BILLING_FORMS = '/billing help|run|invoices|invoice|template|export|import|schedules|schedule|access ... (/billing help shows each form)';

function quoteError(e: unknown, usage: string): never {
  if (e instanceof UnclosedQuoteError) {
    throw new CommandSyntaxError('A double quote is not closed; put the closing " after the name', usage);
  }
  throw e;
}

function words(text: string, usage: string, from = 0): Token[] {
  try {
    return tokenize(text, from);
  } catch (e) {
    return quoteError(e, usage);
  }
}

function next(text: string, from: number, usage: string): Token | null {
  try {
    return nextToken(text, from);
  } catch (e) {
    return quoteError(e, usage);
  }
}

function helpTopic(token: Token | undefined): HelpTopic | null {
  const word = token?.text.toLowerCase().replace(/^\//, '');
  return word === 'bill' || word === 'credit' || word === 'billing' ? word : null;
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

interface RunClauses {
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
function parseRunClauses(
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

// -------------------------------------------------------------------------------------------
// /credit

function parseCredit(text: string): Command {
  const first = next(text, 0, CREDIT_FORMS);
  if (!first) return validateCommand({ kind: 'billing.help', topic: 'credit' });
  const sub = first.quoted ? '' : first.text.toLowerCase();
  switch (sub) {
    case 'add':
      return parseCreditAdd(text, first.end);
    case 'disburse': {
      const usage = USAGE['credit.disburse'];
      const rest = words(text, usage, first.end);
      if (rest.length === 0) return validateCommand({ kind: 'credit.disburse.modal' }, usage);
      if (rest.length === 1) return validateCommand({ kind: 'credit.disburse.modal', credit: rest[0].text }, usage);
      if (rest.length > 3) {
        throw new CommandSyntaxError(`Too many words after "disburse": "${rest[3].text}" is not expected`, usage);
      }
      return validateCommand(
        { kind: 'credit.disburse', credit: rest[0].text, invoice: rest[1].text, amount: rest[2]?.text ?? null },
        usage,
      );
    }
    case 'reverse':
    case 'delete': {
      const kind = sub === 'reverse' ? 'credit.reverse' : 'credit.delete';
      const usage = USAGE[kind];
      const rest = words(text, usage, first.end);
      if (rest.length === 0) throw new CommandSyntaxError(`Say which credit to ${sub}`, usage);
      if (rest.length > 1) throw new CommandSyntaxError(`Give just one credit id after "${sub}"`, usage);
      return validateCommand({ kind, credit: rest[0].text }, usage);
    }
    case 'list': {
      const usage = USAGE['credit.list'];
      const rest = words(text, usage, first.end);
      if (rest.length === 0) throw new CommandSyntaxError('Say whose credits to list', usage);
      return validateCommand({ kind: 'credit.list', account: joinTokens(rest) }, usage);
    }
    case 'help':
      return validateCommand({ kind: 'billing.help', topic: 'credit' });
    default:
      throw new CommandSyntaxError(`"${first.text}" is not a /credit command; say add, disburse, reverse, delete or list`, CREDIT_FORMS);
  }
}

/**
 * `/credit add <account> <amount> <detail...> [auto]`: the amount is the first unquoted word
 * that reads as money; the words before it are the account, the text after it the detail (as
 * typed), and a final "auto" turns on automatic disbursement.
 */
function parseCreditAdd(text: string, from: number): Command {
  const usage = USAGE['credit.add'];
  const accountTokens: Token[] = [];
  let amount: Token | null = null;
  let pos = from;
  for (;;) {
    const token = next(text, pos, usage);
    if (!token) break;
    pos = token.end;
    if (!token.quoted && looksLikeAmount(token.text)) {
      amount = token;
      break;
    }
    accountTokens.push(token);
  }
  if (!amount && accountTokens.length === 0) return validateCommand({ kind: 'credit.add.modal' }, usage);
  if (!amount) {
    throw new CommandSyntaxError(
      'No amount found after the account; write it like 50, 50.00, $50 or 1,234.56 (and put an account name that contains a number in double quotes)',
      usage,
    );
  }
  if (accountTokens.length === 0) throw new CommandSyntaxError('Name the account before the amount', usage);
  let detail = text.slice(pos).trim();
  let autoDisburse = false;
  const auto = /(?:^|\s)auto$/i.exec(detail);
  if (auto) {
    autoDisburse = true;
    detail = detail.slice(0, auto.index).trim();
  }
  if (/^["\u201C\u201D][^"\u201C\u201D]*["\u201C\u201D]$/.test(detail)) detail = detail.slice(1, -1).trim();
  if (!detail) throw new CommandSyntaxError('Give a detail (the reason for the credit) after the amount', usage);
  return validateCommand(
    { kind: 'credit.add', account: joinTokens(accountTokens), amount: amount.text, detail, autoDisburse },
    usage,
  );
}

// -------------------------------------------------------------------------------------------
// /billing

const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;

function parseBilling(text: string): Command {
  const tokens = words(text, BILLING_FORMS);
  if (tokens.length === 0) return validateCommand({ kind: 'billing.help', topic: null });
  const [first, ...rest] = tokens;
  const sub = first.quoted ? '' : first.text.toLowerCase();
  switch (sub) {
    case 'help':
      return validateCommand({ kind: 'billing.help', topic: helpTopic(rest[0]) });
    case 'access': {
      const usage = USAGE['billing.access'];
      if (rest.length !== 3) {
        throw new CommandSyntaxError('Say grant or revoke, then the person (as a mention), then the role', usage);
      }
      const [action, who, role] = rest;
      if (!isWord(action, 'grant', 'revoke')) throw new CommandSyntaxError(`Say grant or revoke, not "${action.text}"`, usage);
      const mention = MENTION.exec(who.text) ?? /^@?([UW][A-Z0-9]{2,})$/.exec(who.text);
      if (!mention) throw new CommandSyntaxError(`"${who.text}" is not a Slack mention; mention the person like @alice`, usage);
      if (!isWord(role, 'viewer', 'operator', 'admin')) {
        throw new CommandSyntaxError(`"${role.text}" is not a role; the roles are viewer, operator and admin`, usage);
      }
      return validateCommand(
        { kind: 'billing.access', action: action.text.toLowerCase(), user: mention[1], role: role.text.toLowerCase() },
        usage,
      );
    }
    case 'run': {
      const usage = USAGE['billing.run'];
      if (rest.length === 0) throw new CommandSyntaxError('Name the bill run configuration to run', usage);
      const c = parseRunClauses(rest, { usage, subject: 'the configuration to run', allowUsing: false });
      return validateCommand(
        { kind: 'billing.run', configuration: c.name, from: c.from, to: c.to, posting: c.posting, preview: c.preview },
        usage,
      );
    }
    case 'invoices': {
      const usage = USAGE['invoice.list'];
      if (rest.length === 0) throw new CommandSyntaxError('Say whose invoices to list', usage);
      return validateCommand({ kind: 'invoice.list', account: joinTokens(rest) }, usage);
    }
    case 'invoice': {
      const usage = USAGE['invoice.show'];
      if (rest.length !== 1) throw new CommandSyntaxError('Give one invoice number', usage);
      return validateCommand({ kind: 'invoice.show', invoice: rest[0].text }, usage);
    }
    case 'template':
      if (rest.length) throw new CommandSyntaxError('"/billing template" takes nothing after it', USAGE['billing.template']);
      return validateCommand({ kind: 'billing.template' }, USAGE['billing.template']);
    case 'export':
      return parseExport(rest);
    case 'import':
      return parseImport(text, rest);
    case 'schedule':
      return parseSchedule(rest);
    case 'schedules':
      if (rest.length) throw new CommandSyntaxError('"/billing schedules" takes nothing after it', USAGE['billing.schedules']);
      return validateCommand({ kind: 'billing.schedules' });
    default:
      throw new CommandSyntaxError(`"${first.text}" is not a /billing command`, BILLING_FORMS);
  }
}

/**
 * `/billing schedule pause|resume <configuration>`; `/billing schedule <configuration> pause`
 * reads the same. Quote a configuration whose name ends in "pause" or "resume".
 */
function parseSchedule(rest: Token[]): Command {
  const usage = USAGE['billing.schedule'];
  if (rest.length === 0) throw new CommandSyntaxError('Say pause or resume, then the configuration', usage);
  let action: Token | undefined;
  let name: Token[];
  if (isWord(rest[0], 'pause', 'resume')) {
    [action, ...name] = rest;
  } else if (isWord(rest[rest.length - 1], 'pause', 'resume')) {
    action = rest[rest.length - 1];
    name = rest.slice(0, -1);
  } else {
    throw new CommandSyntaxError('Say whether to pause or resume the schedule', usage);
  }
  if (name.length === 0) throw new CommandSyntaxError(`Name the configuration whose schedule to ${action.text.toLowerCase()}`, usage);
  return validateCommand({ kind: 'billing.schedule', action: action.text.toLowerCase(), configuration: joinTokens(name) }, usage);
}

/**
 * `/billing export accounts|invoices|credits|payments [<account>] [from D] [to D] [run N]`: the account
 * runs up to the first clause (quote a name that contains "from", "to" or "run" before a date
 * or number); the clauses come in any order, each at most once.
 */
function parseExport(rest: Token[]): Command {
  const usage = USAGE['billing.export'];
  if (rest.length === 0) throw new CommandSyntaxError('Say what to export: accounts, invoices, credits or payments', usage);
  const [first, ...tokens] = rest;
  const what = first.quoted ? '' : first.text.toLowerCase().replace(/^(account|invoice|credit|payment)$/, '$1s');
  if (what !== 'accounts' && what !== 'invoices' && what !== 'credits' && what !== 'payments') {
    throw new CommandSyntaxError(`"${first.text}" is not an export; say accounts, invoices, credits or payments`, usage);
  }
  const isDate = (t: Token | undefined) => /^\d{4}-/.test(t?.text ?? '');
  const clause = (k: number) =>
    (isWord(tokens[k], 'from', 'to') && isDate(tokens[k + 1])) || (isWord(tokens[k], 'run') && /^(?:#|run-?)?\d/i.test(tokens[k + 1]?.text ?? ''));
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
      try {
        values[word] = parseIsoDate(value.text);
      } catch {
        throw new CommandSyntaxError(`"${value.text}" after "${word}" is not a real date; write dates as YYYY-MM-DD, for example 2026-09-30`, usage);
      }
    }
    i += 2;
  }
  return validateCommand(
    { kind: 'billing.export', what, account: nameTokens.length ? joinTokens(nameTokens) : null, ...values },
    usage,
  );
}

/** `/billing import <file> [preview]`: the file as typed (quote it to end it with "preview"). */
function parseImport(text: string, rest: Token[]): Command {
  const usage = USAGE['billing.import'];
  const dryRun = rest.length > 0 && isWord(rest[rest.length - 1], 'preview', 'dry-run', '--dry-run');
  const words = dryRun ? rest.slice(0, -1) : rest;
  let file: string | null = null;
  if (words.length === 1) file = words[0].text;
  else if (words.length > 1) file = text.slice(words[0].start, words[words.length - 1].end).trim();
  return validateCommand({ kind: 'billing.import', file, dryRun }, usage);
}
