import { parseIsoDate } from '../../billing';
import { CommandSyntaxError } from './errors';
import { parseChart } from './parseCharts';
import { parseDocumentExport, parseInvoice } from './parseDocuments';
import { parseRunClauses } from './parseRun';
import { words } from './parseWords';
import { Command, HelpTopic, USAGE, validateCommand } from './schema';
import { isWord, joinTokens, Token } from './tokens';

/** The /billing commands' forms (the one parser, parse.ts, hands /billing text here). */

const BILLING_FORMS = '/billing help|run|invoices|invoice|template|export|import|schedules|schedule|chart|access ... (/billing help shows each form)';

function helpTopic(token: Token | undefined): HelpTopic | null {
  const word = token?.text.toLowerCase().replace(/^\//, '');
  return word === 'bill' || word === 'credit' || word === 'payment' || word === 'billing' ? word : null;
}

// -------------------------------------------------------------------------------------------
// /billing

const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;

export function parseBilling(text: string): Command {
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
    case 'invoice':
      return parseInvoice(rest);
    case 'template': {
      const { tokens: more, channel } = channelClause(rest, USAGE['billing.template']);
      if (more.length) throw new CommandSyntaxError('"/billing template" takes nothing after it but "in #channel"', USAGE['billing.template']);
      return validateCommand({ kind: 'billing.template', channel }, USAGE['billing.template']);
    }
    case 'export':
      return isWord(rest[0], 'pdfs', 'pdf') ? parseDocumentExport(rest.slice(1)) : parseExport(rest);
    case 'import':
      return parseImport(text, rest);
    case 'schedule':
      return parseSchedule(rest);
    case 'chart':
      return parseChart(rest);
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

/** A channel as Slack sends it in command text (<#C123|name>, or <#C123>), or typed as #name. */
const CHANNEL_LINK = /^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$/;

/**
 * A final `in #channel` (where a workbook is posted instead of the person's direct message):
 * the words before it, and the channel's id (null when there is no such clause). A channel
 * typed as plain text (Slack did not link it) is refused: billbot posts by id.
 */
function channelClause(tokens: Token[], usage: string): { tokens: Token[]; channel: string | null } {
  const last = tokens[tokens.length - 1];
  if (tokens.length < 2 || !isWord(tokens[tokens.length - 2], 'in') || last.quoted) return { tokens, channel: null };
  const link = CHANNEL_LINK.exec(last.text);
  if (link) return { tokens: tokens.slice(0, -2), channel: link[1] };
  if (/^#[^\s#]+$/.test(last.text)) {
    throw new CommandSyntaxError(`Slack did not link "${last.text}" as a channel; type # and pick the channel from the list`, usage);
  }
  return { tokens, channel: null };
}

/**
 * `/billing export accounts|invoices|credits [<account>] [from D] [to D] [run N] [in #channel]`:
 * the account runs up to the first clause (quote a name that contains "from", "to" or "run" before a date
 * or number); the clauses come in any order, each at most once.
 */
function parseExport(all: Token[]): Command {
  const usage = USAGE['billing.export'];
  const { tokens: rest, channel } = channelClause(all, usage);
  if (rest.length === 0) throw new CommandSyntaxError('Say what to export: accounts, invoices or credits', usage);
  const [first, ...tokens] = rest;
  const what = first.quoted ? '' : first.text.toLowerCase().replace(/^(account|invoice|credit)$/, '$1s');
  if (what !== 'accounts' && what !== 'invoices' && what !== 'credits') {
    throw new CommandSyntaxError(`"${first.text}" is not an export; say accounts, invoices or credits`, usage);
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
    { kind: 'billing.export', what, account: nameTokens.length ? joinTokens(nameTokens) : null, ...values, channel },
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
