import type { Db } from './db';
import { formatCreditId } from './invoices';
import { listScheduledConfigurations, nextFireAfter, scheduleProblem } from './schedules';

/**
 * What a finance person wants at a glance (the Slack Home tab): the last bill runs and their
 * results, the next scheduled runs, the credits waiting to be disbursed and the open invoice
 * totals. Read-only; every list is cut to a few rows and every total is computed in SQL, so
 * the answer has the same size whatever the data's size.
 */

/** Per currency: how many, and their sum (exact decimal text). */
export interface CurrencyTotal {
  currency: string;
  count: number;
  total: string;
}

export interface HomeRun {
  id: number;
  status: string;
  configuration: string;
  /** An account's own bill, or the configuration's bill groups. */
  account: string | null;
  periodStart: string;
  periodEnd: string;
  createdAt: Date;
  finishedAt: Date | null;
  invoices: CurrencyTotal[];
}

export interface HomeNextRun {
  configuration: string;
  at: Date;
  timeZone: string;
}

export interface HomeCredit {
  credit: string;
  account: string;
  amountLeft: string;
  currency: string;
  creditDate: string;
}

export interface HomeSummary {
  lastRuns: HomeRun[];
  nextRuns: HomeNextRun[];
  /** Scheduled configurations that are paused (not in nextRuns). */
  pausedSchedules: number;
  waitingCredits: { totals: CurrencyTotal[]; first: HomeCredit[] };
  openInvoices: CurrencyTotal[];
}

export interface HomeLimits {
  runs?: number;
  nextRuns?: number;
  credits?: number;
}

const totals = (rows: any[]): CurrencyTotal[] =>
  rows.map((r) => ({ currency: String(r.currency).trim(), count: Number(r.count), total: String(r.total) }));

async function lastRuns(db: Db, limit: number): Promise<HomeRun[]> {
  const { rows } = await db.raw(
    `SELECT r.id, r.status, c.name AS configuration, a.name AS account, to_char(r.period_start, 'YYYY-MM-DD') AS period_start,
            to_char(r.period_end, 'YYYY-MM-DD') AS period_end, r.created_at, r.finished_at,
            coalesce((SELECT json_agg(json_build_object('currency', t.currency, 'count', t.count, 'total', t.total::text) ORDER BY t.currency)
                      FROM (SELECT i.currency, count(*) AS count, sum(i.total) AS total
                            FROM invoices i WHERE i.bill_run_id = r.id GROUP BY i.currency) t), '[]') AS invoices
     FROM (SELECT * FROM bill_runs ORDER BY id DESC LIMIT ?) r
     JOIN bill_run_configurations c ON c.id = r.configuration_id
     LEFT JOIN accounts a ON a.id = r.account_id
     ORDER BY r.id DESC`,
    [limit],
  );
  return rows.map((r: any) => ({
    id: Number(r.id),
    status: r.status,
    configuration: r.configuration,
    account: r.account ?? null,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    createdAt: new Date(r.created_at),
    finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    invoices: totals(r.invoices),
  }));
}

async function waitingCredits(db: Db, limit: number): Promise<HomeSummary['waitingCredits']> {
  const waiting = `c.status = 'issued' AND c.amount_left > 0`;
  const { rows: sums } = await db.raw(
    `SELECT c.currency, count(*) AS count, sum(c.amount_left)::text AS total FROM credits c WHERE ${waiting} GROUP BY c.currency ORDER BY c.currency`,
  );
  const { rows } = await db.raw(
    `SELECT c.id, a.name AS account, c.amount_left::text AS amount_left, c.currency, to_char(c.credit_date, 'YYYY-MM-DD') AS credit_date
     FROM credits c JOIN accounts a ON a.id = c.account_id
     WHERE ${waiting} ORDER BY c.credit_date, c.id LIMIT ?`,
    [limit],
  );
  return {
    totals: totals(sums),
    first: rows.map((r: any) => ({
      credit: formatCreditId(Number(r.id)),
      account: r.account,
      amountLeft: r.amount_left,
      currency: String(r.currency).trim(),
      creditDate: r.credit_date,
    })),
  };
}

async function openInvoices(db: Db): Promise<CurrencyTotal[]> {
  const { rows } = await db.raw(
    `SELECT currency, count(*) AS count, sum(balance)::text AS total FROM invoices WHERE status = 'open' GROUP BY currency ORDER BY currency`,
  );
  return totals(rows);
}

async function nextRuns(db: Db, now: Date, limit: number): Promise<{ next: HomeNextRun[]; paused: number }> {
  const scheduled = await listScheduledConfigurations(db);
  const next: HomeNextRun[] = [];
  for (const s of scheduled) {
    if (s.paused || scheduleProblem(s.schedule, s.timeZone)) continue;
    const at = nextFireAfter(s.schedule, s.timeZone, now);
    if (at) next.push({ configuration: s.name, at, timeZone: s.timeZone });
  }
  next.sort((a, b) => a.at.getTime() - b.at.getTime() || a.configuration.localeCompare(b.configuration));
  return { next: next.slice(0, limit), paused: scheduled.filter((s) => s.paused).length };
}

/** The Home tab's figures at `now`, read in one transaction. */
export async function homeSummary(db: Db, now: Date, limits: HomeLimits = {}): Promise<HomeSummary> {
  return db.transaction(async (trx) => {
    const runs = await lastRuns(trx, limits.runs ?? 5);
    const credits = await waitingCredits(trx, limits.credits ?? 5);
    const open = await openInvoices(trx);
    const schedules = await nextRuns(trx, now, limits.nextRuns ?? 5);
    return { lastRuns: runs, nextRuns: schedules.next, pausedSchedules: schedules.paused, waitingCredits: credits, openInvoices: open };
  });
}
