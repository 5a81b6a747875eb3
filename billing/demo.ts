import type { Knex } from 'knex';
import { addAccountPackage, createAccount, createPackage, setInvoiceNumbering } from './accounts';
import { createConfiguration } from './configurations';

/**
 * The worked example's setup (DOMAIN.md): Parent Co and Child Co (which invoices to
 * Parent Co), both USD; a monthly $140.00 package on Child Co due 2026-09-15; a
 * configuration that bills packages and generates invoices; invoice numbering at 17.
 * Loads nothing else. Refuses to load twice.
 */
/** The worked example's package: $140.00 a month (its two services add up to it). */
export const MANAGED_NETWORK = {
  name: 'Managed Network',
  currency: 'USD',
  frequency: 'monthly' as const,
  services: [
    { name: 'Network Monitoring', price: '100.00' },
    { name: 'Support', price: '40.00' },
  ],
};

export async function loadDemo(db: Knex): Promise<void> {
  await db.transaction(async (trx) => {
    await createAccount(trx, { name: 'Parent Co', currency: 'USD' });
    await createAccount(trx, { name: 'Child Co', currency: 'USD', parent: 'Parent Co', invoiceTo: 'Parent Co' });
    await createPackage(trx, MANAGED_NETWORK);
    await addAccountPackage(trx, {
      account: 'Child Co',
      package: 'Managed Network',
      effectiveDate: '2026-09-15',
      nextBillDate: '2026-09-15',
    });
    await createConfiguration(trx, {
      name: 'Monthly Billing',
      billPackages: true,
      generateInvoice: true,
      periodRule: 'current month',
      billGroups: ['Default'],
    });
    await setInvoiceNumbering(trx, { nextNumber: 18 });
  });
}
