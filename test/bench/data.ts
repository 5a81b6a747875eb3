/**
 * Benchmark data, built set-based (generate_series) straight into the tables: N accounts in a
 * bill group of their own, their packages, credits waiting to be issued and reversals pending,
 * and a configuration that bills the group. Also the figures a correct run must produce,
 * computed by a plain query over the same data (not by the engine), so a benchmark or smoke
 * run can check the engine's answer, not just time it.
 *
 * The shape, for account number g = 1..N:
 * - g % 3 = 1 is a parent, g % 3 = 2 its child (invoicing to it: a third of the accounts are
 *   children), g % 3 = 0 stands alone. One family in twenty bills in JPY, the rest in USD.
 * - g % 300 = 0 is inactive (its packages are skipped).
 * - every account has a monthly package due in the period (1% are not due yet or were due
 *   before the period, ~1% pending, ~1% suspended); every second account also has a quarterly
 *   or annual package, one in four of those due in the period. g % 7 = 0 buys two of each;
 *   g % 50 = 1 has a price override on the monthly package's Support service.
 * - g % 10 = 3 has an unissued credit (half of them disbursed automatically when issued).
 * - g % 50 = 7 has a credit issued to last month's invoice, fully disbursed, then reversed:
 *   its reversal is pending, so the run puts a `reversed credit` line on the new invoice.
 */
import type { Knex } from 'knex';
import type { BillRunReport } from '../../billing';

export interface BenchPeriod {
  start: string;
  end: string;
}

export interface SeededData {
  tag: string;
  accounts: number;
  billGroup: string;
  billGroupId: number;
  configuration: string;
  /** The period the packages are due in. */
  period: BenchPeriod;
  /** The following month (the monthly packages are due again once the first run has moved them). */
  nextPeriod: BenchPeriod;
}

export interface ExpectedOutcome {
  invoices: number;
  charges: number;
  reversals: number;
  creditsIssued: number;
  autoCreditsIssued: number;
  /** Invoice totals per currency, as exact decimal text with the currency's decimals. */
  totalsByCurrency: Record<string, string>;
  /** The total of each invoice, by invoiced account id. */
  totalsByInvoicer: Map<number, string>;
}

/** The bench's run date: the day after the October period (the November run bills a period ahead of it). */
export const BENCH_CLOCK = { now: () => new Date('2026-11-01T06:00:00Z') };

export const DEFAULT_PERIOD: BenchPeriod = { start: '2026-10-01', end: '2026-10-31' };
const NEXT_PERIOD: BenchPeriod = { start: '2026-11-01', end: '2026-11-30' };
/** The month before the period: the history invoices that the pending reversals were issued to. */
const HISTORY = { start: '2026-09-01', end: '2026-09-30' };

/**
 * Seeds one bench data set in one transaction. `tag` names everything it creates (accounts
 * are `<tag>-0000001`..), so several data sets can share a database.
 */
