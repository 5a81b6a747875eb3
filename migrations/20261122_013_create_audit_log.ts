import type { Knex } from 'knex';

// The command audit trail: one row per command a person gave (allowed, refused or not
// understood), which the database refuses to change or remove (refuse_audit_change() comes
// from the credit_events migration).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL CHECK (length(btrim(actor)) > 0),
      source text NOT NULL,
      channel text,
      command text NOT NULL,
      input text NOT NULL DEFAULT '',
      action text,
      role_required text CHECK (role_required IN ('viewer', 'operator', 'admin')),
      decision text NOT NULL CHECK (decision IN ('allowed', 'refused', 'invalid')),
      detail text
    );
    CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);

    CREATE TRIGGER audit_log_append_only
      BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
    CREATE TRIGGER audit_log_no_truncate
      BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
