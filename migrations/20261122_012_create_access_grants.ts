import type { Knex } from 'knex';

// Who may do what: a person (a Slack user id) holds one or more roles. The highest one
// counts: viewer < operator < admin. Admins named in BILLING_ADMINS are not stored here.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE access_grants (
      principal text NOT NULL CHECK (length(btrim(principal)) > 0),
      role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
      granted_by text NOT NULL,
      granted_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (principal, role)
    );
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
