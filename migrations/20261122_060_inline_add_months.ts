import type { Knex } from 'knex';

// billbot_add_months (migration 011), rewritten so that Postgres inlines it into the queries
// that call it: a bill run calls it several times per package billed, and as a function call
// it cost about four times as much. The answers are the same (test/billing/dates.test.ts
// checks them against billing/dates.ts addMonths). What inlining needs:
// - one SELECT of one expression, no FROM;
// - only immutable functions (so the date is moved as a timestamp without time zone, which
//   also makes the answer independent of the session's TimeZone);
// - only strict functions and operators, as the function is STRICT: no LEAST or CASE, so the
//   smaller of the anchor day and the month's length is (a + b - |a - b|) / 2.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION billbot_add_months(d date, months integer, anchor_day integer) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      -- first day of the target month + (least(anchor day, days in the target month) - 1) days,
      -- the days in the month written out twice (no FROM, so no name for it)
      SELECT (date_trunc('month', d::timestamp) + make_interval(months => months)
              + make_interval(days => (
                  anchor_day
                  + extract(day FROM date_trunc('month', d::timestamp) + make_interval(months => months + 1) - interval '1 day')::int
                  - abs(anchor_day
                        - extract(day FROM date_trunc('month', d::timestamp) + make_interval(months => months + 1) - interval '1 day')::int)
                ) / 2 - 1))::date
    $$;
  `);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only.');
}
