import type { Knex } from 'knex';

// Payments received from invoicer accounts and what each was applied to. A payment is shown
// as PM-000001 (its id). A reference is unique per account (recording the same payment twice is
// refused by the database, not only by billing/payments/). An application is a row of kind
// 'applied'; the reversal of a payment adds, for each of its applications, a row of kind
// 'reversed' that names the application it gives back (at most once): the ledger only grows.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE payments (
      id bigserial PRIMARY KEY,
      account_id bigint NOT NULL REFERENCES accounts(id),
      currency char(3) NOT NULL,
      amount numeric(20, 6) NOT NULL CHECK (amount > 0),
      unapplied numeric(20, 6) NOT NULL CHECK (unapplied >= 0 AND unapplied <= amount),
      received_on date NOT NULL,
      method text CHECK (length(btrim(method)) BETWEEN 1 AND 100),
      reference text CHECK (length(btrim(reference)) BETWEEN 1 AND 200),
      status text NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'reversed')),
      reversal_reason text CHECK (length(btrim(reversal_reason)) BETWEEN 1 AND 500),
      reversed_at timestamptz,
      reversed_by text,
      request_key text,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text NOT NULL,
      CONSTRAINT payments_account_reference_key UNIQUE (account_id, reference),
      CHECK ((status = 'reversed') = (reversal_reason IS NOT NULL AND reversed_at IS NOT NULL AND reversed_by IS NOT NULL))
    );
    CREATE UNIQUE INDEX payments_request_key ON payments (request_key) WHERE request_key IS NOT NULL;
    CREATE INDEX payments_unapplied_idx ON payments (account_id, id) WHERE status = 'recorded' AND unapplied > 0;

    CREATE TABLE payment_applications (
      id bigserial PRIMARY KEY,
      payment_id bigint NOT NULL REFERENCES payments(id),
      invoice_id bigint NOT NULL REFERENCES invoices(id),
      kind text NOT NULL CHECK (kind IN ('applied', 'reversed')),
      amount numeric(20, 6) NOT NULL CHECK (amount > 0),
      reverses_id bigint UNIQUE REFERENCES payment_applications(id),
      automatic boolean NOT NULL DEFAULT false,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((kind = 'reversed') = (reverses_id IS NOT NULL))
    );
    CREATE INDEX payment_applications_payment_idx ON payment_applications (payment_id);
    CREATE INDEX payment_applications_invoice_idx ON payment_applications (invoice_id);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
