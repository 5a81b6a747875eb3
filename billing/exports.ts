import type { Knex } from 'knex';
import { z } from 'zod';
import { findAccount, formatInvoiceNumber, invoicePrefix } from './accounts';
import { isoDateSchema } from './dates';
import { InvalidInputError } from './errors';
import { formatCreditId, LINE_ORDER, toInvoice, toTransaction, type InvoiceView } from './invoices';
import { toCredit, type CreditView } from './credits';
import { formatPeriodText } from './setup';
import { firstIssue, nameSchema, PeriodRule } from './schemas';

/**
 * Reads for exports, streamed in batches through a server-side cursor, so that 100,000
 * invoices never sit in memory at once (the next batch is fetched while the caller works on
 * the current one). Every read of one export runs inside `withExportSnapshot`: one
 * read-only, repeatable-read transaction, so all batches and sheets show the same moment.
 *
 * Amounts are returned as the exact decimal text stored (numeric), dates as 'YYYY-MM-DD'
 * and moments as Date.
 */

type Tx = Knex.Transaction;

export const DEFAULT_BATCH_SIZE = 2000;

/** Runs the reads of one export in one consistent, read-only snapshot. */
export async function withExportSnapshot<T>(db: Knex, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(
    async (trx) => {
      // Exports read every row of their cursors: plan for that, not for the first rows.
      await trx.raw('SET LOCAL cursor_tuple_fraction = 1.0');
      return fn(trx);
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

let cursors = 0;

/** The rows of a query, a batch at a time, through a cursor of the snapshot's transaction. */
async function* cursorBatches(trx: Tx, sql: string, bindings: Knex.RawBinding[] | Record<string, unknown>, batchSize: number): AsyncGenerator<any[]> {
  const size = Math.max(1, Math.floor(batchSize));
  const name = `billbot_export_${++cursors}`;
  await trx.raw(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, bindings as Knex.RawBinding[]);
  const fetch = async (): Promise<any[]> => (await trx.raw(`FETCH ${size} FROM ${name}`)).rows;
  let next: Promise<any[]> | null = fetch();
  try {
    while (next) {
      const rows: any[] = await next;
      next = rows.length === size ? fetch() : null;
      if (rows.length) yield rows;
    }
  } finally {
    if (next) await next.catch(() => []);
    await trx.raw(`CLOSE ${name}`).catch(() => undefined);
  }
}

async function* mapBatches<U>(source: AsyncGenerator<any[]>, map: (row: any) => U): AsyncGenerator<U[]> {
  for await (const batch of source) yield batch.map(map);
}

// ---------------------------------------------------------------------------------------
// Setup (what the setup workbook holds)

export interface AccountExportRow {
  name: string;
  displayName: string | null;
  currency: string;
  status: string;
  billGroup: string;
  billDay: number;
  parent: string | null;
  invoiceTo: string | null;
}

export function accountExportRows(trx: Tx, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<AccountExportRow[]> {
  return mapBatches(
    cursorBatches(
      trx,
      `SELECT a.name, a.display_name, a.currency, a.status, g.name AS bill_group, a.bill_day, p.name AS parent, i.name AS invoicer
       FROM accounts a
       JOIN bill_groups g ON g.id = a.bill_group_id
       LEFT JOIN accounts p ON p.id = a.parent_id
       LEFT JOIN accounts i ON i.id = a.invoicer_id
       ORDER BY a.id`,
      [],
      batchSize,
    ),
    (r) => ({
      name: r.name,
      displayName: r.display_name,
      currency: r.currency,
      status: r.status,
      billGroup: r.bill_group,
      billDay: r.bill_day,
      parent: r.parent,
      invoiceTo: r.invoicer,
    }),
  );
}

export interface PackageServiceExportRow {
  package: string;
  currency: string;
  frequency: string;
  status: string;
  service: string;
  price: string;
}

export function packageServiceExportRows(trx: Tx, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<PackageServiceExportRow[]> {
  return mapBatches(
    cursorBatches(
      trx,
      `SELECT p.name AS package, p.currency, p.frequency, p.status, s.name AS service, s.price
       FROM services s JOIN packages p ON p.id = s.package_id
       ORDER BY p.id, s.id`,
      [],
      batchSize,
    ),
    (r) => ({ package: r.package, currency: r.currency, frequency: r.frequency, status: r.status, service: r.service, price: r.price }),
  );
}

export interface AccountPackageExportRow {
  account: string;
  package: string;
  quantity: number;
  status: string;
  effectiveDate: string;
  nextBillDate: string;
  cancelDate: string | null;
}

/** Per account and package, the live account package, else the most recent cancelled one (what a setup row matches). */
export function accountPackageExportRows(trx: Tx, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<AccountPackageExportRow[]> {
  return mapBatches(
    cursorBatches(
      trx,
      `SELECT a.name AS account, p.name AS package, ap.quantity, ap.status, ap.effective_date, ap.next_bill_date, ap.cancel_date
       FROM account_packages ap
       JOIN accounts a ON a.id = ap.account_id
       JOIN packages p ON p.id = ap.package_id
       WHERE NOT EXISTS (
         SELECT 1 FROM account_packages b
         WHERE b.account_id = ap.account_id AND b.package_id = ap.package_id AND b.id <> ap.id
           AND ((b.status <> 'cancelled') > (ap.status <> 'cancelled')
                OR ((b.status <> 'cancelled') = (ap.status <> 'cancelled') AND b.id > ap.id)))
       ORDER BY ap.id`,
      [],
      batchSize,
    ),
    (r) => ({
      account: r.account,
      package: r.package,
      quantity: r.quantity,
      status: r.status,
      effectiveDate: r.effective_date,
      nextBillDate: r.next_bill_date,
      cancelDate: r.cancel_date,
    }),
  );
}

export interface ConfigurationExportRow {
  name: string;
  billPackages: boolean;
  generateInvoice: boolean;
  /** As a setup row writes it: "current month", "previous month" or "2026-09-01 to 2026-09-30". */
  period: string;
  billGroups: string[];
  schedule: string | null;
  timeZone: string;
  reportChannel: string | null;
}

export async function configurationExportRows(trx: Tx): Promise<ConfigurationExportRow[]> {
  const rows = await trx('bill_run_configurations as c')
    .leftJoin('bill_run_configuration_groups as cg', 'cg.configuration_id', 'c.id')
    .leftJoin('bill_groups as g', 'g.id', 'cg.bill_group_id')
    .groupBy('c.id')
    .orderBy('c.id')
    .select('c.*', trx.raw(`coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), '{}') AS groups`));
  return rows.map((r: any) => ({
    name: r.name,
    billPackages: r.bill_packages,
    generateInvoice: r.generate_invoice,
    period: formatPeriodText(r.period_rule as PeriodRule, r.period_start, r.period_end),
    billGroups: r.groups,
    schedule: r.schedule,
    timeZone: r.time_zone,
    reportChannel: r.report_channel,
  }));
}

// ---------------------------------------------------------------------------------------
// Invoices and their transactions

export const invoiceExportFilterSchema = z
  .object({
    /** The account and every account that invoices to it (down the invoicer chains). */
    account: nameSchema.nullish(),
    from: isoDateSchema.nullish(),
    to: isoDateSchema.nullish(),
    billRunId: z.number({ message: 'A bill run is a number such as 12.' }).int('A bill run is a number such as 12.').positive('A bill run is a number such as 12.').nullish(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'The "from" date must not be after the "to" date.' });
export type InvoiceExportFilter = z.input<typeof invoiceExportFilterSchema>;

export const creditExportFilterSchema = z
  .object({
    account: nameSchema.nullish(),
    from: isoDateSchema.nullish(),
    to: isoDateSchema.nullish(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'The "from" date must not be after the "to" date.' });
export type CreditExportFilter = z.input<typeof creditExportFilterSchema>;

export interface ResolvedFilter {
  accountId: number | null;
  from: string | null;
  to: string | null;
  billRunId: number | null;
}

/** Checks an export filter and finds its account (an unknown name is refused with close matches). */
export async function resolveInvoiceFilter(trx: Tx, filter: InvoiceExportFilter): Promise<ResolvedFilter> {
  const parsed = invoiceExportFilterSchema.safeParse(filter);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  const f = parsed.data;
  const accountId = f.account ? (await findAccount(trx, f.account)).id : null;
  return { accountId, from: f.from ?? null, to: f.to ?? null, billRunId: f.billRunId ?? null };
}

export async function resolveCreditFilter(trx: Tx, filter: CreditExportFilter): Promise<ResolvedFilter> {
  const parsed = creditExportFilterSchema.safeParse(filter);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  const f = parsed.data;
  const accountId = f.account ? (await findAccount(trx, f.account)).id : null;
  return { accountId, from: f.from ?? null, to: f.to ?? null, billRunId: null };
}

/** The account and every account whose invoicer chain leads to it, as a CTE named family. */
const FAMILY = `family(id) AS (
  SELECT :accountId::bigint WHERE :accountId::bigint IS NOT NULL
  UNION
  SELECT a.id FROM accounts a JOIN family f ON a.invoicer_id = f.id
)`;

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

export async function* invoiceExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<InvoiceExportRow[]> {
  const prefix = await invoicePrefix(trx);
  yield* mapBatches(
    cursorBatches(
      trx,
      `WITH RECURSIVE ${FAMILY}
       SELECT i.number, a.name AS invoicer, i.bill_run_id, i.invoice_date, i.posting_date, i.period_start, i.period_end,
              i.currency, i.total, i.balance, i.status
       FROM invoices i JOIN accounts a ON a.id = i.account_id
       WHERE ${INVOICE_MATCH}
       ORDER BY i.number`,
      { ...filter },
      batchSize,
    ),
    (r): InvoiceExportRow => {
      const { id: _id, ...row } = toInvoice(prefix, r);
      return row;
    },
  );
}

export interface TransactionExportRow {
  invoice: string;
  account: string;
  kind: string;
  package: string | null;
  service: string | null;
  credit: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  quantity: number;
  amount: string;
  currency: string;
  postingDate: string;
}

/** The transactions on the invoices the filter includes, by invoice number. */
export async function* transactionExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<TransactionExportRow[]> {
  const prefix = await invoicePrefix(trx);
  yield* mapBatches(
    cursorBatches(
      trx,
      `WITH RECURSIVE ${FAMILY}
       SELECT i.number, a.name AS account, t.kind, p.name AS package, s.name AS service, t.credit_id,
              t.period_start, t.period_end, t.quantity, t.amount, i.currency, t.posting_date
       FROM invoices i
       JOIN transactions t ON t.invoice_id = i.id
       JOIN accounts a ON a.id = t.account_id
       LEFT JOIN account_packages ap ON ap.id = t.account_package_id
       LEFT JOIN packages p ON p.id = ap.package_id
       LEFT JOIN services s ON s.id = t.service_id
       WHERE ${INVOICE_MATCH}
       ORDER BY i.number, ${LINE_ORDER}`,
      { ...filter },
      batchSize,
    ),
    (r): TransactionExportRow => ({
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

export async function* creditExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<CreditExportRow[]> {
  const prefix = await invoicePrefix(trx);
  yield* mapBatches(
    cursorBatches(
      trx,
      `WITH RECURSIVE ${FAMILY}
       SELECT c.*, a.name AS account, ii.number AS issued_number, ri.number AS reversal_number
       FROM credits c
       JOIN accounts a ON a.id = c.account_id
       LEFT JOIN invoices ii ON ii.id = c.issued_invoice_id
       LEFT JOIN invoices ri ON ri.id = c.reversal_invoice_id
       WHERE ${CREDIT_ACCOUNT_MATCH}
         AND (:from::date IS NULL OR c.credit_date >= :from::date)
         AND (:to::date IS NULL OR c.credit_date <= :to::date)
       ORDER BY c.id`,
      { ...filter },
      batchSize,
    ),
    (r): CreditExportRow => {
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
export async function* disbursementExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<DisbursementExportRow[]> {
  const prefix = await invoicePrefix(trx);
  yield* mapBatches(
    cursorBatches(
      trx,
      `WITH RECURSIVE ${FAMILY}
       SELECT d.id, d.credit_id, a.name AS account, i.number, c.currency, d.amount, c.amount_left, d.automatic, d.created_by, d.created_at
       FROM disbursements d
       JOIN credits c ON c.id = d.credit_id
       JOIN accounts a ON a.id = c.account_id
       JOIN invoices i ON i.id = d.invoice_id
       WHERE ${CREDIT_ACCOUNT_MATCH}
         AND (:from::date IS NULL OR d.created_at >= (:from::date)::timestamp AT TIME ZONE 'UTC')
         AND (:to::date IS NULL OR d.created_at < (:to::date + 1)::timestamp AT TIME ZONE 'UTC')
       ORDER BY d.id`,
      { ...filter },
      batchSize,
    ),
    (r): DisbursementExportRow => ({
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
export async function* reversalExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<ReversalExportRow[]> {
  const prefix = await invoicePrefix(trx);
  yield* mapBatches(
    cursorBatches(
      trx,
      `WITH RECURSIVE ${FAMILY}
       SELECT c.id, a.name AS account, c.currency, c.amount, c.reversed_amount, c.amount_left, c.status,
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
      { ...filter },
      batchSize,
    ),
    (r): ReversalExportRow => ({
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
