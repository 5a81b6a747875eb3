import type { Knex } from 'knex';

// What each batch billed, counted by the batch's own statement as it writes it (accounts and
// packages billed, charges, reversed credits, invoices, the invoiced amount per currency).
// A run's totals were counted from every charge it wrote once it completed: at 1,000,000
// accounts, 1,750,000 charges read and two distinct counts sorted, 1.7-2.5 s after the last
// batch (and about half of that in each part of a preview). They are now the sum of its
// batches' counts. NULL in a batch billed before this migration: its run is counted as before.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE bill_run_batches ADD COLUMN counts jsonb');
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
