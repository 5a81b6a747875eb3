import {
  AccountCycleError,
  AccountNotBillableError,
  BillingError,
  CurrencyMismatchError,
  InvalidDateError,
  InvalidInputError,
  InvalidInvoicerError,
  InvalidPeriodError,
  UnknownAccountError,
  UnknownConfigurationError,
  UnknownPackageError,
} from '../../billing/errors';
import { createCatalogue, createFamily, expectRefusedAndNothingWritten, useFreshDatabase } from './fixtures';

// Every refusal is a BillingError subclass with one clear sentence, and leaves every table as it was.

const september = { from: '2026-09-01', to: '2026-09-30' };
const by = { startedBy: 'U_FIN' };

describe('bad input to billing', () => {
  const t = useFreshDatabase();

  beforeEach(async () => {
    await createCatalogue(t.billing);
    await createFamily(t.billing);
    await t.billing.addAccountPackage({ account: 'Child Co', package: 'Managed Network', effectiveDate: '2026-09-15' });
  });

  describe('bill runs', () => {
    it('an unknown account names close matches', async () => {
      const error = await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Parnet Co', ...september, ...by }),
        UnknownAccountError,
        'There is no account named "Parnet Co". Did you mean "Parent Co"?',
      );
      expect(error).toMatchObject({ code: 'unknown_account', closeMatches: ['Parent Co'] });
    });

    it('an unknown account with nothing close says only that', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Zebra Holdings', ...september, ...by }),
        UnknownAccountError,
        'There is no account named "Zebra Holdings".',
      );
    });

    it('an unknown configuration lists the known ones', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', configuration: 'Montly Billing', ...september, ...by }),
        UnknownConfigurationError,
        'There is no bill run configuration named "Montly Billing". Known configurations: "Monthly Billing".',
      );
    });

    it('no configuration named, and no Default one to fall back on among several, asks for one', async () => {
      await t.billing.createConfiguration({ name: 'Quarterly Billing' });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', ...september, ...by }),
        InvalidInputError,
        'Name a bill run configuration, as there is no "Default" one: known configurations are "Monthly Billing", "Quarterly Billing".',
      );
    });

    it('no configuration at all says to create one', async () => {
      await t.db('bill_run_configuration_groups').del();
      await t.db('bill_run_configurations').del();
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', ...september, ...by }),
        InvalidInputError,
        'There is no bill run configuration yet; create one first.',
      );
    });

    it('a period whose start is after its end', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', from: '2026-09-30', to: '2026-09-01', ...by }),
        InvalidPeriodError,
        'The period start 2026-09-30 is after its end 2026-09-01.',
      );
    });

    it.each([
      ['2026-02-30', '2026-03-31', 'from: "2026-02-30" is not a real date; use YYYY-MM-DD, for example 2026-09-30.'],
      ['2026-09-01', '2026-09-31', 'to: "2026-09-31" is not a real date; use YYYY-MM-DD, for example 2026-09-30.'],
      ['09/01/2026', '2026-09-30', 'from: "09/01/2026" is not a date; use YYYY-MM-DD, for example 2026-09-30.'],
    ])('an impossible date (%s to %s)', async (from, to, message) => {
      await expectRefusedAndNothingWritten(t.db, () => t.billing.bill({ account: 'Child Co', from, to, ...by }), InvalidInputError, message);
    });

    it('an impossible posting date', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', ...september, posting: '2026-13-01', ...by }),
        InvalidInputError,
        /posting: "2026-13-01" is not a real date/,
      );
    });

    it.each(['inactive', 'cancelled'] as const)('an %s account', async (status) => {
      await t.billing.updateAccount('Child Co', { status });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', ...september, ...by }),
        AccountNotBillableError,
        `Account "Child Co" is ${status}; only active accounts can be billed.`,
      );
    });

    it('a run with nobody to say who started it', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', ...september, startedBy: '   ' }),
        InvalidInputError,
        'startedBy: A bill run must say who started it.',
      );
    });
  });

  describe('packages', () => {
    it('a package in another currency than the account', async () => {
      await t.billing.createPackage({ name: 'Euro Hosting', currency: 'EUR', frequency: 'monthly', services: [{ name: 'Hosting', price: '10.00' }] });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.addAccountPackage({ account: 'Parent Co', package: 'Euro Hosting', effectiveDate: '2026-09-01' }),
        CurrencyMismatchError,
        'Package "Euro Hosting" is in EUR but account "Parent Co" uses USD.',
      );
    });

    it('an inactive package', async () => {
      await t.billing.createPackage({ name: 'Legacy', currency: 'USD', frequency: 'monthly', status: 'inactive', services: [{ name: 'Old', price: '1.00' }] });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.addAccountPackage({ account: 'Parent Co', package: 'Legacy', effectiveDate: '2026-09-01' }),
        InvalidInputError,
        'Package "Legacy" is inactive and cannot be added to an account.',
      );
    });

    it('an unknown package', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.addAccountPackage({ account: 'Parent Co', package: 'Nope', effectiveDate: '2026-09-01' }),
        UnknownPackageError,
        'There is no package named "Nope".',
      );
    });

    it('a price override for a service the package does not have, or finer than the currency', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.addAccountPackage({ account: 'Parent Co', package: 'Managed Network', effectiveDate: '2026-09-01', priceOverrides: { Hosting: '1.00' } }),
        InvalidInputError,
        'Package "Managed Network" has no service named "Hosting".',
      );
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.addAccountPackage({ account: 'Parent Co', package: 'Managed Network', effectiveDate: '2026-09-01', priceOverrides: { Support: '1.005' } }),
        BillingError,
        '1.005 has more decimal places than USD allows (2).',
      );
    });

    it('a next bill date before the effective date, and an impossible effective date', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.addAccountPackage({ account: 'Parent Co', package: 'Managed Network', effectiveDate: '2026-09-10', nextBillDate: '2026-09-01' }),
        InvalidInputError,
        'The next bill date 2026-09-01 is before the effective date 2026-09-10.',
      );
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.addAccountPackage({ account: 'Parent Co', package: 'Managed Network', effectiveDate: '2026-02-29' }),
        InvalidInputError,
        'effectiveDate: "2026-02-29" is not a real date; use YYYY-MM-DD, for example 2026-09-30.',
      );
    });
  });

  describe('the account tree', () => {
    beforeEach(async () => {
      await t.billing.createAccount({ name: 'Stranger Co', currency: 'USD' });
      await t.billing.createAccount({ name: 'Euro Child', currency: 'EUR', parent: 'Parent Co' });
      await t.billing.createAccount({ name: 'Sleepy Child', currency: 'USD', parent: 'Parent Co', status: 'inactive' });
    });

    it('an invoicer outside the tree', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.createAccount({ name: 'New Child', currency: 'USD', parent: 'Parent Co', invoiceTo: 'Stranger Co' }),
        InvalidInvoicerError,
        '"New Child" cannot invoice to "Stranger Co": an account can only invoice to an account in its own tree.',
      );
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Child Co', { invoiceTo: 'Stranger Co' }),
        InvalidInvoicerError,
        '"Child Co" cannot invoice to "Stranger Co": an account can only invoice to an account in its own tree.',
      );
    });

    it('an inactive invoicer', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.createAccount({ name: 'New Child', currency: 'USD', parent: 'Parent Co', invoiceTo: 'Sleepy Child' }),
        InvalidInvoicerError,
        '"New Child" cannot invoice to "Sleepy Child": that account is inactive, and an invoicer must be active.',
      );
    });

    it('an invoicer in another currency', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Euro Child', { invoiceTo: 'Parent Co' }),
        CurrencyMismatchError,
        '"Euro Child" (EUR) cannot invoice to "Parent Co" (USD): an invoicer must use the same currency.',
      );
    });

    it('an invoicer made inactive, or moved to another currency, while accounts invoice to it', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Parent Co', { status: 'inactive' }),
        InvalidInvoicerError,
        '"Parent Co" cannot become inactive: "Child Co" invoices to it, and an invoicer must be active.',
      );
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Parent Co', { currency: 'EUR' }),
        CurrencyMismatchError,
        '"Parent Co" cannot change to EUR: "Child Co" invoices to it in USD, and an invoicer must use the same currency.',
      );
      // Once nobody invoices to it, it can.
      await t.billing.updateAccount('Child Co', { invoiceTo: null });
      await t.billing.updateAccount('Parent Co', { status: 'inactive' });
    });

    it('a move to another tree that leaves an invoicer outside it', async () => {
      await t.billing.createAccount({ name: 'Grandchild Co', currency: 'USD', parent: 'Child Co', invoiceTo: 'Parent Co' });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Child Co', { parent: 'Stranger Co', invoiceTo: 'Stranger Co' }),
        InvalidInvoicerError,
        'Moving "Child Co" under "Stranger Co" would leave "Grandchild Co" invoicing to "Parent Co" outside its tree.',
      );
    });

    it('a move to the top of a new tree that leaves an invoicer behind', async () => {
      await t.billing.createAccount({ name: 'Grandchild Co', currency: 'USD', parent: 'Child Co', invoiceTo: 'Parent Co' });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Child Co', { parent: null, invoiceTo: null }),
        InvalidInvoicerError,
        'Making "Child Co" a top-level account would leave "Grandchild Co" invoicing to "Parent Co" outside its tree.',
      );
      // With the grandchild invoicing inside the moving subtree, the move is fine.
      await t.billing.updateAccount('Grandchild Co', { invoiceTo: 'Child Co' });
      const moved = await t.billing.updateAccount('Child Co', { parent: 'Stranger Co', invoiceTo: 'Stranger Co' });
      expect(moved).toMatchObject({ name: 'Child Co', parentId: (await t.billing.findAccount('Stranger Co')).id });
    });

    it('a currency change for an account whose packages are in the old currency', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Child Co', { currency: 'EUR', invoiceTo: null }),
        CurrencyMismatchError,
        '"Child Co" cannot change to EUR: its package "Managed Network" is in USD.',
      );
    });

    it('a cycle in the parent chain', async () => {
      await t.billing.createAccount({ name: 'Grandchild Co', currency: 'USD', parent: 'Child Co' });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Parent Co', { parent: 'Grandchild Co' }),
        AccountCycleError,
        '"Grandchild Co" cannot be the parent of "Parent Co": it is already below it, which would make a cycle.',
      );
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Parent Co', { parent: 'Parent Co' }),
        AccountCycleError,
        '"Parent Co" cannot be its own parent.',
      );
    });

    it('a cycle in the invoicer chain', async () => {
      await t.billing.createAccount({ name: 'Grandchild Co', currency: 'USD', parent: 'Child Co', invoiceTo: 'Child Co' });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.updateAccount('Parent Co', { invoiceTo: 'Grandchild Co' }),
        AccountCycleError,
        '"Parent Co" cannot invoice to "Grandchild Co": "Grandchild Co" already invoices to "Parent Co", which would make a cycle.',
      );
    });

    it('an account named twice, a bill day out of range, an unknown currency', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.createAccount({ name: 'parent co', currency: 'USD' }),
        BillingError,
        'An account named "parent co" already exists.',
      );
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.createAccount({ name: 'Late Co', currency: 'USD', billDay: 31 }),
        InvalidInputError,
        'billDay: A bill day is a whole number from 1 to 28.',
      );
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.createAccount({ name: 'Odd Co', currency: 'XYZ' }),
        InvalidInputError,
        'currency: Expected an ISO 4217 currency code such as USD, EUR or JPY.',
      );
    });

    it('an unknown parent names close matches', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.createAccount({ name: 'New Child', currency: 'USD', parent: 'Parent C' }),
        UnknownAccountError,
        'There is no account named "Parent C". Did you mean "Parent Co"?',
      );
    });
  });

  it('an impossible date is an InvalidDateError where a date is read on its own', async () => {
    await expectRefusedAndNothingWritten(
      t.db,
      () => t.billing.createConfiguration({ name: 'Bad', periodRule: 'explicit', periodStart: '2026-09-01', periodEnd: '2026-09-31' }),
      InvalidInputError,
      'periodEnd: "2026-09-31" is not a real date; use YYYY-MM-DD, for example 2026-09-30.',
    );
    const { parseIsoDate } = await import('../../billing/dates');
    expect(() => parseIsoDate('2026-09-31')).toThrow(InvalidDateError);
  });
});