export async function seedBillingData(db: Knex, options: { accounts: number; tag?: string }): Promise<SeededData> {
  const n = options.accounts;
  if (!Number.isInteger(n) || n < 3) throw new Error('A bench data set needs at least 3 accounts.');
  const tag = options.tag ?? `B${n}`;
  const billGroup = `Bench ${tag}`;
  const configuration = `Bench ${tag}`;
  const period = DEFAULT_PERIOD;

  const billGroupId = await db.transaction(async (trx) => {
    const [{ id: groupId }] = await trx('bill_groups').insert({ name: billGroup }).returning('id');
    const { rows: [{ base }] } = await trx.raw('SELECT COALESCE(max(id), 0) AS base FROM accounts');
    const p = { n, tag, group: groupId, base: Number(base), ps: period.start, hs: HISTORY.start, he: HISTORY.end };

    await trx.raw(
      `INSERT INTO accounts (id, name, display_name, currency, status, bill_group_id, bill_day, parent_id, invoicer_id)
       SELECT :base + g, :tag || '-' || lpad(g::text, 7, '0'), 'Bench customer ' || g,
              CASE WHEN ((g - 1) / 3) % 20 = 19 THEN 'JPY' ELSE 'USD' END,
              CASE WHEN g % 300 = 0 THEN 'inactive' ELSE 'active' END,
              :group, 1 + g % 28,
              CASE WHEN g % 3 = 2 THEN :base + g - 1 END,
              CASE WHEN g % 3 = 2 THEN :base + g - 1 END
       FROM generate_series(1, :n::int) g`,
      p,
    );
    await trx.raw(`SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))`);

    await trx.raw(
      `WITH pk AS (
         INSERT INTO packages (name, currency, frequency)
         SELECT :tag || ' ' || v.name, v.currency, v.frequency
         FROM (VALUES ('Monthly USD', 'USD', 'monthly'), ('Quarterly USD', 'USD', 'quarterly'), ('Annual USD', 'USD', 'annual'),
                      ('Monthly JPY', 'JPY', 'monthly'), ('Quarterly JPY', 'JPY', 'quarterly')) AS v(name, currency, frequency)
         RETURNING id, name
       )
       INSERT INTO services (package_id, name, price)
       SELECT pk.id, s.service, s.price
       FROM pk JOIN (VALUES ('Monthly USD', 'Network', 100.00), ('Monthly USD', 'Support', 40.00),
                            ('Quarterly USD', 'Backup', 300.00),
                            ('Annual USD', 'Licence', 1200.00), ('Annual USD', 'Updates', 99.99),
                            ('Monthly JPY', 'Network', 15000), ('Monthly JPY', 'Support', 6000),
                            ('Quarterly JPY', 'Backup', 45000)) AS s(package, service, price)
         ON pk.name = :tag || ' ' || s.package`,
      p,
    );

    // The monthly package of every account, billed on its bill day.
    await trx.raw(
      `INSERT INTO account_packages (account_id, package_id, quantity, status, effective_date, next_bill_date, anchor_day)
       SELECT a.id, pk.id, CASE WHEN g % 7 = 0 THEN 2 ELSE 1 END,
              CASE WHEN g % 97 = 0 THEN 'pending' WHEN g % 89 = 0 THEN 'suspended' ELSE 'active' END,
              DATE '2026-01-01',
              :ps::date + (a.bill_day - 1)
                + CASE WHEN g % 101 = 0 THEN interval '1 month' WHEN g % 103 = 0 THEN interval '-1 month' ELSE interval '0' END,
              a.bill_day
       FROM generate_series(1, :n::int) g
       JOIN accounts a ON a.id = :base + g
       JOIN packages pk ON pk.name = :tag || ' Monthly ' || a.currency`,
      p,
    );
    // Every second account: a quarterly (or, in USD, every other time an annual) package.
    await trx.raw(
      `INSERT INTO account_packages (account_id, package_id, quantity, status, effective_date, next_bill_date, anchor_day)
       SELECT a.id, pk.id, CASE WHEN g % 7 = 0 THEN 2 ELSE 1 END, 'active', DATE '2026-01-01',
              :ps::date + (a.bill_day - 1)
                + CASE WHEN g % 8 IN (0, 2) THEN interval '0' WHEN g % 4 = 0 THEN interval '2 months' ELSE interval '5 months' END,
              a.bill_day
       FROM generate_series(2, :n::int, 2) g
       JOIN accounts a ON a.id = :base + g
       JOIN packages pk ON pk.name = :tag || CASE WHEN a.currency = 'JPY' OR g % 4 = 0 THEN ' Quarterly ' ELSE ' Annual ' END || a.currency`,
      p,
    );
    await trx.raw(
      `INSERT INTO service_price_overrides (account_package_id, service_id, price)
       SELECT ap.id, s.id, CASE WHEN a.currency = 'JPY' THEN 5000 ELSE 35.00 END
       FROM generate_series(1, :n::int, 50) g
       JOIN accounts a ON a.id = :base + g
       JOIN account_packages ap ON ap.account_id = a.id
       JOIN packages pk ON pk.id = ap.package_id AND pk.frequency = 'monthly'
       JOIN services s ON s.package_id = pk.id AND s.name = 'Support'`,
      p,
    );
    await trx.raw(
      `INSERT INTO credits (account_id, unit_amount, quantity, amount, currency, credit_date, detail, auto_disburse, created_by,
                            status, amount_left)
       SELECT a.id, c.amount, 1, c.amount, a.currency, DATE '2026-09-20', 'Bench goodwill', g % 20 = 3, 'bench', 'unissued', c.amount
       FROM generate_series(3, :n::int, 10) g
       JOIN accounts a ON a.id = :base + g
       CROSS JOIN LATERAL (SELECT CASE WHEN a.currency = 'JPY' THEN 2500 ELSE 25.00 END AS amount) c`,
      p,
    );

    // Last month, for the accounts with a pending reversal: a completed run, one invoice per
    // invoicer (its two monthly charges), the credit issued to it, disbursed, then reversed.
    const [{ id: configId }] = await trx('bill_run_configurations')
      .insert({ name: configuration, bill_packages: true, generate_invoice: true, period_rule: 'current month' })
      .returning('id');
    await trx('bill_run_configuration_groups').insert({ configuration_id: configId, bill_group_id: groupId });
    const [{ id: historyRun }] = await trx('bill_runs')
      .insert({
        configuration_id: configId,
        scope: 'bill groups',
        period_start: HISTORY.start,
        period_end: HISTORY.end,
        posting_date: HISTORY.end,
        invoice_date: HISTORY.end,
        bill_packages: true,
        generate_invoice: true,
        started_by: 'bench',
        status: 'completed',
        finished_at: trx.fn.now(),
      })
      .returning('id');
    const h = { ...p, run: historyRun };
    await trx.raw(
      `CREATE TEMP TABLE bench_reversed ON COMMIT DROP AS
       SELECT a.id AS account_id, COALESCE(a.invoicer_id, a.id) AS invoicer_id, a.currency,
              CASE WHEN a.currency = 'JPY' THEN 3000 ELSE 30.00 END AS amount
       FROM generate_series(7, :n::int, 50) g JOIN accounts a ON a.id = :base + g`,
      h,
    );
    await trx.raw(
      `WITH invoicers AS (
         SELECT r.invoicer_id, a.currency, row_number() OVER (ORDER BY r.invoicer_id) AS k, sum(r.amount) AS disbursed
         FROM bench_reversed r JOIN accounts a ON a.id = r.invoicer_id GROUP BY r.invoicer_id, a.currency
       ),
       numbering AS (
         UPDATE settings SET next_invoice_number = next_invoice_number + (SELECT count(*) FROM invoicers)
         RETURNING next_invoice_number - (SELECT count(*) FROM invoicers) AS first
       ),
       inv AS (
         INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end,
                               currency, total, balance, status)
         SELECT numbering.first + i.k - 1, i.invoicer_id, :run, :he::date, :he::date, :hs::date, :he::date, i.currency,
                m.total, m.total - i.disbursed, 'open'
         FROM invoicers i CROSS JOIN numbering
         CROSS JOIN LATERAL (SELECT CASE WHEN i.currency = 'JPY' THEN 21000 ELSE 140.00 END AS total) m
         RETURNING id, account_id
       )
       INSERT INTO transactions (kind, account_id, account_package_id, service_id, period_start, period_end, quantity, amount,
                                 posting_date, bill_run_id, invoice_id)
       SELECT 'charge', inv.account_id, ap.id, s.id, (ap.next_bill_date - interval '1 month')::date, ap.next_bill_date - 1,
              1, s.price, :he::date, :run, inv.id
       FROM inv
       JOIN account_packages ap ON ap.account_id = inv.account_id
       JOIN packages pk ON pk.id = ap.package_id AND pk.frequency = 'monthly'
       JOIN services s ON s.package_id = pk.id`,
      h,
    );
    await trx.raw(
      `WITH cr AS (
         INSERT INTO credits (account_id, unit_amount, quantity, amount, currency, credit_date, detail, auto_disburse,
                              created_by, status, issued_invoice_id, amount_left, reversed_amount)
         SELECT r.account_id, r.amount, 1, r.amount, r.currency, :hs::date, 'Bench credit, reversed', false, 'bench',
                'reversal pending', i.id, 0, r.amount
         FROM bench_reversed r JOIN invoices i ON i.account_id = r.invoicer_id AND i.bill_run_id = :run
         RETURNING id, issued_invoice_id, amount
       )
       INSERT INTO disbursements (credit_id, invoice_id, amount, automatic, created_by)
       SELECT id, issued_invoice_id, amount, false, 'bench' FROM cr`,
      h,
    );
    return Number(groupId);
  });
  // A database in its steady state, as billing finds it in use: statistics up to date and the
  // new rows vacuumed (their hint bits set, the visibility map built), instead of leaving that
  // work to the first run that reads them or to autovacuum in the middle of a measured run.
  await db.raw('VACUUM ANALYZE');
  // And the seeding's writes on disk, so that a checkpoint of them does not fall in the first
  // measured step (CHECKPOINT needs a superuser or pg_checkpoint; without, the step goes on).
  await db.raw('CHECKPOINT').catch(() => undefined);
  return { tag, accounts: n, billGroup, billGroupId, configuration, period, nextPeriod: NEXT_PERIOD };
}

