import type { Knex } from 'knex';

// The ledger checks of migrations 030, 132 and 133 (same rules, same messages), run once per
// transaction over every row it touched instead of once per row.
// - Before: deferred constraint triggers FOR EACH ROW, so a payments import of 100,000 rows
//   ran about 400,000 check queries at its commit (28.2 s of a 32.1 s import; 5.9 s without
//   them: test/bench/RESULTS.md), and a bill run paying 20,000 new invoices from waiting
//   payments about 80,000.
// - Now: statement-level triggers note, from their transition tables, which invoices,
//   credits and payments a statement touched (a session's temporary table, emptied at every
//   commit), and put one row for the transaction in billbot_ledger_pending. That row's
//   deferred constraint trigger fires once, at the commit (or when the constraint is made
//   immediate), and checks every noted row in three queries, each row's sums looked up by index.
//   It then forgets what it checked, so a later statement of the same transaction is noted
//   and checked again.
// - A check that fails raises the message the per-row check raised, for the lowest invoice
//   number, credit or payment that breaks a rule, and the commit is refused.
// - Updates are noted only when a checked column changed (transition tables cannot have a
//   column list); a statement that rewrote those columns to the same values cannot break a rule.
const CHECKS = `
  CREATE UNLOGGED TABLE billbot_ledger_pending (tx bigint PRIMARY KEY);

  CREATE FUNCTION billbot_ledger_note_ready() RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    IF to_regclass('pg_temp.billbot_ledger_touched') IS NULL THEN
      CREATE TEMP TABLE billbot_ledger_touched (kind "char" NOT NULL, id bigint NOT NULL) ON COMMIT DELETE ROWS;
    END IF;
  END $$;

  CREATE FUNCTION billbot_ledger_note() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM billbot_ledger_note_ready();
    -- first what was touched, then the transaction's pending row: while the check is
    -- immediate, it runs as soon as that row is written, and must find every noted row
    IF TG_TABLE_NAME = 'disbursements' THEN
      INSERT INTO pg_temp.billbot_ledger_touched (kind, id)
      SELECT 'i', invoice_id FROM written WHERE invoice_id IS NOT NULL
      UNION ALL SELECT 'c', credit_id FROM written WHERE credit_id IS NOT NULL;
    ELSIF TG_TABLE_NAME = 'payment_applications' THEN
      INSERT INTO pg_temp.billbot_ledger_touched (kind, id)
      SELECT 'i', invoice_id FROM written WHERE invoice_id IS NOT NULL
      UNION ALL SELECT 'p', payment_id FROM written WHERE payment_id IS NOT NULL;
    ELSIF TG_TABLE_NAME = 'payments' AND TG_OP = 'INSERT' THEN
      INSERT INTO pg_temp.billbot_ledger_touched (kind, id) SELECT 'p', id FROM written;
    ELSIF TG_TABLE_NAME = 'payments' THEN
      INSERT INTO pg_temp.billbot_ledger_touched (kind, id)
      SELECT 'p', n.id FROM written n
      WHERE NOT EXISTS (SELECT 1 FROM previous o WHERE o.id = n.id AND o.amount = n.amount
                          AND o.unapplied = n.unapplied AND o.status = n.status);
    ELSIF TG_TABLE_NAME = 'invoices' THEN
      INSERT INTO pg_temp.billbot_ledger_touched (kind, id)
      SELECT 'i', n.id FROM written n
      WHERE NOT EXISTS (SELECT 1 FROM previous o WHERE o.id = n.id AND o.total = n.total AND o.balance = n.balance);
    ELSE
      INSERT INTO pg_temp.billbot_ledger_touched (kind, id)
      SELECT 'c', n.id FROM written n
      WHERE NOT EXISTS (SELECT 1 FROM previous o WHERE o.id = n.id AND o.status = n.status AND o.amount = n.amount
                          AND o.amount_left = n.amount_left AND o.reversed_amount IS NOT DISTINCT FROM n.reversed_amount);
    END IF;
    INSERT INTO billbot_ledger_pending (tx) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
  END $$;

  -- Each query first finds every row that breaks a rule (MATERIALIZED: never a plan that walks
  -- invoices in number order to stop at the first, which with the noted rows misestimated
  -- became a loop over both), then takes the lowest.
  -- Sequential scans off for the check: it runs at the commit of the transaction that wrote
  -- the rows, before any ANALYZE has seen them (a payments import adds 150,000 applications
  -- to a table the planner last saw empty), so each row's sums are looked up by index whatever
  -- the statistics say (with a scan per row, that import's commit ran for minutes). 64 MB of
  -- work memory: the distinct noted ids of 100,000 payments' import are sorted in memory.
  CREATE FUNCTION billbot_check_ledger() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off SET work_mem = '64MB' AS $$
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
    SELECT y.id, y.amount, y.unapplied, y.status, s.applied, s.given_back, s.foreign_invoice, s.bad_reversal,
           (y.status = 'recorded' AND (s.applied + y.unapplied <> y.amount OR s.given_back <> 0))
             OR (y.status = 'reversed' AND (s.applied <> s.given_back OR y.unapplied <> 0)) AS bad_sums
      FROM (SELECT DISTINCT id FROM pg_temp.billbot_ledger_touched WHERE kind = 'p') t
      JOIN payments y ON y.id = t.id
      CROSS JOIN LATERAL (
        SELECT COALESCE(sum(pa.amount) FILTER (WHERE pa.kind = 'applied'), 0) AS applied,
               COALESCE(sum(pa.amount) FILTER (WHERE pa.kind = 'reversed'), 0) AS given_back,
               COALESCE(bool_or(i.account_id <> y.account_id OR i.currency <> y.currency), false) AS foreign_invoice,
               COALESCE(bool_or(pa.kind = 'reversed' AND (a.kind <> 'applied' OR a.payment_id <> pa.payment_id
                                                          OR a.invoice_id <> pa.invoice_id OR a.amount <> pa.amount)), false) AS bad_reversal
        FROM payment_applications pa
        LEFT JOIN invoices i ON i.id = pa.invoice_id
        LEFT JOIN payment_applications a ON a.id = pa.reverses_id
        WHERE pa.payment_id = y.id) s
     WHERE (y.status = 'recorded' AND (s.applied + y.unapplied <> y.amount OR s.given_back <> 0))
        OR (y.status = 'reversed' AND (s.applied <> s.given_back OR y.unapplied <> 0))
        OR s.foreign_invoice OR s.bad_reversal)
    SELECT * INTO b FROM wrong ORDER BY id LIMIT 1;
    IF FOUND AND b.bad_sums THEN
      RAISE EXCEPTION 'payment PM-% (%) of % has % applied, % reversed and % unapplied',
        lpad(b.id::text, 6, '0'), b.status, b.amount, b.applied, b.given_back, b.unapplied
        USING ERRCODE = 'check_violation';
    ELSIF FOUND AND b.foreign_invoice THEN
      RAISE EXCEPTION 'payment PM-% is applied to an invoice of another account or currency', lpad(b.id::text, 6, '0')
        USING ERRCODE = 'check_violation';
    ELSIF FOUND THEN
      RAISE EXCEPTION 'payment PM-% has a reversal that does not give back its own application', lpad(b.id::text, 6, '0')
        USING ERRCODE = 'check_violation';
    END IF;

    DELETE FROM pg_temp.billbot_ledger_touched;
    DELETE FROM billbot_ledger_pending WHERE tx = NEW.tx;
    RETURN NULL;
  END $$;

  CREATE CONSTRAINT TRIGGER ledger_checked_at_commit
    AFTER INSERT ON billbot_ledger_pending DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION billbot_check_ledger();
`;

