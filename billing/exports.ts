import { z } from 'zod';
import { findAccount, formatInvoiceNumber, invoicePrefix } from './accounts';
import { isoDateSchema } from './dates';
import { InvalidInputError } from './errors';
import { formatCreditId, LINE_ORDER, toInvoice, toTransaction, type InvoiceView, type TransactionView } from './invoices';
import { toCredit, type CreditView } from './credit/views';
import { firstIssue, nameSchema } from './schemas';
import type { Tx } from './db';
import { DEFAULT_BATCH_SIZE, queryRows } from './export/cursor';

/**
 * The rows of the invoice and credit exports, read a batch at a time inside one export
 * snapshot (export/cursor.ts), with the filters that choose them; the setup workbook's rows
 * are in export/setupRows.ts. Amounts are the exact decimal text stored (numeric), dates
 * 'YYYY-MM-DD' and moments Date.
 */

export { DEFAULT_BATCH_SIZE, withExportSnapshot } from './export/cursor';
export {
  accountExportRows,
  accountPackageExportRows,
  configurationExportRows,
  packageServiceExportRows,
} from './export/setupRows';
export type {
  AccountExportRow,
  AccountPackageExportRow,
  ConfigurationExportRow,
  PackageServiceExportRow,
} from './export/setupRows';

// ---------------------------------------------------------------------------------------
// Filters

/** An export's account (with every account that invoices to it, down the invoicer chains) and dates. */
const filterFields = {
  account: nameSchema.nullish(),
  from: isoDateSchema.nullish(),
  to: isoDateSchema.nullish(),
};

const fromNotAfterTo = [
  (f: { from?: string | null; to?: string | null }) => !f.from || !f.to || f.from <= f.to,
  { message: 'The "from" date must not be after the "to" date.' },
] as const;

export const invoiceExportFilterSchema = z
  .object({
    ...filterFields,
    billRunId: z.number({ message: 'A bill run is a number such as 12.' }).int('A bill run is a number such as 12.').positive('A bill run is a number such as 12.').nullish(),
  })
  .refine(...fromNotAfterTo);
export type InvoiceExportFilter = z.input<typeof invoiceExportFilterSchema>;

export const creditExportFilterSchema = z.object(filterFields).refine(...fromNotAfterTo);
export type CreditExportFilter = z.input<typeof creditExportFilterSchema>;

export interface ResolvedFilter {
  accountId: number | null;
  from: string | null;
  to: string | null;
  billRunId: number | null;
}

/** Checks an export filter and finds its account (an unknown name is refused with close matches). */
export async function resolveInvoiceFilter(trx: Tx, filter: InvoiceExportFilter): Promise<ResolvedFilter> {
  return resolveFilter(trx, invoiceExportFilterSchema, filter);
}

export async function resolveCreditFilter(trx: Tx, filter: CreditExportFilter): Promise<ResolvedFilter> {
  return resolveFilter(trx, creditExportFilterSchema, filter);
}

async function resolveFilter(
  trx: Tx,
  schema: typeof invoiceExportFilterSchema | typeof creditExportFilterSchema,
  filter: unknown,
): Promise<ResolvedFilter> {
  const parsed = schema.safeParse(filter);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  const f: z.output<typeof creditExportFilterSchema> & { billRunId?: number | null } = parsed.data;
  const accountId = f.account ? (await findAccount(trx, f.account)).id : null;
  return { accountId, from: f.from ?? null, to: f.to ?? null, billRunId: f.billRunId ?? null };
}

// ---------------------------------------------------------------------------------------
// Invoices and their transactions

/** The account and every account whose invoicer chain leads to it, as a CTE named family. */
const FAMILY = `family(id) AS (
  SELECT :accountId::bigint WHERE :accountId::bigint IS NOT NULL
  UNION
  SELECT a.id FROM accounts a JOIN family f ON a.invoicer_id = f.id
)`;

/**
 * The rows of an invoice or credit export: `sql`, which reads the filter's accounts from the
 * CTE named family (FAMILY), a batch at a time, each row mapped with the invoice number prefix.
 */
