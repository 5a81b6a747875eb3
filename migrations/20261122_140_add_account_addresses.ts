import type { Knex } from 'knex';

// An account's postal address, printed under the invoicer's name on its invoices: optional
// fields, at most 200 characters each (billing/address.ts).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE accounts
      ADD COLUMN address_line1 text CHECK (length(address_line1) <= 200),
      ADD COLUMN address_line2 text CHECK (length(address_line2) <= 200),
      ADD COLUMN city text CHECK (length(city) <= 200),
      ADD COLUMN region text CHECK (length(region) <= 200),
      ADD COLUMN postal_code text CHECK (length(postal_code) <= 200),
      ADD COLUMN country text CHECK (length(country) <= 200);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
