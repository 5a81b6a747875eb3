import { addDays, compareDates, type IsoDate } from '../dates';
import { OverBalanceError, PaymentInvoiceError } from '../errors';
import { Money, parseAmount, type Currency } from '../money';

/**
 * The rules of payments and receivables, in one place and without I/O (the services in this
 * folder and the bill run's SQL follow them):
 * - an invoice is due its payment terms in days after its invoice date: the invoicer
 *   account's terms, else the bill run configuration's, else 30 days;
 * - an invoice is paid at a zero balance, open at its full total, partly paid in between, and
 *   overdue while its balance is above zero after its due date;
 * - a payment is applied to the invoices named (with amounts, or in the order named, each up
 *   to its balance), or else to the unpaid invoices oldest due date first; never above a
 *   balance; what is left stays unapplied on the payment.
 */

export const DEFAULT_PAYMENT_TERMS_DAYS = 30;

/** The most days of terms an account or a configuration can have (about ten years). */
export const MAX_PAYMENT_TERMS_DAYS = 3650;

/** The terms that apply: the invoicer's, else the configuration's, else 30 days. */
export function paymentTermsDays(invoicerTerms: number | null | undefined, configurationTerms: number | null | undefined): number {
  return invoicerTerms ?? configurationTerms ?? DEFAULT_PAYMENT_TERMS_DAYS;
}

/** An invoice's due date, fixed when it is made. */
export function dueDate(invoiceDate: IsoDate, invoicerTerms: number | null | undefined, configurationTerms: number | null | undefined): IsoDate {
  return addDays(invoiceDate, paymentTermsDays(invoicerTerms, configurationTerms));
}

/**
 * The same rule in SQL, for statements that make invoices in bulk: the expression of the due
 * date from the invoice date and the two terms columns (each an SQL expression).
 */
export function dueDateSql(invoiceDate: string, invoicerTerms: string, configurationTerms: string): string {
  return `(${invoiceDate} + COALESCE(${invoicerTerms}, ${configurationTerms}, ${DEFAULT_PAYMENT_TERMS_DAYS}))`;
}

export type InvoicePaymentStatus = 'open' | 'partly paid' | 'paid';

export function invoicePaymentStatus(total: Money, balance: Money): InvoicePaymentStatus {
  if (balance.isZero()) return 'paid';
  return balance.gte(total) ? 'open' : 'partly paid';
}

/** Overdue: a balance above zero on a day after the due date. */
export function isOverdue(balance: Money, due: IsoDate, asOf: IsoDate): boolean {
  return balance.isPositive() && compareDates(asOf, due) > 0;
}

/** Days past the due date as of a day (0 when not yet due). */
export function daysPastDue(due: IsoDate, asOf: IsoDate): number {
  const ms = Date.parse(`${asOf}T00:00:00Z`) - Date.parse(`${due}T00:00:00Z`);
  return Math.max(0, Math.round(ms / 86_400_000));
}

/** An invoice a payment could go to, as allocation sees it. */
export interface PayableInvoice {
  /** How the invoice is named to people, e.g. "INV-000018". */
  number: string;
  balance: Money;
  dueDate: IsoDate;
}

/** An invoice the person named, with the amount they typed (absent: as much as fits). */
export interface NamedInvoice {
  number: string;
  amount?: Money | null;
}

export interface Allocation {
  applications: { number: string; amount: Money }[];
  unapplied: Money;
}

/**
 * How a payment of `amount` is spread. With `named` invoices: first every named amount
 * (refused above its invoice's balance, or in all above the payment), then what is left to the
 * invoices named without an amount, in the order named, each up to its balance. Without: to
 * `unpaid` oldest due date first (then lowest number). The rest stays unapplied.
 * `invoices` must hold every named invoice (the caller refuses unknown ones first).
 */
export function allocatePayment(amount: Money, invoices: PayableInvoice[], named: NamedInvoice[] = []): Allocation {
  const byNumber = new Map(invoices.map((i) => [i.number, i]));
  const seen = new Set<string>();
  for (const n of named) {
    if (seen.has(n.number)) throw new PaymentInvoiceError(`${n.number} is named twice; name each invoice once.`);
    seen.add(n.number);
    const invoice = byNumber.get(n.number);
    if (!invoice) throw new PaymentInvoiceError(`${n.number} is not an invoice this payment can pay.`);
    if (invoice.balance.isZero()) throw new PaymentInvoiceError(`${n.number} is already paid.`);
  }
  let left = amount;
  const given = new Map<string, Money>();
  for (const n of named) {
    if (!n.amount) continue;
    const invoice = byNumber.get(n.number)!;
    if (n.amount.gt(invoice.balance)) {
      throw new OverBalanceError(`${n.number} has a balance of ${invoice.balance.format()}; ${n.amount.format()} is more than that.`);
    }
    if (n.amount.gt(left)) {
      throw new OverBalanceError(`The amounts named add up to more than the payment of ${amount.format()}.`);
    }
    given.set(n.number, n.amount);
    left = left.subtract(n.amount);
  }
  const rest = named.length
    ? named.filter((n) => !n.amount).map((n) => byNumber.get(n.number)!)
    : [...invoices].filter((i) => i.balance.isPositive()).sort(oldestDueFirst);
  for (const invoice of rest) {
    if (left.isZero()) break;
    const part = left.min(invoice.balance);
    given.set(invoice.number, part);
    left = left.subtract(part);
  }
  const order = named.length ? named.map((n) => n.number) : [...given.keys()];
  return {
    applications: order.filter((n) => given.get(n)?.isPositive()).map((n) => ({ number: n, amount: given.get(n)! })),
    unapplied: left,
  };
}

function oldestDueFirst(a: PayableInvoice, b: PayableInvoice): number {
  return compareDates(a.dueDate, b.dueDate) || a.number.localeCompare(b.number, 'en', { numeric: true });
}

/**
 * An amount as typed for a payment: "60", "$60.00", "1,234.56"; above zero and with no more
 * decimals than the currency has (refused with one sentence otherwise).
 */
export function paymentAmount(text: string, cur: Currency | string): Money {
  return parseAmount(text, cur);
}

/** Payment numbers as people see them: PM-000001. */
export function formatPaymentNumber(id: number): string {
  return `PM-${String(id).padStart(6, '0')}`;
}

/** Reads a payment number as typed: "PM-000001", "pm-1", "#1" or "1". */
export function parsePaymentNumber(text: string): number | null {
  const m = /^(?:pm-?|#)?0*(\d{1,15})$/i.exec(text.trim());
  return m && Number(m[1]) >= 1 ? Number(m[1]) : null;
}
