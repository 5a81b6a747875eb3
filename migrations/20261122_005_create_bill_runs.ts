import type { Knex } from 'knex';

// A bill run is a row before any work starts; its work is split into batches of
// invoicer families, each committed together with the mark that it is done.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE bill_runs (
      id bigserial PRIMARY KEY,
      configuration_id bigint NOT NULL REFERENCES bill_run_configurations(id),
      scope text NOT NULL CHECK (scope IN ('account', 'bill groups')),
      account_id bigint REFERENCES accounts(id),
      period_start date NOT NULL,
      period_end date NOT NULL,
      posting_date date NOT NULL,
      invoice_date date NOT NULL,
      bill_packages boolean NOT NULL,
      generate_invoice boolean NOT NULL,
      started_by text NOT NULL,
      request_key text,
      status text NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'running', 'completed', 'failed')),
      error text,
      summary jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      CHECK (period_start <= period_end),
      CHECK ((scope = 'account') = (account_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX bill_runs_request_key ON bill_runs (request_key) WHERE request_key IS NOT NULL;
    CREATE INDEX bill_runs_status_idx ON bill_runs (status) WHERE status IN ('scheduled', 'running');

    CREATE TABLE bill_run_batches (
      bill_run_id bigint NOT NULL REFERENCES bill_runs(id),
      batch_no integer NOT NULL,
      account_ids bigint[] NOT NULL,
      done boolean NOT NULL DEFAULT false,
      done_at timestamptz,
      PRIMARY KEY (bill_run_id, batch_no)
    );
    CREATE INDEX bill_run_batches_pending_idx ON bill_run_batches (bill_run_id) WHERE NOT done;

    -- Packages a run looked at and did not bill, with the reason, for the run's summary.
    CREATE TABLE bill_run_skips (
      bill_run_id bigint NOT NULL REFERENCES bill_runs(id),
      account_package_id bigint NOT NULL REFERENCES account_packages(id),
      reason text NOT NULL,
      next_bill_date date NOT NULL,
      PRIMARY KEY (bill_run_id, account_package_id)
    );
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
