// The SQL of the statement-sized key checks, shared by migrations 180, 184 and 185 (not a migration
// itself: it is not listed in ./index.ts). What it builds is what those migrations create on a
// new database, so it is not changed: a check made differently gets a function of its own.
// Same errors (23503), constraint names and details as the foreign keys the checks replace.

/** A key column and the table whose id it names. */
export type Key = [column: string, referenced: string];

/**
 * Refuses DELETE, TRUNCATE and a change of id on a table (23001) whose rows keys name that no
 * foreign key guards (billbot_refuse_removal, migration 120). Creates <table>_never_removed and
 * <table>_id_kept.
 */
export function refuseRemoval(table: string): string {
  return `
      CREATE TRIGGER ${table}_never_removed BEFORE DELETE OR TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION billbot_refuse_removal();
      CREATE TRIGGER ${table}_id_kept BEFORE UPDATE OF id ON ${table}
        FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION billbot_refuse_removal();
    `;
}

/** The rows a statement must write at least to be checked by one planned anti join. */
export const BIG_STATEMENT = 10_000;

function refusal(table: string, column: string, referenced: string, value: string): string {
  return `RAISE EXCEPTION 'insert or update on table "${table}" violates foreign key constraint "${table}_${column}_fkey"'
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '${table}_${column}_fkey', TABLE = '${table}',
                DETAIL = format('Key (${column})=(%s) is not present in table "${referenced}".', ${value});`;
}

/**
 * A key checked on update only in the rows whose key changed: a row trigger on the key columns
 * whose WHEN clause skips every other row at no cost (a statement trigger with a transition
 * table cannot name columns). Creates billbot_check_<table>_changed_keys and <table>_keys_changed.
 */
export function changedKeysCheck(table: string, keys: Key[]): string {
  const checks = keys.map(
    ([column, referenced]) => `
      IF NEW.${column} IS DISTINCT FROM OLD.${column} AND NEW.${column} IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM ${referenced} r WHERE r.id = NEW.${column}) THEN
        ${refusal(table, column, referenced, `NEW.${column}`)}
      END IF;`,
  );
  const changed = keys.map(([column]) => `OLD.${column} IS DISTINCT FROM NEW.${column}`).join(' OR ');
  return `
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
function missingKeys(keys: Key[], lookUp: 'lateral' | 'anti join'): string {
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

/** Every look-up by the referenced primary key, the distinct values found in memory (migration 171). */
const CHECK_SETTINGS = `SET enable_seqscan = off SET work_mem = '64MB'`;

/**
 * The check of the rows a statement inserted (the transition table `written`), at its end: a
 * big statement (BIG_STATEMENT rows or more) by one anti join planned for it (EXECUTE), a
 * small one by a look-up per distinct value. Creates or replaces billbot_check_<table>_keys.
 * `nestedLoop`: a referenced table may have been written in bulk by the same transaction
 * (accounts, then their packages; an account tree) while its statistics say it is empty (last
 * analyzed so, e.g. after an import rolled back): the big statement's anti join would then be a
 * nested loop reading every referenced row for each row written. A nested loop is refused to
 * that plan (`'refused'`): a hash or merge anti join whatever the statistics. `'refused when stale'`: only
 * while a referenced table is over twice the pages its statistics last counted (analyzed
 * empty, or grown since), so that a big statement naming few of many rows keeps its look-ups
 * by index (migration 185).
 */
export function insertCheck(table: string, keys: Key[], nestedLoop: 'allowed' | 'refused' | 'refused when stale' = 'allowed'): string {
  const referenced = [...new Set(keys.map(([, r]) => `'${r}'::regclass`))].join(', ');
  const refuse =
    nestedLoop === 'refused when stale'
      ? `
        IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid IN (${referenced})
                   AND c.relpages * 2 < pg_relation_size(c.oid) / current_setting('block_size')::int) THEN
          PERFORM set_config('enable_nestloop', 'off', true);
        END IF;`
      : nestedLoop === 'refused'
        ? "\n        PERFORM set_config('enable_nestloop', 'off', true);"
        : '';
  return `
    CREATE OR REPLACE FUNCTION billbot_check_${table}_keys() RETURNS trigger LANGUAGE plpgsql
      ${CHECK_SETTINGS}${nestedLoop !== 'allowed' ? ' SET enable_nestloop = on' : ''} AS $$
    DECLARE
      missing record;
    BEGIN
      IF (SELECT count(*) FROM written) >= ${BIG_STATEMENT} THEN
        PERFORM set_config('enable_seqscan', 'on', true);${refuse}
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
