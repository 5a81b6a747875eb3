import type { Knex } from 'knex';

// A payment (or a credit disbursed) lowers an invoice's balance. That update wrote a new row
// version with an entry in each of the invoices' five indexes: the partial index of unpaid
// invoices (balance > 0) names the balance, and a column an index depends on rules out a HOT
// update. A payments import paying 150,000 invoices spent 2.3 s of its 5.3 s write on that
// (test/bench/RESULTS.md, "Payments import: session 7").
// - The partial index goes: an account's unpaid invoices are found through invoices_account_idx
//   (an account has few invoices; they are filtered and sorted by due date in memory), and the
//   aging report reads the invoices table whole (it did nearly so at 1,000,000 open invoices).
// - Half of each page is left free, as for account packages (migration 061): the invoices of a
//   bill run fill pages together and are paid together, so each needs room for one new version
//   on its page. The old versions are pruned by later reads, so the room comes back.
// Existing pages keep their fill; invoices written from now on get the room.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX invoices_unpaid_due_idx;
    ALTER TABLE invoices SET (fillfactor = 50);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
