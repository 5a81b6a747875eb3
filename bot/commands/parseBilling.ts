import { parseIsoDate } from '../../billing';
import { CommandSyntaxError } from './errors';
import { parseChart } from './parseCharts';
import { channelClause, parseExport } from './parseExports';
import { parseAging, parseDigest, parseStatement } from './parseReceivables';
import { parseDocumentExport, parseInvoice } from './parseDocuments';
import { parseRunClauses } from './parseRun';
import { words } from './parseWords';
import { Command, HelpTopic, USAGE, validateCommand } from './schema';
import { isWord, joinTokens, Token } from './tokens';

/** The /billing commands' forms (the one parser, parse.ts, hands /billing text here). */

const BILLING_FORMS = '/billing help|run|invoices|invoice|aging|statement|template|export|import|schedules|schedule|chart|access ... (/billing help shows each form)';

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
    case 'aging':
      return parseAging(rest);
    case 'statement':
      return parseStatement(rest);
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
  // "digest" first is the overdue digest (quote a configuration whose name starts with it).
  if (isWord(rest[0], 'digest') && rest.length > 1) return parseDigest(rest.slice(1));
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
