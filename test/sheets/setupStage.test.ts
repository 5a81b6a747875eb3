import { Readable } from 'node:stream';
import { createBilling } from '../../billing';
import { importSetupWorkbook, TooManyRowsError } from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { ACCOUNT_HEADERS, ACCOUNT_PACKAGE_HEADERS, Cell, PACKAGE_HEADERS, workbook } from './helpers';

/**
 * The setup import stages the Accounts and Account Packages rows in temporary tables as it
 * reads them and checks and writes them set-based (billing/setup/stage.ts): thousands of rows
 * (more than one chunk of 5,000) import right, a second import changes only what changed, and
 * a refused or failed import leaves nothing, its stage included.
 */
describe('the staged setup import', () => {
  const t = useTestDatabase();
  const N = 6_000;
  let prefix = 'Staged';
  const name = (i: number) => `${prefix} ${String(i).padStart(5, '0')}`;
  /** Every third account is a child of the one before it, invoicing to it; some have an address and payment terms. */
  const accountRow = (i: number, displayName = `Customer ${i}`): Cell[] => {
    const child = i % 3 === 2;
    return [
      name(i),
      displayName,
      'USD',
      'active',
      i % 2 ? 'Staged Group' : null,
      1 + (i % 28),
      child ? name(i - 1) : null,
      child ? name(i - 1) : null,
      i % 5 === 0 ? `${i} Main Street` : null,
      null,
      i % 5 === 0 ? 'Springfield' : null,
      null,
      null,
      null,
      i % 7 === 0 ? 45 : null,
    ];
  };
  const packageRow = (i: number, quantity = 1 + (i % 3)): Cell[] => [name(i), 'Staged Plan', quantity, 'active', '2026-11-01', `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`];
  const sheets = (accounts: Cell[][], accountPackages: Cell[][]) => ({
    Accounts: [ACCOUNT_HEADERS, ...accounts],
    Packages: [PACKAGE_HEADERS, ['Staged Plan', 'USD', 'monthly', 'Staged Service', '10.00']],
    'Account Packages': [ACCOUNT_PACKAGE_HEADERS, ...accountPackages],
  });
  const all = <T>(make: (i: number) => T) => Array.from({ length: N }, (_, i) => make(i));
  const count = async (table: string) => Number((await t.db(table).count('* as n').first())!.n);
  /** Staging tables left in any session (temporary tables of every session are in pg_class). */
  const stagesLeft = async () => Number((await t.db.raw(`SELECT count(*) AS n FROM pg_class WHERE relname LIKE 'setup\\_%' AND relpersistence = 't'`)).rows[0].n);

  it('imports thousands of rows right, and a second import changes only what changed', async () => {
    const file = await workbook(sheets(all((i) => accountRow(i)), all((i) => packageRow(i))));
    const dry = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN', dryRun: true });
    expect(dry).toMatchObject({ applied: false, problems: [], accounts: { created: N }, accountPackages: { created: N }, billGroupsCreated: ['Staged Group'] });
    expect(await count('accounts')).toBe(0);
    expect(await stagesLeft()).toBe(0);

    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN' });
    expect(result).toMatchObject({ applied: true, problems: [], accounts: { created: N, updated: 0 }, accountPackages: { created: N } });
    expect(await stagesLeft()).toBe(0);
    expect(await count('accounts')).toBe(N);
    const byName = async (i: number) => t.db('accounts').whereRaw('lower(name) = lower(?)', [name(i)]).first();
    const [parent, child, plain] = [await byName(4), await byName(5), await byName(70)];
    expect(child).toMatchObject({ parent_id: parent.id, invoicer_id: parent.id, display_name: 'Customer 5', bill_day: 6 });
    expect(plain).toMatchObject({ parent_id: null, address_line1: '70 Main Street', city: 'Springfield', payment_terms_days: 45 });
    const groups = await t.db('bill_groups').whereIn('id', [child.bill_group_id, plain.bill_group_id]).orderBy('name').pluck('name');
    expect(groups).toEqual(['Default', 'Staged Group']);
    const ap = await t.db('account_packages').where({ account_id: child.id }).first();
    expect(ap).toMatchObject({ quantity: 3, status: 'active', effective_date: '2026-11-01', next_bill_date: '2026-11-06', anchor_day: 6 });

    // The same rows with 100 display names and 50 quantities changed.
    const changed = await workbook(
      sheets(
        all((i) => accountRow(i, i < 100 ? `Renamed ${i}` : `Customer ${i}`)),
        all((i) => packageRow(i, i >= N - 50 ? 9 : 1 + (i % 3))),
      ),
    );
    const again = await importSetupWorkbook(createBilling(t.db), Readable.from([changed]), { actor: 'U_FIN' });
    expect(again).toMatchObject({
      applied: true,
      problems: [],
      accounts: { created: 0, updated: 100, unchanged: N - 100 },
      accountPackages: { created: 0, updated: 50, unchanged: N - 50 },
    });
    expect(await byName(99)).toMatchObject({ display_name: 'Renamed 99', parent_id: null });
    expect(await t.db('account_packages').where({ quantity: 9 }).count('* as n').first()).toEqual({ n: 50 });
    expect(await count('accounts')).toBe(N);
  });

  it('refuses a workbook with a wrong row at its end and leaves nothing, not even its stage', async () => {
    prefix = 'Refused';
    const [accountsBefore, groupsBefore] = [await count('accounts'), await count('bill_groups')];
    const accounts = [...all((i) => accountRow(i)).map((r) => [...r.slice(0, 4), 'Refused Group', ...r.slice(5)]), ['Refused Last', null, 'USD', 'active', null, 1, 'Nobody Known', null]];
    const accountPackages = [...all((i) => packageRow(i)), ['Refused Last', 'No Such Plan', 1, 'active', '2026-11-01', null]];
    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([await workbook(sheets(accounts, accountPackages))]), { actor: 'U_FIN' });
    expect(result).toMatchObject({ applied: false, totalProblems: 2, accounts: { created: N + 1 } });
    expect(result.problems.map((p) => p.message)).toEqual([
      `Accounts row ${N + 2}, Parent: found "Nobody Known"; expected: The name of an account in this setup or already stored.`,
      `Account Packages row ${N + 2}, Package: found "No Such Plan"; expected: The name of a package in this setup or already stored.`,
    ]);
    expect(result.billGroupsCreated).toEqual(['Refused Group']);
    expect([await count('accounts'), await count('bill_groups')]).toEqual([accountsBefore, groupsBefore]);
    expect(await stagesLeft()).toBe(0);
  });

  it('leaves nothing when reading fails after rows were staged', async () => {
    prefix = 'Unread';
    const accountsBefore = await count('accounts');
    // The Accounts rows (more than a chunk) are staged before the Account Packages sheet is found over the limit.
    const file = await workbook(sheets(all((i) => accountRow(i)), [...all((i) => packageRow(i)), packageRow(0)]));
    await expect(importSetupWorkbook(createBilling(t.db), Readable.from([file]), { actor: 'U_FIN', limits: { maxRowsPerSheet: N } })).rejects.toThrow(
      TooManyRowsError,
    );
    expect(await count('accounts')).toBe(accountsBefore);
    expect(await stagesLeft()).toBe(0);
  });

  it('checks the staged rows among themselves as they came: duplicates, and an account package\'s dates', async () => {
    const result = await importSetupWorkbook(
      createBilling(t.db),
      Readable.from([
        await workbook({
          Accounts: [ACCOUNT_HEADERS, ['Among A', null, 'USD'], ['Among B', null, 'USD'], ['among a', null, 'EUR']],
          Packages: [PACKAGE_HEADERS, ['Among Plan', 'USD', 'monthly', 'Fee', '1.00']],
          'Account Packages': [
            ACCOUNT_PACKAGE_HEADERS,
            ['Among A', 'Among Plan', 1, 'active', '2026-11-10', '2026-11-01'], // dates out of order: not the first of its pair
            ['Among A', 'Among Plan', 1, 'active', '2026-11-01', '2026-11-01'],
            ['Among A', 'among plan', 2, 'active', '2026-11-10', '2026-11-01'], // a duplicate first, whatever its dates
            ['Among B', 'Among Plan', 1, 'active', '2026-11-01', null],
          ],
        }),
      ]),
      { actor: 'U_FIN' },
    );
    expect(result.problems.map((p) => p.message)).toEqual([
      'Accounts row 4, Name: found "among a"; expected: Each account on one row only. (see row 2)',
      'Account Packages row 2, Next Bill Date: found "2026-11-01"; expected: A next bill date on or after the effective date 2026-11-10.',
      'Account Packages row 4, Package: found "among plan"; expected: Each package of account "Among A" on one row only. (see row 3)',
    ]);
    expect(result).toMatchObject({ applied: false, accounts: { created: 2 }, accountPackages: { created: 2 } });
  });
});
