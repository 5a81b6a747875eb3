import type { Knex } from 'knex';

// The invoice key of transactions is checked once per statement, like the others (migration
// 120), and every key check looks each distinct value up once.
// - A batch now writes its invoices in the same statement as the transactions on them
//   (billing/billRun/batch.ts, numbering.ts), so the key no longer waits for the commit: the
//   foreign key transactions_invoice_id_fkey (deferred by the batch to its commit, where it
//   checked 13,125 rows one by one per batch of 5,000 invoices: COMMIT 110-284 ms, 2-34 ms
//   without it; test/bench/RESULTS.md)
//   becomes one set-based look-up at the end of each statement that inserts or updates
//   transactions, with the error (23503) and constraint name the foreign key gave.
// - What the foreign key also guarded, that an invoice cannot disappear, is now a refusal of
//   DELETE, TRUNCATE and a change of id on invoices, as on the other referenced tables
//   (billbot never removes an invoice: a credit or a reversal corrects one).
// - The checks look up each distinct value of a column once (a batch's 13,125 transactions
//   name one run, three services, 5,000 invoices), not every row's.
const KEYS: Record<string, [column: string, referenced: string][]> = {
  transactions: [
    ['account_id', 'accounts'],
    ['account_package_id', 'account_packages'],
    ['service_id', 'services'],
    ['credit_id', 'credits'],
    ['bill_run_id', 'bill_runs'],
    ['invoice_id', 'invoices'],
  ],
  invoices: [
    ['account_id', 'accounts'],
    ['bill_run_id', 'bill_runs'],
  ],
  bill_run_skips: [
    ['account_package_id', 'account_packages'],
    ['bill_run_id', 'bill_runs'],
  ],
};

/**
 * The first written value of any key whose row does not exist, with its column and table: each
 * distinct value looked up once in the referenced table's primary key (LIMIT 1 in a lateral
 * join: a look-up per value whatever the plan, never a scan of the referenced table, which
 * grows with every run; the plan is made once per session, on the first batch's numbers).
 */
function missingKey(keys: [string, string][]): string {
  return keys
    .map(
      ([column, referenced]) =>
        `SELECT '${column}' AS col, '${referenced}' AS referenced, d.k
         FROM (SELECT DISTINCT n.${column} AS k FROM written n WHERE n.${column} IS NOT NULL) d
         LEFT JOIN LATERAL (SELECT true AS found FROM ${referenced} r WHERE r.id = d.k LIMIT 1) f ON true
         WHERE f.found IS NULL`,
    )
    .join('\n         UNION ALL\n         ');
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE transactions DROP CONSTRAINT transactions_invoice_id_fkey');
  await knex.raw(`
    CREATE TRIGGER invoices_never_removed BEFORE DELETE OR TRUNCATE ON invoices
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_refuse_removal();
    CREATE TRIGGER invoices_id_kept BEFORE UPDATE OF id ON invoices
      FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION billbot_refuse_removal();
  `);
  for (const [table, keys] of Object.entries(KEYS)) {
    // The same function (and so the same triggers, migration 120), replaced.
    await knex.raw(`
      CREATE OR REPLACE FUNCTION billbot_check_${table}_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        missing record;
      BEGIN
        SELECT * INTO missing FROM (
          ${missingKey(keys)}
        ) x LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${table}_%_fkey"', missing.col
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${table}_' || missing.col || '_fkey', TABLE = '${table}',
                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".', missing.col, missing.k, missing.referenced);
        END IF;
        RETURN NULL;
      END $$;
    `);
  }
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
