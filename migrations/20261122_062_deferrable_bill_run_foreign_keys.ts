import type { Knex } from 'knex';

// The foreign keys of the rows a bill run writes in bulk (its transactions, invoices and
// skips) become DEFERRABLE, still INITIALLY IMMEDIATE: a bill run checks them as before, at
// the end of each statement. A preview (billing/billRuns.ts previewBill) runs the real bill run
// in a transaction it rolls back; it defers them (SET CONSTRAINTS ALL DEFERRED) to that
// rollback, which skips a check per row and key (about half of the work of writing a
// transaction row) whose only possible outcome the rollback discards: every row they refer to
// is read in the same transaction, and billbot never deletes accounts, account packages,
// services, credits, bill runs or invoices.
const KEYS: Record<string, string[]> = {
  transactions: [
    'transactions_account_id_fkey',
    'transactions_account_package_id_fkey',
    'transactions_service_id_fkey',
    'transactions_credit_id_fkey',
    'transactions_bill_run_id_fkey',
    'transactions_invoice_id_fkey',
  ],
  invoices: ['invoices_account_id_fkey', 'invoices_bill_run_id_fkey'],
  bill_run_skips: ['bill_run_skips_account_package_id_fkey', 'bill_run_skips_bill_run_id_fkey'],
};

export async function up(knex: Knex): Promise<void> {
  for (const [table, keys] of Object.entries(KEYS)) {
    await knex.raw(`ALTER TABLE ${table} ${keys.map((k) => `ALTER CONSTRAINT ${k} DEFERRABLE INITIALLY IMMEDIATE`).join(', ')}`);
  }
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
