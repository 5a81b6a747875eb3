import type { Knex } from 'knex';
import { changedKeysCheck, insertCheck, refuseRemoval, type Key } from './keyChecks';

// The keys of accounts and account packages are checked once per statement, as the bill run's
// and the payments' are (migrations 120, 160, 171, 172, 180), instead of by five foreign keys,
// each a trigger per row: a copy of 1,000,000 accounts took 13.3 s with their three foreign
// keys and 7.7 s without (PostgreSQL 15), and a setup import writes all its accounts, then all
// its account packages, in one statement each.
// - After each statement that inserts rows, the check of migration 180 (one anti join for a big
//   statement, look-ups for a small one) over the rows it wrote; on update, a row trigger where
//   a key changed. Same error (23503), constraint name and detail as the foreign key. The
//   referenced accounts may have been written by the same transaction and be unknown to the
//   statistics: the big statement's anti join is never a nested loop (keyChecks.ts).
// - An account naming a parent or an invoicer written by the same statement passes: the check
//   runs at the statement's end. The setup import inserts all its new accounts in one
//   statement (ids taken first: billing/setup/writeSql.ts), then updates the stored ones, so it
//   no longer defers the account tree's keys to its commit (migration 100); no other code
//   writes accounts.
// - What the foreign keys also guarded, that a referenced row cannot disappear: accounts are
//   never removed and keep their ids (120); bill groups and packages now likewise (billbot has
//   no removal of either).
const KEYS: Record<string, Key[]> = {
  accounts: [
    ['bill_group_id', 'bill_groups'],
    ['invoicer_id', 'accounts'],
    ['parent_id', 'accounts'],
  ],
  account_packages: [
    ['account_id', 'accounts'],
    ['package_id', 'packages'],
  ],
};

export async function up(knex: Knex): Promise<void> {
  for (const table of ['bill_groups', 'packages']) await knex.raw(refuseRemoval(table));
  for (const [table, keys] of Object.entries(KEYS)) {
    await knex.raw(`ALTER TABLE ${table} ${keys.map(([column]) => `DROP CONSTRAINT ${table}_${column}_fkey`).join(', ')}`);
    await knex.raw(insertCheck(table, keys, 'refused'));
    await knex.raw(`
      CREATE TRIGGER ${table}_keys_inserted
        AFTER INSERT ON ${table} REFERENCING NEW TABLE AS written
        FOR EACH STATEMENT EXECUTE FUNCTION billbot_check_${table}_keys();${changedKeysCheck(table, keys)}`);
  }
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
