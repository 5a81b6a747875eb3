import type { Knex } from 'knex';

// The SQL twin of billing/dates.ts addMonths, for set-based bill runs: move a date by
// whole months, anchored to a day of the month that clamps to the month's last day.
// test/billing/dates.test.ts checks that both give the same answers.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION billbot_add_months(d date, months integer, anchor_day integer) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT (m + (LEAST(anchor_day, extract(day FROM (m + interval '1 month' - interval '1 day'))::int) - 1))::date
      FROM (SELECT (date_trunc('month', d) + make_interval(months => months))::date AS m) AS x
    $$;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
