/**
 * The payments import figure (`BENCH_STEPS=payments`, and part of the whole bench): N invoicer
 * accounts with two open invoices each (seeded by SQL), a payments workbook of N rows (half
 * naming an invoice, half naming none: oldest due first), imported through sheets'
 * importPaymentsWorkbook in a child process (its peak memory its own); then the floor: the
 * same payments, applications and balances written by plain SQL (three statements in one
 * transaction, the database's ledger checks included) in a copy of the database taken before
 * the import. The import's result is checked against the rows the workbook was built from.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Knex } from 'knex';
import { runChild } from './fork';

export const PAYMENT_ROWS = Number(process.env.BENCH_PAYMENT_ROWS ?? 100_000);

export interface PaymentsFigures {
  accounts: number;
  rows: number;
  seconds: number;
  peakMb: number;
  applied: boolean;
  payments: number;
  applications: number;
  floorSeconds: number;
  /** The same floor without the database's ledger checks (rolled back): what those checks cost is the difference. */
  floorWithoutChecksSeconds: number;
  ratioToFloor: number;
  correct: boolean;
  problems: string[];
}

const payerName = (g: number) => `Payer ${String(g).padStart(7, '0')}`;

/** N invoicers, each with an August invoice of $100.00 (number 2g - 1) and a September one of $200.00 (2g). */
export async function seedInvoicers(db: Knex, n: number): Promise<void> {
  await db.transaction(async (trx) => {
    const { rows: [{ run }] } = await trx.raw(
      `WITH c AS (INSERT INTO bill_run_configurations (name, bill_packages, generate_invoice, period_rule)
                  VALUES ('Bench Payments', true, true, 'current month') RETURNING id)
       INSERT INTO bill_runs (configuration_id, scope, period_start, period_end, posting_date, invoice_date, bill_packages,
                              generate_invoice, started_by, status, finished_at)
       SELECT c.id, 'bill groups', '2026-08-01', '2026-09-30', '2026-09-30', '2026-09-30', true, true, 'bench', 'completed', now()
       FROM c RETURNING id AS run`,
    );
    await trx.raw(
      `INSERT INTO accounts (id, name, currency, bill_group_id)
       SELECT g, 'Payer ' || lpad(g::text, 7, '0'), 'USD', (SELECT id FROM bill_groups WHERE name = 'Default')
       FROM generate_series(1, :n) g`,
      { n },
    );
    await trx.raw(`SELECT setval('accounts_id_seq', :n)`, { n });
    await trx.raw(
      `INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, due_date, posting_date, period_start, period_end, currency, total, balance, status)
       SELECT 2 * g - 2 + m, g, :run, d, d + 30, d, date_trunc('month', d)::date, d, 'USD', 100 * m, 100 * m, 'open'
       FROM generate_series(1, :n) g CROSS JOIN generate_series(1, 2) m
       CROSS JOIN LATERAL (SELECT CASE m WHEN 1 THEN date '2026-08-31' ELSE date '2026-09-30' END AS d) x`,
      { n, run },
    );
    await trx.raw('UPDATE settings SET next_invoice_number = :next', { next: 2 * n + 1 });
  });
  // The invoices a team records payments against were billed days or weeks before: autovacuum
  // has vacuumed and analyzed them since. Without this, its vacuum of the rows just seeded
  // (started by their number) runs during the measured import, on the same two cores.
  await db.raw('VACUUM ANALYZE');
}

/**
 * Row g (1-based) pays account g: odd rows $150.00 naming no invoice (August paid, $50.00 to
 * September), even rows $250.00 naming the September invoice (paid, $50.00 unapplied).
 */
export async function writePaymentsWorkbook(file: string, n: number): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: true });
  const sheet = wb.addWorksheet('Payments');
  sheet.addRow(['Date', 'Account', 'Amount', 'Method', 'Reference', 'Invoice']).commit();
  const day = new Date(Date.UTC(2026, 9, 5));
  for (let g = 1; g <= n; g++) {
    const row = sheet.addRow([day, payerName(g), g % 2 ? 150 : 250, 'bank transfer', `BT-${g}`, g % 2 ? null : `INV-${String(2 * g).padStart(6, '0')}`]);
    row.getCell(1).numFmt = 'yyyy-mm-dd';
    row.commit();
  }
  sheet.commit();
  await wb.commit();
}

/** What the import must have written, from the workbook's construction. */
async function checkImport(db: Knex, n: number): Promise<string[]> {
  const { rows } = await db.raw(
    `SELECT (SELECT count(*) FROM payments)::int AS payments,
            (SELECT count(*) FROM payment_applications)::int AS applications,
            (SELECT sum(unapplied) FROM payments)::text AS unapplied,
            (SELECT sum(balance) FROM invoices)::text AS balances`,
  );
  const odd = Math.ceil(n / 2);
  const even = Math.floor(n / 2);
  const want = { payments: n, applications: 2 * odd + even, unapplied: (50 * even).toFixed(2), balances: (150 * odd + 100 * even).toFixed(2) };
  const got = { ...rows[0], unapplied: Number(rows[0].unapplied).toFixed(2), balances: Number(rows[0].balances).toFixed(2) };
  return Object.entries(want)
    .filter(([k, v]) => String(got[k]) !== String(v))
    .map(([k, v]) => `${k}: ${got[k]}, expected ${v}`);
}

/** Rolls back what a timed step wrote (the floor without the ledger's checks is measured so). */
class Undo extends Error {}

/**
 * The floor: the imported rows written into the copy by plain SQL, in one transaction. With
 * `checks: false` the database's triggers are skipped (session_replication_role = replica: the
 * bench's own server only) and the transaction rolled back: what the database's ledger checks and
 * key checks (migrations 170 and 171) cost is the difference.
 */
