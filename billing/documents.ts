import { formatInvoiceNumber, invoicePrefix } from './accounts';
import { addressLines, ADDRESS_FIELDS, addressOf } from './address';
import { UnknownBillRunError } from './errors';
import { getInvoice, type TransactionView } from './invoices';
import { currency, Money, sum, type Currency } from './money';
import { formatPaymentNumber } from './payments/rules';
import { accountStatement, type Statement } from './payments/statement';
import type { IsoDate } from './dates';
import type { Db } from './db';

/**
 * An invoice as a document shows it (sheets/documents writes it as a PDF): one view object,
 * so that what a document says is decided here, once, and every writer only lays it out.
 *
 * The header's dates and the summary under the lines are lists of labelled values: a due
 * date is one more entry in `dates`, payments applied one more in `applied` and `summary`.
 */

export interface DocumentParty {
  name: string;
  displayName: string | null;
  /** The postal address, one printed line each (billing/address.ts); empty when none is stored. */
  address: string[];
}

export interface InvoiceDocumentLine {
  kind: 'charge' | 'reversed credit';
  /** The account the line belongs to: the invoicer, or on a parent's invoice the child billed. */
  account: string;
  /** True when the line is another account's (a child invoicing to this invoicer). */
  otherAccount: boolean;
  /** What was billed: "Managed Network: Support", or the credit reversed ("CR-1 reversed"). */
  description: string;
  periodStart: string | null;
  periodEnd: string | null;
  quantity: number;
  /** In the currency's minor unit: "140.00". */
  amount: string;
}

/** What reduced the balance: credits disbursed and payments applied (each net of its reversal). */
export interface AppliedAmount {
  kind: 'credit' | 'payment';
  /** CR-7, PM-000001. */
  reference: string;
  /** The day a credit was applied (UTC); the day a payment was received. */
  date: string;
  /** Positive, in the currency's minor unit. */
  amount: string;
  /** A payment's method and reference as recorded ("cheque, ref CHQ-1001"), when it has either. */
  detail?: string;
}

export interface DocumentAmount {
  label: string;
  /** Signed, in the currency's minor unit: "-50.00" for a credit disbursed. */
  amount: string;
  /** The figure the document ends on (the balance due). */
  final?: true;
}

export interface InvoiceDocument {
  number: string;
  status: 'open' | 'paid';
  currency: string;
  /** Digits after the decimal point (USD 2, JPY 0). */
  minorUnits: number;
  invoicer: DocumentParty;
  /** The header's dates, in order: the invoice date, the due date. */
  dates: { label: string; date: string }[];
  period: { start: string; end: string };
  lines: InvoiceDocumentLine[];
  applied: AppliedAmount[];
  /** Under the lines, in order: Total, Credits disbursed and Payments applied (when any), Balance due. */
  summary: DocumentAmount[];
  /** The day the document is dated (its PDF's creation date): the invoice date. */
  issued: string;
}

function describe(t: TransactionView): string {
  if (t.kind === 'reversed credit') return `Credit ${t.credit ?? ''} reversed`.replace(/\s+/g, ' ');
  return [t.package, t.service].filter(Boolean).join(': ') || 'Charge';
}

/**
 * The payments applied to invoice `invoiceId`: one entry per application, less what its
 * reversal gave back (a reversed application, whole, is left out), in the order applied.
 */
async function paymentsApplied(db: Db, invoiceId: number, cur: Currency): Promise<AppliedAmount[]> {
  const { rows } = await db.raw(
    `SELECT pa.id, pa.amount - coalesce(r.amount, 0) AS net, p.id AS payment_id, p.received_on, p.method, p.reference
     FROM payment_applications pa
     JOIN payments p ON p.id = pa.payment_id
     LEFT JOIN payment_applications r ON r.reverses_id = pa.id AND r.kind = 'reversed'
     WHERE pa.invoice_id = ? AND pa.kind = 'applied'
     ORDER BY pa.id`,
    [invoiceId],
  );
  return rows
    .map((r: any): AppliedAmount => {
      const detail = [r.method, r.reference && `ref ${r.reference}`].filter(Boolean).join(', ');
      const entry: AppliedAmount = { kind: 'payment', reference: formatPaymentNumber(Number(r.payment_id)), date: r.received_on, amount: Money.exact(r.net, cur).toString() };
      return detail ? { ...entry, detail } : entry;
    })
    .filter((a: AppliedAmount) => !Money.exact(a.amount, cur).isZero());
}

