import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE transactions (
      id bigserial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('charge', 'reversed credit')),
      account_id bigint NOT NULL REFERENCES accounts(id),
      account_package_id bigint REFERENCES account_packages(id),
      service_id bigint REFERENCES services(id),
      credit_id bigint REFERENCES credits(id),
      period_start date,
      period_end date,
      quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
      amount numeric(20, 6) NOT NULL,
      posting_date date NOT NULL,
      bill_run_id bigint NOT NULL REFERENCES bill_runs(id),
      invoice_id bigint REFERENCES invoices(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (kind <> 'charge' OR (account_package_id IS NOT NULL AND service_id IS NOT NULL
                                 AND period_start IS NOT NULL AND period_end IS NOT NULL AND credit_id IS NULL)),
      CHECK (kind <> 'reversed credit' OR (credit_id IS NOT NULL AND account_package_id IS NULL))
    );
    -- The schema itself refuses to charge one account package's service twice for a period.
    CREATE UNIQUE INDEX transactions_charge_once ON transactions (account_package_id, service_id, period_start)
      WHERE kind = 'charge';
    -- A credit is reversed onto exactly one invoice.
    CREATE UNIQUE INDEX transactions_reversal_once ON transactions (credit_id) WHERE kind = 'reversed credit';
    CREATE INDEX transactions_uninvoiced_idx ON transactions (account_id) WHERE invoice_id IS NULL;
    CREATE INDEX transactions_invoice_idx ON transactions (invoice_id);
    CREATE INDEX transactions_bill_run_idx ON transactions (bill_run_id);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
