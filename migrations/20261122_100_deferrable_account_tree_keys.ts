import type { Knex } from 'knex';

// A setup import writes its new accounts in slices of a few thousand rows (billing/setup.ts),
// so that no statement carries 100,000 rows of parameters at once (the import's peak memory,
// test/bench/RESULTS.md). An account in one slice may name a parent or an invoicer in a later
// slice: the two keys of the account tree become DEFERRABLE, still INITIALLY IMMEDIATE, and the
// import defers them to its commit, where every account it names exists or nothing is written.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `ALTER TABLE accounts
       ALTER CONSTRAINT accounts_parent_id_fkey DEFERRABLE INITIALLY IMMEDIATE,
       ALTER CONSTRAINT accounts_invoicer_id_fkey DEFERRABLE INITIALLY IMMEDIATE`,
  );
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
