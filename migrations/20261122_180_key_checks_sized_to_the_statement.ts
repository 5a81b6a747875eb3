import type { Knex } from 'knex';
import { changedKeysCheck, insertCheck } from './keyChecks';

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

function rowCheck(table: string): string {
  return `
    DROP TRIGGER ${table}_keys_updated ON ${table};${changedKeysCheck(table, UPDATED_KEYS[table])}`;
}

export async function up(knex: Knex): Promise<void> {
  for (const table of Object.keys(UPDATED_KEYS)) await knex.raw(rowCheck(table));
  await knex.raw(insertCheck('payments', [['account_id', 'accounts']]));
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