/**
 * What a correct run of the data set's configuration over `period` produces, from the data as
 * it stands: one charge per service of each due package (one period each: the data never
 * needs catching up), a reversed credit line per pending reversal, one invoice per invoicer
 * with any line, and the unissued credits of the accounts whose invoicer gets an invoice.
 */
export async function expectedOutcome(db: Knex, data: SeededData, period: BenchPeriod): Promise<ExpectedOutcome> {
  const params = { group: data.billGroupId, ps: period.start, pe: period.end };
  const scope = `SELECT id, COALESCE(invoicer_id, id) AS bill_to, currency, status FROM accounts
                 WHERE bill_group_id = :group AND status <> 'cancelled'`;
  const { rows: lines } = await db.raw(
    `WITH scope AS (${scope}),
     charges AS (
       SELECT s.bill_to, s.currency, COALESCE(o.price, sv.price) * ap.quantity AS amount, 'charge' AS kind
       FROM scope s
       JOIN account_packages ap ON ap.account_id = s.id
       JOIN services sv ON sv.package_id = ap.package_id
       LEFT JOIN service_price_overrides o ON o.account_package_id = ap.id AND o.service_id = sv.id
       WHERE s.status = 'active' AND ap.status = 'active' AND ap.next_bill_date BETWEEN :ps::date AND :pe::date
         AND (ap.cancel_date IS NULL OR ap.next_bill_date < ap.cancel_date)
     ),
     reversals AS (
       SELECT s.bill_to, s.currency, c.reversed_amount AS amount, 'reversal' AS kind
       FROM scope s JOIN credits c ON c.account_id = s.id WHERE c.status = 'reversal pending'
     ),
     lines AS (SELECT * FROM charges UNION ALL SELECT * FROM reversals)
     SELECT bill_to, currency, sum(amount)::text AS total,
            count(*) FILTER (WHERE kind = 'charge') AS charges, count(*) FILTER (WHERE kind = 'reversal') AS reversals
     FROM lines GROUP BY bill_to, currency`,
    params,
  );
  const { rows: [credits] } = await db.raw(
    `WITH scope AS (${scope}),
     invoiced AS (
       SELECT DISTINCT s.bill_to FROM scope s
       WHERE EXISTS (SELECT 1 FROM account_packages ap WHERE ap.account_id = s.id AND s.status = 'active' AND ap.status = 'active'
                       AND ap.next_bill_date BETWEEN :ps::date AND :pe::date)
          OR EXISTS (SELECT 1 FROM credits c WHERE c.account_id = s.id AND c.status = 'reversal pending')
     )
     SELECT count(*) AS issued, count(*) FILTER (WHERE c.auto_disburse) AS auto
     FROM scope s JOIN invoiced i ON i.bill_to = s.bill_to JOIN credits c ON c.account_id = s.id
     WHERE c.status = 'unissued'`,
    params,
  );
  const { rows: decimals } = await db.raw(`SELECT 'USD' AS currency, 2 AS places UNION ALL SELECT 'JPY', 0`);
  const places = new Map<string, number>(decimals.map((d: any) => [d.currency, Number(d.places)]));
  const totalsByInvoicer = new Map<number, string>();
  const byCurrency = new Map<string, bigint>();
  let charges = 0;
  let reversals = 0;
  for (const l of lines) {
    const scale = places.get(l.currency) ?? 2;
    const minor = toMinorUnits(l.total, scale);
    totalsByInvoicer.set(Number(l.bill_to), fromMinorUnits(minor, scale));
    byCurrency.set(l.currency, (byCurrency.get(l.currency) ?? 0n) + minor);
    charges += Number(l.charges);
    reversals += Number(l.reversals);
  }
  const totalsByCurrency: Record<string, string> = {};
  for (const [currency, minor] of [...byCurrency].sort()) totalsByCurrency[currency] = fromMinorUnits(minor, places.get(currency) ?? 2);
  return {
    invoices: lines.length,
    charges,
    reversals,
    creditsIssued: Number(credits.issued),
    autoCreditsIssued: Number(credits.auto),
    totalsByCurrency,
    totalsByInvoicer,
  };
}

