import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE disbursements (
      id bigserial PRIMARY KEY,
      credit_id bigint NOT NULL REFERENCES credits(id),
      invoice_id bigint NOT NULL REFERENCES invoices(id),
      amount numeric(20, 6) NOT NULL CHECK (amount > 0),
      automatic boolean NOT NULL DEFAULT false,
      created_by text NOT NULL,
      request_key text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX disbursements_request_key ON disbursements (request_key) WHERE request_key IS NOT NULL;
    CREATE INDEX disbursements_credit_idx ON disbursements (credit_id);
    CREATE INDEX disbursements_invoice_idx ON disbursements (invoice_id);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
