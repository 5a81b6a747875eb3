import type { Knex } from 'knex';

// The keys of payment applications are checked once per statement, as the bill run's are
// (migrations 120 and 160), instead of by three foreign keys, each a trigger per row: a
// payments import of 100,000 rows writes 150,000 applications in one statement, and their
// per-row key checks took 2.0 s of its 9.4 s (EXPLAIN ANALYZE, test/bench/RESULTS.md).
// - After each statement that inserts applications (they are never updated: migration 132),
//   one look-up per distinct value of each key over the rows it wrote refuses a row whose
//   payment, invoice or reversed application does not exist, with the error (23503) and the
//   constraint name the foreign key gave. Each look-up goes by the referenced primary key
//   whatever the statistics say (the payments were written by the statement before, unseen by
//   ANALYZE), and the distinct values are found in memory (64 MB: 150,000 keys): 0.9 s against
//   2.0 s for the foreign keys and 2.1 s for this check without those settings, same data.
// - What the foreign keys also guarded, that a referenced row cannot disappear, is already
//   refused outright: payments are never removed and keep their id (132), invoices likewise
//   (160), applications are never changed or removed (132).
const KEYS: [column: string, referenced: string][] = [
  ['payment_id', 'payments'],
  ['invoice_id', 'invoices'],
  ['reverses_id', 'payment_applications'],
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE payment_applications ${KEYS.map(([column]) => `DROP CONSTRAINT payment_applications_${column}_fkey`).join(', ')}`);
  const missing = KEYS.map(
    ([column, referenced]) =>
      `SELECT '${column}' AS col, '${referenced}' AS referenced, d.k
       FROM (SELECT DISTINCT n.${column} AS k FROM written n WHERE n.${column} IS NOT NULL) d
       LEFT JOIN LATERAL (SELECT true AS found FROM ${referenced} r WHERE r.id = d.k LIMIT 1) f ON true
       WHERE f.found IS NULL`,
  ).join('\n       UNION ALL\n       ');
  await knex.raw(`
    CREATE FUNCTION billbot_check_payment_applications_keys() RETURNS trigger LANGUAGE plpgsql
      SET enable_seqscan = off SET work_mem = '64MB' AS $$
    DECLARE
      missing record;
    BEGIN
      SELECT * INTO missing FROM (
       ${missing}
      ) x LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "payment_applications" violates foreign key constraint "payment_applications_%_fkey"', missing.col
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'payment_applications_' || missing.col || '_fkey', TABLE = 'payment_applications',
                DETAIL = format('Key (%s)=(%s) is not present in table "%s".', missing.col, missing.k, missing.referenced);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER payment_applications_keys_inserted
      AFTER INSERT ON payment_applications REFERENCING NEW TABLE AS written
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_check_payment_applications_keys();
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
