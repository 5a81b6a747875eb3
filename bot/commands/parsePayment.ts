import { looksLikeAmount } from '../../billing';
import { CommandSyntaxError } from './errors';
import { invoiceTargets } from './forms';
import { next, words } from './parseWords';
import { Command, USAGE, validateCommand } from './schema';
import { isWord, joinTokens, Token } from './tokens';

/**
 * `/payment add|list|reverse ...`. `/payment add` alone, or with only an account, opens the
 * form (with the account's unpaid invoices to choose from).
 */
const PAYMENT_FORMS = '/payment add|list|reverse ... (/payment help shows each form)';

export function parsePayment(text: string): Command {
  const first = next(text, 0, PAYMENT_FORMS);
  if (!first || (isWord(first, 'help') && !next(text, first.end, PAYMENT_FORMS))) return validateCommand({ kind: 'billing.help', topic: 'payment' });
  const sub = first.quoted ? '' : first.text.toLowerCase();
  switch (sub) {
    case 'add':
      return parsePaymentAdd(text, first.end);
    case 'list': {
      const usage = USAGE['payment.list'];
      const rest = words(text, usage, first.end);
      if (rest.length === 0) throw new CommandSyntaxError('Say whose payments to list', usage);
      return validateCommand({ kind: 'payment.list', account: joinTokens(rest) }, usage);
    }
    case 'reverse': {
      const usage = USAGE['payment.reverse'];
      const payment = next(text, first.end, usage);
      if (!payment) throw new CommandSyntaxError('Say which payment to reverse, and why', usage);
      let reason = text.slice(payment.end).trim();
      if (/^["\u201C\u201D][^"\u201C\u201D]*["\u201C\u201D]$/.test(reason)) reason = reason.slice(1, -1).trim();
      if (!reason) throw new CommandSyntaxError(`Give the reason for reversing ${payment.text} after it (a returned cheque, a charge-back)`, usage);
      return validateCommand({ kind: 'payment.reverse', payment: payment.text, reason }, usage);
    }
    default:
      throw new CommandSyntaxError(`"${first.text}" is not a /payment command; say add, list or reverse`, PAYMENT_FORMS);
  }
}

const CLAUSES: Record<string, 'reference' | 'receivedOn' | 'method'> = { ref: 'reference', reference: 'reference', on: 'receivedOn', method: 'method' };

/**
 * `/payment add <account> <amount> [ref <reference>] [on YYYY-MM-DD] [method <method>] [to <invoice>...]`:
 * the amount is the first unquoted word that reads as money; the words before it are the
 * account; after it, each clause once, `to` last (its invoices in the order to pay, each
 * optionally with =<amount>).
 */
function parsePaymentAdd(text: string, from: number): Command {
  const usage = USAGE['payment.add'];
  const tokens = words(text, usage, from);
  const at = tokens.findIndex((t) => !t.quoted && looksLikeAmount(t.text));
  const account = at < 0 ? tokens : tokens.slice(0, at);
  if (at < 0) return validateCommand({ kind: 'payment.add.modal', account: account.length ? joinTokens(account) : null }, usage);
  if (account.length === 0) throw new CommandSyntaxError('Name the account that paid before the amount', usage);
  const input: Record<string, unknown> = { kind: 'payment.add', account: joinTokens(account), amount: tokens[at].text };
  const rest = tokens.slice(at + 1);
  for (let k = 0; k < rest.length; k++) {
    const word = rest[k].quoted ? '' : rest[k].text.toLowerCase();
    if (word === 'to') {
      const invoices = rest.slice(k + 1);
      if (invoices.length === 0) throw new CommandSyntaxError('Name the invoices to pay after "to", like INV-000018 19', usage, 'to');
      input.to = invoiceTargets(invoices.map((t: Token) => t.text).join(' '));
      break;
    }
    const field = CLAUSES[word];
    if (!field) throw new CommandSyntaxError(`"${rest[k].text}" is not expected after the amount; the clauses are ref, on, method and to`, usage);
    if (field in input) throw new CommandSyntaxError(`"${rest[k].text}" is given twice`, usage, field);
    const value = rest[k + 1];
    if (!value) throw new CommandSyntaxError(`Give a value after "${rest[k].text}"`, usage, field);
    input[field] = value.text;
    k++;
  }
  return validateCommand(input, usage);
}