/** Differences between what a run reported and made, and what the data says it must. */
export async function checkRun(
  db: Knex,
  result: { runId: number; status: string; totals: BillRunReport['totals'] },
  expected: ExpectedOutcome,
  options: { preview: boolean },
): Promise<string[]> {
  const problems: string[] = [];
  const t = result.totals;
  const want: [string, unknown, unknown][] = [
    ['status', result.status, 'completed'],
    ['invoices', t.invoicesCreated, expected.invoices],
    ['charges', t.charges, expected.charges],
    ['reversals', t.reversalsApplied, expected.reversals],
    ['credits issued', t.creditsIssued, expected.creditsIssued],
    ['credits disbursed automatically', t.creditsDisbursed, expected.autoCreditsIssued],
    ['totals by currency', JSON.stringify(t.invoicedByCurrency), JSON.stringify(expected.totalsByCurrency)],
  ];
  for (const [what, got, wanted] of want) if (got !== wanted) problems.push(`${what}: got ${got}, expected ${wanted}`);
  if (!options.preview) {
    const totals = await invoiceTotalsOfRun(db, result.runId);
    let wrong = 0;
    for (const [invoicer, total] of expected.totalsByInvoicer) if (totals.get(invoicer) !== total) wrong += 1;
    if (wrong || totals.size !== expected.totalsByInvoicer.size) {
      problems.push(`${wrong} invoices with a wrong total (or missing); ${totals.size} invoices made, ${expected.totalsByInvoicer.size} expected`);
    }
  }
  return problems;
}

