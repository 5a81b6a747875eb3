import type { Knex } from 'knex';
import { disburseAutomatically } from '../ledger';
import { applyUnappliedPayments } from '../payments/ledger';
import { invoiceWrites, type InvoiceNumbering } from './numbering';
import type { RunRow } from './plan';

/**
 * The batch statement: what bills one batch of invoicer families, set-based, in one statement
 * of the batch's one transaction (charges, skips, invoices with their credits and reversals),
 * then the automatic disbursements. Invoices are numbered and written by numbering.ts's part
 * of the statement.
 */

/**
 * The accounts a batch's statement works on, as its parallel arrays (unnest), each in
 * PostgreSQL's text form: they go from one statement to the next without being read into
 * JavaScript values and written back (at 100,000 accounts that was a third of the CLI's CPU).
 */
interface BatchAccounts {
  accounts: string;
  billTos: string;
  billed: string;
  statuses: string;
  currencies: string;
}

/**
 * The accounts of a batch and their invoicers, each invoicer's row locked (in id order), in
 * one statement, before the batch statement reads any money (its snapshot is taken after the
 * locks are held): the accounts this batch bills (`billed`), and each invoicer not billed
 * itself, whose credits and pending reversals still go on its own invoice; with the invoicer,
 * status and invoicer's currency of each, so that the batch statement need not read accounts.
 */
async function lockFamilies(trx: Knex.Transaction, batchNo: number, runId: number): Promise<BatchAccounts> {
  const { rows: [members] } = await trx.raw(
    // Who each account invoices to, following invoicer links to the end: look-ups by id (= ANY,
    // and LIMIT 1 for each step up), so that the cost follows the batch and not the number of
    // accounts (a hash join would read every account for every batch).
    `WITH RECURSIVE up(account_id, status, cur, next, currency, depth) AS (
       SELECT a.id, a.status, a.id, a.invoicer_id, a.currency, 0 FROM accounts a
       WHERE a.id = ANY((SELECT b.account_ids FROM bill_run_batches b WHERE b.bill_run_id = :run AND b.batch_no = :batch)::bigint[])
       UNION ALL
       SELECT up.account_id, up.status, i.id, i.invoicer_id, i.currency, up.depth + 1
       FROM up CROSS JOIN LATERAL (SELECT i.id, i.invoicer_id, i.currency FROM accounts i WHERE i.id = up.next LIMIT 1) i
       WHERE up.depth < 100
     ),
     family AS MATERIALIZED (SELECT account_id, status, cur AS bill_to, currency FROM up WHERE next IS NULL),
     -- Every write that touches an invoicer's money takes the invoicer's row lock first, in id
     -- order: two runs (or a run and a disbursement) for one family wait for each other.
     locked AS MATERIALIZED (
       SELECT a.id, a.currency FROM accounts a WHERE a.id IN (SELECT bill_to FROM family) ORDER BY a.id FOR UPDATE OF a
     ),
     members AS (
       SELECT account_id, bill_to, true AS billed, status, currency FROM family
       UNION ALL
       SELECT l.id, l.id, false, NULL, l.currency FROM locked l
       WHERE NOT EXISTS (SELECT 1 FROM family WHERE account_id = l.id)
     )
     SELECT array_agg(account_id)::text AS accounts, array_agg(bill_to)::text AS "billTos", array_agg(billed)::text AS billed,
            array_agg(status)::text AS statuses, array_agg(currency)::text AS currencies
     FROM members`,
    { run: runId, batch: batchNo },
  );
  return members;
}

/**
 * One statement does the batch, so that each row is written once and in its final form:
 * the charges (and reversed credits) are inserted already on their invoice, whose id is drawn
 * from the sequence first (one per invoicer with anything to invoice), and the invoices are
 * numbered and inserted last (numbering.ts), with their totals, in the same statement. The
 * keys of the rows written are checked at the end of the statement (migrations 120 and 160),
 * when every row it writes exists.
 * Every part sees the snapshot from before the statement: the skips see next_bill_date as
 * found, and the earlier uninvoiced transactions picked up are only those from before.
 */
