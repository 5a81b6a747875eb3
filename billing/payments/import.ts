import type { Knex } from 'knex';
import { z } from 'zod';
import { invoicePrefix } from '../accounts';
import { analyzeChanged } from '../billRun/statistics';
import { todayIn, type IsoDate } from '../dates';
import { DuplicatePaymentError, InvalidInputError } from '../errors';
import { LOWER_INVOICE_BALANCES } from '../ledger';
import { currency, Money } from '../money';
import type { Clock } from '../billRun/plan';
import { formatPaymentNumber } from './rules';
import {
  ANALYZE_STAGED,
  CHECK_ROWS,
  CREATE_STAGING,
  INSERT_APPLICATIONS,
  INSERT_PAYMENTS,
  INVOICES_PAID,
  LOCK_TARGETS,
  PLAN_APPLICATIONS,
  PLAN_PAYMENTS,
  PLAN_TOTALS,
  STAGE_ROWS,
} from './importSql';

/**
 * A payments import (a payments workbook): many payments at once, checked whole against what
 * is stored and recorded in ONE transaction, all or nothing, with set-based SQL whatever the
 * number of rows (importSql.ts). The rows come in chunks as the caller reads them (a streamed
 * workbook) and go straight into a temporary staging table: nothing holds them all in memory.
 *
 * - The rows of one account with the same reference are one payment (one row per invoice it
 *   pays; its amount is their sum). A row naming an invoice pays it up to its balance; a
 *   payment naming none goes to the account's unpaid invoices oldest due date first (the
 *   rules of ./rules.ts). What is left stays unapplied on the payment.
 * - A payment whose account and reference are stored already is reported as already recorded
 *   and skipped: importing the same file again after a success changes nothing.
 * - Any problem (or any the caller found in the rows' form: `earlierProblems`) means nothing is
 *   written. A dry run checks and plans, and writes nothing either.
 */

/** One row as read (its form checked by the caller): where it came from and its values. */
export interface PaymentImportRow {
  /** The row's number in its sheet: problems point to it, and rows apply in its order. */
  row: number;
  receivedOn: IsoDate;
  account: string;
  /** Exact decimal text above zero. */
  amount: string;
  method: string | null;
  reference: string;
  /** The invoice's number (18 for INV-000018), or null. */
  invoice: number | null;
}

export type PaymentImportField = 'date' | 'account' | 'amount' | 'method' | 'reference' | 'invoice';

export interface PaymentImportProblem {
  row: number;
  field: PaymentImportField;
  value: string;
  expected: string;
}

export interface AlreadyRecordedPayment {
  row: number;
  account: string;
  reference: string;
  /** The stored payment, PM-000001. */
  payment: string;
}

export interface PaymentImportTotal {
  currency: string;
  payments: number;
  amount: string;
  applied: string;
  unapplied: string;
  applications: number;
}

export interface PaymentImportOutcome {
  /** True when the payments were recorded (no problem, not a dry run). */
  applied: boolean;
  /** Rows staged (those whose form was right). */
  rows: number;
  /** Payments recorded (or, before that, to record). */
  payments: number;
  applications: number;
  /** Invoices paid off by them. */
  invoicesPaid: number;
  /** Per currency: the payments' amounts, what is applied and what stays unapplied. */
  totals: PaymentImportTotal[];
  /** Rows whose payment is stored already (skipped), how many and the first few. */
  alreadyRecorded: number;
  alreadyRecordedShown: AlreadyRecordedPayment[];
  /** The problems found here, in row order (at most maxProblems; all are counted). */
  problems: PaymentImportProblem[];
  totalProblems: number;
}

export interface PaymentImportOptions {
  dryRun?: boolean;
  /** Who imports (a Slack user id or a name), recorded on each payment. */
  actor: string;
  maxProblems?: number;
  /** Most already-recorded rows listed (all are counted). */
  maxShown?: number;
}

/** The caller's reader: hands its rows to `write` in chunks, and says how many rows it refused on their form. */
export type PaymentRowFeed = (write: (rows: PaymentImportRow[]) => Promise<void>) => Promise<{ problems: number }>;

const actorSchema = z.string().trim().min(1, 'Say who imports the payments (a Slack user or a name).').max(200);

/** Rows sent in one statement. */
export const STAGE_CHUNK = 5000;

class DryRun {
  constructor(readonly outcome: PaymentImportOutcome) {}
}

/**
 * Stages the rows the feed gives, checks them, and (with no problem, not a dry run) records the
 * payments and their applications; the whole in one transaction of `db` (a savepoint when `db`
 * is a transaction already, as when a held file is confirmed).
 */
export async function importPayments(db: Knex, clock: Clock, options: PaymentImportOptions, feed: PaymentRowFeed): Promise<PaymentImportOutcome> {
  const parsedActor = actorSchema.safeParse(options.actor);
  if (!parsedActor.success) throw new InvalidInputError(parsedActor.error.issues[0].message);
  const actor = parsedActor.data;
  const today = todayIn('UTC', clock.now());
  try {
    return await db.transaction(async (trx) => {
      // Room to sort and hash the staged rows in memory (the checks' windows, the plan's sums).
      await trx.raw(`SET LOCAL work_mem = '64MB'`);
      await trx.raw(CREATE_STAGING);
      let staged = 0;
      const earlier = await feed(async (rows) => {
        staged += rows.length;
        for (let i = 0; i < rows.length; i += STAGE_CHUNK) await stage(trx, rows.slice(i, i + STAGE_CHUNK));
      });
      const willWrite = !options.dryRun && earlier.problems === 0;
      const outcome = await check(trx, staged, today, options, willWrite);
      const write = willWrite && outcome.totalProblems === 0 && outcome.payments > 0;
      if (!write) throw new DryRun(outcome);
      return record(trx, outcome, actor);
    });
  } catch (e) {
    if (e instanceof DryRun) return e.outcome;
    throw e;
  }
}

