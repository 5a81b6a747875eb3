import type { Knex } from 'knex';
import { z } from 'zod';
import { findAccount, findAccountById, formatInvoiceNumber, invoicePrefix, type Account } from '../accounts';
import { isoDateSchema, todayIn, compareDates, type IsoDate } from '../dates';
import {
  DuplicatePaymentError,
  InvalidDateError,
  InvalidInputError,
  InvalidInvoicerError,
  PaymentInvoiceError,
  PaymentStateError,
  UnknownInvoiceError,
  UnknownPaymentError,
} from '../errors';
import { parseInvoiceNumber } from '../invoices';
import { Money, parseAmount } from '../money';
import { firstIssue, nameSchema } from '../schemas';
import { applyPayments, reversePaymentRows } from './ledger';
import { allocatePayment, formatPaymentNumber, type NamedInvoice } from './rules';
import { paymentById, paymentId, type PaymentView } from './views';
import type { Clock } from '../billRun/plan';
import type { Db } from '../db';

/**
 * Recording and reversing payments, each in one transaction under the locks every writer of
 * money takes in one order: the invoicer account's row, then the payment's, then the invoices'
 * (in id order). The answer is read in the same transaction, so the balances it shows are
 * those just after the change.
 */

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(firstIssue(result.error));
  return result.data;
}

function text(what: string, max: number) {
  return z
    .string({ message: `${what} is text.` })
    .trim()
    .min(1, `${what} cannot be empty.`)
    .max(max, `${what} can be at most ${max} characters.`)
    .refine((s) => !s.includes('\u0000'), `${what} cannot contain a NUL character.`);
}

const actorSchema = text('Who records or reverses a payment', 200);

export const recordPaymentSchema = z.object({
  account: nameSchema,
  /** As typed: "60", "$60.00", "1,234.56". */
  amount: z.string({ message: 'An amount is required.' }),
  reference: text('A reference', 200).nullish(),
  receivedOn: isoDateSchema.nullish(),
  method: text('A method', 100).nullish(),
  to: z
    .array(
      z.object({
        invoice: z.string({ message: 'Name the invoice to pay, like INV-000018.' }),
        amount: z.string({ message: 'An amount is text like "60.00".' }).nullish(),
      }),
    )
    .max(100, 'A payment can name at most 100 invoices.')
    .default([]),
  requestKey: text('A request key', 200).nullish(),
});
export type RecordPaymentInput = z.input<typeof recordPaymentSchema>;
type RecordPaymentData = z.output<typeof recordPaymentSchema>;

export const reversalReasonSchema = text('A reason for the reversal', 500);

/** True for Postgres' unique violation of the named constraint or index. */
function isUniqueViolation(e: unknown, constraint: string): boolean {
  const err = e as { code?: string; constraint?: string };
  return err?.code === '23505' && err.constraint === constraint;
}

/** The account a payment is recorded on: an invoicer (an account invoicing to another is refused). */
async function invoicerOf(trx: Knex.Transaction, name: string): Promise<Account> {
  const account = await findAccount(trx, name);
  if (account.invoicerId) {
    const invoicer = await findAccountById(trx, account.invoicerId);
    throw new InvalidInvoicerError(
      `"${account.name}" is invoiced to "${invoicer.name}", which receives its invoices; record the payment on "${invoicer.name}".`,
    );
  }
  await trx('accounts').where('id', account.id).forUpdate().first('id');
  return account;
}

async function refuseDuplicate(trx: Knex.Transaction, account: Account, reference: string | null | undefined): Promise<void> {
  if (!reference) return;
  const existing = await trx('payments').where({ account_id: account.id, reference }).first('id', 'received_on');
  if (existing) {
    throw new DuplicatePaymentError(
      `"${account.name}" already has ${formatPaymentNumber(existing.id)} with reference "${reference}" (received ${existing.received_on}); a payment is recorded once.`,
    );
  }
}

/** The invoices the payment may go to, locked in id order: those named, or else every unpaid one. */
async function payableInvoices(trx: Knex.Transaction, account: Account, data: RecordPaymentData, amountOf: (t: string) => Money) {
  const prefix = await invoicePrefix(trx);
  const named = data.to.map((t) => ({ number: parseInvoiceNumber(t.invoice), amount: t.amount ? amountOf(t.amount) : null }));
  const q = trx('invoices as i').join('accounts as a', 'a.id', 'i.account_id');
  if (named.length) q.whereIn('i.number', named.map((n) => n.number));
  else q.where('i.account_id', account.id).where('i.balance', '>', 0);
  const rows = await q.orderBy('i.id').forUpdate('i').select('i.id', 'i.number', 'i.account_id', 'i.currency', 'i.balance', 'i.due_date', 'a.name as invoicer');
  const byNumber = new Map(rows.map((r: any) => [Number(r.number), r]));
  for (const n of named) {
    const row: any = byNumber.get(n.number);
    const shown = formatInvoiceNumber(prefix, n.number);
    if (!row) throw new UnknownInvoiceError(`There is no invoice ${shown}.`);
    if (row.account_id !== account.id) {
      throw new PaymentInvoiceError(`${shown} is an invoice of "${row.invoicer}", not of "${account.name}"; a payment pays only its own account's invoices.`);
    }
    if (row.currency !== account.currency) throw new PaymentInvoiceError(`${shown} is in ${row.currency}, not in ${account.currency}.`);
  }
  const show = (r: any) => formatInvoiceNumber(prefix, Number(r.number));
  return {
    ids: new Map(rows.map((r: any) => [show(r), Number(r.id)])),
    invoices: rows.map((r: any) => ({ number: show(r), balance: Money.exact(r.balance, r.currency), dueDate: r.due_date as IsoDate })),
    named: named.map((n): NamedInvoice => ({ number: formatInvoiceNumber(prefix, n.number), amount: n.amount })),
  };
}

