import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE bill_groups (
      id bigserial PRIMARY KEY,
      name text NOT NULL CHECK (length(btrim(name)) > 0)
    );
    CREATE UNIQUE INDEX bill_groups_name_key ON bill_groups (lower(name));
    INSERT INTO bill_groups (name) VALUES ('Default');

    CREATE TABLE accounts (
      id bigserial PRIMARY KEY,
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      display_name text,
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'cancelled')),
      bill_group_id bigint NOT NULL REFERENCES bill_groups(id),
      bill_day smallint NOT NULL DEFAULT 1 CHECK (bill_day BETWEEN 1 AND 28),
      parent_id bigint REFERENCES accounts(id),
      invoicer_id bigint REFERENCES accounts(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (parent_id IS NULL OR parent_id <> id),
      CHECK (invoicer_id IS NULL OR invoicer_id <> id)
    );
    CREATE UNIQUE INDEX accounts_name_key ON accounts (lower(name));
    CREATE INDEX accounts_parent_idx ON accounts (parent_id);
    CREATE INDEX accounts_invoicer_idx ON accounts (invoicer_id);
    CREATE INDEX accounts_bill_group_idx ON accounts (bill_group_id);
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
