import { Readable } from 'node:stream';
import { createBilling, InvalidInputError, type Billing } from '../../billing';
import { exportAccounts, importSetupWorkbook } from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { ACCOUNT_HEADERS, readBack, rowsOf, tempPath, workbook } from './helpers';

/** Accounts' postal addresses (migration 140): optional columns of the setup workbook's Accounts sheet. */
describe('account addresses in the setup workbook', () => {
  const t = useTestDatabase();
  let billing: Billing;
  const stored = (name: string) =>
    t.db('accounts').whereRaw('lower(name) = lower(?)', [name]).first('address_line1', 'address_line2', 'city', 'region', 'postal_code', 'country');
  const apply = async (sheets: Parameters<typeof workbook>[0]) =>
    importSetupWorkbook(billing, Readable.from(await workbook(sheets)), { actor: 'U_ADMIN', dryRun: false });

  beforeAll(() => {
    billing = createBilling(t.db);
  });

  it('imports the address columns, exports them, and finds nothing to change on the way back', async () => {
    const result = await apply({
      Accounts: [ACCOUNT_HEADERS, ['Harbour Ltd', null, 'GBP', 'active', 'Default', 1, null, null, '1 Harbour Road', 'Unit 4', 'Bristol', 'Avon', 'BS1 4ST', 'United Kingdom']],
    });
    expect(result).toMatchObject({ applied: true, totalProblems: 0, accounts: { created: 1 } });
    expect(await stored('Harbour Ltd')).toEqual({
      address_line1: '1 Harbour Road',
      address_line2: 'Unit 4',
      city: 'Bristol',
      region: 'Avon',
      postal_code: 'BS1 4ST',
      country: 'United Kingdom',
    });
    const out = await tempPath();
    await exportAccounts(billing, out);
    const rows = rowsOf((await readBack(out)).getWorksheet('Accounts')!);
    expect(rows[0]).toEqual(ACCOUNT_HEADERS);
    expect(rows[1].slice(8)).toEqual(['1 Harbour Road', 'Unit 4', 'Bristol', 'Avon', 'BS1 4ST', 'United Kingdom']);
    const again = await importSetupWorkbook(billing, out, { actor: 'U_ADMIN', dryRun: true });
    expect(again.accounts).toEqual({ created: 0, updated: 0, unchanged: 1 });
  });

  it('imports a workbook without the address columns (made before them) and keeps the stored address', async () => {
    const oldHeaders = ACCOUNT_HEADERS.slice(0, 8);
    const result = await apply({ Accounts: [oldHeaders, ['Harbour Ltd', 'Harbour', 'GBP', 'active', 'Default', 1, null, null]] });
    expect(result).toMatchObject({ applied: true, totalProblems: 0, accounts: { updated: 1 } });
    expect(await stored('Harbour Ltd')).toMatchObject({ address_line1: '1 Harbour Road', city: 'Bristol' });
  });

  it('clears an address field given blank, and refuses one over 200 characters with its place', async () => {
    await apply({ Accounts: [ACCOUNT_HEADERS, ['Harbour Ltd', 'Harbour', 'GBP', 'active', 'Default', 1, null, null, '1 Harbour Road', null, 'Bristol', null, 'BS1 4ST', 'United Kingdom']] });
    expect(await stored('Harbour Ltd')).toMatchObject({ address_line2: null, region: null, city: 'Bristol' });
    const refused = await apply({ Accounts: [ACCOUNT_HEADERS, ['Harbour Ltd', null, 'GBP', 'active', 'Default', 1, null, null, 'x'.repeat(201)]] });
    expect(refused.applied).toBe(false);
    expect(refused.problems[0]).toMatchObject({ sheet: 'Accounts', row: 2, column: 'Address Line 1', expected: 'An address line can be at most 200 characters.' });
  });

  it('is set by createAccount and updateAccount too', async () => {
    await billing.createAccount({ name: 'Lone Co', currency: 'USD', addressLine1: '9 Elm St', country: 'USA' });
    expect(await stored('Lone Co')).toMatchObject({ address_line1: '9 Elm St', country: 'USA', city: null });
    await billing.updateAccount('Lone Co', { city: 'Springfield', country: '' });
    expect(await stored('Lone Co')).toMatchObject({ address_line1: '9 Elm St', city: 'Springfield', country: null });
    await expect(billing.updateAccount('Lone Co', { city: 'y'.repeat(201) })).rejects.toThrow(InvalidInputError);
  });
});