/** The invoices a run made, by invoiced account id, with totals at the currency's decimals. */
export async function invoiceTotalsOfRun(db: Knex, runId: number): Promise<Map<number, string>> {
  const rows = await db('invoices').where('bill_run_id', runId).select('account_id', 'currency', 'total');
  return new Map(rows.map((r: any) => [Number(r.account_id), fromMinorUnits(toMinorUnits(r.total, r.currency === 'JPY' ? 0 : 2), r.currency === 'JPY' ? 0 : 2)]));
}

/** Exact decimal text (as Postgres gives numeric) to integer minor units; refuses digits beyond `scale` that are not zero. */
function toMinorUnits(text: string, scale: number): bigint {
  const [whole, fraction = ''] = text.split('.');
  const extra = fraction.slice(scale);
  if (/[1-9]/.test(extra)) throw new Error(`${text} has more than ${scale} decimals`);
  return BigInt(whole + fraction.slice(0, scale).padEnd(scale, '0'));
}

function fromMinorUnits(minor: bigint, scale: number): string {
  if (scale === 0) return minor.toString();
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** The name of the last account (by id) with a package due in the data set's period: its family is billed in the last batch. */
export async function lastDueAccount(db: Knex, data: SeededData): Promise<string> {
  const last = await db('accounts as a')
    .join('account_packages as ap', 'ap.account_id', 'a.id')
    .where({ 'a.status': 'active', 'ap.status': 'active' })
    .whereBetween('ap.next_bill_date', [data.period.start, data.period.end])
    .orderBy('a.id', 'desc')
    .first('a.name');
  return last.name;
}

/**
 * What "wrote nothing" means for a preview: every table's row count, the invoice numbering,
 * and a digest of the columns a run changes (next bill dates, credit states, invoice balances).
 */
export async function fingerprint(db: Knex): Promise<Record<string, string>> {
  const tables: string[] = await db('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .orderBy('table_name')
    .pluck('table_name');
  const out: Record<string, string> = {};
  for (const table of tables) {
    const row = await db(table).count('* as n').first();
    out[table] = String(row?.n);
  }
  const { rows: [d] } = await db.raw(
    `SELECT (SELECT next_invoice_number::text FROM settings) AS numbering,
            (SELECT md5(string_agg(id || ':' || next_bill_date, ',' ORDER BY id)) FROM account_packages) AS next_bill_dates,
            (SELECT md5(string_agg(id || ':' || status || ':' || amount_left, ',' ORDER BY id)) FROM credits) AS credits,
            (SELECT md5(string_agg(id || ':' || balance || ':' || status, ',' ORDER BY id)) FROM invoices) AS invoices`,
  );
  return { ...out, ...d };
}

/**
 * The floor of a run: one INSERT ... SELECT that writes as many transaction rows as run
 * `runId` wrote, shaped like its charges (copies of them, a century later so that they do not
 * collide with the real ones, on the same invoices and run), into the same table with the
 * same indexes, foreign keys and checks. Rolled back; returns the seconds it took.
 */
export async function measureFloor(db: Knex, runId: number): Promise<{ seconds: number; rows: number }> {
  const { rows: [{ n }] } = await db.raw('SELECT count(*) AS n FROM transactions WHERE bill_run_id = ?', [runId]);
  const trx = await db.transaction();
  try {
    const started = process.hrtime.bigint();
    const result = await trx.raw(
      `INSERT INTO transactions (kind, account_id, account_package_id, service_id, period_start, period_end, quantity, amount,
                                 posting_date, bill_run_id, invoice_id)
       SELECT 'charge', t.account_id, t.account_package_id, t.service_id, t.period_start + 36525 * k, t.period_end + 36525 * k,
              t.quantity, t.amount, t.posting_date, t.bill_run_id, t.invoice_id
       FROM transactions t CROSS JOIN generate_series(1, 2) k
       WHERE t.bill_run_id = ? AND t.kind = 'charge'
       LIMIT ?`,
      [runId, Number(n)],
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, rows: result.rowCount ?? 0 };
  } finally {
    await trx.rollback();
  }
}

/**
 * Adds invoices (two charges each, in a completed run of their own dated the year before)
 * until the database holds `target` invoices, for the export figure.
 */
export async function topUpInvoices(db: Knex, data: SeededData, target: number): Promise<number> {
  const { rows: [{ n }] } = await db.raw('SELECT count(*) AS n FROM invoices');
  const missing = target - Number(n);
  if (missing <= 0) return 0;
  await db.transaction(async (trx) => {
    const config = await trx('bill_run_configurations').where('name', data.configuration).first('id');
    const [{ id: run }] = await trx('bill_runs')
      .insert({
        configuration_id: config.id,
        scope: 'bill groups',
        period_start: '2025-01-01',
        period_end: '2025-12-31',
        posting_date: '2025-12-31',
        invoice_date: '2025-12-31',
        bill_packages: true,
        generate_invoice: true,
        started_by: 'bench',
        status: 'completed',
        finished_at: trx.fn.now(),
      })
      .returning('id');
    // The monthly packages of active accounts, cycled through: invoice k bills package k % count
    // for month k / count of 2025 (at most 12 invoices per package).
    await trx.raw(
      `CREATE TEMP TABLE bench_topup ON COMMIT DROP AS
       SELECT row_number() OVER (ORDER BY ap.id) - 1 AS k, ap.id AS ap_id, a.id AS account_id, COALESCE(a.invoicer_id, a.id) AS invoicer_id,
              a.currency, ap.anchor_day
       FROM accounts a JOIN account_packages ap ON ap.account_id = a.id JOIN packages p ON p.id = ap.package_id
       WHERE a.bill_group_id = ? AND a.status = 'active' AND p.frequency = 'monthly'`,
      [data.billGroupId],
    );
    const { rows: [{ count }] } = await trx.raw('SELECT count(*) AS count FROM bench_topup');
    if (Number(count) * 12 < missing) throw new Error('Not enough packages to top the invoices up.');
    await trx.raw(
      `WITH picked AS (
         SELECT g, t.*, make_date(2025, 1 + (g / :count)::int, t.anchor_day) AS ps
         FROM generate_series(0, :missing - 1) g JOIN bench_topup t ON t.k = g % :count
       ),
       numbering AS (
         UPDATE settings SET next_invoice_number = next_invoice_number + :missing RETURNING next_invoice_number - :missing AS first
       ),
       inv AS (
         INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency,
                               total, balance, status)
         SELECT numbering.first + p.g, p.invoicer_id, :run, p.ps, p.ps, p.ps, (p.ps + interval '1 month')::date - 1, p.currency,
                s.total, s.total, 'open'
         FROM picked p CROSS JOIN numbering
         CROSS JOIN LATERAL (SELECT sum(sv.price) AS total FROM account_packages ap JOIN services sv ON sv.package_id = ap.package_id
                             WHERE ap.id = p.ap_id) s
         RETURNING id, number
       )
       INSERT INTO transactions (kind, account_id, account_package_id, service_id, period_start, period_end, quantity, amount,
                                 posting_date, bill_run_id, invoice_id)
       SELECT 'charge', p.account_id, p.ap_id, sv.id, p.ps, (p.ps + interval '1 month')::date - 1, 1, sv.price, p.ps, :run, inv.id
       FROM inv JOIN numbering ON true JOIN picked p ON p.g = inv.number - numbering.first
       JOIN account_packages ap ON ap.id = p.ap_id JOIN services sv ON sv.package_id = ap.package_id`,
      { count: Number(count), missing, run },
    );
  });
  await db.raw('ANALYZE');
  return missing;
}
