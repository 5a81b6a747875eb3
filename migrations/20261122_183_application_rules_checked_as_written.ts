import type { Knex } from 'knex';

// Two rules of the payment ledger are rules of one application row, which never changes once
// written (migration 132: the ledger only grows; a payment's account and currency are fixed):
// an application goes to an invoice of its payment's account and currency, and a reversal
// gives back exactly its own application. They were checked at the commit, with the sums of
// each touched payment (migration 170), by looking up again every application's invoice and
// reversed application: 150,000 invoice look-ups at the commit of a payments import of
// 100,000 rows (auto_explain, test/bench/RESULTS.md, "Payments import: session 7").
// They are now checked when the rows are written, by the statement check that looks those
// rows up already for the keys (migration 171): one pass over the written rows, each
// joined once to its payment, invoice and reversed application. A missing row is refused as
// the foreign key did (23503, first); then an invoice of another account or currency, then a
// reversal that does not mirror its application, for the lowest payment, with the messages
// the commit check raised. The commit check keeps the sums (applied + unapplied = amount,
// reversals), as before. A big statement (10,000 rows or more) is planned for itself, as
// migration 180 does for payments' keys.
const BIG_STATEMENT = 10_000;

// Each written row joined once to its payment, invoice and reversed application, and its first
// problem named: a missing row (the key's column), else another account's or currency's
// invoice, else a reversal that does not mirror its application.
const FIRST_PROBLEM = (into: string) => `
  SELECT *${into} FROM (
    SELECT n.payment_id, m.col,
           CASE m.col WHEN 'payment_id' THEN 'payments' WHEN 'invoice_id' THEN 'invoices' ELSE 'payment_applications' END AS referenced,
           CASE m.col WHEN 'payment_id' THEN n.payment_id WHEN 'invoice_id' THEN n.invoice_id ELSE n.reverses_id END AS k,
           CASE WHEN m.col IS NOT NULL THEN 'key'
                WHEN i.account_id <> p.account_id OR i.currency <> p.currency THEN 'foreign'
                WHEN n.kind = 'reversed' AND (a.kind <> 'applied' OR a.payment_id <> n.payment_id
                                              OR a.invoice_id <> n.invoice_id OR a.amount <> n.amount) THEN 'reversal'
           END AS problem
    FROM written n
    LEFT JOIN payments p ON p.id = n.payment_id
    LEFT JOIN invoices i ON i.id = n.invoice_id
    LEFT JOIN payment_applications a ON a.id = n.reverses_id
    CROSS JOIN LATERAL (
      SELECT CASE WHEN p.id IS NULL THEN 'payment_id' WHEN i.id IS NULL THEN 'invoice_id'
                  WHEN n.reverses_id IS NOT NULL AND a.id IS NULL THEN 'reverses_id' END AS col
    ) m
  ) x
  WHERE problem IS NOT NULL
  ORDER BY problem = 'key' DESC, payment_id
  LIMIT 1`;

const APPLICATION_CHECK = `
  CREATE OR REPLACE FUNCTION billbot_check_payment_applications_keys() RETURNS trigger LANGUAGE plpgsql
    SET enable_seqscan = off SET work_mem = '64MB' AS $$
  DECLARE
    bad record;
  BEGIN
    IF (SELECT count(*) FROM written) >= ${BIG_STATEMENT} THEN
      PERFORM set_config('enable_seqscan', 'on', true);
      EXECUTE $q$ ${FIRST_PROBLEM('')} $q$ INTO bad;
    ELSE
      ${FIRST_PROBLEM(' INTO bad')};
    END IF;
    IF bad.problem IS NULL THEN
      RETURN NULL;
    ELSIF bad.problem = 'key' THEN
      RAISE EXCEPTION 'insert or update on table "payment_applications" violates foreign key constraint "payment_applications_%_fkey"', bad.col
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'payment_applications_' || bad.col || '_fkey', TABLE = 'payment_applications',
              DETAIL = format('Key (%s)=(%s) is not present in table "%s".', bad.col, bad.k, bad.referenced);
    ELSIF bad.problem = 'foreign' THEN
      RAISE EXCEPTION 'payment PM-% is applied to an invoice of another account or currency', lpad(bad.payment_id::text, 6, '0')
        USING ERRCODE = 'check_violation';
    ELSE
      RAISE EXCEPTION 'payment PM-% has a reversal that does not give back its own application', lpad(bad.payment_id::text, 6, '0')
        USING ERRCODE = 'check_violation';
    END IF;
  END $$;`;

