import type { Knex } from 'knex';

// Scheduled bill runs: each (configuration, scheduled time) is claimed once in the database,
// whatever the number of bot processes; each reported run has one row saying what has been
// posted to Slack, so a restarted process never posts a run's notice twice.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Since when the configuration's current schedule counts: a fire time before it was never
    -- due (the schedule did not exist, was different, or was paused), so it is not caught up.
    ALTER TABLE bill_run_configurations ADD COLUMN schedule_since timestamptz NOT NULL DEFAULT now();

    CREATE FUNCTION billbot_schedule_since() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.schedule_since IS NOT DISTINCT FROM OLD.schedule_since
         AND (NEW.schedule IS DISTINCT FROM OLD.schedule
              OR NEW.time_zone IS DISTINCT FROM OLD.time_zone
              OR (OLD.paused AND NOT NEW.paused)) THEN
        NEW.schedule_since := now();
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER bill_run_configurations_schedule_since BEFORE UPDATE ON bill_run_configurations
      FOR EACH ROW EXECUTE FUNCTION billbot_schedule_since();

    -- Schedulers LISTEN on this channel to reschedule at once after a change (they poll too).
    CREATE FUNCTION billbot_notify_configurations() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('billbot_configurations', '');
      RETURN NULL;
    END $$;
    CREATE TRIGGER bill_run_configurations_notify AFTER INSERT OR UPDATE OR DELETE ON bill_run_configurations
      FOR EACH STATEMENT EXECUTE FUNCTION billbot_notify_configurations();

    CREATE TABLE scheduled_fires (
      configuration_id bigint NOT NULL REFERENCES bill_run_configurations(id),
      scheduled_for timestamptz NOT NULL,
      bill_run_id bigint REFERENCES bill_runs(id),
      -- Started after its time (caught up at start-up, or the process was busy or asleep).
      late boolean NOT NULL DEFAULT false,
      claimed_by text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      -- Why the run could not be started (the configuration targets nothing, ...).
      error text,
      PRIMARY KEY (configuration_id, scheduled_for)
    );
    CREATE UNIQUE INDEX scheduled_fires_bill_run ON scheduled_fires (bill_run_id) WHERE bill_run_id IS NOT NULL;

    -- A bill run's report in a Slack channel. Each step is recorded as soon as it is done.
    CREATE TABLE bill_run_reports (
      bill_run_id bigint PRIMARY KEY REFERENCES bill_runs(id),
      channel text NOT NULL,
      late boolean NOT NULL DEFAULT false,
      scheduled_for timestamptz,
      -- Slack's id of the channel and timestamp of the message, once posted.
      channel_id text,
      message_ts text,
      progress_posted_at timestamptz,
      -- The run status the message's last end report shows ('completed' or 'failed').
      final_status text CHECK (final_status IN ('completed', 'failed')),
      final_posted_at timestamptz,
      workbook_posted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX bill_run_reports_pending ON bill_run_reports (bill_run_id) WHERE workbook_posted_at IS NULL;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
