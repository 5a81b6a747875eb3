import type { Db } from '../db';
import type { RunRow } from './plan';
import { rowsKnown } from './statistics';

/**
 * The first accounts a run billed, in the report's account order (case-insensitive name order:
 * lower(name), which is unique, so the order is total). A report shows only these accounts'
 * charges.
 *
 * Found by walking the accounts in that order (the accounts_name_key index), a page at a time,
 * each page's accounts checked for a charge of the run by index look-ups: when most accounts
 * are billed, a page or two. Reading the run's charges whole instead (every account billed,
 * then its name) took 0.97 s at 1,000,000 accounts in a run, and 2.4 s in each part of a
 * preview, whose own rows are not in the planner's statistics (it looked the 500,000 accounts
 * up one by one). The walk is bounded: when the run billed few of the accounts, or the walk
 * finds too few of them in its pages (say, a run of one bill group whose names all sort last),
 * the charges are read whole after all.
 */

/** Accounts read in one step of the walk, and the most steps before the charges are read whole (tests make them small). */
export const WALK = { page: 1000, pages: 10 };

/** A run as the report reads it: its id and billing period. */
export type RunPeriod = Pick<RunRow, 'id' | 'period_start' | 'period_end'>;

/** Ids of the first `limit` accounts the run charged, in the report's account order. */
export async function firstBilledAccounts(
  db: Db,
  run: RunPeriod,
  limit: number,
  accountsBilled: number,
): Promise<string[]> {
  if (limit <= 0 || accountsBilled === 0) return [];
  if (await walkPays(db, limit, accountsBilled)) {
    const walked = await walk(db, run, limit);
    if (walked) return walked;
  }
  const { rows } = await db.raw(
    `SELECT a.id FROM accounts a
     WHERE a.id IN (SELECT account_id FROM transactions WHERE bill_run_id = :run AND kind = 'charge')
     ORDER BY lower(a.name)
     LIMIT :limit`,
    { run: run.id, limit },
  );
  return rows.map((r: { id: string }) => String(r.id));
}

/**
 * Whether the walk is likely to find `limit` billed accounts within its pages: with the run's
 * accounts spread over the name order, it reads about limit × accounts / billed of them.
 * The number of accounts is the statistics' estimate (kept by every write of many accounts).
 */
async function walkPays(db: Db, limit: number, accountsBilled: number): Promise<boolean> {
  const { accounts: known = 0 } = await rowsKnown(db, ['accounts']);
  const accounts = Math.max(known, accountsBilled);
  return (limit * accounts) / accountsBilled <= (WALK.page * WALK.pages) / 2;
}

/** The walk; null when its pages did not hold `limit` billed accounts and accounts remain. */
async function walk(db: Db, run: RunPeriod, limit: number): Promise<string[] | null> {
  const found: string[] = [];
  let after = '';
  for (let step = 0; step < WALK.pages; step++) {
    // The EXISTS is in the select list, so that it stays a look-up per account of the page (as a
    // join, the planner may read every charge of the run to hash them); OFFSET 0 keeps the run's
    // id out of the look-up (in a preview, whose rows the statistics cannot see, the planner
    // took the run's index and read every charge of the run per account: 1.3 s a page).
    const { rows } = await db.raw(
      `WITH page AS MATERIALIZED (
         SELECT a.id, lower(a.name) AS k FROM accounts a WHERE lower(a.name) > :after ORDER BY lower(a.name) LIMIT :page
       )
       SELECT page.id, page.k, EXISTS (
         SELECT 1 FROM (
           SELECT t.bill_run_id FROM account_packages ap JOIN transactions t ON t.account_package_id = ap.id
           WHERE ap.account_id = page.id AND t.kind = 'charge' AND t.period_start BETWEEN :ps AND :pe
           OFFSET 0
         ) c WHERE c.bill_run_id = :run
       ) AS billed
       FROM page ORDER BY page.k`,
      { after, page: WALK.page, run: run.id, ps: run.period_start, pe: run.period_end },
    );
    for (const r of rows as { id: string; k: string; billed: boolean }[]) {
      if (!r.billed) continue;
      found.push(String(r.id));
      if (found.length === limit) return found;
    }
    if (rows.length < WALK.page) return found; // every account read
    after = rows[rows.length - 1].k;
  }
  return null;
}
