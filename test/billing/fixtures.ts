import type { Knex } from 'knex';
import { createBilling, MANAGED_NETWORK, type Billing } from '../../billing';
import { useTestDatabase } from '../helpers/db';

/** Shared set-up for the billing tests: fresh databases, a fixed clock, the usual packages. */

/** 2 October 2026, noon UTC: "current month" is October, "previous month" September. */
export const clock = { now: () => new Date('2026-10-02T12:00:00Z') };

/**
 * A fresh database for every test (a clone of the migrated template), so invoice numbers,
 * row counts and sequences start from the same place in each test.
 */
export function useFreshDatabase(): { readonly db: Knex; readonly url: string; readonly billing: Billing } {
  const t = useTestDatabase({ each: true });
  return {
    get db() {
      return t.db;
    },
    get url() {
      return t.url;
    },
    get billing() {
      return createBilling(t.db, clock);
    },
  };
}

/**
 * The packages the tests sell (one per frequency; Managed Network is the worked example's
 * $140.00 package) and a configuration that bills packages and generates invoices for the
 * Default bill group.
 */
export async function createCatalogue(billing: Billing): Promise<void> {
  await billing.createPackage(MANAGED_NETWORK);
  await billing.createPackage({ name: 'Quarterly Backup', currency: 'USD', frequency: 'quarterly', services: [{ name: 'Backup', price: '300.00' }] });
  await billing.createPackage({ name: 'Semiannual Audit', currency: 'USD', frequency: 'semiannual', services: [{ name: 'Audit', price: '600.00' }] });
  await billing.createPackage({ name: 'Annual Licence', currency: 'USD', frequency: 'annual', services: [{ name: 'Licence', price: '1200.00' }] });
  await billing.createConfiguration({ name: 'Monthly Billing', billPackages: true, generateInvoice: true, billGroups: ['Default'] });
}

/** Parent Co and Child Co (which invoices to Parent Co), both USD, as in the worked example. */
export async function createFamily(billing: Billing): Promise<void> {
  await billing.createAccount({ name: 'Parent Co', currency: 'USD' });
  await billing.createAccount({ name: 'Child Co', currency: 'USD', parent: 'Parent Co', invoiceTo: 'Parent Co' });
}

/** The row count of every table, and the invoice numbering settings: a fingerprint of "what was written". */
export async function snapshot(db: Knex): Promise<Record<string, unknown>> {
  const tables: string[] = await db('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .orderBy('table_name')
    .pluck('table_name');
  const counts: Record<string, unknown> = {};
  for (const table of tables) {
    const row = await db(table).count('* as n').first();
    counts[table] = Number(row?.n);
  }
  counts.settings_row = await db('settings').first('invoice_prefix', 'next_invoice_number');
  return counts;
}

/**
 * Expects `action` to fail with an error of the given class and a message matching `message`,
 * and to leave every table as it was.
 */
export async function expectRefusedAndNothingWritten(
  db: Knex,
  action: () => Promise<unknown>,
  errorClass: abstract new (...args: never[]) => Error,
  message: RegExp | string,
): Promise<Error> {
  const before = await snapshot(db);
  let thrown: unknown;
  try {
    await action();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(errorClass);
  const error = thrown as Error;
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  expectOneSentence(error.message);
  expect(await snapshot(db)).toEqual(before);
  return error;
}

/** One line a person can read: no stack, no SQL, no "undefined", ending like a sentence. */
export function expectOneSentence(message: string): void {
  expect(message).not.toMatch(/\n/);
  expect(message).not.toMatch(/undefined|\bnull\b|\[object|violates|SELECT|INSERT|UPDATE /);
  expect(message).toMatch(/^[A-Z"a-z0-9].*[.?]$/);
}

/** The charges of an account package as [period start, period end, service amount] rows, in order. */
export async function chargesOf(db: Knex, accountPackageId: number): Promise<{ periodStart: string; periodEnd: string; amount: string; invoiced: boolean }[]> {
  const rows = await db('transactions')
    .where({ account_package_id: accountPackageId, kind: 'charge' })
    .orderBy(['period_start', 'service_id'])
    .select('period_start', 'period_end', 'amount', 'invoice_id');
  return rows.map((r) => ({ periodStart: r.period_start, periodEnd: r.period_end, amount: r.amount, invoiced: r.invoice_id !== null }));
}
