import type { Knex } from 'knex';

// The per-statement key checks (migrations 120, 160, 171, 172), sized to what a statement
// changes. Measured at 100,000 payments (EXPLAIN ANALYZE of the import's write, RESULTS.md,
// "Payments import: session 7"):
// - an update of invoices ran the invoices' key check over every row it updated (266 ms for
//   150,000 balances lowered), though a balance change leaves the keys as they were. The same
//   held for transactions and bill run skips. A key is now checked on update only in the rows
//   whose key changed: a row trigger on the key columns whose WHEN clause skips every other
//   row at no cost (a statement trigger with a transition table cannot name columns).
//   The insert checks stay per statement.
// - the keys of 100,000 payments (as of 150,000 payment applications: 855 ms) were looked up
//   one by one after a DISTINCT: a big statement is now checked by an anti join planned for
//   that statement (EXECUTE: a cached plan is made on the first statement's numbers). A small
//   statement keeps the look-ups. Payment applications' keys are checked so by migration 183,
//   in one pass with their other rules.
// Same errors (23503), constraint names and details as the foreign keys they replaced.
const UPDATED_KEYS: Record<string, [column: string, referenced: string][]> = {
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

/** The rows a statement must write at least to be checked by one planned anti join. */
const BIG_STATEMENT = 10_000;

function refusal(table: string, column: string, referenced: string, value: string): string {
  return `RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${table}_${column}_fkey"'
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${table}_${column}_fkey', TABLE = '${table}',
                DETAIL = format('Key (${column})=(%s) is not present in table "${referenced}".', ${value});`;
}

function rowCheck(table: string): string {
  const keys = UPDATED_KEYS[table];
  const checks = keys.map(
    ([column, referenced]) => `
      IF NEW.${column} IS DISTINCT FROM OLD.${column} AND NEW.${column} IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM ${referenced} r WHERE r.id = NEW.${column}) THEN
        ${refusal(table, column, referenced, `NEW.${column}`)}
      END IF;`,
  );
  const changed = keys.map(([column]) => `OLD.${column} IS DISTINCT FROM NEW.${column}`).join(' OR ');
  return `
    DROP TRIGGER ${table}_keys_updated ON ${table};
    CREATE FUNCTION billbot_check_${table}_changed_keys() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${checks.join('')}
      RETURN NULL;
    END $$;
    CREATE TRIGGER ${table}_keys_changed
      AFTER UPDATE OF ${keys.map(([column]) => column).join(', ')} ON ${table}
      FOR EACH ROW WHEN (${changed})
      EXECUTE FUNCTION billbot_check_${table}_changed_keys();`;
}

/** The first missing key of `written` (a transition table): col, referenced, k. */
function missingKeys(keys: [string, string][], lookUp: 'lateral' | 'anti join'): string {
  return keys
    .map(([column, referenced]) =>
      lookUp === 'lateral'
        ? `SELECT '${column}'::text AS col, '${referenced}'::text AS referenced, d.k
           FROM (SELECT DISTINCT n.${column} AS k FROM written n WHERE n.${column} IS NOT NULL) d
           LEFT JOIN LATERAL (SELECT true AS found FROM ${referenced} r WHERE r.id = d.k LIMIT 1) f ON true
           WHERE f.found IS NULL`
        : `SELECT '${column}'::text AS col, '${referenced}'::text AS referenced, n.${column} AS k
           FROM written n WHERE n.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${referenced} r WHERE r.id = n.${column})`,
    )
    .map((q) => `(${q} LIMIT 1)`)
    .join('\n           UNION ALL\n           ');
}

function insertCheck(table: string, keys: [string, string][]): string {
  return `
    CREATE OR REPLACE FUNCTION billbot_check_${table}_keys() RETURNS trigger LANGUAGE plpgsql
      SET enable_seqscan = off SET work_mem = '64MB' AS $$
    DECLARE
      missing record;
    BEGIN
      IF (SELECT count(*) FROM written) >= ${BIG_STATEMENT} THEN
        PERFORM set_config('enable_seqscan', 'on', true);
        EXECUTE $q$ SELECT * FROM (
           ${missingKeys(keys, 'anti join')}
        ) x LIMIT 1 $q$ INTO missing;
      ELSE
        SELECT * INTO missing FROM (
           ${missingKeys(keys, 'lateral')}
        ) x LIMIT 1;
      END IF;
      IF missing.col IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${table}_%_fkey"', missing.col
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${table}_' || missing.col || '_fkey', TABLE = '${table}',
                DETAIL = format('Key (%s)=(%s) is not present in table "%s".', missing.col, missing.k, missing.referenced);
      END IF;
      RETURN NULL;
    END $$;`;
}

export async function up(knex: Knex): Promise<void> {
  for (const table of Object.keys(UPDATED_KEYS)) await knex.raw(rowCheck(table));
  await knex.raw(insertCheck('payments', [['account_id', 'accounts']]));
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
