import { findAccount, formatInvoiceNumber, invoicePrefix } from './accounts';
import { InvalidInputError, UnknownInvoiceError } from './errors';
import { Money } from './money';
import type { Db } from './db';

/**
 * The order of an invoice's lines (SQL over transactions as \`t\`): charges, then reversed
 * credits; each by account, package, period and service. A bill run inserts its lines in no
 * particular order (sorting 230,000 rows to give them ids in this order cost a tenth of a
 * large run), so whoever lists lines sorts them with this.
 */
export const LINE_ORDER = 't.kind, t.account_id, t.account_package_id, t.period_start, t.service_id, t.credit_id, t.id';

export interface InvoiceView {
  id: number;
  number: string;
  invoicer: string;
  billRunId: number;
  invoiceDate: string;
  /** Fixed when the invoice was made (billing/payments/rules.ts, dueDate). */
  dueDate: string;
  postingDate: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  total: string;
  balance: string;
  status: 'open' | 'paid';
}

export interface TransactionView {
  kind: 'charge' | 'reversed credit';
  account: string;
  package: string | null;
  service: string | null;
  credit: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  quantity: number;
  amount: string;
  postingDate: string;
}

export interface DisbursementView {
  id: number;
  credit: string;
  invoice: string;
  amount: string;
  automatic: boolean;
  by: string;
  at: string;
}

export function formatCreditId(id: number): string {
  return `CR-${id}`;
}

/** Reads an invoice number as a person types it: "INV-000018", "18" or "#18". */
export function parseInvoiceNumber(text: string): number {
  const m = /^(?:#|[A-Za-z]+-?)?0*(\d{1,15})$/.exec(text.trim());
  if (!m || Number(m[1]) < 1) throw new InvalidInputError(`"${text}" is not an invoice number; use the form INV-000018 or 18.`);
  return Number(m[1]);
}

/**
 * A transaction row (joined with its account's, package's and service's names as `account`,
 * `package` and `service`) as people see it, its amount in its invoice's currency.
 */
export function toTransaction(r: any, currency: string): TransactionView {
  return {
    kind: r.kind,
    account: r.account,
    package: r.package ?? null,
    service: r.service ?? null,
    credit: r.credit_id ? formatCreditId(r.credit_id) : null,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    quantity: r.quantity,
    amount: Money.exact(r.amount, currency).toString(),
    postingDate: r.posting_date,
  };
}

/** An invoice row (joined with its invoicer's name as `invoicer`) as people see it. */
export function toInvoice(prefix: string, r: any): InvoiceView {
  return {
    id: r.id,
    number: formatInvoiceNumber(prefix, Number(r.number)),
    invoicer: r.invoicer,
    billRunId: r.bill_run_id,
    invoiceDate: r.invoice_date,
    dueDate: r.due_date,
    postingDate: r.posting_date,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    currency: r.currency,
    total: Money.exact(r.total, r.currency).toString(),
    balance: Money.exact(r.balance, r.currency).toString(),
    status: r.status,
  };
}

function invoiceQuery(db: Db) {
  return db('invoices as i').join('accounts as a', 'a.id', 'i.account_id').select('i.*', 'a.name as invoicer');
}

/** The invoices an account has received as invoicer, newest last. */
export async function listInvoices(db: Db, accountName: string): Promise<InvoiceView[]> {
  const account = await findAccount(db, accountName);
  const prefix = await invoicePrefix(db);
  const rows = await invoiceQuery(db).where('i.account_id', account.id).orderBy('i.number');
  return rows.map((r: any) => toInvoice(prefix, r));
}

export async function findInvoice(db: Db, numberText: string): Promise<InvoiceView> {
  const number = parseInvoiceNumber(numberText);
  const prefix = await invoicePrefix(db);
  const row = await invoiceQuery(db).where('i.number', number).first();
  if (!row) throw new UnknownInvoiceError(`There is no invoice ${formatInvoiceNumber(prefix, number)}.`);
  return toInvoice(prefix, row);
}

/** An invoice with its transactions and the disbursements applied to it. */
export async function getInvoice(
  db: Db,
  numberText: string,
): Promise<InvoiceView & { transactions: TransactionView[]; disbursements: DisbursementView[] }> {
  const invoice = await findInvoice(db, numberText);
  const rows = await db('transactions as t')
    .join('accounts as a', 'a.id', 't.account_id')
    .leftJoin('account_packages as ap', 'ap.id', 't.account_package_id')
    .leftJoin('packages as p', 'p.id', 'ap.package_id')
    .leftJoin('services as s', 's.id', 't.service_id')
    .where('t.invoice_id', invoice.id)
    .orderByRaw(LINE_ORDER)
    .select('t.*', 'a.name as account', 'p.name as package', 's.name as service');
  return {
    ...invoice,
    transactions: rows.map((r: any) => toTransaction(r, invoice.currency)),
    disbursements: await invoiceDisbursements(db, invoice.id, invoice.number, invoice.currency),
  };
}

async function invoiceDisbursements(db: Db, invoiceId: number, invoiceNumber: string, currency: string): Promise<DisbursementView[]> {
  const rows = await db('disbursements').where('invoice_id', invoiceId).orderBy('id');
  return rows.map((r: any) => toDisbursement(r, invoiceNumber, currency));
}

/** A disbursement row as people see it, with its invoice's number and currency. */
export function toDisbursement(r: any, invoiceNumber: string, currency: string): DisbursementView {
  return {
    id: r.id,
    credit: formatCreditId(r.credit_id),
    invoice: invoiceNumber,
    amount: Money.exact(r.amount, currency).toString(),
    automatic: r.automatic,
    by: r.created_by,
    at: new Date(r.created_at).toISOString(),
  };
}
