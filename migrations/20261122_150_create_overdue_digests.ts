import type { Knex } from 'knex';

// The overdue digest: per Slack channel, a cron schedule (in a time zone) on which the aging
// summary and the invoices that became overdue since the last digest are posted there. Each
// fire time is claimed once in digest_fires, whatever the number of bot processes (as
// scheduled_fires claims a configuration's fire), together with what the digest says, built in
// the claiming transaction, and the as-of day it counted to (overdue_digests.last_as_of: the next
// digest counts from it). posted_at, channel_id and message_ts record the post, so a later
// sweep posts a claimed digest that was not posted, and never one twice.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE overdue_digests (
      id bigserial PRIMARY KEY,
      channel text NOT NULL CHECK (length(btrim(channel)) BETWEEN 1 AND 100),
      schedule text NOT NULL CHECK (length(btrim(schedule)) BETWEEN 1 AND 200),
      time_zone text NOT NULL DEFAULT 'UTC',
      paused boolean NOT NULL DEFAULT false,
      -- A fire time before it was never due (the schedule did not exist, was different, or was paused).
      schedule_since timestamptz NOT NULL DEFAULT now(),
      last_as_of date,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX overdue_digests_channel_key ON overdue_digests (lower(channel));

    CREATE TABLE digest_fires (
      digest_id bigint NOT NULL REFERENCES overdue_digests(id),
      scheduled_for timestamptz NOT NULL,
      as_of date NOT NULL,
      since date,
      content jsonb NOT NULL,
      claimed_by text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      channel_id text,
      message_ts text,
      posted_at timestamptz,
      PRIMARY KEY (digest_id, scheduled_for)
    );
    CREATE INDEX digest_fires_unposted ON digest_fires (digest_id) WHERE posted_at IS NULL;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
