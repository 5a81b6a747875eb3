import type { Knex } from 'knex';

// The invoices an update touched are noted for the ledger's check (migration 170) without
// first comparing each row with its old version. Every update of invoices billbot makes
// changes balances (a credit disbursed, a payment applied or given back), so the comparison,
// two sorts of the statement's old and new rows and a merge between them, filtered nothing
// and cost about 0.2 s of a payments import paying 150,000 invoices (auto_explain,
// test/bench/RESULTS.md, "Payments import: session 7"). An update that changes nothing the
// check reads now has its invoices checked anyway: the same rules, a little more work.
// The trigger no longer keeps the old rows (OLD TABLE). The function is otherwise as
// migration 170 wrote it.
const NOTE = `
  CREATE OR REPLACE FUNCTION billbot_ledger_note() RETURNS trigger LANGUAGE plpgsql AS $$
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
      SELECT 'i', id FROM written;
    ELSE
      INSERT INTO pg_temp.billbot_ledger_touched (kind, id)
      SELECT 'c', n.id FROM written n
      WHERE NOT EXISTS (SELECT 1 FROM previous o WHERE o.id = n.id AND o.status = n.status AND o.amount = n.amount
                          AND o.amount_left = n.amount_left AND o.reversed_amount IS NOT DISTINCT FROM n.reversed_amount);
    END IF;
    INSERT INTO billbot_ledger_pending (tx) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
  END $$;
  DROP TRIGGER invoices_noted_for_ledger ON invoices;
  CREATE TRIGGER invoices_noted_for_ledger AFTER UPDATE ON invoices
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION billbot_ledger_note();`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(NOTE);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
