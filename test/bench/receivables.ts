/**
 * Receivables (`npm run bench`, section "receivables"; alone: `BENCH_STEPS=receivables npm run
 * bench`). In a new database, set-based: BENCH_AGING_INVOICES (default 1,000,000) open invoices
 * of 100,000 accounts (one in ten EUR), invoice dates over the last 300 days, each due 30 days
 * later, so every bucket holds some; 300 payments recorded through billing (oldest due first)
 * for other accounts, received after the past day measured below; and one account with
 * BENCH_STATEMENT_INVOICES (default 5,000) invoices and 50 payments. Then VACUUM ANALYZE, and,
 * each the median of three, in this process through billing's door:
 *   1. the aging report as of today (the bench clock's 2026-11-30) and as of 30 days before
 *      (which undoes the payments received since), each against its floor: the same open
 *      invoices read and summed per account and currency by one plain SQL statement;
 *   2. the statement of the 5,000-invoice account, against its floor: the same invoice and
 *      payment rows read by plain SQL.
 * The report's totals are checked against plain sums, and the statement's closing balance
 * against the account's invoice balances less its payments' unapplied amounts.
 */
import type { Knex } from 'knex';
import { createBilling, type Billing } from '../../billing';

const numberOf = (text: string | undefined, fallback: number) => (text && /^\d+$/.test(text.trim()) ? Number(text.trim()) : fallback);
const INVOICES = numberOf(process.env.BENCH_AGING_INVOICES, 1_000_000);
const STATEMENT_INVOICES = numberOf(process.env.BENCH_STATEMENT_INVOICES, 5_000);
const TODAY = '2026-11-30';
const PAST = '2026-10-31';
const clock = { now: () => new Date(`${TODAY}T12:00:00Z`) };

export interface TimedFigure {
  seconds: number;
  floorSeconds: number;
  ratio: number;
}

export interface ReceivablesFigures {
  invoices: number;
  accounts: number;
  seedSeconds: number;
  agingToday: TimedFigure;
  agingPast: TimedFigure;
  statement: TimedFigure & { invoices: number; lines: number };
  problems: string[];
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** The median time of three runs, and the last run's value. */
async function median<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const runs: { seconds: number; value: T }[] = [];
  for (let i = 0; i < 3; i++) runs.push(await timed(fn));
  const seconds = runs.map((r) => r.seconds).sort((a, b) => a - b)[1];
  return { seconds, value: runs[2].value };
}

async function seed(db: Knex, billing: Billing, size: Size): Promise<number> {
  const accounts = Math.max(1, Math.round(size.invoices / 10));
  await db.transaction(async (trx) => {
    const [{ id: config }] = await trx('bill_run_configurations').insert({ name: 'Receivables bench' }).returning('id');
    const [{ id: run }] = await trx('bill_runs')
      .insert({ configuration_id: config, scope: 'bill groups', period_start: '2026-01-01', period_end: '2026-01-31', posting_date: '2026-01-31', invoice_date: '2026-01-31', bill_packages: true, generate_invoice: true, started_by: 'bench', status: 'completed' })
      .returning('id');
    const p = { accounts, invoices: size.invoices, run, today: TODAY, statement: size.statementInvoices };
    await trx.raw(
      `INSERT INTO accounts (name, currency, bill_group_id)
       SELECT 'AR-' || lpad(g::text, 7, '0'), CASE WHEN g % 10 = 0 THEN 'EUR' ELSE 'USD' END, (SELECT min(id) FROM bill_groups)
       FROM generate_series(1, :accounts::int) g`,
      p,
    );
    await trx.raw(
      `INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency, total, balance, status, due_date)
       SELECT g, a.id, :run, d, d, d - 30, d - 1, a.currency, t, t, 'open', d + 30
       FROM generate_series(1, :invoices::int) g
       JOIN accounts a ON a.name = 'AR-' || lpad((1 + (g - 1) % :accounts::int)::text, 7, '0'),
       LATERAL (SELECT :today::date - (g % 300) AS d, (100 + g % 97)::numeric AS t) x`,
      p,
    );
    await trx.raw(`INSERT INTO accounts (name, currency, bill_group_id) VALUES ('AR-STATEMENT', 'USD', (SELECT min(id) FROM bill_groups))`);
    await trx.raw(
      `INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency, total, balance, status, due_date)
       SELECT :invoices::int + g, (SELECT id FROM accounts WHERE name = 'AR-STATEMENT'), :run, d, d, d - 30, d - 1, 'USD', 120, 120, 'open', d + 30
       FROM generate_series(1, :statement::int) g, LATERAL (SELECT :today::date - (:statement::int - g) / 4 AS d) x`,
      p,
    );
  });
  // Payments through billing: 300 accounts paid after the past day; the statement account 50 times.
  for (let i = 1; i <= Math.min(300, accounts); i++) {
    await billing.recordPayment({ account: `AR-${String(1 + ((i * 97) % accounts)).padStart(7, '0')}`, amount: '250', reference: `W-${i}`, receivedOn: '2026-11-15' }, 'bench');
  }
  for (let i = 1; i <= 50; i++) {
    await billing.recordPayment({ account: 'AR-STATEMENT', amount: '2400', reference: `S-${i}`, receivedOn: `2026-${String(1 + (i % 11)).padStart(2, '0')}-10` }, 'bench');
  }
  await db.raw('VACUUM ANALYZE');
  return accounts + 1;
}

const AGING_FLOOR = `
  SELECT account_id, currency, sum(balance) AS total, count(*) AS invoices, min(due_date) AS oldest
  FROM invoices WHERE balance > 0 AND invoice_date <= ?::date GROUP BY account_id, currency`;

