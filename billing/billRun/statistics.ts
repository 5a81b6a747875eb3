import type { Db } from '../db';

/**
 * Table statistics after a bulk write. The planner plans each statement on the statistics of
 * the tables it reads (pg_statistic, pg_class.reltuples); a table written in bulk since its
 * last ANALYZE is planned on the numbers from before (a table never analyzed: on a guess from
 * its size), and autovacuum analyzes it only a while later. So the setup import (its write's
 * transaction) and a bill run (once it completes) analyze the tables they changed much, and
 * the next statement (the run after an import, the export after a run) is planned on true
 * numbers. test/bench/RESULTS.md ("User path: after the fixes") has what it costs and buys.
 */

/** Fewer rows changed than this: no ANALYZE (what a few rows change, autovacuum catches up with). */
export const ANALYZE_MIN_ROWS = 1000;

/** A table is analyzed when the rows changed are at least this share of the rows it had (autovacuum's own default). */
export const ANALYZE_SHARE = 0.1;

/**
 * The statistics target of these ANALYZEs: a sample of 300 x 30 = 9,000 rows a table (PostgreSQL's
 * default, 100, samples 30,000), with 30 most common values and 30 histogram buckets a column.
 * The three tables a 100,000-account run changes were analyzed in half the time (0.25 s against
 * 0.50 s); their keys, dates and statuses are planned as well on the smaller sample (RESULTS.md,
 * "Session 8"). Autovacuum's own ANALYZE, later, uses the server's default.
 */
export const ANALYZE_TARGET = 30;

/**
 * ANALYZE of `tables` (SQL text: names, or `??` placeholders) sampled with statistics target
 * `target` for this statement only: one multi-statement query, a transaction of its own on a
 * pool or part of the caller's, after which the session's own target applies again.
 */
export const analyzeSampled = (tables: string, target: number): string =>
  `SET LOCAL default_statistics_target = ${target}; ANALYZE ${tables}; RESET default_statistics_target`;

/**
 * Analyzes each table of `changed` (table name -> rows inserted or updated) whose change is
 * at least ANALYZE_MIN_ROWS rows and ANALYZE_SHARE of the rows its statistics know of (a table
 * never analyzed, always). Inside a transaction, ANALYZE counts the transaction's own rows and
 * its statistics commit (or roll back) with them. Returns the tables analyzed.
 */
export async function analyzeChanged(db: Db, changed: Record<string, number>): Promise<string[]> {
  const candidates = Object.keys(changed).filter((t) => changed[t] >= ANALYZE_MIN_ROWS);
  if (candidates.length === 0) return [];
  const known = await rowsKnown(db, candidates);
  const tables = Object.keys(known)
    .filter((t) => known[t] < 0 || changed[t] >= ANALYZE_SHARE * known[t])
    .sort();
  if (tables.length) await db.raw(analyzeSampled(tables.map(() => '??').join(', '), ANALYZE_TARGET), tables);
  return tables;
}

/** The rows each table's statistics know of (pg_class.reltuples; -1: never analyzed), by table name. */
export async function rowsKnown(db: Db, tables: string[]): Promise<Record<string, number>> {
  const { rows } = await db.raw(
    `SELECT c.relname AS name, c.reltuples AS tuples FROM pg_class c
     WHERE c.oid = ANY(SELECT to_regclass(t) FROM unnest(?::text[]) AS t)`,
    [tables],
  );
  return Object.fromEntries((rows as { name: string; tuples: number }[]).map((r) => [r.name, Number(r.tuples)]));
}
