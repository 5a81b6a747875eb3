import type { Knex } from 'knex';

// Key facts the whole system shares, one row: how invoices are numbered.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE settings (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      invoice_prefix text NOT NULL DEFAULT 'INV-',
      next_invoice_number bigint NOT NULL DEFAULT 1 CHECK (next_invoice_number > 0)
    );
    INSERT INTO settings DEFAULT VALUES;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