const STATEMENT_FLOOR = `
  SELECT invoice_date AS date, number AS ref, total AS amount FROM invoices WHERE account_id = :account
  UNION ALL SELECT received_on, id, -amount FROM payments WHERE account_id = :account`;

/** Checks the report's totals against plain sums of the same balances (as of today: the balances now). */
async function checkAging(db: Knex, billing: Billing, problems: string[]): Promise<void> {
  const report = await billing.receivables.aging();
  const { rows } = await db.raw(`SELECT currency, sum(balance)::numeric(20,2)::text AS total, count(DISTINCT account_id) AS accounts FROM invoices WHERE balance > 0 GROUP BY currency ORDER BY currency`);
  const got = report.totals.map((t) => [t.currency, t.total, t.accounts]);
  const want = rows.map((r: any) => [r.currency, r.total, Number(r.accounts)]);
  if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`aging totals ${JSON.stringify(got)} are not the plain sums ${JSON.stringify(want)}`);
  const buckets = report.totals.flatMap((t) => Object.values(t.buckets)).filter((v) => Number(v) > 0).length;
  if (buckets < 10) problems.push(`only ${buckets} of 10 buckets hold something`);
}

async function checkStatement(db: Knex, closing: string, problems: string[]): Promise<void> {
  const { rows: [r] } = await db.raw(
    `SELECT ((SELECT sum(balance) FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE a.name = 'AR-STATEMENT')
           - (SELECT COALESCE(sum(unapplied), 0) FROM payments p JOIN accounts a ON a.id = p.account_id WHERE a.name = 'AR-STATEMENT' AND p.status = 'recorded'))::numeric(20,2)::text AS net`,
  );
  if (r.net !== closing) problems.push(`statement closing balance ${closing} is not the balances less unapplied ${r.net}`);
}

interface Size {
  invoices: number;
  statementInvoices: number;
}

export async function measureReceivables(
  createDatabase: (label: string) => Promise<{ db: Knex }>,
  log: (m: string) => void,
  size: Size = { invoices: INVOICES, statementInvoices: STATEMENT_INVOICES },
): Promise<ReceivablesFigures> {
  const { db } = await createDatabase('receivables');
  try {
    const billing = createBilling(db, clock);
    const seeded = await timed(() => seed(db, billing, size));
    log(`receivables: ${size.invoices} + ${size.statementInvoices} invoices of ${seeded.value} accounts seeded in ${seeded.seconds.toFixed(1)} s`);
    const problems: string[] = [];
    const figure = (run: { seconds: number }, floor: { seconds: number }): TimedFigure => ({ seconds: run.seconds, floorSeconds: floor.seconds, ratio: run.seconds / floor.seconds });

    const agingToday = figure(await median(() => billing.receivables.aging()), await median(() => db.raw(AGING_FLOOR, [TODAY])));
    const agingPast = figure(await median(() => billing.receivables.aging(PAST)), await median(() => db.raw(AGING_FLOOR, [PAST])));
    log(`aging as of ${TODAY}: ${agingToday.seconds.toFixed(2)} s (floor ${agingToday.floorSeconds.toFixed(2)} s); as of ${PAST}: ${agingPast.seconds.toFixed(2)} s (floor ${agingPast.floorSeconds.toFixed(2)} s)`);

    const { id: account } = await db('accounts').where({ name: 'AR-STATEMENT' }).first('id');
    const statementRun = await median(() => billing.receivables.statement('AR-STATEMENT'));
    const statementFloor = await median(() => db.raw(STATEMENT_FLOOR, { account }));
    const statement = { ...figure(statementRun, statementFloor), invoices: size.statementInvoices, lines: statementRun.value.lines.length };
    log(`statement of ${size.statementInvoices} invoices (${statement.lines} lines): ${statement.seconds.toFixed(3)} s (floor ${statement.floorSeconds.toFixed(3)} s)`);

    await checkAging(db, billing, problems);
    await checkStatement(db, statementRun.value.closingBalance, problems);
    return { invoices: size.invoices + size.statementInvoices, accounts: seeded.value, seedSeconds: seeded.seconds, agingToday, agingPast, statement, problems };
  } finally {
    await db.destroy();
  }
}

/** The rows of the receivables table and its targets. */
export function receivablesRows(f: ReceivablesFigures): string[][] {
  const row = (what: string, t: TimedFigure) => [what, t.seconds.toFixed(3), t.floorSeconds.toFixed(3), `${t.ratio.toFixed(1)} x`];
  return [
    ['receivables', 'seconds', 'floor s', 'x floor'],
    row(`aging as of ${TODAY}, ${f.invoices} invoices`, f.agingToday),
    row(`aging as of ${PAST} (balances of that day)`, f.agingPast),
    row(`statement, ${f.statement.invoices} invoices (${f.statement.lines} lines)`, f.statement),
  ];
}

export function receivablesTargets(f: ReceivablesFigures): { figure: string; value: string; target: string; met: boolean }[] {
  return [
    { figure: `aging report, ${f.invoices} invoices`, value: `${f.agingToday.seconds.toFixed(2)} s`, target: '<= 3 s', met: f.agingToday.seconds <= 3 },
    { figure: `aging report as of a past day, ${f.invoices} invoices`, value: `${f.agingPast.seconds.toFixed(2)} s`, target: '<= 3 s', met: f.agingPast.seconds <= 3 },
    { figure: `statement of an account with ${f.statement.invoices} invoices`, value: `${f.statement.seconds.toFixed(3)} s`, target: '<= 1 s', met: f.statement.seconds <= 1 },
    { figure: 'receivables right (totals, closing balance)', value: f.problems.length ? f.problems.join('; ') : 'yes', target: 'yes', met: f.problems.length === 0 },
  ];
}