async function* familyRows<U>(
  trx: Tx,
  filter: ResolvedFilter,
  batchSize: number,
  sql: string,
  map: (row: any, prefix: string) => U,
): AsyncGenerator<U[]> {
  const prefix = await invoicePrefix(trx);
  yield* queryRows(trx, `WITH RECURSIVE ${FAMILY}\n    ${sql}`, { ...filter }, batchSize, (r) => map(r, prefix));
}

/**
 * Which invoices an export includes: with an account, those it (or an account that
 * invoices to it) received, and those carrying a transaction of one of these accounts.
 */
const INVOICE_MATCH = `(:accountId::bigint IS NULL
    OR i.account_id IN (SELECT id FROM family)
    OR EXISTS (SELECT 1 FROM transactions tf WHERE tf.invoice_id = i.id AND tf.account_id IN (SELECT id FROM family)))
  AND (:from::date IS NULL OR i.invoice_date >= :from::date)
  AND (:to::date IS NULL OR i.invoice_date <= :to::date)
  AND (:billRunId::bigint IS NULL OR i.bill_run_id = :billRunId::bigint)`;

/** An invoice as exported: the invoice view without its internal id. */
export type InvoiceExportRow = Omit<InvoiceView, 'id'>;

export function invoiceExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<InvoiceExportRow[]> {
  return familyRows(
    trx, filter, batchSize,
    `SELECT i.number, a.name AS invoicer, i.bill_run_id, i.invoice_date, i.posting_date, i.period_start, i.period_end,
            i.currency, i.total, i.balance, i.status
     FROM invoices i JOIN accounts a ON a.id = i.account_id
     WHERE ${INVOICE_MATCH}
     ORDER BY i.number`,
    (r, prefix): InvoiceExportRow => {
      const { id: _id, ...row } = toInvoice(prefix, r);
      return row;
    },
  );
}

/** A transaction as exported: the transaction view with its invoice's number and currency. */
export interface TransactionExportRow extends TransactionView {
  invoice: string;
  currency: string;
}

/** The transactions on the invoices the filter includes, by invoice number. */
export function transactionExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<TransactionExportRow[]> {
  return familyRows(
    trx, filter, batchSize,
    `SELECT i.number, a.name AS account, t.kind, p.name AS package, s.name AS service, t.credit_id,
            t.period_start, t.period_end, t.quantity, t.amount, i.currency, t.posting_date
     FROM invoices i
     JOIN transactions t ON t.invoice_id = i.id
     JOIN accounts a ON a.id = t.account_id
     LEFT JOIN account_packages ap ON ap.id = t.account_package_id
     LEFT JOIN packages p ON p.id = ap.package_id
     LEFT JOIN services s ON s.id = t.service_id
     WHERE ${INVOICE_MATCH}
     ORDER BY i.number, ${LINE_ORDER}`,
    (r, prefix): TransactionExportRow => ({
      invoice: formatInvoiceNumber(prefix, Number(r.number)),
      ...toTransaction(r, r.currency),
      currency: r.currency,
    }),
  );
}

// ---------------------------------------------------------------------------------------
// The credit ledger

const CREDIT_ACCOUNT_MATCH = `(:accountId::bigint IS NULL OR c.account_id IN (SELECT id FROM family))`;

/** A credit as the credits view shows it (toCredit), by its id, with when it was recorded. */
export type CreditExportRow = Omit<CreditView, 'id' | 'disbursements'> & { credit: string; createdAt: Date };

export function creditExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<CreditExportRow[]> {
  return familyRows(
    trx, filter, batchSize,
    `SELECT c.*, a.name AS account, ii.number AS issued_number, ri.number AS reversal_number
     FROM credits c
     JOIN accounts a ON a.id = c.account_id
     LEFT JOIN invoices ii ON ii.id = c.issued_invoice_id
     LEFT JOIN invoices ri ON ri.id = c.reversal_invoice_id
     WHERE ${CREDIT_ACCOUNT_MATCH}
       AND (:from::date IS NULL OR c.credit_date >= :from::date)
       AND (:to::date IS NULL OR c.credit_date <= :to::date)
     ORDER BY c.id`,
    (r, prefix): CreditExportRow => {
      const { id, disbursements: _disbursements, ...credit } = toCredit(r, prefix, []);
      return { credit: id, ...credit, createdAt: r.created_at };
    },
  );
}

