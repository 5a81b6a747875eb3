import { formatInvoiceNumber, invoicePrefix } from '../accounts';
import { parseIsoDate, type IsoDate } from '../dates';
import { Money } from '../money';
import type { Db } from '../db';

/**
 * Receivables as of a day: what each invoicer account owes, by how long it is past due.
 *
 * The rules (README, "Billing decisions"):
 * - an invoice counts from its invoice date; its balance as of a day is its balance now with
 *   every change after that day undone: a payment counts from the day it was received (or,
 *   applied to an invoice made later, from that invoice's date), a credit disbursement and a
 *   payment's reversal from the day they were made (UTC). So an aging "as of" a past day shows
 *   what was owed that day; payments, disbursements and reversals after it do not count.
 * - buckets by whole days past the due date: current (not yet past due: due that day or
 *   later), 1-30, 31-60, 61-90, over 90. Totals per bucket and per currency, never across
 *   currencies; the accounts that owe the most, per currency.
 *
 * One set-based statement over the invoices with a balance (one pass over the invoices table:
 * no index names the balance, so that paying an invoice rewrites it in place, migration 181),
 * so it reads each open invoice once whatever the number of accounts.
 */

export const AGING_BUCKETS = ['current', '1-30', '31-60', '61-90', 'over 90'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

/** The bucket of an invoice that is `daysPastDue` days past its due date (0 or less: current). */
export function agingBucket(daysPastDue: number): AgingBucket {
  if (daysPastDue <= 0) return 'current';
  if (daysPastDue <= 30) return '1-30';
  if (daysPastDue <= 60) return '31-60';
  if (daysPastDue <= 90) return '61-90';
  return 'over 90';
}


/** The most accounts listed per currency as owing the most. */
export const AGING_TOP = 10;

export type BucketAmounts = Record<AgingBucket, string>;

export interface AgingAccount {
  account: string;
  currency: string;
  buckets: BucketAmounts;
  total: string;
  invoices: number;
  /** The earliest due date among its unpaid invoices. */
  oldestDue: IsoDate;
}

export interface AgingTotal {
  currency: string;
  buckets: BucketAmounts;
  total: string;
  accounts: number;
  invoices: number;
}

export interface AgingReport {
  asOf: IsoDate;
  /** One line per currency, by currency code. */
  totals: AgingTotal[];
  /** Per currency, the accounts that owe the most (at most AGING_TOP each), the largest first. */
  top: AgingAccount[];
}

/**
 * The day something was made (a disbursement, a reversal): its UTC date, never after today by
 * billing's clock (so as of today, or later, every balance is the balance now).
 */
export const madeOn = (column: string) => `LEAST((${column} AT TIME ZONE 'UTC')::date, :today::date)`;

/**
 * What moved a balance after the as-of day, as the amount to add back to the balance now:
 * disbursements and payment applications after it (+), reversals of payments after it (-).
 */
const LATER_CHANGES = `
  SELECT d.invoice_id, d.amount AS back FROM disbursements d
  WHERE :asOf::date < :today::date AND ${madeOn('d.created_at')} > :asOf::date
  UNION ALL
  SELECT pa.invoice_id, CASE WHEN pa.kind = 'applied' THEN pa.amount ELSE -pa.amount END
  FROM payment_applications pa
  JOIN payments p ON p.id = pa.payment_id
  JOIN invoices i ON i.id = pa.invoice_id
  WHERE :asOf::date < :today::date
    AND CASE WHEN pa.kind = 'applied' THEN GREATEST(p.received_on, i.invoice_date)
             ELSE GREATEST(${madeOn('p.reversed_at')}, p.received_on, i.invoice_date) END > :asOf::date`;

/**
 * The unpaid invoices as of the day (account, currency, due date, balance then): those with a
 * balance now, and those paid since the day. `accountFilter` narrows to one account.
 */
export function openInvoicesAsOf(accountFilter = ''): string {
  return `
  undo AS (SELECT invoice_id, sum(back) AS back FROM (${LATER_CHANGES}) later GROUP BY invoice_id),
  open AS (
    SELECT i.id, i.number, i.account_id, i.currency, i.invoice_date, i.due_date, i.total, i.balance + COALESCE(u.back, 0) AS balance
    FROM invoices i LEFT JOIN undo u ON u.invoice_id = i.id
    WHERE i.balance > 0 AND i.invoice_date <= :asOf::date ${accountFilter}
    UNION ALL
    SELECT i.id, i.number, i.account_id, i.currency, i.invoice_date, i.due_date, i.total, u.back
    FROM undo u JOIN invoices i ON i.id = u.invoice_id
    WHERE i.balance = 0 AND u.back > 0 AND i.invoice_date <= :asOf::date ${accountFilter}
  )`;
}

/** The sums of one group of invoices: the balance in each bucket (by due date against the day), the total, how many, the oldest due date. */
const SUMS = (balance: string, due: string) => `
  COALESCE(sum(${balance}) FILTER (WHERE ${due} >= :asOf::date), 0) AS b0,
  COALESCE(sum(${balance}) FILTER (WHERE ${due} < :asOf::date AND ${due} >= :asOf::date - 30), 0) AS b1,
  COALESCE(sum(${balance}) FILTER (WHERE ${due} < :asOf::date - 30 AND ${due} >= :asOf::date - 60), 0) AS b2,
  COALESCE(sum(${balance}) FILTER (WHERE ${due} < :asOf::date - 60 AND ${due} >= :asOf::date - 90), 0) AS b3,
  COALESCE(sum(${balance}) FILTER (WHERE ${due} < :asOf::date - 90), 0) AS b4,
  sum(${balance}) AS total, count(*) AS invoices, min(${due}) AS oldest_due`;

/**
 * Per account and currency, the sums as of the day: the invoices no later change touched are
 * summed straight from the table (one pass over the invoices), the
 * few that a later change touched with their balance of that day; then the two are added up.
 */
function perAccount(past: boolean): string {
  if (!past) {
    // As of today (or later) nothing came after the day: the balances now are the balances then.
    return `per_account AS (
      SELECT i.account_id, i.currency, ${SUMS('i.balance', 'i.due_date')}
      FROM invoices i WHERE i.balance > 0 AND i.invoice_date <= :asOf::date
      GROUP BY i.account_id, i.currency
    )`;
  }
  return `
  undo AS (SELECT invoice_id, sum(back) AS back FROM (${LATER_CHANGES}) later GROUP BY invoice_id),
  untouched AS (
    SELECT i.account_id, i.currency, ${SUMS('i.balance', 'i.due_date')}
    FROM invoices i
    WHERE i.balance > 0 AND i.invoice_date <= :asOf::date AND NOT EXISTS (SELECT 1 FROM undo u WHERE u.invoice_id = i.id)
    GROUP BY i.account_id, i.currency
  ),
  touched AS (
    SELECT i.account_id, i.currency, ${SUMS('i.balance + u.back', 'i.due_date')}
    FROM undo u JOIN invoices i ON i.id = u.invoice_id
    WHERE i.invoice_date <= :asOf::date AND i.balance + u.back > 0
    GROUP BY i.account_id, i.currency
  ),
  per_account AS (
    SELECT account_id, currency, sum(b0) AS b0, sum(b1) AS b1, sum(b2) AS b2, sum(b3) AS b3, sum(b4) AS b4,
           sum(total) AS total, sum(invoices) AS invoices, min(oldest_due) AS oldest_due
    FROM (SELECT * FROM untouched UNION ALL SELECT * FROM touched) parts
    GROUP BY account_id, currency
  )`;
}

function buckets(r: any, currency: string): BucketAmounts {
  const amounts = [r.b0, r.b1, r.b2, r.b3, r.b4].map((v: string) => Money.exact(v, currency).toString());
  return Object.fromEntries(AGING_BUCKETS.map((b, i) => [b, amounts[i]])) as BucketAmounts;
}

function toAccount(r: any): AgingAccount {
  return {
    account: r.name,
    currency: r.currency,
    buckets: buckets(r, r.currency),
    total: Money.exact(r.total, r.currency).toString(),
    invoices: Number(r.invoices),
    oldestDue: r.oldest_due,
  };
}

/**
 * Runs a read that aggregates every open invoice with enough memory for its hash tables
 * (100,000 accounts' groups; PostgreSQL's default 4 MB spills them to disk, twice as slow).
 */
function withAggregateMemory<T>(db: Db, read: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw(`SET LOCAL work_mem = '${AGGREGATE_WORK_MEM}'`);
    return read(trx);
  });
}

