import { Readable } from 'node:stream';
import { createBilling } from '../../billing';
import { exportAccounts, importSetupWorkbook } from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { ACCOUNT_HEADERS, ACCOUNT_PACKAGE_HEADERS, BILL_RUN_HEADERS, PACKAGE_HEADERS, readBack, rowsOf, tempPath, utcDate, workbook } from './helpers';

describe('the accounts workbook round trip', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await billing.loadDemo();
    await billing.createBillGroup('Tokyo');
    await billing.createAccount({ name: 'Tokyo KK', displayName: '=SUM(A1)', currency: 'JPY', billGroup: 'Tokyo', billDay: 28 });
    await billing.createAccount({ name: '+1', displayName: '-1', currency: 'JPY', parent: 'Tokyo KK', invoiceTo: 'Tokyo KK' });
    await billing.createAccount({ name: '@x', currency: 'USD', status: 'inactive', parent: 'Parent Co' });
    await billing.createPackage({ name: 'Yen Plan', currency: 'JPY', frequency: 'quarterly', services: [{ name: 'Hosting', price: '1200' }] });
    await billing.createPackage({ name: 'Odd Cents', currency: 'USD', frequency: 'annual', services: [{ name: 'Fee', price: '0.05' }, { name: '=cmd', price: '1234.5' }] });
    await billing.addAccountPackage({ account: '+1', package: 'Yen Plan', quantity: 3, status: 'pending', effectiveDate: '2026-01-31' });
    await billing.addAccountPackage({ account: 'Parent Co', package: 'Odd Cents', status: 'cancelled', effectiveDate: '2025-05-01', nextBillDate: '2026-05-01' });
    await billing.createConfiguration({
      name: 'Quarter End',
      billPackages: true,
      generateInvoice: false,
      periodRule: 'explicit',
      periodStart: '2026-07-01',
      periodEnd: '2026-09-30',
      billGroups: ['Tokyo', 'Default'],
      schedule: '0 6 1 */3 *',
      timeZone: 'Asia/Tokyo',
      reportChannel: '#finance',
    });
  });

  it('exports the setup so that importing it again changes nothing', async () => {
    const out = await tempPath();
    expect(await exportAccounts(createBilling(t.db), out)).toEqual({ accounts: 5, packageServices: 5, accountPackages: 3, billRuns: 2 });

    const wb = await readBack(out);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Accounts', 'Packages', 'Account Packages', 'Bill Runs']);
    expect(rowsOf(wb.getWorksheet('Accounts')!)).toEqual([
      ACCOUNT_HEADERS,
      ['Parent Co', undefined, 'USD', 'active', 'Default', 1],
      ['Child Co', undefined, 'USD', 'active', 'Default', 1, 'Parent Co', 'Parent Co'],
      ['Tokyo KK', "'=SUM(A1)", 'JPY', 'active', 'Tokyo', 28],
      ["'+1", "'-1", 'JPY', 'active', 'Default', 1, 'Tokyo KK', 'Tokyo KK'],
      ["'@x", undefined, 'USD', 'inactive', 'Default', 1, 'Parent Co'],
    ]);
    const packages = wb.getWorksheet('Packages')!;
    expect(rowsOf(packages)).toEqual([
      PACKAGE_HEADERS,
      ['Managed Network', 'USD', 'monthly', 'Network Monitoring', 100],
      ['Managed Network', 'USD', 'monthly', 'Support', 40],
      ['Yen Plan', 'JPY', 'quarterly', 'Hosting', 1200],
      ['Odd Cents', 'USD', 'annual', 'Fee', 0.05],
      ['Odd Cents', 'USD', 'annual', "'=cmd", 1234.5],
    ]);
    expect(packages.getCell('E2').numFmt).toBe('#,##0.00');
    expect(packages.getCell('E4').numFmt).toBe('#,##0');
    expect(rowsOf(wb.getWorksheet('Account Packages')!)).toEqual([
      ACCOUNT_PACKAGE_HEADERS,
      ['Child Co', 'Managed Network', 1, 'active', utcDate('2026-09-15'), utcDate('2026-09-15')],
      ['+1', 'Yen Plan', 3, 'pending', utcDate('2026-01-31'), utcDate('2026-01-31')].map((v, i) => (i === 0 ? "'+1" : v)),
      ['Parent Co', 'Odd Cents', 1, 'cancelled', utcDate('2025-05-01'), utcDate('2026-05-01')],
    ]);
    expect(rowsOf(wb.getWorksheet('Bill Runs')!)).toEqual([
      BILL_RUN_HEADERS,
      ['Monthly Billing', 'yes', 'yes', 'current month', 'Default', undefined, 'UTC'],
      ['Quarter End', 'yes', 'no', '2026-07-01 to 2026-09-30', 'Default, Tokyo', '0 6 1 */3 *', 'Asia/Tokyo', '#finance'],
    ]);

    const before = await t.db('accounts').orderBy('id').select('*');
    const result = await importSetupWorkbook(createBilling(t.db), out, { actor: 'U_FIN' });
    expect(result).toMatchObject({
      applied: true,
      problems: [],
      warnings: [],
      accounts: { created: 0, updated: 0, unchanged: 5 },
      packages: { created: 0, updated: 0, unchanged: 3 },
      accountPackages: { created: 0, updated: 0, unchanged: 3 },
      billRuns: { created: 0, updated: 0, unchanged: 2 },
      billGroupsCreated: [],
    });
    expect(await t.db('accounts').orderBy('id').select('*')).toEqual(before);
  });

  it('applies a change made in the exported workbook, and only that change', async () => {
    const out = await tempPath();
    await exportAccounts(createBilling(t.db), out);
    const wb = await readBack(out);
    const sheets = Object.fromEntries(wb.worksheets.map((w) => [w.name, rowsOf(w)]));
    sheets['Accounts'][2][5] = 20; // Child Co's bill day
    sheets['Packages'][2][4] = 45; // Managed Network's Support
    sheets['Account Packages'][1][2] = 2; // Child Co's quantity
    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([await workbook(sheets as never)]), { actor: 'U_FIN' });
    expect(result).toMatchObject({
      applied: true,
      problems: [],
      accounts: { created: 0, updated: 1, unchanged: 4 },
      packages: { created: 0, updated: 1, unchanged: 2 },
      accountPackages: { created: 0, updated: 1, unchanged: 2 },
      billRuns: { created: 0, updated: 0, unchanged: 2 },
    });
    const billing = createBilling(t.db);
    expect((await billing.findAccount('Child Co')).billDay).toBe(20);
    expect((await billing.listAccountPackages('Child Co'))[0].quantity).toBe(2);
    expect(await t.db('services').where('name', 'Support').first('price')).toEqual({ price: '45.000000' });
  });
});