export interface DisbursementExportRow {
  id: number;
  credit: string;
  account: string;
  invoice: string;
  currency: string;
  amount: string;
  /** What the credit has left to disburse now. */
  creditAmountLeft: string;
  automatic: boolean;
  by: string;
  at: Date;
}

/** Disbursements of the filter's credits, by when they were made (the date range applies to that day, UTC). */
export function disbursementExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<DisbursementExportRow[]> {
  return familyRows(
    trx, filter, batchSize,
    `SELECT d.id, d.credit_id, a.name AS account, i.number, c.currency, d.amount, c.amount_left, d.automatic, d.created_by, d.created_at
     FROM disbursements d
     JOIN credits c ON c.id = d.credit_id
     JOIN accounts a ON a.id = c.account_id
     JOIN invoices i ON i.id = d.invoice_id
     WHERE ${CREDIT_ACCOUNT_MATCH}
       AND (:from::date IS NULL OR d.created_at >= (:from::date)::timestamp AT TIME ZONE 'UTC')
       AND (:to::date IS NULL OR d.created_at < (:to::date + 1)::timestamp AT TIME ZONE 'UTC')
     ORDER BY d.id`,
    (r, prefix): DisbursementExportRow => ({
      id: r.id,
      credit: formatCreditId(r.credit_id),
      account: r.account,
      invoice: formatInvoiceNumber(prefix, Number(r.number)),
      currency: r.currency,
      amount: r.amount,
      creditAmountLeft: r.amount_left,
      automatic: r.automatic,
      by: r.created_by,
      at: r.created_at,
    }),
  );
}

export interface ReversalExportRow {
  credit: string;
  account: string;
  currency: string;
  amount: string;
  reversedAmount: string;
  /** Always zero once reversal is requested: what was not disbursed is no longer available. */
  amountLeft: string;
  status: string;
  issuedInvoice: string | null;
  reversalInvoice: string | null;
  requestedBy: string;
  requestedAt: Date;
  appliedAt: Date | null;
}

/** Credits whose reversal was requested (pending or applied), by when it was requested. */
export function reversalExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<ReversalExportRow[]> {
  return familyRows(
    trx, filter, batchSize,
    `SELECT c.id, a.name AS account, c.currency, c.amount, c.reversed_amount, c.amount_left, c.status,
            ii.number AS issued_number, ri.number AS reversal_number, e.actor, e.at,
            (SELECT min(x.at) FROM credit_events x WHERE x.credit_id = c.id AND x.action = 'reversed') AS applied_at
     FROM credit_events e
     JOIN credits c ON c.id = e.credit_id
     JOIN accounts a ON a.id = c.account_id
     LEFT JOIN invoices ii ON ii.id = c.issued_invoice_id
     LEFT JOIN invoices ri ON ri.id = c.reversal_invoice_id
     WHERE e.action = 'reversal requested' AND ${CREDIT_ACCOUNT_MATCH}
       AND (:from::date IS NULL OR e.at >= (:from::date)::timestamp AT TIME ZONE 'UTC')
       AND (:to::date IS NULL OR e.at < (:to::date + 1)::timestamp AT TIME ZONE 'UTC')
     ORDER BY e.id`,
    (r, prefix): ReversalExportRow => ({
      credit: formatCreditId(r.id),
      account: r.account,
      currency: r.currency,
      amount: r.amount,
      reversedAmount: r.reversed_amount ?? '0',
      amountLeft: r.amount_left,
      status: r.status,
      issuedInvoice: r.issued_number ? formatInvoiceNumber(prefix, Number(r.issued_number)) : null,
      reversalInvoice: r.reversal_number ? formatInvoiceNumber(prefix, Number(r.reversal_number)) : null,
      requestedBy: r.actor,
      requestedAt: r.at,
      appliedAt: r.applied_at ?? null,
    }),
  );
}