/** The invoice numbered `numberText` as a document. */
export async function invoiceDocument(db: Db, numberText: string): Promise<InvoiceDocument> {
  const invoice = await getInvoice(db, numberText);
  const party = await db('invoices as i')
    .join('accounts as a', 'a.id', 'i.account_id')
    .where('i.id', invoice.id)
    .first('a.name', 'a.display_name', ...ADDRESS_FIELDS.map((f) => `a.${f.column}`));
  const cur = currency(invoice.currency);
  const disbursed: AppliedAmount[] = invoice.disbursements.map((d) => ({ kind: 'credit', reference: d.credit, date: d.at.slice(0, 10), amount: d.amount }));
  const paid = await paymentsApplied(db, invoice.id, cur);
  const summary: DocumentAmount[] = [{ label: 'Total', amount: invoice.total }];
  for (const [label, list] of [['Credits disbursed', disbursed], ['Payments applied', paid]] as const) {
    if (list.length) summary.push({ label, amount: Money.zero(cur).subtract(sum(list.map((a) => Money.exact(a.amount, cur)), cur)).toString() });
  }
  summary.push({ label: 'Balance due', amount: invoice.balance, final: true });
  return {
    number: invoice.number,
    status: invoice.status,
    currency: cur.code,
    minorUnits: cur.minorUnits,
    invoicer: { name: party.name, displayName: party.display_name, address: addressLines(addressOf(party)) },
    dates: [
      { label: 'Invoice date', date: invoice.invoiceDate },
      { label: 'Due date', date: invoice.dueDate },
    ],
    period: { start: invoice.periodStart, end: invoice.periodEnd },
    lines: invoice.transactions.map((t) => ({
      kind: t.kind,
      account: t.account,
      otherAccount: t.account !== party.name,
      description: describe(t),
      periodStart: t.periodStart,
      periodEnd: t.periodEnd,
      quantity: t.quantity,
      amount: t.amount,
    })),
    applied: [...disbursed, ...paid],
    summary,
    issued: invoice.invoiceDate,
  };
}

/** A bill run's invoices (number and date), in number order: what a run's zip of documents holds. */
export async function runInvoices(db: Db, runId: number): Promise<{ number: string; invoiceDate: string }[]> {
  const run = await db('bill_runs').where('id', runId).first('id');
  if (!run) throw new UnknownBillRunError(`There is no bill run #${runId}.`);
  const prefix = await invoicePrefix(db);
  const rows = await db('invoices').where('bill_run_id', runId).orderBy('number').select('number', 'invoice_date');
  return rows.map((r: any) => ({ number: formatInvoiceNumber(prefix, Number(r.number)), invoiceDate: r.invoice_date }));
}

/** An account's statement as a document shows it: the statement, and the account's name and address. */
export interface StatementDocument {
  statement: Statement;
  party: DocumentParty;
}

/** The statement of `account` for the period, with the account's printed name and address. */
export async function statementDocument(db: Db, account: string, period: { from?: string | null; to?: string | null }, today: IsoDate): Promise<StatementDocument> {
  const statement = await accountStatement(db, account, period, today);
  const party = await db('accounts').where('name', statement.account).first('name', 'display_name', ...ADDRESS_FIELDS.map((f) => f.column));
  return { statement, party: { name: party.name, displayName: party.display_name, address: addressLines(addressOf(party)) } };
}
