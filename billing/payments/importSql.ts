/**
 * The statements of a payments import (import.ts runs them), each one set-based over the
 * staged rows whatever their number. The staging tables are temporary and dropped at the
 * transaction's end:
 * - payment_import_rows: one row per workbook row (its row number, the values as read, the
 *   account and invoice they name resolved to ids with what the checks need of them, as read
 *   while staging, and whether the payment is recorded already);
 * - payment_import_problems: what is wrong, per row and field;
 * - payment_import_payments: one row per payment to record (the rows of one account and
 *   reference together; its first row is its key here), and payment_import_applications: what
 *   each pays to which invoice (with the payment's first row and currency).
 */
import { analyzeSampled } from '../billRun/statistics';

/**
 * ANALYZE of a staging table on a small sample (statistics target 10: 3,000 rows, not 30,000):
 * its plans need row counts and rough distinct counts, not fine histograms, and at 100,000 rows
 * the default sample cost more than the plans it informed. The stored tables are
 * analyzed at the end of the import with analyzeChanged's own sample.
 */
export const ANALYZE_STAGED = (table: string) => analyzeSampled(table, 10);

export const CREATE_STAGING = `
  DROP TABLE IF EXISTS payment_import_rows, payment_import_problems, payment_import_payments, payment_import_applications;
  CREATE TEMP TABLE payment_import_rows (
    row_no integer NOT NULL,
    received_on date NOT NULL,
    account text NOT NULL,
    amount numeric NOT NULL,
    method text,
    reference text NOT NULL,
    invoice bigint,
    account_id bigint,
    invoice_id bigint,
    recorded bigint,
    account_name text,
    currency text,
    invoicer_id bigint,
    invoice_account bigint,
    invoice_currency text,
    invoice_balance numeric
  ) ON COMMIT DROP;
  CREATE TEMP TABLE payment_import_problems (row_no integer NOT NULL, field text NOT NULL, value text NOT NULL, expected text NOT NULL) ON COMMIT DROP;`;

/**
 * One chunk of rows, as arrays (row, date, account, amount, method, reference, invoice number),
 * staged with the account and invoice they name resolved to ids and the payment (same account
 * and reference) already stored, if any: a look-up by index per row and name (LATERAL ...
 * LIMIT 1), never a scan. Joined plainly, each chunk was planned as a hash join over every
 * account and invoice (95 ms a chunk at 100,000 accounts: 4.7 s for 100,000 rows). The chunk is
 * staged while the reader reads the next one.
 */
export const STAGE_ROWS = `
  INSERT INTO payment_import_rows (row_no, received_on, account, amount, method, reference, invoice, account_id, invoice_id, recorded,
                                   account_name, currency, invoicer_id, invoice_account, invoice_currency, invoice_balance)
  SELECT x.row_no, x.received_on, x.account, x.amount, x.method, x.reference, x.invoice, a.id, i.id, p.id,
         a.name, a.currency, a.invoicer_id, i.account_id, i.currency, i.balance
  FROM unnest(?::integer[], ?::date[], ?::text[], ?::numeric[], ?::text[], ?::text[], ?::bigint[])
       AS x(row_no, received_on, account, amount, method, reference, invoice)
  LEFT JOIN LATERAL (SELECT id, name, currency, invoicer_id FROM accounts WHERE lower(name) = lower(x.account) LIMIT 1) a ON true
  LEFT JOIN LATERAL (SELECT id, account_id, currency, balance FROM invoices WHERE number = x.invoice LIMIT 1) i ON true
  LEFT JOIN LATERAL (SELECT id FROM payments WHERE account_id = a.id AND reference = x.reference LIMIT 1) p ON true`;

/**
 * Every check of the rows against what is stored, and of the rows of one payment against each
 * other. Parameters: the currencies' codes and decimal places, today, the invoice prefix.
 * A payment recorded already is checked no further: importing the same file again changes
 * nothing and finds nothing wrong.
 */
