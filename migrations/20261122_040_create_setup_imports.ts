import type { Knex } from 'knex';

// Who applied a setup workbook and what it changed: one row per applied import, which the
// database refuses to change or remove (refuse_audit_change() comes from the credit_events
// migration).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE setup_imports (
      id bigserial PRIMARY KEY,
      actor text NOT NULL CHECK (length(btrim(actor)) > 0),
      at timestamptz NOT NULL DEFAULT now(),
      summary jsonb NOT NULL
    );

    CREATE TRIGGER setup_imports_append_only
      BEFORE UPDATE OR DELETE ON setup_imports
      FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
    CREATE TRIGGER setup_imports_no_truncate
      BEFORE TRUNCATE ON setup_imports
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
