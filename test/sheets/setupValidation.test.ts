import { Readable } from 'node:stream';
import { createBilling } from '../../billing';
import { importSetupWorkbook, readSetupWorkbook, WorkbookProblem } from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { ACCOUNT_HEADERS, ACCOUNT_PACKAGE_HEADERS, BILL_RUN_HEADERS, Cell, PACKAGE_HEADERS, utcDate, workbook } from './helpers';

const input = async (sheets: Record<string, Cell[][]>) => Readable.from([await workbook(sheets)]);

describe('checking a setup workbook before anything is written', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await billing.loadDemo(); // Parent Co, Child Co (invoices to Parent Co), Managed Network (USD), Monthly Billing
    await billing.createAccount({ name: 'Other Root', currency: 'USD' });
    await billing.createAccount({ name: 'Euro Co', currency: 'EUR' });
    await billing.createAccount({ name: 'Sleepy Co', currency: 'USD', status: 'inactive' });
  });

  async function snapshot() {
    const count = async (table: string) => Number((await t.db(table).count('* as n').first())!.n);
    return {
      accounts: await t.db('accounts').orderBy('id').select('*'),
      packages: await count('packages'),
      services: await t.db('services').orderBy('id').select('*'),
      accountPackages: await t.db('account_packages').orderBy('id').select('*'),
      configurations: await t.db('bill_run_configurations').orderBy('id').select('*'),
      groups: await count('bill_groups'),
      imports: await count('setup_imports'),
    };
  }

  async function problemsOf(sheets: Record<string, Cell[][]>): Promise<WorkbookProblem[]> {
    const before = await snapshot();
    const result = await importSetupWorkbook(createBilling(t.db), await input(sheets), { actor: 'U_FIN' });
    expect(result.applied).toBe(false);
    expect(await snapshot()).toEqual(before);
    expect(result.totalProblems).toBe(result.problems.length);
    return result.problems;
  }

  const problem = (sheet: string, row: number, column: string, value: string, expected: RegExp | string) =>
    expect.objectContaining({ sheet, row, column, value, expected: typeof expected === 'string' ? expect.stringContaining(expected) : expect.stringMatching(expected) });

  it('names an unknown parent and an unknown invoicer', async () => {
    const problems = await problemsOf({
      Accounts: [ACCOUNT_HEADERS, ['New Co', null, 'USD', null, null, null, 'Nobody Co', 'Ghost Co']],
    });
    expect(problems).toEqual([
      problem('Accounts', 2, 'Parent', 'Nobody Co', 'The name of an account in this setup or already stored.'),
      problem('Accounts', 2, 'Invoice To', 'Ghost Co', 'The name of an account in this setup or already stored.'),
    ]);
    expect(problems[0].message).toBe(
      'Accounts row 2, Parent: found "Nobody Co"; expected: The name of an account in this setup or already stored.',
    );
  });

  it('finds cycles in parent chains and in invoicer chains, over the file and what is stored', async () => {
    const problems = await problemsOf({
      Accounts: [
        ACCOUNT_HEADERS,
        ['Parent Co', null, 'USD', null, null, null, 'Child Co', null], // Child Co's parent is Parent Co: a cycle
        ['Loop A', null, 'USD', null, null, null, null, 'Loop B'],
        ['Loop B', null, 'USD', null, null, null, null, 'Loop A'],
      ],
    });
    expect(problems).toEqual([
      problem('Accounts', 2, 'Parent', 'Child Co', /^A parent that is not below this account \("Parent Co" → "Child Co" → "Parent Co" would be a cycle\)\.$/),
      problem('Accounts', 3, 'Invoice To', 'Loop B', /would be a cycle/),
      problem('Accounts', 4, 'Invoice To', 'Loop A', /would be a cycle/),
    ]);
  });

  it('refuses duplicates inside the file on every sheet', async () => {
    const problems = await problemsOf({
      Accounts: [ACCOUNT_HEADERS, ['Dup Co', null, 'USD'], ['dup co', null, 'USD']],
      Packages: [PACKAGE_HEADERS, ['Pack', 'USD', 'monthly', 'Support', 10], ['Pack', 'USD', 'monthly', 'SUPPORT', 10]],
      'Account Packages': [ACCOUNT_PACKAGE_HEADERS, ['Child Co', 'Managed Network', 1], ['Child Co', 'managed network', 2]],
      'Bill Runs': [BILL_RUN_HEADERS, ['Run', 'yes'], ['RUN', 'no']],
    });
    expect(problems).toEqual([
      problem('Accounts', 3, 'Name', 'dup co', 'Each account on one row only.'),
      problem('Packages', 3, 'Service', 'SUPPORT', 'Each service of package "Pack" on one row only.'),
      problem('Account Packages', 3, 'Package', 'managed network', 'Each package of account "Child Co" on one row only.'),
      problem('Bill Runs', 3, 'Name', 'RUN', 'Each bill run configuration on one row only.'),
    ]);
    expect(problems[0].message).toContain('(see row 2)');
  });

  it('refuses currency mismatches: invoicer, package on an account, package rows, a used account changing currency', async () => {
    const problems = await problemsOf({
      Accounts: [
        ACCOUNT_HEADERS,
        ['Euro Child', null, 'EUR', null, null, null, 'Parent Co', 'Parent Co'],
        ['Child Co', null, 'GBP', null, null, null, 'Parent Co', null],
      ],
      Packages: [PACKAGE_HEADERS, ['Mixed', 'USD', 'monthly', 'A', 1], ['Mixed', 'EUR', 'monthly', 'B', 1]],
      'Account Packages': [ACCOUNT_PACKAGE_HEADERS, ['Euro Co', 'Managed Network', 1, 'active', utcDate('2026-09-01')]],
    });
    expect(problems).toEqual([
      problem('Accounts', 2, 'Invoice To', 'Parent Co', 'An invoicer in EUR, the currency of "Euro Child" ("Parent Co" uses USD).'),
      problem('Accounts', 3, 'Currency', 'GBP', 'USD: an account with packages, charges, credits or invoices keeps its currency.'),
      problem('Packages', 3, 'Currency', 'EUR', 'USD, the currency on the package\'s other rows.'),
      problem('Account Packages', 2, 'Package', 'Managed Network', 'A package in EUR, the currency of account "Euro Co" (this package is in USD).'),
    ]);
  });

  it('refuses bad dates, amounts, numbers and words, saying what was expected', async () => {
    const problems = await problemsOf({
      Accounts: [ACCOUNT_HEADERS, ['Bad Co', null, 'USX', 'sleeping', null, 31, null, null]],
      Packages: [
        PACKAGE_HEADERS,
        ['Cheap', 'USD', 'weekly', 'Fee', '12.345'],
        ['Yen Pack', 'JPY', 'monthly', 'Fee', 10.5],
        ['Neg Pack', 'USD', 'monthly', 'Fee', -5],
        ['Text Pack', 'USD', 'monthly', 'Fee', 'ten dollars'],
      ],
      'Account Packages': [
        ACCOUNT_PACKAGE_HEADERS,
        ['Child Co', 'Managed Network', 0, 'paused', '15/09/2026', '2026-02-30'],
        ['Parent Co', 'Managed Network', 1, 'active', utcDate('2026-09-15'), utcDate('2026-09-01')],
      ],
      'Bill Runs': [BILL_RUN_HEADERS, ['Run', 'maybe', 'yes', 'last month', null, 'every monday', 'Mars/Base', null]],
    });
    expect(problems).toEqual([
      problem('Accounts', 2, 'Currency', 'USX', 'Expected an ISO 4217 currency code'),
      problem('Accounts', 2, 'Status', 'sleeping', 'An account status is active, inactive or cancelled.'),
      problem('Accounts', 2, 'Bill Day', '31', 'A bill day is a whole number from 1 to 28.'),
      problem('Packages', 2, 'Frequency', 'weekly', 'A frequency is monthly, quarterly, semiannual or annual.'),
      problem('Packages', 2, 'Price', '12.345', 'A price with at most 2 decimal places, as USD has.'),
      problem('Packages', 3, 'Price', '10.5', 'A price with at most 0 decimal places, as JPY has.'),
      problem('Packages', 4, 'Price', '-5', 'Expected a price of zero or more, such as 140.00.'),
      problem('Packages', 5, 'Price', 'ten dollars', 'Expected a price of zero or more, such as 140.00.'),
      problem('Account Packages', 2, 'Quantity', '0', 'A quantity is a whole number of at least 1.'),
      problem('Account Packages', 2, 'Status', 'paused', 'An account package status is active, pending, suspended or cancelled.'),
      problem('Account Packages', 2, 'Effective Date', '15/09/2026', 'A date such as 2026-09-15: a date cell, or text in the form YYYY-MM-DD.'),
      problem('Account Packages', 2, 'Next Bill Date', '2026-02-30', 'A real calendar date (that day does not exist).'),
      problem('Account Packages', 3, 'Next Bill Date', '2026-09-01', 'A next bill date on or after the effective date 2026-09-15.'),
      problem('Bill Runs', 2, 'Bill Packages', 'maybe', 'Expected yes or no.'),
      problem('Bill Runs', 2, 'Period', 'last month', 'Expected "current month", "previous month" or two dates'),
      problem('Bill Runs', 2, 'Schedule', 'every monday', 'Expected a cron schedule'),
      problem('Bill Runs', 2, 'Time Zone', 'Mars/Base', 'Expected an IANA time zone'),
    ]);
  });

  it('refuses an invoicer that is inactive or outside the tree, and an account made inactive while others invoice to it', async () => {
    const problems = await problemsOf({
      Accounts: [
        ACCOUNT_HEADERS,
        ['Nap Child', null, 'USD', null, null, null, null, 'Sleepy Co'],
        ['Stray Co', null, 'USD', null, null, null, 'Parent Co', 'Other Root'],
        ['Parent Co', null, 'USD', 'inactive', null, null, null, null],
      ],
    });
    expect(problems).toEqual([
      problem('Accounts', 2, 'Invoice To', 'Sleepy Co', 'An active invoicer: "Sleepy Co" is inactive.'),
      problem('Accounts', 3, 'Invoice To', 'Other Root', 'An invoicer in the same account tree as "Stray Co".'),
      problem('Accounts', 4, 'Status', 'inactive', 'Active, because other accounts invoice to "Parent Co" ("Child Co").'),
    ]);
  });

  it('refuses moving an account out of the tree of the account it, or an account below it, invoices to', async () => {
    // Child Co invoices to Parent Co: giving it another parent takes it out of Parent Co's tree.
    expect(await problemsOf({ Accounts: [['Name', 'Parent'], ['Child Co', 'Other Root']] })).toEqual([
      problem('Accounts', 2, 'Invoice To', 'Parent Co', 'An invoicer in the same account tree as "Child Co".'),
    ]);
    // Grand Co (stored, below Child Co) invoices to Parent Co: moving Child Co (now invoicing itself) would leave it behind.
    const billing = createBilling(t.db);
    await billing.createAccount({ name: 'Grand Co', currency: 'USD', parent: 'Child Co', invoiceTo: 'Parent Co' });
    expect(await problemsOf({ Accounts: [['Name', 'Parent', 'Invoice To'], ['Child Co', 'Other Root', null]] })).toEqual([
      problem(
        'Accounts',
        2,
        'Parent',
        'Other Root',
        'A parent that keeps each account in the same tree as its invoicer, as accounts below "Child Co" invoice to accounts it would leave behind ("Grand Co").',
      ),
    ]);
  });

  it('refuses a sheet without a required column and new rows without required values', async () => {
    const problems = await problemsOf({
      Accounts: [['Name', 'Status'], ['No Currency Co', 'active']],
      Packages: [['Package', 'Currency', 'Service'], ['Priceless', 'USD', 'Fee']],
      'Account Packages': [['Account', 'Package'], ['Parent Co', 'Managed Network']],
    });
    expect(problems).toEqual([
      problem('Accounts', 2, 'Currency', '', 'A currency for a new account, such as USD.'),
      problem('Packages', 1, 'Price', '', 'A column headed "Price" in the header row.'),
      problem('Account Packages', 2, 'Effective Date', '', 'An effective date for a new account package'),
    ]);
  });

  it('writes nothing when one row among good ones is bad (all or nothing)', async () => {
    const good = Array.from({ length: 50 }, (_, i) => [`Good ${i}`, null, 'USD', 'active', 'New Group', 1, 'Parent Co', 'Parent Co'] as Cell[]);
    const problems = await problemsOf({
      Accounts: [ACCOUNT_HEADERS, ...good.slice(0, 25), ['Bad Apple', null, 'USD', null, null, 99, null, null], ...good.slice(25)],
      Packages: [PACKAGE_HEADERS, ['Fresh Pack', 'USD', 'monthly', 'Fee', 5]],
    });
    expect(problems).toEqual([problem('Accounts', 27, 'Bill Day', '99', 'A bill day is a whole number from 1 to 28.')]);
    expect(await t.db('bill_groups').whereRaw("lower(name) = 'new group'").first()).toBeUndefined();
  });

  it('reports the rows-only problems without a database too', async () => {
    const read = await readSetupWorkbook(await input({ Accounts: [ACCOUNT_HEADERS, ['Solo', null, 'usd', 'ACTIVE', null, 'x']] }));
    expect(read.problems).toEqual([problem('Accounts', 2, 'Bill Day', 'x', 'A bill day is a whole number from 1 to 28.')]);
    expect(read.rows.accounts).toBe(1);
  });
});
