import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE invoices (
      id bigserial PRIMARY KEY,
      number bigint NOT NULL UNIQUE CHECK (number > 0),
      account_id bigint NOT NULL REFERENCES accounts(id),
      bill_run_id bigint NOT NULL REFERENCES bill_runs(id),
      invoice_date date NOT NULL,
      posting_date date NOT NULL,
      period_start date NOT NULL,
      period_end date NOT NULL,
      currency char(3) NOT NULL,
      total numeric(20, 6) NOT NULL,
      balance numeric(20, 6) NOT NULL CHECK (balance >= 0),
      status text NOT NULL CHECK (status IN ('open', 'paid')),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (balance <= total),
      CHECK ((status = 'paid') = (balance = 0))
    );
    CREATE INDEX invoices_account_idx ON invoices (account_id, number);
    CREATE INDEX invoices_bill_run_idx ON invoices (bill_run_id);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
