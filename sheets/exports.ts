import { promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import { ADDRESS_FIELDS, type Billing, type CreditExportFilter, type ExportReads, type InvoiceExportFilter } from '../billing';
import { PAYMENT_APPLICATION_COLUMNS, PAYMENT_EXPORT_COLUMNS } from './paymentsLayout';
import { SETUP_SHEETS, SetupSheetKey } from './layout';
import { ColumnSpec, OutValue, WorkbookWriter } from './xlsx';

/**
 * Exports as workbooks a finance user can work with: amounts as numbers in the currency's
 * format, dates as dates, a bold frozen header row with an autofilter, sensible widths,
 * and no text that a spreadsheet could take for a formula. Every export reads one
 * consistent snapshot (billing's export reads), a page at a time, and streams the workbook
 * out. `billing`: the billing services.
 */

export async function writeWorkbook<T>(
  billing: Billing,
  out: Writable | string,
  build: (reads: ExportReads) => Promise<(writer: WorkbookWriter) => Promise<T>>,
): Promise<T> {
  return billing.exports.snapshot(async (reads) => {
    // Filters are checked (and accounts found) before anything is written.
    const write = await build(reads);
    const writer = new WorkbookWriter(out);
    try {
      const counts = await write(writer);
      await writer.commit();
      return counts;
    } catch (e) {
      writer.abort();
      if (typeof out === 'string') await fs.rm(out, { force: true }).catch(() => undefined);
      throw e;
    }
  });
}

/** Writes one sheet: its header, then a row for each item of each page; the rows written. */
export async function copySheet<T>(
  writer: WorkbookWriter,
  name: string,
  columns: ColumnSpec[],
  pages: AsyncIterable<T[]> | Iterable<T[]>,
  toRow: (item: T) => OutValue[],
): Promise<number> {
  const sheet = writer.addSheet(name, columns);
  for await (const page of pages) {
    for (const item of page) sheet.addRow(toRow(item));
    await sheet.settle();
  }
  sheet.commit();
  return sheet.rows;
}

const setupColumns = (key: SetupSheetKey): ColumnSpec[] =>
  SETUP_SHEETS.find((s) => s.key === key)!.columns.map((c) => ({ header: c.header, width: c.width, kind: c.write }));

export interface AccountsExportCounts {
  accounts: number;
  /** Rows of the Packages sheet: one per service. */
  packageServices: number;
  accountPackages: number;
  billRuns: number;
}

/** The setup workbook of what is stored: importing it again changes nothing. */
export async function exportAccounts(billing: Billing, out: Writable | string): Promise<AccountsExportCounts> {
  return writeWorkbook(billing, out, async (reads) => async (writer) => ({
    accounts: await copySheet(writer, 'Accounts', setupColumns('accounts'), reads.accounts(), (a) => [
      a.name, a.displayName, a.currency, a.status, a.billGroup, a.billDay, a.parent, a.invoiceTo, ...ADDRESS_FIELDS.map((f) => a[f.key]),
      a.paymentTerms,
    ]),
    packageServices: await copySheet(writer, 'Packages', setupColumns('packages'), reads.packageServices(), (p) => [
      p.package, p.currency, p.frequency, p.service, { amount: p.price, currency: p.currency },
    ]),
    accountPackages: await copySheet(writer, 'Account Packages', setupColumns('accountPackages'), reads.accountPackages(), (ap) => [
      ap.account, ap.package, ap.quantity, ap.status, ap.effectiveDate, ap.nextBillDate,
    ]),
    billRuns: await copySheet(writer, 'Bill Runs', setupColumns('billRuns'), [await reads.configurations()], (c) => [
      c.name, c.billPackages, c.generateInvoice, c.period, c.billGroups.join(', '), c.schedule, c.timeZone, c.reportChannel,
      c.paymentTerms,
    ]),
  }));
}

const INVOICE_COLUMNS: ColumnSpec[] = [
  { header: 'Number', width: 14, kind: 'text' },
  { header: 'Invoicer', width: 28, kind: 'text' },
  { header: 'Invoice Date', width: 13, kind: 'date' },
  { header: 'Period Start', width: 13, kind: 'date' },
  { header: 'Period End', width: 13, kind: 'date' },
  { header: 'Currency', width: 10, kind: 'text' },
  { header: 'Total', width: 14, kind: 'money' },
  { header: 'Balance', width: 14, kind: 'money' },
  { header: 'Status', width: 10, kind: 'text' },
  { header: 'Posting Date', width: 13, kind: 'date' },
  { header: 'Bill Run', width: 10, kind: 'integer' },
];

const TRANSACTION_COLUMNS: ColumnSpec[] = [
  { header: 'Invoice', width: 14, kind: 'text' },
  { header: 'Account', width: 28, kind: 'text' },
  { header: 'Kind', width: 16, kind: 'text' },
  { header: 'Package', width: 24, kind: 'text' },
  { header: 'Service', width: 24, kind: 'text' },
  { header: 'Credit', width: 10, kind: 'text' },
  { header: 'Period Start', width: 13, kind: 'date' },
  { header: 'Period End', width: 13, kind: 'date' },
  { header: 'Quantity', width: 10, kind: 'integer' },
  { header: 'Amount', width: 14, kind: 'money' },
  { header: 'Currency', width: 10, kind: 'text' },
  { header: 'Posting Date', width: 13, kind: 'date' },
];

export interface InvoicesExportCounts {
  invoices: number;
  transactions: number;
}

/**
 * Invoices and their transactions. Filters: an account (with the accounts that invoice to
 * it: the invoices they receive and those carrying their charges), invoice dates from/to
 * (inclusive), a bill run.
 */
export async function exportInvoices(billing: Billing, out: Writable | string, filter: InvoiceExportFilter = {}): Promise<InvoicesExportCounts> {
  return writeWorkbook(billing, out, async (reads) => {
    const f = await reads.invoiceFilter(filter);
    return async (writer) => ({
      invoices: await copySheet(writer, 'Invoices', INVOICE_COLUMNS, reads.invoices(f), (i) => [
        i.number, i.invoicer, i.invoiceDate, i.periodStart, i.periodEnd, i.currency,
        { amount: i.total, currency: i.currency }, { amount: i.balance, currency: i.currency },
        i.status, i.postingDate, i.billRunId,
      ]),
      transactions: await copySheet(writer, 'Transactions', TRANSACTION_COLUMNS, reads.transactions(f), (t) => [
        t.invoice, t.account, t.kind, t.package, t.service, t.credit, t.periodStart, t.periodEnd, t.quantity,
        { amount: t.amount, currency: t.currency }, t.currency, t.postingDate,
      ]),
    });
  });
}

const CREDIT_COLUMNS: ColumnSpec[] = [
  { header: 'Credit', width: 10, kind: 'text' },
  { header: 'Account', width: 28, kind: 'text' },
  { header: 'Currency', width: 10, kind: 'text' },
  { header: 'Unit Amount', width: 14, kind: 'money' },
  { header: 'Quantity', width: 10, kind: 'integer' },
  { header: 'Amount', width: 14, kind: 'money' },
  { header: 'Amount Left', width: 14, kind: 'money' },
  { header: 'Status', width: 17, kind: 'text' },
  { header: 'Date', width: 12, kind: 'date' },
  { header: 'Detail', width: 40, kind: 'text' },
  { header: 'Automatic Disbursement', width: 12, kind: 'yesno' },
  { header: 'Issued Invoice', width: 14, kind: 'text' },
  { header: 'Reversed Amount', width: 14, kind: 'money' },
  { header: 'Reversal Invoice', width: 14, kind: 'text' },
  { header: 'Created By', width: 16, kind: 'text' },
  { header: 'Created At', width: 20, kind: 'datetime' },
];

const DISBURSEMENT_COLUMNS: ColumnSpec[] = [
  { header: 'Disbursement', width: 13, kind: 'integer' },
  { header: 'Credit', width: 10, kind: 'text' },
  { header: 'Account', width: 28, kind: 'text' },
  { header: 'Invoice', width: 14, kind: 'text' },
  { header: 'Currency', width: 10, kind: 'text' },
  { header: 'Amount', width: 14, kind: 'money' },
  { header: 'Credit Amount Left', width: 16, kind: 'money' },
  { header: 'Automatic', width: 10, kind: 'yesno' },
  { header: 'By', width: 16, kind: 'text' },
  { header: 'At', width: 20, kind: 'datetime' },
];

const REVERSAL_COLUMNS: ColumnSpec[] = [
  { header: 'Credit', width: 10, kind: 'text' },
  { header: 'Account', width: 28, kind: 'text' },
  { header: 'Currency', width: 10, kind: 'text' },
  { header: 'Amount', width: 14, kind: 'money' },
  { header: 'Reversed Amount', width: 14, kind: 'money' },
  { header: 'Amount Left', width: 14, kind: 'money' },
  { header: 'Status', width: 17, kind: 'text' },
  { header: 'Issued Invoice', width: 14, kind: 'text' },
  { header: 'Reversal Invoice', width: 14, kind: 'text' },
  { header: 'Requested By', width: 16, kind: 'text' },
  { header: 'Requested At', width: 20, kind: 'datetime' },
  { header: 'Applied At', width: 20, kind: 'datetime' },
];

export interface CreditsExportCounts {
  credits: number;
  disbursements: number;
  reversals: number;
}

/**
 * The credit ledger: credits (by credit date), disbursements (by the day they were made,
 * UTC) and reversals (by the day they were requested, UTC). Filters: an account (with the
 * accounts that invoice to it), dates from/to (inclusive).
 */
export async function exportCredits(billing: Billing, out: Writable | string, filter: CreditExportFilter = {}): Promise<CreditsExportCounts> {
  return writeWorkbook(billing, out, async (reads) => {
    const f = await reads.creditFilter(filter);
    return async (writer) => ({
      credits: await copySheet(writer, 'Credits', CREDIT_COLUMNS, reads.credits(f), (c) => {
        const m = (amount: string | null) => (amount === null ? null : { amount, currency: c.currency });
        return [
          c.credit, c.account, c.currency, m(c.unitAmount), c.quantity, m(c.amount), m(c.amountLeft), c.status, c.date,
          c.detail, c.autoDisburse, c.issuedInvoice, m(c.reversedAmount), c.reversalInvoice, c.createdBy, c.createdAt,
        ];
      }),
      disbursements: await copySheet(writer, 'Disbursements', DISBURSEMENT_COLUMNS, reads.disbursements(f), (d) => [
        d.id, d.credit, d.account, d.invoice, d.currency, { amount: d.amount, currency: d.currency },
        { amount: d.creditAmountLeft, currency: d.currency }, d.automatic, d.by, d.at,
      ]),
      reversals: await copySheet(writer, 'Reversals', REVERSAL_COLUMNS, reads.reversals(f), (r) => [
        r.credit, r.account, r.currency, { amount: r.amount, currency: r.currency },
        { amount: r.reversedAmount, currency: r.currency }, { amount: r.amountLeft, currency: r.currency },
        r.status, r.issuedInvoice, r.reversalInvoice, r.requestedBy, r.requestedAt, r.appliedAt,
      ]),
    });
  });
}

export interface PaymentsExportCounts {
  payments: number;
  applications: number;
}

/**
 * The payments: each payment (by received date) with what it applied and has unapplied, and
 * every application and reversal of those payments. Filters: an account, dates from/to
 * (inclusive, on the received date).
 */
export async function exportPayments(billing: Billing, out: Writable | string, filter: CreditExportFilter = {}): Promise<PaymentsExportCounts> {
  return writeWorkbook(billing, out, async (reads) => {
    const f = await reads.paymentFilter(filter);
    return async (writer) => ({
      payments: await copySheet(writer, 'Payments', PAYMENT_EXPORT_COLUMNS, reads.payments(f), (p) => {
        const m = (amount: string) => ({ amount, currency: p.currency });
        return [
          p.payment, p.receivedOn, p.account, p.currency, m(p.amount), m(p.applied), m(p.unapplied), p.method, p.reference,
          p.status, p.reversalReason, p.reversedAt, p.createdBy, p.createdAt,
        ];
      }),
      applications: await copySheet(writer, 'Applications', PAYMENT_APPLICATION_COLUMNS, reads.paymentApplications(f), (a) => [
        a.payment, a.account, a.invoice, a.currency, a.kind, { amount: a.amount, currency: a.currency }, a.automatic, a.by, a.at,
      ]),
    });
  });
}