async function measureFloor(imported: Knex, copy: Knex, checks: boolean): Promise<number> {
  const payments = (await imported.raw('SELECT id, account_id, amount, unapplied, reference FROM payments ORDER BY id')).rows;
  const applications = (await imported.raw('SELECT payment_id, invoice_id, amount FROM payment_applications ORDER BY id')).rows;
  const started = process.hrtime.bigint();
  let seconds = 0;
  await copy.transaction(async (trx) => {
    if (!checks) await trx.raw(`SET LOCAL session_replication_role = replica`);
    await trx.raw(
      `INSERT INTO payments (id, account_id, currency, amount, unapplied, received_on, method, reference, created_by)
       SELECT id, account_id, 'USD', amount, unapplied, date '2026-10-05', 'bank transfer', reference, 'bench'
       FROM unnest(?::bigint[], ?::bigint[], ?::numeric[], ?::numeric[], ?::text[]) AS x(id, account_id, amount, unapplied, reference)`,
      ['id', 'account_id', 'amount', 'unapplied', 'reference'].map((k) => payments.map((p: any) => p[k])),
    );
    await trx.raw(
      `WITH x AS (SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::numeric[]) AS x(payment_id, invoice_id, amount)),
       ins AS (INSERT INTO payment_applications (payment_id, invoice_id, kind, amount, created_by)
               SELECT payment_id, invoice_id, 'applied', amount, 'bench' FROM x)
       UPDATE invoices i SET balance = i.balance - s.amount, status = CASE WHEN i.balance = s.amount THEN 'paid' ELSE 'open' END
       FROM (SELECT invoice_id, sum(amount) AS amount FROM x GROUP BY invoice_id) s WHERE i.id = s.invoice_id`,
      ['payment_id', 'invoice_id', 'amount'].map((k) => applications.map((a: any) => a[k])),
    );
    if (!checks) {
      seconds = Number(process.hrtime.bigint() - started) / 1e9;
      throw new Undo();
    }
    // As the import does: the ledger's checks run at the commit, planned on these numbers.
    await trx.raw('ANALYZE payments, payment_applications, invoices');
  }).catch((e) => {
    if (!(e instanceof Undo)) throw e;
  });
  return seconds || Number(process.hrtime.bigint() - started) / 1e9;
}

type NewDatabase = (label: string, template?: string) => Promise<{ url: string; db: Knex; name: string }>;

export async function measurePayments(newDatabase: NewDatabase, log: (m: string) => void, n = PAYMENT_ROWS): Promise<PaymentsFigures> {
  const file = path.join(os.tmpdir(), `billbot-bench-payments-${process.pid}.xlsx`);
  try {
    await writePaymentsWorkbook(file, n);
    return await measureImport(newDatabase, log, n, file);
  } finally {
    await fs.rm(file, { force: true });
  }
}

async function measureImport(newDatabase: NewDatabase, log: (m: string) => void, n: number, file: string): Promise<PaymentsFigures> {
  const target = await newDatabase('payments');
  await seedInvoicers(target.db, n);
  await target.db.destroy();
  const copy = await newDatabase('payments_floor', target.name);
  const i = await runChild<{ applied: boolean; payments: number; applications: number; totalProblems: number }>({ kind: 'payments', file }, target.url);
  const { createDb } = await import('../../billing/db');
  const imported = createDb(target.url, { poolMax: 2 });
  try {
    const problems = i.result.applied ? await checkImport(imported, n) : [`not applied: ${JSON.stringify(i.result)}`];
    log(`payments import of ${n} rows: ${i.seconds.toFixed(2)} s, ${i.peakMb} MB${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ', right'}`);
    const floorWithoutChecksSeconds = await measureFloor(imported, copy.db, false);
    const floorSeconds = await measureFloor(imported, copy.db, true);
    log(`payments floor: ${floorSeconds.toFixed(2)} s (${floorWithoutChecksSeconds.toFixed(2)} s without the ledger checks)`);
    const figures = { accounts: n, rows: n, seconds: i.seconds, peakMb: i.peakMb, applied: i.result.applied, payments: i.result.payments };
    return { ...figures, applications: i.result.applications, floorSeconds, floorWithoutChecksSeconds, ratioToFloor: i.seconds / floorSeconds, correct: problems.length === 0, problems };
  } finally {
    await imported.destroy();
    await copy.db.destroy();
  }
}

/** The figure's targets: time, memory, and the import right. */
export function paymentsTargets(f: PaymentsFigures | undefined): { figure: string; value: string; target: string; met: boolean }[] {
  if (!f) return [];
  return [
    { figure: `payments import ${f.rows} rows, ${f.accounts} accounts, time`, value: `${f.seconds.toFixed(2)} s`, target: '<= 10 s', met: f.seconds <= 10 },
    { figure: `payments import ${f.rows} rows, peak memory`, value: `${f.peakMb} MB`, target: '<= 400 MB', met: f.peakMb <= 400 },
    { figure: 'payments import recorded and right', value: f.correct ? 'yes' : f.problems.join('; '), target: 'yes', met: f.correct },
  ];
}

/** The figure as a row of the bench's table of other steps. */
export function paymentsRow(f: PaymentsFigures): string[] {
  const floor = `floor ${f.floorSeconds.toFixed(2)} s (${f.ratioToFloor.toFixed(1)} x; ${f.floorWithoutChecksSeconds.toFixed(2)} s without the ledger checks)`;
  return [`payments import ${f.rows}`, f.seconds.toFixed(2), String(f.peakMb), `${floor}, ${f.applications} applications`];
}
