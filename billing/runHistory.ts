import { z } from 'zod';
import { findConfiguration } from './configurations';
import { InvalidInputError } from './errors';
import { Money } from './money';
import { firstIssue } from './schemas';
import type { Db } from './db';

/**
 * A configuration's run history: its last completed bill runs with the invoices each created
 * and their total per currency (exact decimal text), oldest first. Read from each completed
 * run's summary (written when it completed), so the answer costs the same whatever the size
 * of the runs. Runs that failed, and runs not finished yet, are left out: their figures are
 * not final.
 */

export interface RunHistoryEntry {
  id: number;
  /** An account's own bill (null: the configuration's bill groups). */
  account: string | null;
  periodStart: string;
  periodEnd: string;
  /** When the run completed (ISO 8601, UTC). */
  finishedAt: string;
  invoices: number;
  /** The amount invoiced per currency, by currency code; none when it created no invoice. */
  totals: { currency: string; amount: string }[];
}

export interface RunHistory {
  configuration: string;
  runs: RunHistoryEntry[];
}

export const MAX_RUN_HISTORY = 100;

const optionsSchema = z.object({
  last: z
    .number({ error: 'Say how many runs.' })
    .int('Say how many runs as a whole number.')
    .min(1, 'A run history has at least 1 run.')
    .max(MAX_RUN_HISTORY, `A run history has at most ${MAX_RUN_HISTORY} runs.`)
    .default(12),
  /** Only runs up to this one (a report of run N shows the runs before it, not those after). */
  through: z.number().int().positive().nullish(),
});
export type RunHistoryOptions = z.input<typeof optionsSchema>;

export async function runHistory(db: Db, configuration: string | null, options: RunHistoryOptions = {}): Promise<RunHistory> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  const { last, through } = parsed.data;
  const config = await findConfiguration(db, configuration);
  const { rows } = await db.raw(
    `SELECT r.id, a.name AS account, to_char(r.period_start, 'YYYY-MM-DD') AS period_start,
            to_char(r.period_end, 'YYYY-MM-DD') AS period_end, r.finished_at,
            -- A completed run has its summary; counted from its invoices should one lack it.
            coalesce(r.summary, (SELECT jsonb_build_object('invoicesCreated', coalesce(sum(t.n), 0),
                                                           'invoicedByCurrency', coalesce(jsonb_object_agg(t.currency, t.total), '{}'::jsonb))
                                 FROM (SELECT currency, count(*) AS n, sum(total)::text AS total
                                       FROM invoices WHERE bill_run_id = r.id GROUP BY currency) t)) AS summary
     FROM (SELECT * FROM bill_runs
           WHERE configuration_id = ? AND status = 'completed' AND (?::bigint IS NULL OR id <= ?::bigint)
           ORDER BY id DESC LIMIT ?) r
     LEFT JOIN accounts a ON a.id = r.account_id
     ORDER BY r.id`,
    [config.id, through ?? null, through ?? null, last],
  );
  return { configuration: config.name, runs: rows.map(toEntry) };
}

function toEntry(row: any): RunHistoryEntry {
  const summary = (typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary) ?? {};
  const byCurrency: Record<string, string> = summary.invoicedByCurrency ?? {};
  return {
    id: Number(row.id),
    account: row.account ?? null,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    finishedAt: new Date(row.finished_at).toISOString(),
    invoices: Number(summary.invoicesCreated ?? 0),
    totals: Object.keys(byCurrency)
      .sort()
      .map((currency) => ({ currency: currency.trim(), amount: Money.exact(String(byCurrency[currency]), currency.trim()).toString() })),
  };
}
