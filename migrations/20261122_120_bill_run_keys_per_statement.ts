import type { Knex } from 'knex';
import { refuseRemoval } from './keyChecks';

// The keys of the rows a bill run writes in bulk (its transactions, invoices and skips) are
// checked once per statement instead of once per row, except the invoice key of transactions.
// A foreign key is a trigger per row and key: a look-up and a row lock in the referenced
// table. A batch writes each of its transaction rows with five of them, and those checks took
// about a third of its statement (test/bench/RESULTS.md, "User path: after the fixes"). Now:
// - after each statement that inserts or updates rows of these tables, one set-based look-up
//   per key over the rows it wrote (a transition table) refuses a row whose referenced row
//   does not exist, with the error (23503) and constraint name the foreign key gave;
// - the referenced rows can no longer disappear: accounts, account packages, services,
//   credits and bill runs are never deleted (billbot has no such thing: an account is
//   cancelled, a credit marked deleted keeps its row), and their ids never change. A foreign
//   key held a row lock on each referenced row until the commit for that; refusing DELETE,
//   TRUNCATE and a change of id outright needs no lock at all.
// The invoice key of transactions (transactions_invoice_id_fkey) stays a foreign key: a batch
// defers it to its commit (migration 090), where the invoices exist, and a statement trigger
// cannot wait for the commit. Invoices are not deleted either (their keys are untouched).
const KEYS: Record<string, { column: string; table: string }[]> = {
  transactions: [
    { column: 'account_id', table: 'accounts' },
    { column: 'account_package_id', table: 'account_packages' },
    { column: 'service_id', table: 'services' },
    { column: 'credit_id', table: 'credits' },
    { column: 'bill_run_id', table: 'bill_runs' },
  ],
  invoices: [
    { column: 'account_id', table: 'accounts' },
    { column: 'bill_run_id', table: 'bill_runs' },
  ],
  bill_run_skips: [
    { column: 'account_package_id', table: 'account_packages' },
    { column: 'bill_run_id', table: 'bill_runs' },
  ],
};

/** The tables referred to, whose rows are never removed. */
const REFERENCED = ['accounts', 'account_packages', 'services', 'credits', 'bill_runs'];

function checkFunction(table: string): string {
  const checks = KEYS[table].map(
    ({ column, table: referenced }) => `
      SELECT n.${column} INTO missing FROM written n
      WHERE n.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${referenced} r WHERE r.id = n.${column}) LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${table}_${column}_fkey"'
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${table}_${column}_fkey', TABLE = '${table}',
                DETAIL = format('Key (${column})=(%s) is not present in table "${referenced}".', missing);
      END IF;`,
  );
  return `
    CREATE FUNCTION billbot_check_${table}_keys() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      missing bigint;
    BEGIN
      ${checks.join('\n')}
      RETURN NULL;
    END $$;
    CREATE TRIGGER ${table}_keys_inserted
      AFTER INSERT ON ${table} REFERENCING NEW TABLE AS written
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_check_${table}_keys();
    CREATE TRIGGER ${table}_keys_updated
      AFTER UPDATE ON ${table} REFERENCING NEW TABLE AS written
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_check_${table}_keys();`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION billbot_refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% on % is refused: bill runs refer to its rows, which are never removed and keep their ids',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$;
  `);
  for (const table of REFERENCED) {
    await knex.raw(refuseRemoval(table));
  }
  for (const [table, keys] of Object.entries(KEYS)) {
    await knex.raw(`ALTER TABLE ${table} ${keys.map(({ column }) => `DROP CONSTRAINT ${table}_${column}_fkey`).join(', ')}`);
    await knex.raw(checkFunction(table));
  }
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
