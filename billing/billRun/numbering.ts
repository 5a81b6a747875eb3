import { dueDateSql } from '../payments/rules';

/**
 * How a batch numbers its invoices: it takes the next numbers from the counter (a run, and the
 * first part of a preview), or, in the other parts of a preview, which are rolled back like the
 * first, it numbers them from `offset` above the next number without taking any (each batch
 * after the part's earlier ones), so that it need not wait for the first part's counter row
 * (previewReport, report.ts, renumbers them).
 */
export type InvoiceNumbering = { take: true } | { take: false; offset: number };

export const TAKE_NUMBERS: InvoiceNumbering = { take: true };

/** Where a preview's part numbers its invoices: far above any number a run takes. */
export const PREVIEW_PART_NUMBERS = 2 ** 40;

/**
 * The one place where invoice rows are written: two CTEs of the batch statement (batch.ts),
 * which numbers and inserts its new invoices. They read the statement's `totals` (one row per
 * new invoice: invoice_id, bill_to, currency, total and k, its place in invoicer order) and
 * its `written` (a count that exists once the batch's other rows are written), and the
 * statement's parameters :run, :invoiceDate, :posting, :ps, :pe and :offset.
 *
 * Gapless numbers come from the counter row in `settings`, updated in the batch's transaction
 * (a rollback gives them back), so a batch holds that row from here to its commit. The
 * counter is updated only once `written` is known, that is after the batch's transactions
 * and next bill dates are written: batches billed at once wait for each other only for the
 * short end of the statement (the invoice insert and the checks at its end) and the commit.
 */
export function invoiceWrites(numbering: InvoiceNumbering): string {
  const first = numbering.take
    ? `UPDATE settings SET next_invoice_number = next_invoice_number + c.count
       FROM (SELECT count(*) AS count FROM totals) c, written w
       WHERE w.rows >= 0 AND c.count > 0
       RETURNING next_invoice_number - c.count AS first`
    : // after the numbers this part's earlier batches gave (their highest, by the unique index of numbers)
      `SELECT next_invoice_number + :offset::bigint + COALESCE((
         SELECT max(i.number) + 1 - (s.next_invoice_number + :offset::bigint) FROM invoices i
         WHERE i.number >= s.next_invoice_number + :offset::bigint AND i.number < s.next_invoice_number + :offset::bigint + ${PREVIEW_PART_NUMBERS}
       ), 0) AS first
       FROM settings s, written w WHERE w.rows >= 0`;
  // Materialized: the part's offset is computed once, not once per invoice (as a subquery of
  // the insert's rows it was, in a preview's other part).
  return `numbering AS MATERIALIZED (${first}),
     invoiced AS (
       INSERT INTO invoices (id, number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end,
                             currency, total, balance, status, due_date)
       SELECT t.invoice_id, n.first + t.k - 1, t.bill_to, :run, :invoiceDate::date, :posting::date, :ps::date, :pe::date,
              t.currency, t.total, t.total, CASE WHEN t.total = 0 THEN 'paid' ELSE 'open' END,
              ${dueDateSql(':invoiceDate::date', 'a.payment_terms_days', 'c.payment_terms_days')}
       FROM totals t CROSS JOIN numbering n
       -- A look-up by id per invoice, whatever the estimates: in a preview, whose earlier batches'
       -- rows are in the tables' size but not in their statistics, the planner expected twelve
       -- times the invoices and hashed every account instead (0.28 s of a 0.6 s batch at
       -- 1,000,000 accounts: RESULTS.md, "Session 9").
       CROSS JOIN LATERAL (SELECT a.payment_terms_days FROM accounts a WHERE a.id = t.bill_to LIMIT 1) a
       LEFT JOIN (SELECT c.payment_terms_days FROM bill_runs r JOIN bill_run_configurations c ON c.id = r.configuration_id WHERE r.id = :run) c ON true
       ORDER BY t.k
       RETURNING id, account_id
     )`;
}