const batchStatement = (numbering: InvoiceNumbering): string => `WITH m AS MATERIALIZED (
       SELECT * FROM unnest(:accounts::bigint[], :billTos::bigint[], :billed::boolean[], :statuses::text[], :currencies::text[])
         AS m(account_id, bill_to, billed, status, currency)
     ),
     due AS MATERIALIZED (
       SELECT ap.id, ap.account_id, m.bill_to, m.currency, ap.package_id, ap.quantity, ap.next_bill_date, ap.anchor_day,
              ap.cancel_date, f.months,
              -- the last period (counting from 0) that can start by the end of the billing period
              ((extract(year FROM :pe::date) - extract(year FROM ap.next_bill_date)) * 12
                + extract(month FROM :pe::date) - extract(month FROM ap.next_bill_date))::int / f.months AS last_k
       FROM m
       JOIN account_packages ap ON ap.account_id = m.account_id
       JOIN packages p ON p.id = ap.package_id
       CROSS JOIN LATERAL (
         SELECT CASE p.frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 WHEN 'semiannual' THEN 6 ELSE 12 END AS months
       ) f
       WHERE :billPackages AND m.billed AND ap.status = 'active' AND m.status = 'active'
         AND ap.next_bill_date BETWEEN :ps::date AND :pe::date
         AND (ap.cancel_date IS NULL OR ap.next_bill_date < ap.cancel_date)
     ),
     -- Each due package's first period and, when catching up, the missed periods after it (a
     -- series is generated only for those).
     periods AS (
       SELECT due.*, 0 AS k FROM due
       UNION ALL
       SELECT due.*, k FROM due CROSS JOIN LATERAL generate_series(1, due.last_k) AS k WHERE due.last_k >= 1
     ),
     billable AS MATERIALIZED (
       SELECT periods.*, d.period_start, d.next_date
       FROM periods
       CROSS JOIN LATERAL (
         SELECT billbot_add_months(periods.next_bill_date, periods.k * periods.months, periods.anchor_day) AS period_start,
                billbot_add_months(periods.next_bill_date, (periods.k + 1) * periods.months, periods.anchor_day) AS next_date
       ) d
       WHERE d.period_start <= :pe::date AND (periods.cancel_date IS NULL OR d.period_start < periods.cancel_date)
     ),
     -- One charge per service and period. A period charged already (its next bill date was
     -- moved back by hand) is not charged again: found by an index look-up per charge
     -- (transactions_charge_once, which also refuses any duplicate outright).
     lines AS MATERIALIZED (
       SELECT b.account_id, b.bill_to, b.currency, b.id AS account_package_id, s.id AS service_id, b.period_start, b.next_date - 1 AS period_end,
              b.quantity, COALESCE(o.price, s.price) * b.quantity AS amount
       FROM billable b
       JOIN services s ON s.package_id = b.package_id
       LEFT JOIN service_price_overrides o ON o.account_package_id = b.id AND o.service_id = s.id
       LEFT JOIN LATERAL (
         SELECT true AS found FROM transactions t
         WHERE t.account_package_id = b.id AND t.service_id = s.id AND t.period_start = b.period_start AND t.kind = 'charge'
         LIMIT 1
       ) charged_before ON true
       WHERE charged_before.found IS NULL
     ),
     reversing AS MATERIALIZED (
       SELECT c.id AS credit_id, c.account_id, m.bill_to, m.currency, c.reversed_amount AS amount
       FROM m JOIN credits c ON c.account_id = m.account_id
       WHERE :generateInvoice AND c.status = 'reversal pending'
         AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.credit_id = c.id AND t.kind = 'reversed credit')
     ),
     waiting AS MATERIALIZED (
       SELECT t.id, m.bill_to, m.currency
       FROM m JOIN transactions t ON t.account_id = m.account_id
       WHERE :generateInvoice AND t.invoice_id IS NULL AND (m.billed OR t.kind = 'reversed credit')
     ),
     new_invoices AS MATERIALIZED (
       SELECT bill_to, currency, nextval('invoices_id_seq') AS invoice_id
       FROM (SELECT bill_to, currency FROM lines UNION SELECT bill_to, currency FROM reversing UNION SELECT bill_to, currency FROM waiting) x
       WHERE :generateInvoice
     ),
     -- The charges and the reversed credits, in one insert, in no particular order (readers
     -- sort lines with LINE_ORDER, invoices.ts). Every line is inserted, or the statement fails.
     inserted AS (
       INSERT INTO transactions (kind, account_id, account_package_id, service_id, credit_id, period_start, period_end,
                                 quantity, amount, posting_date, bill_run_id, invoice_id)
       SELECT x.kind, x.account_id, x.account_package_id, x.service_id, x.credit_id, x.period_start, x.period_end,
              x.quantity, x.amount, :posting::date, :run, x.invoice_id
       FROM (
         SELECT 'charge' AS kind, l.account_id, l.account_package_id, l.service_id, NULL::bigint AS credit_id,
                l.period_start, l.period_end, l.quantity, l.amount, i.invoice_id
         FROM lines l LEFT JOIN new_invoices i ON i.bill_to = l.bill_to
         UNION ALL
         SELECT 'reversed credit', r.account_id, NULL, NULL, r.credit_id, NULL, NULL, 1, r.amount, i.invoice_id
         FROM reversing r JOIN new_invoices i ON i.bill_to = r.bill_to
       ) x
       RETURNING 1
     ),
     picked_up AS (
       UPDATE transactions t SET invoice_id = i.invoice_id
       FROM waiting w JOIN new_invoices i ON i.bill_to = w.bill_to
       WHERE t.id = w.id AND t.invoice_id IS NULL
       RETURNING t.invoice_id, t.amount, CASE WHEN t.kind = 'reversed credit' THEN t.credit_id END AS credit_id
     ),
     -- Each new invoice's total: its charges and reversed credits (all inserted above) and the
     -- earlier transactions it picked up. An invoice id that got no line is not used.
     totals AS MATERIALIZED (
       SELECT i.invoice_id, i.bill_to, i.currency, x.total, row_number() OVER (ORDER BY i.bill_to) AS k
       FROM (
         SELECT invoice_id, sum(amount) AS total
         FROM (
           SELECT i.invoice_id, c.amount
           FROM (
             SELECT bill_to, sum(amount) AS amount
             FROM (SELECT bill_to, amount FROM lines UNION ALL SELECT bill_to, amount FROM reversing) l
             GROUP BY bill_to
           ) c
           JOIN new_invoices i ON i.bill_to = c.bill_to
           UNION ALL SELECT invoice_id, amount FROM picked_up
         ) y
         GROUP BY invoice_id
       ) x
       JOIN new_invoices i ON i.invoice_id = x.invoice_id
     ),
     moved AS (
       UPDATE account_packages ap SET next_bill_date = x.next_date
       FROM (SELECT id, max(next_date) AS next_date FROM billable GROUP BY id) x
       WHERE ap.id = x.id
       RETURNING 1
     ),
     -- Known once the transactions and next bill dates are written: the invoices' numbers are
     -- taken after it.
     written AS (SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM moved) AS rows),
     ${invoiceWrites(numbering)},
     -- Every other package of the billed accounts is reported as skipped, with its reason.
     skipped AS (
       INSERT INTO bill_run_skips (bill_run_id, account_package_id, reason, next_bill_date)
       SELECT :run, ap.id,
         CASE
           WHEN m.status <> 'active' THEN 'account ' || m.status
           WHEN ap.status <> 'active' THEN 'package ' || ap.status
           WHEN earlier.billed THEN 'already billed'
           WHEN ap.cancel_date IS NOT NULL AND ap.next_bill_date >= ap.cancel_date THEN 'ended'
           WHEN ap.next_bill_date > :pe::date THEN 'not due'
           ELSE 'before period'
         END,
         ap.next_bill_date
       FROM m
       JOIN account_packages ap ON ap.account_id = m.account_id
       -- A look-up per skipped package (transactions_charge_once), not a scan of every charge of the period.
       LEFT JOIN LATERAL (
         SELECT true AS billed FROM transactions t
         WHERE t.account_package_id = ap.id AND t.kind = 'charge' AND t.period_start BETWEEN :ps::date AND :pe::date
         LIMIT 1
       ) earlier ON true
       WHERE :billPackages AND m.billed AND ap.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM billable b WHERE b.id = ap.id)
       ON CONFLICT DO NOTHING
     ),
     -- Each unissued credit of these accounts and their invoicers goes on the invoicer's new invoice.
     issued AS (
       UPDATE credits c SET status = 'issued', issued_invoice_id = t.invoice_id, amount_left = c.amount
       FROM m JOIN totals t ON t.bill_to = m.bill_to
       WHERE c.account_id = m.account_id AND c.status = 'unissued'
       RETURNING c.id, c.auto_disburse, c.amount, t.invoice_id
     ),
     issued_events AS (
       INSERT INTO credit_events (credit_id, action, actor, before, after)
       SELECT id, 'issued', :actor, jsonb_build_object('status', 'unissued'),
              jsonb_build_object('status', 'issued', 'issued_invoice_id', invoice_id, 'amount_left', amount::text)
       FROM issued
     ),
     -- A pending reversal whose line is on a new invoice is now reversed.
     reversal_done AS (
       UPDATE credits c SET status = 'reversed', reversal_invoice_id = l.invoice_id
       FROM (
         SELECT r.credit_id, i.invoice_id FROM reversing r JOIN new_invoices i ON i.bill_to = r.bill_to
         UNION ALL SELECT credit_id, invoice_id FROM picked_up
       ) l
       WHERE l.credit_id = c.id AND c.status = 'reversal pending'
       RETURNING c.id, c.reversed_amount, l.invoice_id
     ),
     reversal_events AS (
       INSERT INTO credit_events (credit_id, action, actor, before, after)
       SELECT id, 'reversed', :actor, jsonb_build_object('status', 'reversal pending'),
              jsonb_build_object('status', 'reversed', 'reversal_invoice_id', invoice_id, 'reversed_amount', reversed_amount::text)
       FROM reversal_done
     ),
     -- What the batch billed, for its run's totals (totals.ts): the charges and reversed credits
     -- inserted above, the invoices numbered and their amount per currency.
     counted AS (
       UPDATE bill_run_batches SET counts = jsonb_build_object(
         'accountsBilled', (SELECT count(*) FROM (SELECT DISTINCT account_id FROM lines) x),
         'packagesBilled', (SELECT count(*) FROM (SELECT DISTINCT account_package_id FROM lines) x),
         'charges', (SELECT count(*) FROM lines),
         'reversalsApplied', (SELECT count(*) FROM reversing r JOIN new_invoices i ON i.bill_to = r.bill_to),
         'invoicesCreated', (SELECT count(*) FROM totals),
         'invoiced', (SELECT COALESCE(jsonb_object_agg(currency, total::text), '{}')
                      FROM (SELECT currency, sum(total) AS total FROM totals GROUP BY currency) x))
       WHERE bill_run_id = :run AND batch_no = :batch
     )
     -- What the batch goes on with: the credits to disburse automatically, and the new invoices
     -- of the invoicers with payments to apply (most have none: a look-up each in the partial
     -- index payments_unapplied_idx, instead of every invoice sent back for a query of its own).
     -- The batch holds the invoicers' row locks, which a payment's writer takes first, so what
     -- this statement sees of their payments holds until the batch commits.
     SELECT 'credit' AS what, id, NULL::bigint AS account_id FROM issued WHERE auto_disburse
     UNION ALL
     SELECT 'invoice', i.id, i.account_id FROM invoiced i
     WHERE EXISTS (SELECT 1 FROM payments p WHERE p.account_id = i.account_id AND p.status = 'recorded' AND p.unapplied > 0)`;