const AGGREGATE_WORK_MEM = '64MB';

/** The aging report as of a day (default: today, UTC, as the door passes it). */
export async function agingReport(db: Db, asOfText: string, today: IsoDate): Promise<AgingReport> {
  const asOf = parseIsoDate(asOfText);
  const { rows } = await withAggregateMemory(db, (trx) => trx.raw(
    `WITH ${perAccount(asOf < today)},
     ranked AS (SELECT *, row_number() OVER (PARTITION BY currency ORDER BY total DESC, account_id) AS rank FROM per_account)
     SELECT 'total' AS line, currency, NULL AS name, sum(b0) AS b0, sum(b1) AS b1, sum(b2) AS b2, sum(b3) AS b3, sum(b4) AS b4,
            sum(total) AS total, sum(invoices) AS invoices, count(*) AS accounts, min(oldest_due) AS oldest_due, 0 AS rank
     FROM per_account GROUP BY currency
     UNION ALL
     SELECT 'top', r.currency, a.name, r.b0, r.b1, r.b2, r.b3, r.b4, r.total, r.invoices, 1, r.oldest_due, r.rank
     FROM ranked r JOIN accounts a ON a.id = r.account_id
     WHERE r.rank <= ${AGING_TOP}
     ORDER BY currency, line DESC, rank`,
    { asOf, today },
  ));
  const totals: AgingTotal[] = [];
  const top: AgingAccount[] = [];
  for (const r of rows) {
    if (r.line === 'total') {
      totals.push({ currency: r.currency, buckets: buckets(r, r.currency), total: Money.exact(r.total, r.currency).toString(), accounts: Number(r.accounts), invoices: Number(r.invoices) });
    } else {
      top.push(toAccount(r));
    }
  }
  return { asOf, totals, top };
}

