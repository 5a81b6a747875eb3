import type { Knex } from 'knex';

// The credit audit trail: one row per credit action, which the database refuses to
// change or remove.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE credit_events (
      id bigserial PRIMARY KEY,
      credit_id bigint NOT NULL REFERENCES credits(id),
      action text NOT NULL CHECK (action IN ('added', 'deleted', 'issued', 'disbursed', 'reversal requested', 'reversed')),
      actor text NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      before jsonb,
      after jsonb
    );
    CREATE INDEX credit_events_credit_idx ON credit_events (credit_id);

    CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the audit trail can only grow: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;

    CREATE TRIGGER credit_events_append_only
      BEFORE UPDATE OR DELETE ON credit_events
      FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
    CREATE TRIGGER credit_events_no_truncate
      BEFORE TRUNCATE ON credit_events
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
