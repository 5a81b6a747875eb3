import { findAccount, formatInvoiceNumber, invoicePrefix } from '../accounts';
import { InvalidInputError, UnknownPaymentError } from '../errors';
import { Money } from '../money';
import { formatPaymentNumber, invoicePaymentStatus, isOverdue, parsePaymentNumber, type InvoicePaymentStatus } from './rules';
import type { IsoDate } from '../dates';
import type { Db } from '../db';

/**
 * Payments as people see them: a payment with what it was applied to (and, once reversed,
 * what went back), an account's payments, and an account's unpaid invoices, amounts in the
 * currency's minor unit and invoices by number.
 */

export type PaymentStatus = 'recorded' | 'reversed';

export interface PaymentApplicationView {
  invoice: string;
  /** applied: paid onto the invoice; reversed: given back to it by the payment's reversal. */
  kind: 'applied' | 'reversed';
  amount: string;
  /** Applied by a bill run from what the payment had unapplied. */
  automatic: boolean;
  at: string;
  /** The invoice's balance after the operation that answered (record, reverse), or now (a list). */
  invoiceBalance: string;
  invoiceStatus: InvoicePaymentStatus;
  overdue: boolean;
}

export interface PaymentView {
  number: string;
  account: string;
  currency: string;
  amount: string;
  unapplied: string;
  receivedOn: string;
  method: string | null;
  reference: string | null;
  status: PaymentStatus;
  reversalReason: string | null;
  reversedBy: string | null;
  reversedAt: string | null;
  createdBy: string;
  createdAt: string;
  applications: PaymentApplicationView[];
}

export interface UnpaidInvoice {
  number: string;
  invoiceDate: string;
  dueDate: string;
  currency: string;
  total: string;
  balance: string;
  status: InvoicePaymentStatus;
  overdue: boolean;
}

/** A payment id from what was typed, or a sentence saying the form. */
export function paymentId(text: string): number {
  const id = parsePaymentNumber(text);
  if (id === null) throw new InvalidInputError(`"${text}" is not a payment number; use the form PM-000001.`);
  return id;
}

function toApplication(r: any, prefix: string, asOf: IsoDate): PaymentApplicationView {
  const balance = Money.exact(r.balance, r.currency);
  return {
    invoice: formatInvoiceNumber(prefix, Number(r.number)),
    kind: r.kind,
    amount: Money.exact(r.amount, r.currency).toString(),
    automatic: r.automatic,
    at: new Date(r.created_at).toISOString(),
    invoiceBalance: balance.toString(),
    invoiceStatus: invoicePaymentStatus(Money.exact(r.total, r.currency), balance),
    overdue: isOverdue(balance, r.due_date, asOf),
  };
}

function toPayment(r: any, applications: PaymentApplicationView[]): PaymentView {
  const [amount, unapplied] = [r.amount, r.unapplied].map((v: string) => Money.exact(v, r.currency).toString());
  return {
    number: formatPaymentNumber(Number(r.id)),
    account: r.account,
    currency: r.currency,
    amount,
    unapplied,
    receivedOn: r.received_on,
    method: r.method,
    reference: r.reference,
    status: r.status,
    reversalReason: r.reversal_reason,
    reversedBy: r.reversed_by,
    reversedAt: r.reversed_at ? new Date(r.reversed_at).toISOString() : null,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    applications,
  };
}

function paymentQuery(db: Db) {
  return db('payments as p').join('accounts as a', 'a.id', 'p.account_id').select('p.*', 'a.name as account');
}

async function applicationsOf(db: Db, paymentIds: number[], asOf: IsoDate): Promise<Map<number, PaymentApplicationView[]>> {
  const { rows } = await db.raw(
    `SELECT pa.*, i.number, i.currency, i.total, i.balance, i.due_date
     FROM payment_applications pa JOIN invoices i ON i.id = pa.invoice_id
     WHERE pa.payment_id = ANY(?::bigint[]) ORDER BY pa.id`,
    [paymentIds],
  );
  const prefix = rows.length ? await invoicePrefix(db) : '';
  const map = new Map<number, PaymentApplicationView[]>();
  for (const r of rows) {
    const list = map.get(Number(r.payment_id)) ?? [];
    list.push(toApplication(r, prefix, asOf));
    map.set(Number(r.payment_id), list);
  }
  return map;
}

/** One payment by its id, as it is now in `db` (a transaction reads its own writes). */
export async function paymentById(db: Db, id: number, asOf: IsoDate): Promise<PaymentView> {
  const row = await paymentQuery(db).where('p.id', id).first();
  if (!row) throw new UnknownPaymentError(`There is no payment ${formatPaymentNumber(id)}.`);
  return toPayment(row, (await applicationsOf(db, [id], asOf)).get(id) ?? []);
}

export function getPayment(db: Db, paymentText: string, asOf: IsoDate): Promise<PaymentView> {
  return paymentById(db, paymentId(paymentText), asOf);
}

/** An account's payments, oldest first, at most `limit` (the newest ones when there are more). */
export async function listPayments(db: Db, accountName: string, asOf: IsoDate, limit = 1000): Promise<PaymentView[]> {
  const account = await findAccount(db, accountName);
  const rows = (await paymentQuery(db).where('p.account_id', account.id).orderBy('p.id', 'desc').limit(limit)).reverse();
  const applications = await applicationsOf(db, rows.map((r: any) => Number(r.id)), asOf);
  return rows.map((r: any) => toPayment(r, applications.get(Number(r.id)) ?? []));
}

/**
 * An invoicer's unpaid invoices, oldest due date first (at most `limit`, 1-100), and how many
 * there are in all: what a payment form offers to choose from.
 */
export async function unpaidInvoices(
  db: Db,
  accountName: string,
  asOf: IsoDate,
  limit = 100,
): Promise<{ account: string; currency: string; count: number; invoices: UnpaidInvoice[] }> {
  const account = await findAccount(db, accountName);
  const unpaid = () => db('invoices').where('account_id', account.id).where('balance', '>', 0);
  const counted = await unpaid().count('* as n').first();
  const rows = await unpaid()
    .orderBy([{ column: 'due_date' }, { column: 'number' }])
    .limit(Math.min(Math.max(limit, 1), 100))
    .select('number', 'invoice_date', 'due_date', 'currency', 'total', 'balance');
  const prefix = await invoicePrefix(db);
  return {
    account: account.name,
    currency: account.currency,
    count: Number(counted?.n ?? 0),
    invoices: rows.map((r: any) => {
      const balance = Money.exact(r.balance, r.currency);
      const total = Money.exact(r.total, r.currency);
      return {
        number: formatInvoiceNumber(prefix, Number(r.number)),
        invoiceDate: r.invoice_date,
        dueDate: r.due_date,
        currency: r.currency,
        total: total.toString(),
        balance: balance.toString(),
        status: invoicePaymentStatus(total, balance),
        overdue: isOverdue(balance, r.due_date, asOf),
      };
    }),
  };
}