/** A row the batch statement returns. */
interface BatchOutput {
  what: 'credit' | 'invoice';
  id: string;
  account_id: string | null;
}

/**
 * Bills one batch of accounts inside the caller's transaction: charges, skips, then
 * (with invoice generation) one invoice per invoicer with its credits and reversals.
 */
export async function billBatch(trx: Knex.Transaction, run: RunRow, batchNo: number, numbering: InvoiceNumbering): Promise<void> {
  // For this transaction: a batch sorts and hashes tens of thousands of rows, which the default
  // 4 MB of work memory would spill to disk; and what it reads is cached, so that an index
  // look-up costs about what a sequential read does. Its commit does not wait for the disk
  // (synchronous_commit off): the run's completion (completeRun, workers.ts) commits
  // synchronously, which writes out every batch committed before it. A crash of Postgres or of
  // the machine can undo the last batches' commits only as a whole (each is one transaction with
  // its batch's done flag), and the run resumes with them; the README's "Limits" says so.
  // Every table a batch reads, it reads by key (an index): no sequential scans, whatever the
  // statistics say. A table the statistics call empty is otherwise scanned whole inside a loop
  // (the exactly-once check: once per charge), and while the other worker fills it, each scan
  // is longer than the last (a 400,000-account run after a preview and a VACUUM of the empty
  // transactions table: one batch 57 s instead of 0.5 s; RESULTS.md, "Session 12").
  await trx.raw(`SET LOCAL work_mem = '64MB'; SET LOCAL random_page_cost = 1.1; SET LOCAL synchronous_commit = off; SET LOCAL enable_seqscan = off`);
  const members = await lockFamilies(trx, batchNo, run.id);
  const { rows: output } = await trx.raw(batchStatement(numbering), {
    ...members,
    billPackages: run.bill_packages,
    generateInvoice: run.generate_invoice,
    run: run.id,
    batch: batchNo,
    ps: run.period_start,
    pe: run.period_end,
    posting: run.posting_date,
    invoiceDate: run.invoice_date,
    actor: run.started_by,
    offset: numbering.take ? 0 : numbering.offset,
  });
  // Automatic disbursement reads the invoicers' unpaid invoices, the new ones included.
  await disburseAutomatically(
    trx,
    output
      .filter((r: BatchOutput) => r.what === 'credit')
      .map((r: BatchOutput) => Number(r.id))
      .sort((a: number, b: number) => a - b),
    run.started_by,
  );
  // What the invoicers had unapplied on payments goes onto their new invoices (payments/ledger.ts):
  // the statement returned the invoices of those invoicers only.
  const invoices = output.filter((r: BatchOutput) => r.what === 'invoice');
  await applyUnappliedPayments(trx, invoices.map((i: BatchOutput) => ({ id: Number(i.id), invoicer: Number(i.account_id) })), run.started_by);
}
