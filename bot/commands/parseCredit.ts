import { looksLikeAmount } from '../../billing';
import { CommandSyntaxError } from './errors';
import { next, words } from './parseWords';
import { Command, USAGE, validateCommand } from './schema';
import { joinTokens, Token } from './tokens';

const CREDIT_FORMS = '/credit add|disburse|reverse|delete|list ... (/credit help shows each form)';

// -------------------------------------------------------------------------------------------
// /credit

export function parseCredit(text: string): Command {
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