async function insertPayment(trx: Knex.Transaction, data: RecordPaymentData, account: Account, amount: Money, receivedOn: IsoDate, by: string) {
  try {
    const [row] = await trx('payments')
      .insert({
        account_id: account.id,
        currency: account.currency,
        amount: amount.toString(),
        unapplied: amount.toString(),
        received_on: receivedOn,
        method: data.method ?? null,
        reference: data.reference ?? null,
        request_key: data.requestKey ?? null,
        created_by: by,
      })
      .returning('id');
    return Number(row.id);
  } catch (e) {
    if (isUniqueViolation(e, 'payments_account_reference_key')) await refuseDuplicate(trx, account, data.reference);
    throw e;
  }
}

async function recordIn(trx: Knex.Transaction, data: RecordPaymentData, by: string, today: IsoDate): Promise<{ id: number; created: boolean }> {
  if (data.requestKey) {
    const existing = await trx('payments').where('request_key', data.requestKey).first('id');
    if (existing) return { id: Number(existing.id), created: false };
  }
  const account = await invoicerOf(trx, data.account);
  await refuseDuplicate(trx, account, data.reference);
  const amount = parseAmount(data.amount, account.currency);
  const receivedOn = data.receivedOn ?? today;
  if (compareDates(receivedOn, today) > 0) throw new InvalidDateError(`A payment cannot be received after today (${today}); got ${receivedOn}.`);
  const amountOf = (t: string) => parseAmount(t, account.currency);
  const payable = await payableInvoices(trx, account, data, amountOf);
  const id = await insertPayment(trx, data, account, amount, receivedOn, by);
  const allocation = allocatePayment(amount, payable.invoices, payable.named);
  await applyPayments(
    trx,
    allocation.applications.map((a) => ({ paymentId: id, invoiceId: payable.ids.get(a.number)!, amount: a.amount.toString() })),
    by,
    { automatic: false },
  );
  return { id, created: true };
}

/**
 * Records a payment on an invoicer account and applies it (rules.ts, allocatePayment); what is
 * left stays unapplied. A reference already recorded on the account is refused; a request key
 * already used returns that payment (created: false) without recording again.
 */
export async function recordPaymentOnce(
  db: Db,
  input: RecordPaymentInput,
  actor: string,
  clock: Clock,
): Promise<{ payment: PaymentView; created: boolean }> {
  const data = parse(recordPaymentSchema, input);
  const by = parse(actorSchema, actor);
  const today = todayIn('UTC', clock.now());
  const record = () =>
    db.transaction(async (trx) => {
      const { id, created } = await recordIn(trx, data, by, today);
      return { payment: await paymentById(trx, id, today), created };
    });
  try {
    return await record();
  } catch (e) {
    // The same request key arrived twice at once: the other one recorded the payment.
    if (!isUniqueViolation(e, 'payments_request_key')) throw e;
    return record();
  }
}

/**
 * Reverses a recorded payment (a returned cheque, a charge-back): each invoice it paid gets the
 * applied amount back on its balance, the payment keeps its record with the status reversed and
 * the reason, and nothing it had unapplied can be applied any more.
 */
export async function reversePayment(db: Db, paymentText: string, reason: string, actor: string, clock: Clock): Promise<PaymentView> {
  const id = paymentId(paymentText);
  const why = parse(reversalReasonSchema, reason);
  const by = parse(actorSchema, actor);
  const today = todayIn('UTC', clock.now());
  return db.transaction(async (trx) => {
    const peek = await trx('payments').where('id', id).first('account_id');
    if (!peek) throw new UnknownPaymentError(`There is no payment ${formatPaymentNumber(id)}.`);
    await trx('accounts').where('id', peek.account_id).forUpdate().first('id');
    const payment = await trx('payments').where('id', id).forUpdate().first('status', 'reversal_reason');
    if (payment.status === 'reversed') {
      throw new PaymentStateError(`${formatPaymentNumber(id)} is already reversed ("${payment.reversal_reason}"); a payment is reversed only once.`);
    }
    await trx.raw(
      `SELECT i.id FROM invoices i WHERE i.id IN (SELECT invoice_id FROM payment_applications WHERE payment_id = ?) ORDER BY i.id FOR UPDATE`,
      [id],
    );
    await reversePaymentRows(trx, id, why, by);
    return paymentById(trx, id, today);
  });
}
