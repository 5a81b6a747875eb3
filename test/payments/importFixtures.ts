import type { Knex } from 'knex';
import { createBilling, type Billing } from '../../billing';
import { workbook, type Cell } from '../sheets/helpers';

/** The payments import tests' "today". */
export const importClock = { now: () => new Date('2026-10-20T12:00:00Z') };

export const payer = (i: number) => `Payer ${String(i).padStart(5, '0')}`;

/** Quantity of payer i's plan: its invoices are $100, $200 or $300. */
export const quantityOf = (i: number) => 1 + (i % 3);

/**
 * `n` invoicer accounts (Payer 00000 ...) set up in bulk, each with a $100.00 monthly plan
 * (quantity 1-3), billed for August and September 2026 through the real bill run: two open
 * invoices per account (August's numbered before September's), due 30 days after the run.
 */
export async function seedPayers(db: Knex, n: number): Promise<Billing> {
  const billing = createBilling(db, importClock);
  const ids = Array.from({ length: n }, (_, i) => i);
  const { plan, problems } = billing.setup.check({
    accounts: ids.map((i) => ({ ref: i, row: { name: payer(i), currency: 'USD', billDay: 1 } })),
    packageServices: [{ ref: 0, row: { package: 'Plan', currency: 'USD', frequency: 'monthly', service: 'Service', price: '100.00' } }],
    accountPackages: ids.map((i) => ({
      ref: i,
      row: { account: payer(i), package: 'Plan', quantity: quantityOf(i), effectiveDate: '2026-08-01', nextBillDate: '2026-08-01' },
    })),
    configurations: [{ ref: 0, row: { name: 'Monthly', billPackages: true, generateInvoice: true, period: 'previous month', billGroups: ['Default'] } }],
  });
  if (problems.length) throw new Error(JSON.stringify(problems.slice(0, 3)));
  const applied = await billing.setup.apply(plan, { actor: 'U_SETUP' });
  if (!applied.applied) throw new Error(JSON.stringify(applied.problems.slice(0, 3)));
  for (const [from, to] of [['2026-08-01', '2026-08-31'], ['2026-09-01', '2026-09-30']]) {
    await billing.bill({ configuration: 'Monthly', from, to, startedBy: 'U_BILLER' });
  }
  return billing;
}

export const PAYMENT_HEADERS = ['Date', 'Account', 'Amount', 'Method', 'Reference', 'Invoice'];

/** A payments workbook of these rows (below the header row). */
export function paymentsWorkbook(rows: Cell[][], extra: Record<string, Cell[][]> = {}): Promise<Buffer> {
  return workbook({ Payments: [PAYMENT_HEADERS, ...rows], ...extra });
}
