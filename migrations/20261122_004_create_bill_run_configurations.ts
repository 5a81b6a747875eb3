import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE bill_run_configurations (
      id bigserial PRIMARY KEY,
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      bill_packages boolean NOT NULL DEFAULT true,
      generate_invoice boolean NOT NULL DEFAULT true,
      period_rule text NOT NULL DEFAULT 'current month'
        CHECK (period_rule IN ('current month', 'previous month', 'explicit')),
      period_start date,
      period_end date,
      schedule text,
      time_zone text NOT NULL DEFAULT 'UTC',
      report_channel text,
      paused boolean NOT NULL DEFAULT false,
      CHECK (period_rule <> 'explicit' OR (period_start IS NOT NULL AND period_end IS NOT NULL AND period_start <= period_end))
    );
    CREATE UNIQUE INDEX bill_run_configurations_name_key ON bill_run_configurations (lower(name));

    CREATE TABLE bill_run_configuration_groups (
      configuration_id bigint NOT NULL REFERENCES bill_run_configurations(id),
      bill_group_id bigint NOT NULL REFERENCES bill_groups(id),
      PRIMARY KEY (configuration_id, bill_group_id)
    );
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
