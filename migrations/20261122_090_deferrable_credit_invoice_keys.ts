import type { Knex } from 'knex';

// A bill run's batch inserts its invoices last, just before its commit (billing/billRuns.ts,
// insertInvoices): their gapless numbers come from one counter row, which a batch then holds
// only for that short end instead of for most of the batch, so that batches billed at once do
// not wait for each other. The rows written before the invoices refer to them: transactions
// (already DEFERRABLE, migration 062) and the credits issued or reversed onto them. Those two
// keys become DEFERRABLE, still INITIALLY IMMEDIATE: everything else checks them as before,
// and a batch defers them to its commit, where every invoice it refers to exists or the commit
// fails.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `ALTER TABLE credits
       ALTER CONSTRAINT credits_issued_invoice_id_fkey DEFERRABLE INITIALLY IMMEDIATE,
       ALTER CONSTRAINT credits_reversal_invoice_id_fkey DEFERRABLE INITIALLY IMMEDIATE`,
  );
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