export const CHECK_ROWS = `
  WITH cur AS (SELECT * FROM unnest(:codes::text[], :places::integer[]) AS c(code, places)),
  rows AS (
    SELECT r.*,
           :prefix || lpad(r.invoice::text, 6, '0') AS invoice_shown,
           count(*) OVER g AS group_rows,
           bool_and(r.invoice IS NOT NULL) OVER g AS all_named,
           first_value(r.row_no) OVER (g ORDER BY r.row_no) AS first_row,
           first_value(r.received_on) OVER (g ORDER BY r.row_no) AS first_date,
           first_value(r.method) OVER (g ORDER BY r.row_no) AS first_method,
           first_value(r.row_no) OVER (PARTITION BY lower(r.account) COLLATE "C", r.reference COLLATE "C", r.invoice ORDER BY r.row_no) AS first_naming
    FROM payment_import_rows r
    WINDOW g AS (PARTITION BY lower(r.account) COLLATE "C", r.reference COLLATE "C")
  )
  INSERT INTO payment_import_problems (row_no, field, value, expected)
  SELECT row_no, 'account', account, 'An account that exists (the name of a stored account).' FROM rows WHERE account_id IS NULL
  UNION ALL
  SELECT r.row_no, 'account', r.account, format('The account that receives the invoices: "%s" is invoiced to "%s", so record the payment on "%s".', r.account_name, b.name, b.name)
    FROM rows r CROSS JOIN LATERAL (SELECT name FROM accounts WHERE id = r.invoicer_id) b WHERE r.invoicer_id IS NOT NULL
  UNION ALL
  SELECT r.row_no, 'amount', r.amount::text, format('An amount with at most %s decimal place%s, as %s has.', c.places, CASE WHEN c.places = 1 THEN '' ELSE 's' END, r.currency)
    FROM rows r JOIN cur c ON c.code = r.currency WHERE scale(r.amount) > c.places
  UNION ALL
  SELECT row_no, 'date', received_on::text, format('A date on or before today (%s): a payment is recorded once received.', :today::text)
    FROM rows WHERE recorded IS NULL AND received_on > :today::date
  UNION ALL
  SELECT row_no, 'date', received_on::text, format('The date of row %s (%s): rows with the same account and reference are one payment.', first_row, first_date)
    FROM rows WHERE received_on <> first_date
  UNION ALL
  SELECT row_no, 'method', coalesce(method, ''), format('The method of row %s (%s): rows with the same account and reference are one payment.', first_row, coalesce(first_method, 'blank'))
    FROM rows WHERE method IS DISTINCT FROM first_method
  UNION ALL
  SELECT row_no, 'invoice', '', 'An invoice on every row of a payment written on several rows (rows with the same account and reference are one payment).'
    FROM rows WHERE group_rows > 1 AND NOT all_named AND invoice IS NULL
  UNION ALL
  SELECT row_no, 'invoice', invoice_shown, format('Each invoice once in a payment (row %s names it already).', first_naming)
    FROM rows WHERE invoice IS NOT NULL AND first_naming <> row_no
  UNION ALL
  SELECT row_no, 'invoice', invoice_shown, 'An invoice that exists, such as ' || :prefix || '000018.'
    FROM rows WHERE recorded IS NULL AND invoice IS NOT NULL AND invoice_id IS NULL
  UNION ALL
  SELECT r.row_no, 'invoice', r.invoice_shown, format('An invoice of "%s" (%s is an invoice of "%s"); a payment pays only its own account''s invoices.', r.account_name, r.invoice_shown, o.name)
    FROM rows r CROSS JOIN LATERAL (SELECT name FROM accounts WHERE id = r.invoice_account) o
    WHERE r.recorded IS NULL AND r.invoice_id IS NOT NULL AND r.account_id IS NOT NULL AND r.invoice_account <> r.account_id
  UNION ALL
  SELECT row_no, 'invoice', invoice_shown, format('An invoice in %s, the account''s currency (%s is in %s).', currency, invoice_shown, invoice_currency)
    FROM rows WHERE recorded IS NULL AND invoice_account = account_id AND invoice_currency <> currency
  UNION ALL
  SELECT row_no, 'invoice', invoice_shown, format('An invoice with something left to pay (%s is paid).', invoice_shown)
    FROM rows WHERE recorded IS NULL AND invoice_account = account_id AND invoice_currency = currency AND invoice_balance = 0`;

/** The payments to record: the rows of one account and reference, not recorded already. */
export const PLAN_PAYMENTS = `
  CREATE TEMP TABLE payment_import_payments ON COMMIT DROP AS
  SELECT r.account_id, r.reference, min(r.row_no) AS first_row, min(r.received_on) AS received_on, min(r.method) AS method,
         sum(r.amount) AS amount, bool_and(r.invoice_id IS NOT NULL) AS named, min(r.currency) AS currency
  FROM payment_import_rows r
  WHERE r.recorded IS NULL AND r.account_id IS NOT NULL
  GROUP BY r.account_id, r.reference;
  ${ANALYZE_STAGED('payment_import_payments')}`;

/**
 * The applications (billing/payments/rules.ts, in SQL): first each row that names an invoice
 * pays it up to its balance, the rows naming one invoice in row order (the running total of
 * what they bring, capped at the balance); then each payment naming none goes, in the order
 * received (then row order), over its account's unpaid invoices oldest due date first (then
 * lowest number), each up to what the named rows left of its balance: the overlap of each
 * payment's slice and each invoice's slice of a running total per account.
 */