/** The statement triggers that note what was touched, in place of the per-row deferred ones. */
const NOTES = `
  DROP TRIGGER disbursements_keep_ledger ON disbursements;
  DROP TRIGGER invoices_keep_ledger ON invoices;
  DROP TRIGGER credits_keep_ledger ON credits;
  DROP TRIGGER payment_applications_keep_ledger ON payment_applications;
  DROP TRIGGER payments_keep_ledger ON payments;
  DROP FUNCTION billbot_check_ledger_row();
  DROP FUNCTION billbot_check_payment_row();
  DROP FUNCTION billbot_check_invoice_balance(bigint);
  DROP FUNCTION billbot_check_credit_left(bigint);
  DROP FUNCTION billbot_check_payment(bigint);

  CREATE TRIGGER disbursements_noted_for_ledger AFTER INSERT ON disbursements
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billbot_ledger_note();
  CREATE TRIGGER payment_applications_noted_for_ledger AFTER INSERT ON payment_applications
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billbot_ledger_note();
  CREATE TRIGGER payments_inserted_noted_for_ledger AFTER INSERT ON payments
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billbot_ledger_note();
  CREATE TRIGGER payments_updated_noted_for_ledger AFTER UPDATE ON payments
    REFERENCING OLD TABLE AS previous NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billbot_ledger_note();
  CREATE TRIGGER invoices_noted_for_ledger AFTER UPDATE ON invoices
    REFERENCING OLD TABLE AS previous NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billbot_ledger_note();
  CREATE TRIGGER credits_noted_for_ledger AFTER UPDATE ON credits
    REFERENCING OLD TABLE AS previous NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billbot_ledger_note();
`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(CHECKS);
  await knex.raw(NOTES);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
