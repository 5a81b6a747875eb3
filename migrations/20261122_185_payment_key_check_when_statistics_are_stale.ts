import type { Knex } from 'knex';
import { insertCheck } from './keyChecks';

// The payments' account key (migration 180) for a big statement: its anti join is not a nested
// loop while the accounts' statistics are stale (the table over twice the pages they counted:
// analyzed empty, e.g. after an import rolled back, then filled). With them saying empty, the
// nested loop read every account for each payment: 25,000 payments did not finish their check
// in 3 s (test/payments/paymentKeys.test.ts). With true statistics the planner keeps its
// choice: 100,000 payments against 1,000,000 accounts are checked by look-ups by index, which a
// hash of every account would make 0.6-0.9 s slower (RESULTS.md, "Session 9"). Same error,
// constraint name and detail as before.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(insertCheck('payments', [['account_id', 'accounts']], 'refused when stale'));
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
