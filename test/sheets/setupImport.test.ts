import { Readable } from 'node:stream';
import { createBilling } from '../../billing';
import { EmptyWorkbookError, importSetupWorkbook, readSetupWorkbook, writeTemplate } from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { ACCOUNT_HEADERS, ACCOUNT_PACKAGE_HEADERS, PACKAGE_HEADERS, readBack, rowsOf, tempPath, utcDate, workbook, workedExampleSheets } from './helpers';

describe('importing the setup workbook', () => {
  const t = useTestDatabase();
  const clock = { now: () => new Date('2026-10-02T12:00:00Z') };

  it('sets up the worked example, which then bills invoice #18 for $140.00 under Parent Co', async () => {
    const file = await workbook(workedExampleSheets());

    const dry = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN', dryRun: true });
    expect(dry).toMatchObject({ applied: false, dryRun: true, problems: [] });
    expect(dry.accounts).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect(await t.db('accounts').count('* as n').first()).toEqual({ n: 0 });

    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN' });
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({
      applied: true,
      accounts: { created: 2, updated: 0, unchanged: 0 },
      packages: { created: 1, updated: 0, unchanged: 0 },
      accountPackages: { created: 1, updated: 0, unchanged: 0 },
      billRuns: { created: 1, updated: 0, unchanged: 0 },
      billGroupsCreated: [],
    });

    const billing = createBilling(t.db, clock);
    const child = await billing.findAccount('child co');
    const parent = await billing.findAccount('Parent Co');
    expect(child).toMatchObject({ currency: 'USD', status: 'active', billDay: 15, parentId: parent.id, invoicerId: parent.id, displayName: null });
    expect(parent).toMatchObject({ displayName: 'Parent Company', parentId: null, invoicerId: null });
    const [ap] = await billing.listAccountPackages('Child Co');
    expect(ap).toMatchObject({ package: 'Managed Network', quantity: 1, status: 'active', effectiveDate: '2026-09-15', nextBillDate: '2026-09-15', frequency: 'monthly' });
    expect((await t.db('account_packages').first('anchor_day')).anchor_day).toBe(15);
    expect(await billing.findConfiguration('Monthly Billing')).toMatchObject({
      billPackages: true,
      generateInvoice: true,
      periodRule: 'current month',
      billGroups: ['Default'],
      timeZone: 'UTC',
      schedule: null,
    });
    expect(await t.db('setup_imports').select('actor')).toEqual([{ actor: 'U_FIN' }]);

    await billing.setInvoiceNumbering({ nextNumber: 18 });
    const september = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    expect(september.invoices).toEqual([
      { number: 'INV-000018', invoicer: 'Parent Co', currency: 'USD', total: '140.00', balance: '140.00', status: 'open' },
    ]);
    const inv = await billing.getInvoice('18');
    expect(inv.transactions.map((x) => [x.account, x.service, x.amount])).toEqual([
      ['Child Co', 'Network Monitoring', '100.00'],
      ['Child Co', 'Support', '40.00'],
    ]);

    // The same workbook again: the account package has moved on (billed), everything else is unchanged.
    const again = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN', dryRun: true });
    expect(again).toMatchObject({
      accounts: { created: 0, updated: 0, unchanged: 2 },
      packages: { created: 0, updated: 0, unchanged: 1 },
      accountPackages: { created: 0, updated: 1, unchanged: 0 },
      billRuns: { created: 0, updated: 0, unchanged: 1 },
    });
  });

  it('updates known names, creates new ones and unknown bill groups, forgiving header case and spacing', async () => {
    const file = await workbook({
      ' accounts ': [
        ['NAME', 'display  name', 'currency', 'Bill_Group', 'Parent', 'Extra Notes'],
        ['PARENT CO', 'Parent Company Ltd', 'usd', 'Default', null, 'ignored'],
        ['Grandchild Co', null, 'USD', 'East Coast', 'Child Co', 'ignored'],
      ],
      'Bill Runs': [
        ['Name', 'Bill Groups', 'Period', 'Schedule', 'Report Channel'],
        ['East Run', 'east coast, Default', '2026-09-01 to 2026-09-30', '0 6 1 * *', '#billing'],
      ],
    });
    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN' });
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({
      applied: true,
      accounts: { created: 1, updated: 1, unchanged: 0 },
      billRuns: { created: 1, updated: 0, unchanged: 0 },
      billGroupsCreated: ['East Coast'],
    });
    expect(result.warnings).toEqual([expect.objectContaining({ sheet: ' accounts ', message: expect.stringContaining('"Extra Notes"') })]);
    const billing = createBilling(t.db, clock);
    // The stored name keeps its spelling; the display name changed; the parent and invoicer were kept.
    expect(await billing.findAccount('Parent Co')).toMatchObject({ name: 'Parent Co', displayName: 'Parent Company Ltd' });
    const child = await billing.findAccount('Child Co');
    expect(child.invoicerId).toBe((await billing.findAccount('Parent Co')).id);
    expect(await billing.findAccount('Grandchild Co')).toMatchObject({ billGroup: 'East Coast', parentId: child.id, invoicerId: null, billDay: 1, status: 'active' });
    expect(await billing.findConfiguration('East Run')).toMatchObject({
      billGroups: ['Default', 'East Coast'],
      periodRule: 'explicit',
      periodStart: '2026-09-01',
      periodEnd: '2026-09-30',
      schedule: '0 6 1 * *',
      reportChannel: '#billing',
    });
  });

  it('reads rich text, formulas, numbers typed as text and dates typed as text', async () => {
    const file = await workbook({
      Accounts: [ACCOUNT_HEADERS, [{ richText: [{ text: 'Rich ' }, { text: 'Co', font: { bold: true } }] }, null, { formula: 'UPPER("usd")', result: 'USD' }, ' ACTIVE ', null, '7', null, null]],
      'Account Packages': [
        ['Account', 'Package', 'Quantity', 'Effective Date', 'Next Bill Date'],
        ['Rich Co', 'Managed Network', ' 3 ', '2026-11-01', utcDate('2026-11-05')],
      ],
    });
    const read = await readSetupWorkbook(Readable.from([file]));
    expect(read.problems).toEqual([]);
    expect(read.plan.accounts).toEqual([expect.objectContaining({ name: 'Rich Co', currency: 'USD', status: 'active', billDay: 7 })]);
    expect(read.plan.accountPackages).toEqual([
      expect.objectContaining({ account: 'Rich Co', package: 'Managed Network', quantity: 3, effectiveDate: '2026-11-01', nextBillDate: '2026-11-05' }),
    ]);
    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN' });
    expect(result).toMatchObject({ applied: true, problems: [], accounts: { created: 1 }, accountPackages: { created: 1 } });
    expect((await createBilling(t.db).listAccountPackages('Rich Co'))[0]).toMatchObject({ quantity: 3, nextBillDate: '2026-11-05' });
  });

  it('ignores other sheets with a warning, and warns about stored services the workbook leaves out', async () => {
    const file = await workbook({
      Notes: [['Anything'], ['at all']],
      'Read Me': [['Explanations are ignored silently']],
      Packages: [PACKAGE_HEADERS, ['Managed Network', 'USD', 'monthly', 'Network Monitoring', '120.00']],
    });
    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN' });
    expect(result).toMatchObject({ applied: true, problems: [], packages: { created: 0, updated: 1, unchanged: 0 } });
    expect(result.warnings).toEqual([
      { sheet: 'Notes', message: 'Sheet "Notes" is not one of Accounts, Packages, Account Packages, Bill Runs and was ignored.' },
      { sheet: 'Packages', row: 2, message: 'Packages row 2: Service "Support" of package "Managed Network" is not in the setup and was left as it is.' },
    ]);
    const prices = await t.db('services').orderBy('id').select('name', 'price');
    expect(prices).toEqual([
      { name: 'Network Monitoring', price: '120.000000' },
      { name: 'Support', price: '40.000000' },
    ]);
  });

  it('applies more rows than one statement takes (slices of 5,000), parents named rows further down, all or nothing', async () => {
    // 12,000 children, each naming as its parent and invoicer an account on the last row: the
    // first slices of accounts name an account that only a later slice inserts.
    const sheets = (prefix: string) => ({
      Accounts: [
        ACCOUNT_HEADERS,
        ...Array.from({ length: 12_000 }, (_, i) => [`${prefix} Child ${i}`, null, 'USD', 'active', 'Default', 1, `${prefix} Top`, `${prefix} Top`]),
        [`${prefix} Top`, null, 'USD', 'active', 'Default', 1, null, null],
      ],
      Packages: [PACKAGE_HEADERS, ['Slice Plan', 'USD', 'monthly', 'Slice Service', '1.00']],
      'Account Packages': [
        ACCOUNT_PACKAGE_HEADERS,
        ...Array.from({ length: 12_000 }, (_, i) => [`${prefix} Child ${i}`, 'Slice Plan', 1, 'active', '2026-11-01', '2026-11-01']),
      ],
    });
    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([await workbook(sheets('Sliced'))]), { actor: 'U_FIN' });
    expect(result).toMatchObject({ applied: true, problems: [], accounts: { created: 12_001 }, accountPackages: { created: 12_000 } });
    const top = await createBilling(t.db).findAccount('Sliced Top');
    const family = await t.db('accounts').where({ parent_id: top.id, invoicer_id: top.id }).count('* as n').first();
    expect(family).toEqual({ n: 12_000 });
    expect(await t.db('account_packages as ap').join('accounts as a', 'a.id', 'ap.account_id').where('a.parent_id', top.id).count('* as n').first()).toEqual({ n: 12_000 });

    // The database refuses one account of the last slice: the slices written before it are undone too.
    const before = await t.db('accounts').count('* as n').first();
    await t.db.raw(`
      CREATE FUNCTION test_refuse_account() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.name = 'Again Child 11999' THEN RAISE EXCEPTION 'refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_account BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION test_refuse_account();
    `);
    try {
      await expect(importSetupWorkbook(createBilling(t.db), Readable.from([await workbook(sheets('Again'))]), { actor: 'U_FIN' })).rejects.toThrow('refused');
    } finally {
      await t.db.raw('DROP TRIGGER test_refuse_account ON accounts; DROP FUNCTION test_refuse_account()');
    }
    expect(await t.db('accounts').count('* as n').first()).toEqual(before);
  });

  it('writes a template with the four sheets and their headers, which reads as an empty workbook', async () => {
    const out = await tempPath();
    expect(await writeTemplate(out)).toEqual({ sheets: 5 });
    const wb = await readBack(out);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Accounts', 'Packages', 'Account Packages', 'Bill Runs', 'Read Me']);
    expect(rowsOf(wb.getWorksheet('Accounts')!)).toEqual([ACCOUNT_HEADERS]);
    expect(wb.getWorksheet('Packages')!.getRow(1).getCell(1).font?.bold).toBe(true);
    await expect(readSetupWorkbook(out)).rejects.toThrow(EmptyWorkbookError);
    await expect(readSetupWorkbook(out)).rejects.toThrow('no rows below the header rows');
  });
});
