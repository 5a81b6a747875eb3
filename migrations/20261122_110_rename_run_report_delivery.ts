import type { Knex } from 'knex';

// A bill run's report is delivered by a face (Slack, the shell); billing keeps only plain
// state about it: where it goes (its destination, as configured or asked), the id the face
// gave that destination once it delivered there, and the id of the message that carries the
// report. The columns were named after Slack (channel, channel id, message ts).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE bill_run_reports RENAME COLUMN channel TO destination;
    ALTER TABLE bill_run_reports RENAME COLUMN channel_id TO destination_id;
    ALTER TABLE bill_run_reports RENAME COLUMN message_ts TO message_id;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
