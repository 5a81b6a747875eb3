import type { Knex } from 'knex';

// A setup workbook that has been checked (a dry run) and waits for someone to confirm or
// cancel it: the exact bytes that were previewed, so that confirming applies that file and
// nothing else. (source, sha256) is unique, so the same upload delivered twice (a retried
// event, two events for one file) is previewed once; the status changes once, under a row
// lock, so a double-clicked Confirm applies it once. The bytes are dropped once it is
// decided or has expired; the row stays as the record of what was decided.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE pending_imports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      source text NOT NULL CHECK (length(btrim(source)) BETWEEN 1 AND 200),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 300),
      actor text NOT NULL CHECK (length(btrim(actor)) > 0),
      content bytea CHECK (content IS NULL OR octet_length(content) <= 20971520),
      status text NOT NULL DEFAULT 'checking'
        CHECK (status IN ('checking', 'previewed', 'rejected', 'applied', 'failed', 'cancelled')),
      summary jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      decided_by text,
      decided_at timestamptz,
      UNIQUE (source, sha256),
      CHECK (status IN ('checking', 'previewed') OR content IS NULL),
      CHECK ((decided_by IS NULL) = (status IN ('checking', 'previewed', 'rejected')))
    );
    CREATE INDEX pending_imports_with_content ON pending_imports (expires_at) WHERE content IS NOT NULL;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