async function stage(trx: Knex.Transaction, rows: PaymentImportRow[]): Promise<void> {
  if (!rows.length) return;
  await trx.raw(STAGE_ROWS, [
    rows.map((r) => r.row),
    rows.map((r) => r.receivedOn),
    rows.map((r) => r.account),
    rows.map((r) => r.amount),
    rows.map((r) => r.method) as string[],
    rows.map((r) => r.reference),
    rows.map((r) => r.invoice) as number[],
  ]);
}

/** The decimal places of each currency the staged rows' accounts have. */
async function currencyPlaces(trx: Knex.Transaction): Promise<{ codes: string[]; places: number[] }> {
  const { rows } = await trx.raw(
    `SELECT DISTINCT currency FROM payment_import_rows WHERE currency IS NOT NULL`,
  );
  const codes = rows.map((r: { currency: string }) => r.currency.trim());
  return { codes, places: codes.map((c: string) => currency(c).minorUnits) };
}

/**
 * Checks the staged rows; with none wrong, plans the payments. When the import is to write
 * (`lock`), the accounts and invoices it may pay are locked first, in the order every writer
 * of money takes them, so the plan made here, on balances no one else can change now, is
 * the one written.
 */
async function check(trx: Knex.Transaction, staged: number, today: IsoDate, options: PaymentImportOptions, lock: boolean): Promise<PaymentImportOutcome> {
  await trx.raw(ANALYZE_STAGED('payment_import_rows'));
  const prefix = await invoicePrefix(trx);
  await trx.raw(CHECK_ROWS, { ...(await currencyPlaces(trx)), today, prefix });
  const maxProblems = options.maxProblems ?? 1000;
  const problems = await trx.raw(
    `SELECT row_no AS row, field, value, expected FROM payment_import_problems ORDER BY row_no, field LIMIT ?`,
    [maxProblems],
  );
  const counts = await trx.raw(
    `SELECT (SELECT count(*) FROM payment_import_problems)::integer AS problems,
            (SELECT count(*) FROM payment_import_rows WHERE recorded IS NOT NULL)::integer AS recorded`,
  );
  const recorded = await trx.raw(
    `SELECT row_no AS row, account, reference, recorded AS payment FROM payment_import_rows
     WHERE recorded IS NOT NULL ORDER BY row_no LIMIT ?`,
    [options.maxShown ?? 20],
  );
  const outcome: PaymentImportOutcome = {
    applied: false,
    rows: staged,
    payments: 0,
    applications: 0,
    invoicesPaid: 0,
    totals: [],
    alreadyRecorded: counts.rows[0].recorded,
    alreadyRecordedShown: recorded.rows.map((r: any) => ({ row: r.row, account: r.account, reference: r.reference, payment: formatPaymentNumber(Number(r.payment)) })),
    problems: problems.rows,
    totalProblems: counts.rows[0].problems,
  };
  if (outcome.totalProblems > 0) return outcome;
  if (lock) await trx.raw(LOCK_TARGETS);
  return plan(trx, outcome, lock);
}

/** Plans the payments and their applications (nothing stored is written yet). */
async function plan(trx: Knex.Transaction, outcome: PaymentImportOutcome, write: boolean): Promise<PaymentImportOutcome> {
  await trx.raw(PLAN_PAYMENTS);
  await trx.raw(PLAN_APPLICATIONS);
  const exact = (amount: string, code: string) => Money.exact(amount, code.trim()).toString();
  const totals = ((await trx.raw(PLAN_TOTALS)).rows as PaymentImportTotal[]).map((t) => ({
    ...t,
    currency: t.currency.trim(),
    amount: exact(t.amount, t.currency),
    applied: exact(t.applied, t.currency),
    unapplied: exact(t.unapplied, t.currency),
  }));
  // What the write pays off it counts itself (record); a preview counts it here.
  const paid = write ? null : await trx.raw(INVOICES_PAID);
  return {
    ...outcome,
    payments: totals.reduce((n, t) => n + t.payments, 0),
    applications: totals.reduce((n, t) => n + t.applications, 0),
    invoicesPaid: paid ? paid.rows[0].n : 0,
    totals,
  };
}

/**
 * Writes the plan, made under the locks (check): the payments, their applications and the
 * invoices' balances, and the tables' statistics.
 */
async function record(trx: Knex.Transaction, planned: PaymentImportOutcome, actor: string): Promise<PaymentImportOutcome> {
  const payments = await trx.raw(INSERT_PAYMENTS, [actor]).catch((e: { code?: string; constraint?: string }) => {
    if (e?.code === '23505' && e.constraint === 'payments_account_reference_key') {
      throw new DuplicatePaymentError('A payment of this file was recorded meanwhile (the same account and reference); import the file again to skip it.');
    }
    throw e;
  });
  const written = await trx.raw(INSERT_APPLICATIONS(LOWER_INVOICE_BALANCES), [actor]);
  const { applications, invoices, paid } = written.rows[0];
  await analyzeChanged(trx, { payments: payments.rowCount ?? 0, payment_applications: applications, invoices });
  return { ...planned, invoicesPaid: paid, applied: true };
}
