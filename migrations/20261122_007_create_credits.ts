import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE credits (
      id bigserial PRIMARY KEY,
      account_id bigint NOT NULL REFERENCES accounts(id),
      unit_amount numeric(20, 6) NOT NULL CHECK (unit_amount > 0),
      quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
      amount numeric(20, 6) NOT NULL CHECK (amount = unit_amount * quantity),
      currency char(3) NOT NULL,
      credit_date date NOT NULL,
      detail text NOT NULL CHECK (length(btrim(detail)) > 0),
      auto_disburse boolean NOT NULL DEFAULT false,
      created_by text NOT NULL,
      request_key text,
      status text NOT NULL DEFAULT 'unissued'
        CHECK (status IN ('unissued', 'issued', 'reversal pending', 'reversed', 'deleted')),
      issued_invoice_id bigint REFERENCES invoices(id),
      amount_left numeric(20, 6) NOT NULL CHECK (amount_left >= 0 AND amount_left <= amount),
      reversed_amount numeric(20, 6) CHECK (reversed_amount >= 0),
      reversal_invoice_id bigint REFERENCES invoices(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      -- A deleted credit stays as a row (the audit trail points at it) but is never billed or shown as live.
      CHECK ((status IN ('unissued', 'deleted')) = (issued_invoice_id IS NULL)),
      CHECK ((status IN ('reversal pending', 'reversed')) = (reversed_amount IS NOT NULL)),
      CHECK ((status = 'reversed') = (reversal_invoice_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX credits_request_key ON credits (request_key) WHERE request_key IS NOT NULL;
    CREATE INDEX credits_account_idx ON credits (account_id);
    CREATE INDEX credits_waiting_idx ON credits (account_id) WHERE status IN ('unissued', 'reversal pending');
    CREATE INDEX credits_issued_invoice_idx ON credits (issued_invoice_id);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