// The commit check of migration 170 without the two rules above (its invoice and credit
// checks unchanged).
const LEDGER_CHECK = `
  CREATE OR REPLACE FUNCTION billbot_check_ledger() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off SET work_mem = '64MB' AS $$
  DECLARE
    b record;
  BEGIN
    IF to_regclass('pg_temp.billbot_ledger_touched') IS NULL THEN
      DELETE FROM billbot_ledger_pending WHERE tx = NEW.tx;
      RETURN NULL;
    END IF;

    WITH wrong AS MATERIALIZED (
    SELECT v.number, v.total, v.balance, d.disbursed, p.applied, p.given_back
      FROM (SELECT DISTINCT id FROM pg_temp.billbot_ledger_touched WHERE kind = 'i') t
      JOIN invoices v ON v.id = t.id
      CROSS JOIN LATERAL (SELECT COALESCE(sum(amount), 0) AS disbursed FROM disbursements WHERE invoice_id = v.id) d
      CROSS JOIN LATERAL (
        SELECT COALESCE(sum(amount) FILTER (WHERE kind = 'applied'), 0) AS applied,
               COALESCE(sum(amount) FILTER (WHERE kind = 'reversed'), 0) AS given_back
        FROM payment_applications WHERE invoice_id = v.id) p
     WHERE v.balance <> v.total - d.disbursed - p.applied + p.given_back)
    SELECT * INTO b FROM wrong ORDER BY number LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'invoice % has balance % but total % less disbursements % less payments applied % plus payments reversed % is %',
        b.number, b.balance, b.total, b.disbursed, b.applied, b.given_back, b.total - b.disbursed - b.applied + b.given_back
        USING ERRCODE = 'check_violation';
    END IF;

    WITH wrong AS MATERIALIZED (
    SELECT c.id, c.status, c.amount, c.amount_left, c.reversed_amount, d.disbursed
      FROM (SELECT DISTINCT id FROM pg_temp.billbot_ledger_touched WHERE kind = 'c') t
      JOIN credits c ON c.id = t.id
      CROSS JOIN LATERAL (SELECT COALESCE(sum(amount), 0) AS disbursed FROM disbursements WHERE credit_id = c.id) d
     WHERE c.amount_left <> CASE WHEN c.status IN ('unissued', 'issued') THEN c.amount - d.disbursed ELSE 0 END
        OR (c.status IN ('reversal pending', 'reversed') AND c.reversed_amount <> d.disbursed)
        OR (c.status IN ('unissued', 'deleted') AND d.disbursed <> 0))
    SELECT * INTO b FROM wrong ORDER BY id LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'credit CR-% (%) has amount left % and reversed amount % but % was disbursed from its amount %',
        b.id, b.status, b.amount_left, b.reversed_amount, b.disbursed, b.amount
        USING ERRCODE = 'check_violation';
    END IF;

    WITH wrong AS MATERIALIZED (
    SELECT y.id, y.amount, y.unapplied, y.status, s.applied, s.given_back
      FROM (SELECT DISTINCT id FROM pg_temp.billbot_ledger_touched WHERE kind = 'p') t
      JOIN payments y ON y.id = t.id
      CROSS JOIN LATERAL (
        SELECT COALESCE(sum(pa.amount) FILTER (WHERE pa.kind = 'applied'), 0) AS applied,
               COALESCE(sum(pa.amount) FILTER (WHERE pa.kind = 'reversed'), 0) AS given_back
        FROM payment_applications pa WHERE pa.payment_id = y.id) s
     WHERE (y.status = 'recorded' AND (s.applied + y.unapplied <> y.amount OR s.given_back <> 0))
        OR (y.status = 'reversed' AND (s.applied <> s.given_back OR y.unapplied <> 0)))
    SELECT * INTO b FROM wrong ORDER BY id LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'payment PM-% (%) of % has % applied, % reversed and % unapplied',
        lpad(b.id::text, 6, '0'), b.status, b.amount, b.applied, b.given_back, b.unapplied
        USING ERRCODE = 'check_violation';
    END IF;

    DELETE FROM pg_temp.billbot_ledger_touched;
    DELETE FROM billbot_ledger_pending WHERE tx = NEW.tx;
    RETURN NULL;
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(APPLICATION_CHECK);
  await knex.raw(LEDGER_CHECK);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
