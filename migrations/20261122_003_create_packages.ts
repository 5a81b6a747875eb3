import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE packages (
      id bigserial PRIMARY KEY,
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      frequency text NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'semiannual', 'annual')),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive'))
    );
    CREATE UNIQUE INDEX packages_name_key ON packages (lower(name));

    CREATE TABLE services (
      id bigserial PRIMARY KEY,
      package_id bigint NOT NULL REFERENCES packages(id),
      name text NOT NULL CHECK (length(btrim(name)) > 0),
      price numeric(20, 6) NOT NULL CHECK (price >= 0)
    );
    CREATE UNIQUE INDEX services_package_name_key ON services (package_id, lower(name));

    CREATE TABLE account_packages (
      id bigserial PRIMARY KEY,
      account_id bigint NOT NULL REFERENCES accounts(id),
      package_id bigint NOT NULL REFERENCES packages(id),
      quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'suspended', 'cancelled')),
      effective_date date NOT NULL,
      cancel_date date,
      next_bill_date date NOT NULL,
      -- The day of month billing is anchored to, so 31 Jan -> 28 Feb -> 31 Mar does not drift.
      anchor_day smallint NOT NULL CHECK (anchor_day BETWEEN 1 AND 31),
      CHECK (cancel_date IS NULL OR cancel_date >= effective_date)
    );
    CREATE INDEX account_packages_account_idx ON account_packages (account_id);
    CREATE UNIQUE INDEX account_packages_account_package_key ON account_packages (account_id, package_id)
      WHERE status <> 'cancelled';

    CREATE TABLE service_price_overrides (
      account_package_id bigint NOT NULL REFERENCES account_packages(id),
      service_id bigint NOT NULL REFERENCES services(id),
      price numeric(20, 6) NOT NULL CHECK (price >= 0),
      PRIMARY KEY (account_package_id, service_id)
    );
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
