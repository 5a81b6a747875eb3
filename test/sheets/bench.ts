/**
 * The workbook targets of the issue "Workbooks", measured (not part of the jest suite):
 *   npx tsx test/sheets/bench.ts
 * - import of 100,000 accounts + 100,000 account packages: under 10 s, under 400 MB
 * - export of 100,000 invoices (with two transactions each): under 10 s, under 300 MB
 * Each measured step runs in a fresh process, which reports its time and peak memory.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { createBilling, createDb } from '../../billing';
import { exportInvoices, importSetupWorkbook } from '../../sheets';
import { createTestDatabase } from '../helpers/db';
import globalSetup from '../setup/globalSetup';
import globalTeardown from '../setup/globalTeardown';
import { tempPath } from './helpers';

const N = Number(process.env.BENCH_ROWS ?? 100_000);

export async function writeSetupWorkbook(file: string): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: true });
  const accounts = wb.addWorksheet('Accounts');
  accounts.addRow(['Name', 'Display Name', 'Currency', 'Status', 'Bill Group', 'Bill Day', 'Parent', 'Invoice To']).commit();
  for (let i = 0; i < N; i++) {
    // Families of 100: an owner and 99 children invoicing to it.
    const owner = i - (i % 100);
    const child = i !== owner;
    accounts
      .addRow([`Account ${i}`, `Display ${i}`, 'USD', 'active', `Group ${i % 10}`, (i % 28) + 1, child ? `Account ${owner}` : null, child ? `Account ${owner}` : null])
      .commit();
  }
  accounts.commit();
  const packages = wb.addWorksheet('Packages');
  packages.addRow(['Package', 'Currency', 'Frequency', 'Service', 'Price']).commit();
  packages.addRow(['Managed Network', 'USD', 'monthly', 'Network Monitoring', 100]).commit();
  packages.addRow(['Managed Network', 'USD', 'monthly', 'Support', 40]).commit();
  packages.commit();
  const aps = wb.addWorksheet('Account Packages');
  aps.addRow(['Account', 'Package', 'Quantity', 'Status', 'Effective Date', 'Next Bill Date']).commit();
  const day = new Date(Date.UTC(2026, 8, 15));
  for (let i = 0; i < N; i++) {
    const row = aps.addRow([`Account ${i}`, 'Managed Network', 1, 'active', day, day]);
    row.getCell(5).numFmt = 'yyyy-mm-dd';
    row.getCell(6).numFmt = 'yyyy-mm-dd';
    row.commit();
  }
  aps.commit();
  await wb.commit();
}

/** 100,000 invoices with two transactions each, set-based. */
export async function seedInvoices(url: string): Promise<void> {
  const db = createDb(url);
  try {
    await db.raw(`
      INSERT INTO accounts (name, currency, bill_group_id) SELECT 'Customer ' || g, CASE WHEN g % 10 = 0 THEN 'JPY' ELSE 'USD' END, 1 FROM generate_series(1, ${N / 10}) g;
      INSERT INTO packages (name, currency, frequency) VALUES ('Plan', 'USD', 'monthly');
      INSERT INTO services (package_id, name, price) SELECT p.id, s, 10 FROM packages p, unnest(ARRAY['Fee', 'Support']) s;
      INSERT INTO account_packages (account_id, package_id, effective_date, next_bill_date, anchor_day)
        SELECT a.id, p.id, '2026-01-01', '2026-01-01', 1 FROM accounts a, packages p;
      INSERT INTO bill_run_configurations (name) VALUES ('Bench');
      INSERT INTO bill_runs (configuration_id, scope, period_start, period_end, posting_date, invoice_date, bill_packages, generate_invoice, started_by, status)
        SELECT id, 'bill groups', '2026-01-01', '2026-12-31', '2026-12-31', '2026-12-31', true, true, 'bench', 'completed' FROM bill_run_configurations;
      INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency, total, balance, status)
        SELECT g, a.id, 1, DATE '2026-01-01' + (g % 365), DATE '2026-01-01' + (g % 365), '2026-01-01', '2026-01-31', a.currency, 1234.56, 1000.5, 'open'
        FROM generate_series(1, ${N}) g JOIN accounts a ON a.id = 1 + (g % ${N / 10});
      INSERT INTO transactions (kind, account_id, account_package_id, service_id, period_start, period_end, quantity, amount, posting_date, bill_run_id, invoice_id)
        SELECT 'charge', i.account_id, ap.id, s.id, DATE '2026-01-01' + i.number::int, DATE '2026-01-31' + i.number::int, 1, 617.28, i.posting_date, 1, i.id
        FROM invoices i JOIN account_packages ap ON ap.account_id = i.account_id CROSS JOIN services s;
      ANALYZE;
    `);
  } finally {
    await db.destroy();
  }
}

function measure(step: string, args: string[]): { seconds: number; mb: number; output: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, step, ...args], { encoding: 'utf8', env: process.env });
  if (child.status !== 0) throw new Error(`${step} failed: ${child.stderr}`);
  const last = child.stdout.trim().split('\n').pop()!;
  return JSON.parse(last);
}

async function child(step: string, args: string[]): Promise<void> {
  const started = process.hrtime.bigint();
  const db = createDb(args[0]);
  let output: unknown;
  try {
    if (step === 'import') {
      const r = await importSetupWorkbook(createBilling(db), args[1], { actor: 'bench' });
      output = { applied: r.applied, accounts: r.accounts, accountPackages: r.accountPackages, problems: r.problems.slice(0, 3) };
    } else {
      output = await exportInvoices(createBilling(db), args[1]);
    }
  } finally {
    await db.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage();
  const cpuSeconds = Math.round((cpu.user + cpu.system) / 1e4) / 100;
  console.log(JSON.stringify({ seconds: Math.round(seconds * 100) / 100, cpuSeconds, mb: Math.round(process.resourceUsage().maxRSS / 1024), output }));
}

async function main(): Promise<void> {
  const [step, ...args] = process.argv.slice(2);
  if (step === 'workbook') return writeSetupWorkbook(args[0]);
  if (step) return child(step, args);
  await globalSetup();
  try {
    const target = await createTestDatabase();
    const file = await tempPath();
    if (process.env.BENCH_WORKBOOK === 'performance') {
      // The workbook of the performance benchmark (test/bench/workbook.ts), when it is there.
      const performanceWorkbook = '../bench/workbook';
      const { writeSetupWorkbook: write } = (await import(performanceWorkbook)) as { writeSetupWorkbook: (file: string, n: number) => Promise<void> };
      await write(file, N);
    } else {
      await writeSetupWorkbook(file);
    }
    console.log(`import of ${N} accounts + ${N} account packages:`, measure('import', [target.url, file]));
    console.log(`import again (all unchanged):`, measure('import', [target.url, file]));
    const invoices = await createTestDatabase();
    await seedInvoices(invoices.url);
    const out = path.join(path.dirname(file), 'invoices-bench.xlsx');
    console.log(`export of ${N} invoices:`, measure('export', [invoices.url, out]));
    await target.drop();
    await invoices.drop();
    await fs.rm(file, { force: true });
    await fs.rm(out, { force: true });
  } finally {
    await globalTeardown();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