/** Every account that owes something as of the day, by currency then the largest total first (the aging workbook). */
export async function agingAccounts(db: Db, asOfText: string, today: IsoDate): Promise<AgingAccount[]> {
  const asOf = parseIsoDate(asOfText);
  const { rows } = await withAggregateMemory(db, (trx) => trx.raw(
    `WITH ${perAccount(asOf < today)}
     SELECT a.name, p.* FROM per_account p JOIN accounts a ON a.id = p.account_id
     ORDER BY p.currency, p.total DESC, a.name`,
    { asOf, today },
  ));
  return rows.map(toAccount);
}

export interface OverdueInvoice {
  /** As people see it, e.g. INV-000018. */
  number: string;
  account: string;
  currency: string;
  dueDate: IsoDate;
  balance: string;
  daysPastDue: number;
}

/**
 * The invoices that became overdue after `since` and by `asOf` (due on or after `since`,
 * before `asOf`) and still have a balance as of `asOf`, the oldest due date first; at most
 * `limit`, and how many in all. Without `since`, every invoice overdue as of the day.
 */
export async function newlyOverdue(
  db: Db,
  since: IsoDate | null,
  asOfText: string,
  today: IsoDate,
  limit: number,
): Promise<{ count: number; invoices: OverdueInvoice[] }> {
  const asOf = parseIsoDate(asOfText);
  const { rows } = await db.raw(
    `WITH ${openInvoicesAsOf()},
     due AS (SELECT * FROM open WHERE balance > 0 AND due_date < :asOf::date AND (:since::date IS NULL OR due_date >= :since::date))
     SELECT d.number, a.name AS account, d.currency, d.due_date, d.balance::text AS balance, :asOf::date - d.due_date AS days,
            count(*) OVER () AS count
     FROM due d JOIN accounts a ON a.id = d.account_id
     ORDER BY d.due_date, d.number LIMIT :limit`,
    { asOf, today, since, limit },
  );
  const prefix = rows.length ? await invoicePrefix(db) : '';
  return {
    count: Number(rows[0]?.count ?? 0),
    invoices: rows.map((r: any) => ({
      number: formatInvoiceNumber(prefix, Number(r.number)),
      account: r.account,
      currency: r.currency,
      dueDate: r.due_date,
      balance: Money.exact(r.balance, r.currency).toString(),
      daysPastDue: Number(r.days),
    })),
  };
}
