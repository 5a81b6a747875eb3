import type { Knex } from 'knex';
import { dueDateSql } from '../payments/rules';
import type { RunRow } from './plan';

/**
 * How a batch numbers its invoices: it takes the next numbers from the counter (a run, and the
 * first part of a preview), or, in the other parts of a preview, which are rolled back like the
 * first, it numbers them from `offset` above the next number without taking any, so that it
 * need not wait for the first part's counter row (previewReport, report.ts, renumbers them).
 */
export type InvoiceNumbering = { take: true } | { take: false; offset: number };

export const TAKE_NUMBERS: InvoiceNumbering = { take: true };

/** Where a preview's part numbers its invoices: far above any number a run takes. */
export const PREVIEW_PART_NUMBERS = 2 ** 40;

/**
 * Numbers and inserts a batch's new invoices, last thing before its automatic disbursement
 * and commit. Gapless numbers come from the counter row in \`settings\`, updated in the
 * batch's transaction (a rollback gives them back), so a batch holds that row from here to
 * its commit and batches billed at once wait for each other only for this short end.
 */
export async function insertInvoices(
  trx: Knex.Transaction,
  run: RunRow,
  invoices: { id: number; bill_to: number; currency: string; total: string }[],
  numbering: InvoiceNumbering,
): Promise<void> {
  if (invoices.length === 0) return;
  const first = numbering.take
    ? `UPDATE settings SET next_invoice_number = next_invoice_number + :count
       RETURNING next_invoice_number - :count AS first`
    : `SELECT next_invoice_number + :offset AS first FROM settings`;
  await trx.raw(
    `WITH t AS (
       SELECT * FROM unnest(:ids::bigint[], :billTos::bigint[], :currencies::text[], :totals::numeric[]) WITH ORDINALITY
         AS t(invoice_id, bill_to, currency, total, k)
     ),
     numbering AS (${first})
     INSERT INTO invoices (id, number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end,
                           currency, total, balance, status, due_date)
     SELECT t.invoice_id, n.first + t.k - 1, t.bill_to, :run, :invoiceDate::date, :posting::date, :ps::date, :pe::date,
            t.currency, t.total, t.total, CASE WHEN t.total = 0 THEN 'paid' ELSE 'open' END,
            ${dueDateSql(':invoiceDate::date', 'a.payment_terms_days', 'c.payment_terms_days')}
     FROM t CROSS JOIN numbering n
     JOIN accounts a ON a.id = t.bill_to
     LEFT JOIN (SELECT c.payment_terms_days FROM bill_runs r JOIN bill_run_configurations c ON c.id = r.configuration_id WHERE r.id = :run) c ON true
     ORDER BY t.k`,
    {
      ids: invoices.map((i) => i.id),
      billTos: invoices.map((i) => i.bill_to),
      currencies: invoices.map((i) => i.currency),
      totals: invoices.map((i) => i.total),
      count: invoices.length,
      offset: numbering.take ? 0 : numbering.offset,
      run: run.id,
      ps: run.period_start,
      pe: run.period_end,
      posting: run.posting_date,
      invoiceDate: run.invoice_date,
    },
  );
}