export const PLAN_APPLICATIONS = `
  CREATE TEMP TABLE payment_import_applications ON COMMIT DROP AS
  SELECT account_id, reference, first_row, currency, invoice_id, amount FROM (
    SELECT r.account_id, r.reference, p.first_row, p.currency, r.invoice_id,
           LEAST(sum(r.amount) OVER w, i.balance) - LEAST(sum(r.amount) OVER w - r.amount, i.balance) AS amount
    FROM payment_import_rows r
    JOIN payment_import_payments p ON p.account_id = r.account_id AND p.reference = r.reference
    JOIN invoices i ON i.id = r.invoice_id
    WINDOW w AS (PARTITION BY r.invoice_id ORDER BY r.row_no)
  ) named WHERE amount > 0;
  INSERT INTO payment_import_applications (account_id, reference, first_row, currency, invoice_id, amount)
  WITH taken AS (SELECT invoice_id, sum(amount) AS amount FROM payment_import_applications GROUP BY invoice_id),
  pay AS (
    SELECT account_id, reference, first_row, currency, amount,
           sum(amount) OVER (PARTITION BY account_id ORDER BY received_on, first_row) - amount AS lo
    FROM payment_import_payments WHERE NOT named
  ),
  left_over AS (
    SELECT i.id, i.account_id, i.currency, i.due_date, i.number, i.balance - coalesce(t.amount, 0) AS balance
    FROM invoices i LEFT JOIN taken t ON t.invoice_id = i.id
    -- the accounts of pay, read from the analyzed table: the planner knows how many there are
    WHERE i.account_id IN (SELECT account_id FROM payment_import_payments WHERE NOT named) AND i.balance > 0
  ),
  inv AS (
    SELECT *, sum(balance) OVER (PARTITION BY account_id ORDER BY due_date, number) - balance AS lo
    FROM left_over WHERE balance > 0
  )
  SELECT pay.account_id, pay.reference, pay.first_row, pay.currency, inv.id,
         LEAST(pay.lo + pay.amount, inv.lo + inv.balance) - GREATEST(pay.lo, inv.lo)
  FROM pay JOIN inv ON inv.account_id = pay.account_id AND inv.currency = pay.currency
  WHERE LEAST(pay.lo + pay.amount, inv.lo + inv.balance) > GREATEST(pay.lo, inv.lo)`;

/** What the plan comes to, per currency (the figures of a preview and of the result). */
export const PLAN_TOTALS = `
  WITH p AS (SELECT currency, count(*) AS payments, sum(amount) AS amount FROM payment_import_payments GROUP BY currency),
  a AS (SELECT currency, count(*) AS applications, sum(amount) AS applied FROM payment_import_applications GROUP BY currency)
  SELECT p.currency, p.payments::integer AS payments, p.amount::text AS amount,
         coalesce(a.applied, 0)::text AS applied, (p.amount - coalesce(a.applied, 0))::text AS unapplied,
         coalesce(a.applications, 0)::integer AS applications
  FROM p LEFT JOIN a ON a.currency = p.currency
  ORDER BY p.currency`;

/** Invoices the plan pays off (brings to a zero balance). */
export const INVOICES_PAID = `
  SELECT count(*)::integer AS n FROM invoices i
  JOIN (SELECT invoice_id, sum(amount) AS amount FROM payment_import_applications GROUP BY invoice_id) x ON x.invoice_id = i.id
  WHERE i.balance = x.amount`;

/**
 * Locks what the write changes, in the order every writer of money takes them: the
 * payments' accounts (their rows), then the invoices they may pay.
 */
export const LOCK_TARGETS = `
  SELECT count(*) FROM (SELECT id FROM accounts WHERE id IN (SELECT DISTINCT account_id FROM payment_import_rows) ORDER BY id FOR UPDATE) a;
  SELECT count(*) FROM (
    SELECT id FROM invoices
    WHERE id IN (SELECT invoice_id FROM payment_import_rows WHERE invoice_id IS NOT NULL)
       OR (account_id IN (SELECT account_id FROM payment_import_rows WHERE invoice IS NULL) AND balance > 0)
    ORDER BY id FOR UPDATE
  ) i`;

/** The payments, each with what it left unapplied (so a payment row is written once). Parameter: who. */
export const INSERT_PAYMENTS = `
  INSERT INTO payments (account_id, currency, amount, unapplied, received_on, method, reference, created_by)
  SELECT p.account_id, p.currency, p.amount, p.amount - coalesce(x.applied, 0), p.received_on, p.method, p.reference, ?
  FROM payment_import_payments p
  LEFT JOIN (SELECT first_row, sum(amount) AS applied FROM payment_import_applications GROUP BY first_row) x ON x.first_row = p.first_row
  ORDER BY p.first_row`;

/** The applications, and the invoices' balances lowered by as much. Parameter: who. */
export const INSERT_APPLICATIONS = (lowerInvoiceBalances: string) => `
  WITH ins AS (
    INSERT INTO payment_applications (payment_id, invoice_id, kind, amount, automatic, created_by)
    SELECT p.id, a.invoice_id, 'applied', a.amount, false, ?
    FROM payment_import_applications a JOIN payments p ON p.account_id = a.account_id AND p.reference = a.reference
    ORDER BY p.id, a.invoice_id
    RETURNING invoice_id, amount
  ),
  input AS (SELECT invoice_id, amount FROM ins),
  inv AS (${lowerInvoiceBalances})
  SELECT (SELECT count(*) FROM ins)::integer AS applications, (SELECT count(*) FROM inv)::integer AS invoices,
         (SELECT count(*) FROM inv WHERE balance = 0)::integer AS paid`;
