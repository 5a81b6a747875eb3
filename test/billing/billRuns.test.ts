import type { Knex } from 'knex';
import { createBilling, type BillRunReport } from '../../billing';
import { createDb } from '../../billing/db';
import { AccountNotBillableError, BillingError, ConfigurationCannotBillError, InvalidInputError } from '../../billing/errors';
import { chargesOf, createCatalogue, createFamily, expectRefusedAndNothingWritten, snapshot, useFreshDatabase } from './fixtures';

// DOMAIN.md "Billing an account", rule by rule, on a real database (a fresh one per test).

const september = { from: '2026-09-01', to: '2026-09-30' };
const october = { from: '2026-10-01', to: '2026-10-31' };
const by = { startedBy: 'U_FIN' };

describe('billing an account (DOMAIN.md rules 1-8)', () => {
  const t = useFreshDatabase();

  beforeEach(async () => {
    await createCatalogue(t.billing);
    await createFamily(t.billing);
  });

  /** Puts a package on an account, due on the given date. */
  async function addPackage(account: string, nextBillDate: string, extra: Partial<Parameters<typeof t.billing.addAccountPackage>[0]> = {}) {
    return t.billing.addAccountPackage({ account, package: 'Managed Network', effectiveDate: nextBillDate, nextBillDate, ...extra });
  }

  /**
   * Runs `actions` while a third connection holds `lock` inside an open transaction, and lets
   * go only once `waiting` of the actions are blocked behind it (or behind each other): the
   * actions then really overlap instead of happening to run one after the other.
   */
  async function overlapping<T>(lock: string, bindings: readonly Knex.RawBinding[], waiting: number, actions: (() => Promise<T>)[]): Promise<T[]> {
    const blocker = createDb(t.url, { poolMax: 1 });
    try {
      const trx = await blocker.transaction();
      await trx.raw(lock, bindings);
      const running = actions.map((a) => a());
      const settled = Promise.allSettled(running);
      for (let i = 0; ; i++) {
        const { rows } = await t.db.raw(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (rows[0].n >= waiting) break;
        if (i > 500) throw new Error(`only ${rows[0].n} of ${waiting} actions ever waited for the lock`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await trx.commit();
      await settled;
      return Promise.all(running);
    } finally {
      await blocker.destroy();
    }
  }

  async function nextBillDateOf(id: number): Promise<string> {
    return (await t.db('account_packages').where({ id }).first('next_bill_date')).next_bill_date;
  }

  describe('rule 1: a billable package and a configuration that bills', () => {
    it('refuses an account with no active package, clearly, and writes nothing', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Parent Co', configuration: 'Monthly Billing', ...september, ...by }),
        AccountNotBillableError,
        'Account "Parent Co" has no active package to bill (nor has any account that invoices to it).',
      );
    });

    it('refuses an account whose only packages are pending or suspended', async () => {
      await addPackage('Child Co', '2026-09-15', { status: 'pending' });
      await t.billing.addAccountPackage({ account: 'Child Co', package: 'Annual Licence', effectiveDate: '2026-09-15', status: 'suspended' });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', ...september, ...by }),
        AccountNotBillableError,
        /has no active package to bill/,
      );
    });

    it('refuses a family whose only active package is on an inactive account', async () => {
      await addPackage('Child Co', '2026-09-15');
      await t.billing.updateAccount('Child Co', { status: 'inactive' });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Parent Co', configuration: 'Monthly Billing', ...september, ...by }),
        AccountNotBillableError,
        'Account "Parent Co" has no active package to bill (nor has any account that invoices to it).',
      );
    });

    it('refuses a configuration that neither bills packages nor generates invoices', async () => {
      await addPackage('Child Co', '2026-09-15');
      await t.billing.createConfiguration({ name: 'Does Nothing', billPackages: false, generateInvoice: false });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ account: 'Child Co', configuration: 'Does Nothing', ...september, ...by }),
        ConfigurationCannotBillError,
        'Configuration "Does Nothing" neither bills packages nor generates invoices, so a run would do nothing.',
      );
    });
  });

  describe('rule 2: the next bill date inside the period, both ends inclusive', () => {
    it('bills a package due on the last day of the period', async () => {
      const { id } = await addPackage('Parent Co', '2026-09-30');
      const report = await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect(report.billed).toEqual([
        expect.objectContaining({ account: 'Parent Co', package: 'Managed Network', periodStart: '2026-09-30', periodEnd: '2026-10-29', amount: '140.00' }),
      ]);
      expect(await nextBillDateOf(id)).toBe('2026-10-30');
    });

    it('bills a package due on the first day of the period', async () => {
      const { id } = await addPackage('Parent Co', '2026-09-01');
      const report = await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect(report.totals.packagesBilled).toBe(1);
      expect(await chargesOf(t.db, id)).toEqual([
        { periodStart: '2026-09-01', periodEnd: '2026-09-30', amount: '100.000000', invoiced: true },
        { periodStart: '2026-09-01', periodEnd: '2026-09-30', amount: '40.000000', invoiced: true },
      ]);
      expect(await nextBillDateOf(id)).toBe('2026-10-01');
    });

    it('does not bill packages due the day before or the day after', async () => {
      await t.billing.createAccount({ name: 'Early Co', currency: 'USD' });
      const before = await addPackage('Early Co', '2026-08-31');
      const after = await addPackage('Parent Co', '2026-10-01');
      await t.billing.bill({ configuration: 'Monthly Billing', ...september, ...by });
      expect(await chargesOf(t.db, before.id)).toEqual([]);
      expect(await chargesOf(t.db, after.id)).toEqual([]);
      expect(await nextBillDateOf(before.id)).toBe('2026-08-31');
      expect(await nextBillDateOf(after.id)).toBe('2026-10-01');
    });
  });

  describe('rule 3: one charge per service, then the next bill date moves one frequency', () => {
    it('charges each service price x quantity', async () => {
      const { id } = await addPackage('Parent Co', '2026-09-15', { quantity: 3 });
      const report = await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect(await chargesOf(t.db, id)).toEqual([
        { periodStart: '2026-09-15', periodEnd: '2026-10-14', amount: '300.000000', invoiced: true },
        { periodStart: '2026-09-15', periodEnd: '2026-10-14', amount: '120.000000', invoiced: true },
      ]);
      expect(report.invoices[0].total).toBe('420.00');
      const invoice = await t.billing.getInvoice(report.invoices[0].number);
      expect(invoice.transactions.map((x) => [x.service, x.quantity, x.amount])).toEqual([
        ['Network Monitoring', 3, '300.00'],
        ['Support', 3, '120.00'],
      ]);
    });

    it('uses a price override for the service it names, and the package price for the others', async () => {
      const { id } = await addPackage('Parent Co', '2026-09-15', { quantity: 2, priceOverrides: { support: '25.50' } });
      const report = await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect((await chargesOf(t.db, id)).map((c) => c.amount)).toEqual(['200.000000', '51.000000']);
      expect(report.invoices[0].total).toBe('251.00');
    });

    it.each([
      ['Managed Network', '2026-10-15', '2026-10-14'],
      ['Quarterly Backup', '2026-12-15', '2026-12-14'],
      ['Semiannual Audit', '2027-03-15', '2027-03-14'],
      ['Annual Licence', '2027-09-15', '2027-09-14'],
    ])('moves a %s package due 2026-09-15 to %s (charge period ends %s)', async (pkg, next, periodEnd) => {
      const { id } = await t.billing.addAccountPackage({ account: 'Parent Co', package: pkg, effectiveDate: '2026-09-15' });
      await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect(await nextBillDateOf(id)).toBe(next);
      const charges = await chargesOf(t.db, id);
      expect(charges.length).toBeGreaterThan(0);
      for (const c of charges) expect([c.periodStart, c.periodEnd]).toEqual(['2026-09-15', periodEnd]);
    });

    it('clamps a bill day of 31 to the month end and comes back to 31 (Jan 31 -> Feb 28 -> Mar 31)', async () => {
      const { id } = await addPackage('Parent Co', '2026-01-31');
      await t.billing.bill({ account: 'Parent Co', from: '2026-01-01', to: '2026-01-31', ...by });
      expect(await nextBillDateOf(id)).toBe('2026-02-28');
      await t.billing.bill({ account: 'Parent Co', from: '2026-02-01', to: '2026-02-28', ...by });
      expect(await nextBillDateOf(id)).toBe('2026-03-31');
      await t.billing.bill({ account: 'Parent Co', from: '2026-03-01', to: '2026-03-31', ...by });
      expect(await nextBillDateOf(id)).toBe('2026-04-30');
      expect([...new Set((await chargesOf(t.db, id)).map((c) => `${c.periodStart}..${c.periodEnd}`))]).toEqual([
        '2026-01-31..2026-02-27',
        '2026-02-28..2026-03-30',
        '2026-03-31..2026-04-29',
      ]);
    });

    it('catches up missed periods, each its own charge, on one invoice', async () => {
      const { id } = await addPackage('Parent Co', '2026-07-15');
      const report = await t.billing.bill({ account: 'Parent Co', from: '2026-07-01', to: '2026-09-30', ...by });
      expect(report.billed.map((b) => [b.periodStart, b.periodEnd, b.amount])).toEqual([
        ['2026-07-15', '2026-08-14', '140.00'],
        ['2026-08-15', '2026-09-14', '140.00'],
        ['2026-09-15', '2026-10-14', '140.00'],
      ]);
      expect(report.totals).toMatchObject({ packagesBilled: 1, charges: 6, invoicesCreated: 1 });
      expect(report.invoices).toEqual([expect.objectContaining({ invoicer: 'Parent Co', total: '420.00', balance: '420.00' })]);
      expect(await nextBillDateOf(id)).toBe('2026-10-15');
    });
  });

  describe('rule 4: one invoice per invoicer per run', () => {
    beforeEach(async () => {
      await t.billing.createAccount({ name: 'Second Child', currency: 'USD', parent: 'Parent Co', invoiceTo: 'Parent Co' });
      // A child that invoices itself is not part of its parent's invoice family.
      await t.billing.createAccount({ name: 'Independent Child', currency: 'USD', parent: 'Parent Co' });
      await addPackage('Parent Co', '2026-09-05');
      await addPackage('Child Co', '2026-09-15');
      await t.billing.addAccountPackage({ account: 'Second Child', package: 'Quarterly Backup', effectiveDate: '2026-09-20' });
      await addPackage('Independent Child', '2026-09-10');
    });

    it('billing the parent bills the family onto one invoice, each charge naming its own account', async () => {
      const report = await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect(report.totals).toMatchObject({ accountsBilled: 3, packagesBilled: 3, invoicesCreated: 1 });
      expect(report.invoices).toEqual([
        { number: 'INV-000001', invoicer: 'Parent Co', currency: 'USD', total: '580.00', balance: '580.00', status: 'open' },
      ]);
      const invoice = await t.billing.getInvoice('1');
      expect(invoice.transactions.map((x) => [x.account, x.package, x.amount])).toEqual(
        expect.arrayContaining([
          ['Parent Co', 'Managed Network', '100.00'],
          ['Parent Co', 'Managed Network', '40.00'],
          ['Child Co', 'Managed Network', '100.00'],
          ['Child Co', 'Managed Network', '40.00'],
          ['Second Child', 'Quarterly Backup', '300.00'],
        ]),
      );
      expect(invoice.transactions).toHaveLength(5);
      // The child that invoices itself was not billed.
      expect((await t.billing.listAccountPackages('Independent Child'))[0].nextBillDate).toBe('2026-09-10');
    });

    it('billing a child bills only the child, and its invoice goes to the parent', async () => {
      const report = await t.billing.bill({ account: 'Child Co', ...september, ...by });
      expect(report.totals).toMatchObject({ accountsBilled: 1, packagesBilled: 1, invoicesCreated: 1 });
      expect(report.billed.map((b) => b.account)).toEqual(['Child Co']);
      expect(report.invoices).toEqual([expect.objectContaining({ invoicer: 'Parent Co', total: '140.00' })]);
      expect((await t.billing.getInvoice('1')).transactions.every((x) => x.account === 'Child Co')).toBe(true);
      expect((await t.billing.listAccountPackages('Parent Co'))[0].nextBillDate).toBe('2026-09-05');
      expect((await t.billing.listAccountPackages('Second Child'))[0].nextBillDate).toBe('2026-09-20');
      expect(await t.billing.listInvoices('Child Co')).toEqual([]);
    });

    it('follows an invoicer chain: grandchild -> child -> parent all land on the parent\'s invoice', async () => {
      await t.billing.createAccount({ name: 'Grandchild Co', currency: 'USD', parent: 'Child Co', invoiceTo: 'Child Co' });
      await addPackage('Grandchild Co', '2026-09-25');

      // Billing the grandchild alone: its invoice goes to the end of the chain, Parent Co.
      const alone = await t.billing.bill({ account: 'Grandchild Co', ...september, ...by });
      expect(alone.billed.map((b) => b.account)).toEqual(['Grandchild Co']);
      expect(alone.invoices).toEqual([expect.objectContaining({ number: 'INV-000001', invoicer: 'Parent Co', total: '140.00' })]);

      // Billing the child bills what invoices to it (the grandchild, already billed) and itself.
      const child = await t.billing.bill({ account: 'Child Co', ...september, ...by });
      expect(child.billed.map((b) => b.account)).toEqual(['Child Co']);
      expect(child.skipped).toEqual([expect.objectContaining({ account: 'Grandchild Co', reason: 'already billed' })]);
      expect(child.invoices).toEqual([expect.objectContaining({ number: 'INV-000002', invoicer: 'Parent Co', total: '140.00' })]);

      // September and October for the whole family: one invoice with every account's charges
      // (Parent Co 09-05 and 10-05, Child Co 10-15, Grandchild Co 10-25, Second Child's quarter 09-20).
      const family = await t.billing.bill({ account: 'Parent Co', from: '2026-09-01', to: '2026-10-31', ...by });
      expect(family.billed.map((b) => [b.account, b.periodStart])).toEqual([
        ['Child Co', '2026-10-15'],
        ['Grandchild Co', '2026-10-25'],
        ['Parent Co', '2026-09-05'],
        ['Parent Co', '2026-10-05'],
        ['Second Child', '2026-09-20'],
      ]);
      expect(family.invoices).toEqual([expect.objectContaining({ number: 'INV-000003', invoicer: 'Parent Co', total: '860.00' })]);
      expect(await t.billing.listInvoices('Child Co')).toEqual([]);
    });
  });

  describe('rule 5: with generate invoice off, charges wait for a later run that generates invoices', () => {
    beforeEach(async () => {
      await t.billing.createConfiguration({ name: 'Charges Only', billPackages: true, generateInvoice: false });
      await t.billing.createConfiguration({ name: 'Invoices Only', billPackages: false, generateInvoice: true });
    });

    it('leaves the charges uninvoiced and uses no invoice number, then a later billing run invoices them', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      const before = await snapshot(t.db);
      const charged = await t.billing.bill({ account: 'Child Co', configuration: 'Charges Only', ...september, ...by });
      expect(charged.totals).toMatchObject({ charges: 2, invoicesCreated: 0 });
      expect(charged.invoices).toEqual([]);
      expect((await chargesOf(t.db, id)).map((c) => c.invoiced)).toEqual([false, false]);
      expect((await snapshot(t.db)).settings_row).toEqual(before.settings_row);

      const invoiced = await t.billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', ...october, ...by });
      expect(invoiced.invoices).toEqual([
        { number: 'INV-000001', invoicer: 'Parent Co', currency: 'USD', total: '280.00', balance: '280.00', status: 'open' },
      ]);
      expect((await chargesOf(t.db, id)).map((c) => [c.periodStart, c.invoiced])).toEqual([
        ['2026-09-15', true],
        ['2026-09-15', true],
        ['2026-10-15', true],
        ['2026-10-15', true],
      ]);
    });

    it('a run that only generates invoices picks up the waiting charges without charging again', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      await t.billing.bill({ account: 'Child Co', configuration: 'Charges Only', ...september, ...by });
      const invoiced = await t.billing.bill({ account: 'Child Co', configuration: 'Invoices Only', ...september, ...by });
      expect(invoiced.totals).toMatchObject({ charges: 0, invoicesCreated: 1 });
      expect(invoiced.invoices).toEqual([expect.objectContaining({ invoicer: 'Parent Co', total: '140.00' })]);
      expect((await chargesOf(t.db, id)).map((c) => c.invoiced)).toEqual([true, true]);
      expect(await nextBillDateOf(id)).toBe('2026-10-15');
    });
  });

  describe('rule 6: a package not billed is reported with its reason and the period that would include it', () => {
    it('reports not due, before period, pending and suspended packages', async () => {
      await t.billing.createAccount({ name: 'Skip Co', currency: 'USD' });
      await addPackage('Skip Co', '2026-09-10');
      await t.billing.addAccountPackage({ account: 'Skip Co', package: 'Quarterly Backup', effectiveDate: '2026-10-15' });
      await t.billing.addAccountPackage({ account: 'Skip Co', package: 'Annual Licence', effectiveDate: '2026-08-20' });
      await t.billing.addAccountPackage({ account: 'Skip Co', package: 'Semiannual Audit', effectiveDate: '2026-09-12', status: 'pending' });
      await t.billing.createPackage({ name: 'Spare', currency: 'USD', frequency: 'monthly', services: [{ name: 'Spare', price: '1.00' }] });
      await t.billing.addAccountPackage({ account: 'Skip Co', package: 'Spare', effectiveDate: '2026-09-12', status: 'suspended' });

      const report = await t.billing.bill({ account: 'Skip Co', ...september, ...by });
      expect(report.billed.map((b) => b.package)).toEqual(['Managed Network']);
      expect(report.totals.packagesSkipped).toBe(4);
      expect(report.skipped).toEqual([
        {
          account: 'Skip Co',
          package: 'Annual Licence',
          reason: 'before period',
          nextBillDate: '2026-08-20',
          message: 'next bill date 2026-08-20 is before the period start 2026-09-01; a period from 2026-08-01 to 2026-08-31 would include it',
        },
        {
          account: 'Skip Co',
          package: 'Quarterly Backup',
          reason: 'not due',
          nextBillDate: '2026-10-15',
          message: 'next bill date 2026-10-15 is after the period end 2026-09-30; a period from 2026-10-01 to 2026-10-31 would include it',
        },
        {
          account: 'Skip Co',
          package: 'Semiannual Audit',
          reason: 'package pending',
          nextBillDate: '2026-09-12',
          message: 'the package is pending; only active packages are billed',
        },
        {
          account: 'Skip Co',
          package: 'Spare',
          reason: 'package suspended',
          nextBillDate: '2026-09-12',
          message: 'the package is suspended; only active packages are billed',
        },
      ]);
    });

    it('reports the packages of an inactive account in a bill-group run, and bills the active ones', async () => {
      await t.billing.createAccount({ name: 'Dormant Co', currency: 'USD' });
      const dormant = await addPackage('Dormant Co', '2026-09-10');
      await t.billing.updateAccount('Dormant Co', { status: 'inactive' });
      await addPackage('Parent Co', '2026-09-10');
      const report = await t.billing.bill({ configuration: 'Monthly Billing', ...september, ...by });
      expect(report.run.scope).toBe('bill groups');
      expect(report.billed.map((b) => b.account)).toEqual(['Parent Co']);
      expect(report.skipped).toEqual([
        expect.objectContaining({
          account: 'Dormant Co',
          reason: 'account inactive',
          message: 'the account is inactive, so its recurring charges are not billed',
        }),
      ]);
      expect(await chargesOf(t.db, dormant.id)).toEqual([]);
    });

    it('reports a package past its cancel date as ended', async () => {
      await addPackage('Parent Co', '2026-09-10', { cancelDate: '2026-09-10' });
      await t.billing.addAccountPackage({ account: 'Parent Co', package: 'Annual Licence', effectiveDate: '2026-09-01' });
      const report = await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect(report.skipped).toEqual([expect.objectContaining({ package: 'Managed Network', reason: 'ended' })]);
    });
  });

  describe('rule 7: the same period is never charged twice', () => {
    it('billing the same period again creates nothing and says it was already billed', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      const first = await t.billing.bill({ account: 'Child Co', ...september, ...by });
      const counts = await snapshot(t.db);
      const again = await t.billing.bill({ account: 'Child Co', ...september, ...by });
      expect(again.totals).toMatchObject({ charges: 0, packagesBilled: 0, invoicesCreated: 0, packagesSkipped: 1 });
      expect(again.skipped).toEqual([
        expect.objectContaining({
          reason: 'already billed',
          message: 'already billed for 2026-09-15 to 2026-10-14 on INV-000001; next bill date is 2026-10-15',
        }),
      ]);
      const after = await snapshot(t.db);
      // Only the run's own bookkeeping rows are new.
      expect({ ...after, bill_runs: 0, bill_run_batches: 0, bill_run_skips: 0 }).toEqual({ ...counts, bill_runs: 0, bill_run_batches: 0, bill_run_skips: 0 });
      expect(await chargesOf(t.db, id)).toHaveLength(2);
      expect(first.invoices).toHaveLength(1);
    });

    it('the schema refuses a duplicate charge even when inserted directly', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      await t.billing.bill({ account: 'Child Co', ...september, ...by });
      const charge = await t.db('transactions').where({ account_package_id: id, kind: 'charge' }).first();
      const { id: _id, invoice_id: _invoice, created_at: _at, ...copy } = charge;
      await expect(t.db('transactions').insert({ ...copy, amount: '1.00' })).rejects.toMatchObject({
        code: '23505',
        constraint: 'transactions_charge_once',
      });
      // A different period of the same service is a different charge.
      await t.db('transactions').insert({ ...copy, period_start: '2026-10-15', period_end: '2026-11-14' });
    });

    it('two runs for the same account started at once produce one set of charges and one invoice', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      await addPackage('Parent Co', '2026-09-20');
      // A second pool, so the two runs really use separate connections.
      const otherDb = createDb(t.url, { poolMax: 2 });
      try {
        const other = createBilling(otherDb, t.billing.clock);
        // Both runs wait behind a lock on Parent Co's row, then race for it.
        const reports = await overlapping(`SELECT id FROM accounts WHERE name = ? FOR UPDATE`, ['Parent Co'], 2, [
          () => t.billing.bill({ account: 'Parent Co', ...september, startedBy: 'U_ONE' }),
          () => other.bill({ account: 'Parent Co', ...september, startedBy: 'U_TWO' }),
        ]);
        expect(reports.map((r) => r.run.status)).toEqual(['completed', 'completed']);
        expect(reports.map((r) => r.invoices.length).sort()).toEqual([0, 1]);
        const [winner, loser] = reports[0].invoices.length === 1 ? reports : [reports[1], reports[0]];
        expect(winner.invoices).toEqual([expect.objectContaining({ number: 'INV-000001', invoicer: 'Parent Co', total: '280.00' })]);
        expect(loser.totals.charges).toBe(0);
        expect(loser.skipped.map((s) => [s.account, s.reason]).sort()).toEqual([
          ['Child Co', 'already billed'],
          ['Parent Co', 'already billed'],
        ]);
        expect(await chargesOf(t.db, id)).toHaveLength(2);
        expect(await t.db('transactions').count('* as n').first()).toEqual({ n: 4 });
        expect(await t.db('invoices').count('* as n').first()).toEqual({ n: 1 });
        expect((await t.db('settings').first()).next_invoice_number).toBe(2);
      } finally {
        await otherDb.destroy();
      }
    });

    it('two bill-group runs started at once bill every family once', async () => {
      for (let i = 1; i <= 6; i++) {
        await t.billing.createAccount({ name: `Family ${i}`, currency: 'USD' });
        await addPackage(`Family ${i}`, '2026-09-15');
      }
      await addPackage('Child Co', '2026-09-15');
      const otherDb = createDb(t.url, { poolMax: 2 });
      try {
        const other = createBilling(otherDb, t.billing.clock);
        // Both runs start billing and wait for the invoice number counter, then interleave.
        const reports = await overlapping(`SELECT * FROM settings FOR UPDATE`, [], 2, [
          () => t.billing.bill({ configuration: 'Monthly Billing', ...september, startedBy: 'U_ONE' }, { familiesPerBatch: 2 }),
          () => other.bill({ configuration: 'Monthly Billing', ...september, startedBy: 'U_TWO' }, { familiesPerBatch: 1 }),
        ]);
        expect(reports.map((r) => r.run.status)).toEqual(['completed', 'completed']);
        expect(reports[0].totals.invoicesCreated + reports[1].totals.invoicesCreated).toBe(7);
        expect(reports[0].totals.charges + reports[1].totals.charges).toBe(14);
        expect(await t.db('transactions').count('* as n').first()).toEqual({ n: 14 });
        const numbers = (await t.db('invoices').orderBy('number').pluck('number')).map(Number);
        expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7]);
      } finally {
        await otherDb.destroy();
      }
    });
  });

  describe('rule 8: a preview shows exactly what a run would do and changes nothing', () => {
    it('returns the same invoices, totals, charges and skips as the run that follows, and writes nothing', async () => {
      await t.billing.createAccount({ name: 'Other Co', currency: 'USD' });
      await addPackage('Child Co', '2026-07-15');
      await addPackage('Parent Co', '2026-09-01', { quantity: 2 });
      await addPackage('Other Co', '2026-10-03');
      await t.billing.addCredit({ account: 'Parent Co', amount: '10.00', detail: 'Goodwill', createdBy: 'U_FIN' });
      await t.billing.setInvoiceNumbering({ prefix: 'PV-', nextNumber: 41 });

      const before = await snapshot(t.db);
      const packagesBefore = await t.db('account_packages').orderBy('id').select('*');
      const preview = await t.billing.previewBill({ configuration: 'Monthly Billing', from: '2026-07-01', to: '2026-09-30', ...by });
      expect(await snapshot(t.db)).toEqual(before);
      expect(await t.db('account_packages').orderBy('id').select('*')).toEqual(packagesBefore);
      expect(preview.preview).toBe(true);
      // Parent Co: its own 2 x $140.00 and Child Co's three caught-up months; Other Co is not due.
      expect(preview.invoices).toEqual([
        { number: 'PV-000041', invoicer: 'Parent Co', currency: 'USD', total: '700.00', balance: '700.00', status: 'open' },
      ]);
      expect(preview.totals).toMatchObject({ packagesBilled: 2, charges: 8, packagesSkipped: 1, creditsIssued: 1 });

      const run = await t.billing.bill({ configuration: 'Monthly Billing', from: '2026-07-01', to: '2026-09-30', ...by });
      const comparable = (r: BillRunReport) => ({
        totals: r.totals,
        billed: r.billed,
        skipped: r.skipped,
        invoices: r.invoices,
        period: [r.run.periodStart, r.run.periodEnd, r.run.postingDate, r.run.invoiceDate, r.run.scope, r.run.configuration],
      });
      expect(comparable(preview)).toEqual(comparable(run));
      expect(run.preview).toBe(false);
    });

    it('a preview of a run that would fail fails the same way, and writes nothing', async () => {
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.previewBill({ account: 'Parent Co', ...september, ...by }),
        AccountNotBillableError,
        /has no active package/,
      );
    });
  });

  describe('bill-group runs', () => {
    it("bill the configuration's bill groups and leave accounts in other groups untouched", async () => {
      await t.billing.createBillGroup('East');
      await t.billing.createBillGroup('West');
      await t.billing.createAccount({ name: 'East One', currency: 'USD', billGroup: 'East' });
      await t.billing.createAccount({ name: 'East Two', currency: 'USD', billGroup: 'east' });
      await t.billing.createAccount({ name: 'West One', currency: 'USD', billGroup: 'West' });
      const e1 = await addPackage('East One', '2026-09-03');
      const e2 = await addPackage('East Two', '2026-09-04');
      const w1 = await addPackage('West One', '2026-09-05');
      const d1 = await addPackage('Parent Co', '2026-09-06');
      await t.billing.createConfiguration({ name: 'East Billing', billGroups: ['East'], periodRule: 'previous month' });

      const report = await t.billing.bill({ configuration: 'East Billing', ...by });
      expect(report.run).toMatchObject({ scope: 'bill groups', account: null, periodStart: '2026-09-01', periodEnd: '2026-09-30' });
      expect(report.invoices.map((i) => i.invoicer)).toEqual(['East One', 'East Two']);
      expect(await nextBillDateOf(e1.id)).toBe('2026-10-03');
      expect(await nextBillDateOf(e2.id)).toBe('2026-10-04');
      expect(await nextBillDateOf(w1.id)).toBe('2026-09-05');
      expect(await nextBillDateOf(d1.id)).toBe('2026-09-06');
      expect(await chargesOf(t.db, w1.id)).toEqual([]);
    });

    it('uses the configuration\'s period rule: current month from the run date', async () => {
      await addPackage('Parent Co', '2026-10-20');
      const report = await t.billing.bill({ configuration: 'Monthly Billing', ...by });
      expect([report.run.periodStart, report.run.periodEnd, report.run.invoiceDate, report.run.postingDate]).toEqual([
        '2026-10-01',
        '2026-10-31',
        '2026-10-02',
        '2026-10-02',
      ]);
      expect(report.totals.packagesBilled).toBe(1);
    });

    it("reads the run date in the configuration's time zone, and uses an explicit period when it has one", async () => {
      await addPackage('Parent Co', '2026-09-20');
      await t.billing.createConfiguration({ name: 'New York', timeZone: 'America/New_York', periodRule: 'current month' });
      await t.billing.createConfiguration({ name: 'Fixed', periodRule: 'explicit', periodStart: '2026-09-15', periodEnd: '2026-09-25' });
      // 02:00 UTC on 1 October is still 30 September in New York.
      const early = createBilling(t.db, { now: () => new Date('2026-10-01T02:00:00Z') });
      const preview = await early.previewBill({ account: 'Parent Co', configuration: 'New York', ...by });
      expect([preview.run.periodStart, preview.run.periodEnd, preview.run.invoiceDate]).toEqual(['2026-09-01', '2026-09-30', '2026-09-30']);
      expect(preview.totals.packagesBilled).toBe(1);
      const fixed = await early.bill({ account: 'Parent Co', configuration: 'Fixed', ...by });
      expect([fixed.run.periodStart, fixed.run.periodEnd, fixed.run.invoiceDate]).toEqual(['2026-09-15', '2026-09-25', '2026-10-01']);
      expect(fixed.billed).toEqual([expect.objectContaining({ periodStart: '2026-09-20' })]);
    });

    it('refuses a configuration with no bill group when no account is named', async () => {
      await t.billing.createConfiguration({ name: 'Nowhere', billGroups: [] });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.bill({ configuration: 'Nowhere', ...september, ...by }),
        ConfigurationCannotBillError,
        'Configuration "Nowhere" targets no bill group; name an account to bill.',
      );
    });
  });

  describe('invoice numbers', () => {
    it('are gapless, with a configurable prefix and next number', async () => {
      await t.billing.setInvoiceNumbering({ prefix: 'BB-', nextNumber: 500 });
      await t.billing.createAccount({ name: 'Alpha', currency: 'USD' });
      await t.billing.createAccount({ name: 'Beta', currency: 'USD' });
      await addPackage('Alpha', '2026-09-01');
      await addPackage('Beta', '2026-09-02');
      await addPackage('Child Co', '2026-09-03');
      const first = await t.billing.bill({ configuration: 'Monthly Billing', ...september, ...by }, { familiesPerBatch: 1 });
      // Two batches at once (the default): gapless numbers, taken in the order the batches finish.
      expect(first.invoices.map((i) => i.number).sort()).toEqual(['BB-000500', 'BB-000501', 'BB-000502']);
      expect(first.invoices.map((i) => i.invoicer).sort()).toEqual(['Alpha', 'Beta', 'Parent Co']);
      // One batch at a time: in invoicer order.
      await t.billing.createAccount({ name: 'Gamma', currency: 'USD' });
      await t.billing.createAccount({ name: 'Delta', currency: 'USD' });
      await addPackage('Gamma', '2026-09-01');
      await addPackage('Delta', '2026-09-02');
      const serial = await t.billing.bill({ configuration: 'Monthly Billing', ...september, ...by }, { familiesPerBatch: 1, workers: 1 });
      expect(serial.invoices.map((i) => [i.number, i.invoicer])).toEqual([
        ['BB-000503', 'Gamma'],
        ['BB-000504', 'Delta'],
      ]);
      const second = await t.billing.bill({ account: 'Beta', ...october, ...by });
      expect(second.invoices.map((i) => i.number)).toEqual(['BB-000505']);
      expect((await t.billing.getInvoice('BB-000505')).invoicer).toBe('Beta');
      expect((await t.db('settings').first()).next_invoice_number).toBe(506);
    });

    it('a failed run gives its numbers back', async () => {
      await addPackage('Parent Co', '2026-09-01');
      await t.db.raw(`ALTER TABLE invoices ADD CONSTRAINT test_refuse_big CHECK (total < 100)`);
      await expect(t.billing.bill({ account: 'Parent Co', ...september, ...by })).rejects.toThrow(/test_refuse_big/);
      await t.db.raw(`ALTER TABLE invoices DROP CONSTRAINT test_refuse_big`);
      expect((await t.db('settings').first()).next_invoice_number).toBe(1);
      const retried = await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      expect(retried.invoices.map((i) => i.number)).toEqual(['INV-000001']);
    });

    it('refuses a next number at or below one already issued', async () => {
      await addPackage('Parent Co', '2026-09-01');
      await t.billing.setInvoiceNumbering({ nextNumber: 18 });
      await t.billing.bill({ account: 'Parent Co', ...september, ...by });
      await expectRefusedAndNothingWritten(
        t.db,
        () => t.billing.setInvoiceNumbering({ nextNumber: 18 }),
        InvalidInputError,
        'The next invoice number must be above 18, the highest issued so far.',
      );
      await t.billing.setInvoiceNumbering({ nextNumber: 19 });
    });
  });

  describe('request keys', () => {
    it('the same request key never bills twice', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      const first = await t.billing.bill({ account: 'Child Co', ...september, ...by, requestKey: 'view-123' });
      const counts = await snapshot(t.db);
      const second = await t.billing.bill({ account: 'Child Co', ...september, ...by, requestKey: 'view-123' });
      expect(second.run.id).toBe(first.run.id);
      expect(second.invoices).toEqual(first.invoices);
      expect(await snapshot(t.db)).toEqual(counts);
      expect(await chargesOf(t.db, id)).toHaveLength(2);
    });

    it('the same request key sent twice at once bills once, and both callers get the one run', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      const otherDb = createDb(t.url, { poolMax: 2 });
      try {
        const other = createBilling(otherDb, t.billing.clock);
        const request = { account: 'Child Co', ...september, ...by, requestKey: 'double-click' };
        // The first caller inserts its run and waits (its batches' table is locked); the second
        // finds no committed run with the key yet, and its insert waits on the first's.
        const [a, b] = await overlapping(`LOCK TABLE bill_run_batches IN SHARE MODE`, [], 2, [
          () => t.billing.bill(request),
          () => other.bill(request),
        ]);
        expect(a.run.id).toBe(b.run.id);
        expect([a.run.status, b.run.status]).toEqual(['completed', 'completed']);
        expect(a.invoices).toEqual([expect.objectContaining({ number: 'INV-000001', total: '140.00' })]);
        expect(a.invoices).toEqual(b.invoices);
        expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 1 });
        expect(await chargesOf(t.db, id)).toHaveLength(2);
      } finally {
        await otherDb.destroy();
      }
    });
  });

  describe('a run shared with another worker', () => {
    it('bill waits for the batch another worker holds, then reports the finished run', async () => {
      const { id } = await addPackage('Child Co', '2026-09-15');
      const request = { account: 'Child Co', ...september, ...by, requestKey: 'shared' };
      const { runId, created } = await t.billing.startBillRun(request);
      expect(created).toBe(true);
      // The blocker stands in for a worker in the middle of the run's only batch.
      const [report] = await overlapping(`SELECT * FROM bill_run_batches WHERE bill_run_id = ? FOR UPDATE`, [runId], 1, [
        () => t.billing.bill(request),
      ]);
      expect(report.run).toMatchObject({ id: runId, status: 'completed' });
      expect(report.invoices).toEqual([expect.objectContaining({ number: 'INV-000001', invoicer: 'Parent Co' })]);
      expect(await chargesOf(t.db, id)).toHaveLength(2);
    });
  });

  describe('the run summary', () => {
    it('says which accounts and packages were billed, for which period and amount, what was skipped and which invoices were made', async () => {
      await addPackage('Child Co', '2026-09-15');
      await t.billing.addAccountPackage({ account: 'Parent Co', package: 'Annual Licence', effectiveDate: '2026-11-01' });
      await t.billing.addCredit({ account: 'Parent Co', amount: '15.00', detail: 'Goodwill', createdBy: 'U_FIN', autoDisburse: true });
      const report = await t.billing.bill({ account: 'Parent Co', configuration: 'Monthly Billing', ...september, posting: '2026-09-30', ...by });
      expect(report.preview).toBe(false);
      expect(report.run).toMatchObject({
        status: 'completed',
        configuration: 'Monthly Billing',
        scope: 'account',
        account: 'Parent Co',
        periodStart: '2026-09-01',
        periodEnd: '2026-09-30',
        postingDate: '2026-09-30',
        invoiceDate: '2026-10-02',
        startedBy: 'U_FIN',
        error: null,
        batchesDone: 1,
        batchesTotal: 1,
      });
      expect(report.run.finishedAt).not.toBeNull();
      expect(report.totals).toEqual({
        accountsBilled: 1,
        packagesBilled: 1,
        packagesSkipped: 1,
        charges: 2,
        invoicesCreated: 1,
        invoicedByCurrency: { USD: '140.00' },
        creditsIssued: 1,
        creditsDisbursed: 1,
        reversalsApplied: 0,
        paymentsApplied: {},
      });
      expect(report.billed).toEqual([
        {
          account: 'Child Co',
          package: 'Managed Network',
          periodStart: '2026-09-15',
          periodEnd: '2026-10-14',
          amount: '140.00',
          currency: 'USD',
          nextBillDate: '2026-10-15',
        },
      ]);
      expect(report.skipped).toEqual([
        expect.objectContaining({ account: 'Parent Co', package: 'Annual Licence', reason: 'not due', nextBillDate: '2026-11-01' }),
      ]);
      expect(report.invoices).toEqual([
        { number: 'INV-000001', invoicer: 'Parent Co', currency: 'USD', total: '140.00', balance: '125.00', status: 'open' },
      ]);
      expect(report.truncated).toBe(false);
      // The stored summary of a completed run is its totals.
      expect((await t.db('bill_runs').where({ id: report.run.id }).first('summary')).summary).toEqual(
        expect.objectContaining({ accountsBilled: 1, charges: 2, invoicesCreated: 1 }),
      );
      // A report with a detail limit keeps whole totals and says it was cut.
      const cut = await t.billing.getBillRunReport(report.run.id, 0);
      expect(cut.totals).toEqual(report.totals);
    });
  });

  describe('currencies', () => {
    it('bills each account in its currency and totals the run per currency, each to its minor unit', async () => {
      await t.billing.createPackage({ name: 'Tokyo Hosting', currency: 'JPY', frequency: 'monthly', services: [{ name: 'Hosting', price: '1250' }] });
      await t.billing.createPackage({ name: 'Kuwait Support', currency: 'KWD', frequency: 'monthly', services: [{ name: 'Support', price: '12.345' }] });
      await t.billing.createAccount({ name: 'Tokyo KK', currency: 'JPY' });
      await t.billing.createAccount({ name: 'Kuwait Co', currency: 'KWD' });
      await t.billing.addAccountPackage({ account: 'Tokyo KK', package: 'Tokyo Hosting', effectiveDate: '2026-09-10', quantity: 3 });
      await t.billing.addAccountPackage({ account: 'Kuwait Co', package: 'Kuwait Support', effectiveDate: '2026-09-10', quantity: 2 });
      await addPackage('Child Co', '2026-09-15');
      const report = await t.billing.bill({ configuration: 'Monthly Billing', ...september, ...by });
      expect(report.totals.invoicedByCurrency).toEqual({ USD: '140.00', JPY: '3750', KWD: '24.690' });
      expect(report.billed.map((b) => [b.account, b.currency, b.amount])).toEqual([
        ['Child Co', 'USD', '140.00'],
        ['Kuwait Co', 'KWD', '24.690'],
        ['Tokyo KK', 'JPY', '3750'],
      ]);
      expect(report.invoices.map((i) => [i.invoicer, i.currency, i.total])).toEqual([
        ['Parent Co', 'USD', '140.00'],
        ['Tokyo KK', 'JPY', '3750'],
        ['Kuwait Co', 'KWD', '24.690'],
      ]);
    });
  });

  describe('a run resumed after a failure', () => {
    // Five invoicer families: Parent Co's (nothing due) and four with a parent and a child due.
    beforeEach(async () => {
      for (let i = 1; i <= 4; i++) {
        await t.billing.createAccount({ name: `Family ${i}`, currency: 'USD' });
        await addPackage(`Family ${i}`, `2026-09-1${i}`);
        await t.billing.createAccount({ name: `Family ${i} Child`, currency: 'USD', parent: `Family ${i}`, invoiceTo: `Family ${i}` });
        await addPackage(`Family ${i} Child`, `2026-09-2${i}`);
      }
    });

    async function expectEveryAccountBilledOnce(runId: number) {
      const report = await t.billing.getBillRunReport(runId);
      expect(report.run).toMatchObject({ status: 'completed', batchesDone: 5, batchesTotal: 5, error: null });
      expect(report.totals).toMatchObject({ accountsBilled: 8, packagesBilled: 8, charges: 16, invoicesCreated: 4 });
      const perAccount = await t.db('transactions as t')
        .join('accounts as a', 'a.id', 't.account_id')
        .groupBy('a.name')
        .orderBy('a.name')
        .select('a.name', t.db.raw('count(*)::int AS n'));
      expect(perAccount).toEqual(
        ['Family 1', 'Family 1 Child', 'Family 2', 'Family 2 Child', 'Family 3', 'Family 3 Child', 'Family 4', 'Family 4 Child'].map((name) => ({
          name,
          n: 2,
        })),
      );
      expect((await t.db('invoices').orderBy('number').pluck('number')).map(Number)).toEqual([1, 2, 3, 4]);
      expect((await t.db('invoices').orderBy('number').pluck('bill_run_id')).every((id: number) => id === runId)).toBe(true);
    }

    it('completes with every account billed once after crashing between batches', async () => {
      const { runId } = await t.billing.startBillRun({ configuration: 'Monthly Billing', ...september, ...by }, { familiesPerBatch: 1 });
      const crash = new Error('the process died');
      await expect(
        t.billing.executeBillRun(runId, {
          // One batch at a time, so that the crash comes after exactly three.
          workers: 1,
          onProgress: ({ batchesDone }) => {
            if (batchesDone === 3) throw crash;
          },
        }),
      ).rejects.toBe(crash);
      const failed = await t.billing.getBillRunReport(runId);
      expect(failed.run).toMatchObject({ status: 'failed', error: 'the process died', batchesDone: 3, batchesTotal: 5 });
      // Batches go in invoicer order: Parent Co's family (no invoice), Family 1, Family 2.
      expect(failed.totals.invoicesCreated).toBe(2);
      expect(failed.invoices.map((i) => i.invoicer)).toEqual(['Family 1', 'Family 2']);

      const resumed = await t.billing.executeBillRun(runId);
      expect(resumed.run.status).toBe('completed');
      await expectEveryAccountBilledOnce(runId);
      // Executing a completed run again does nothing.
      const counts = await snapshot(t.db);
      await t.billing.executeBillRun(runId);
      expect(await snapshot(t.db)).toEqual(counts);
    });

    it('with two batches at once, a crash stops both workers, and the run resumes to every account billed once', async () => {
      const { runId } = await t.billing.startBillRun({ configuration: 'Monthly Billing', ...september, ...by }, { familiesPerBatch: 1 });
      const crash = new Error('the process died');
      await expect(
        t.billing.executeBillRun(runId, {
          workers: 2,
          onProgress: ({ batchesDone }) => {
            if (batchesDone === 2) throw crash;
          },
        }),
      ).rejects.toBe(crash);
      const failed = await t.billing.getBillRunReport(runId);
      // The batch the other worker held when the first stopped commits; no more are claimed.
      expect(failed.run).toMatchObject({ status: 'failed', error: 'the process died', batchesTotal: 5 });
      expect(failed.run.batchesDone).toBeGreaterThanOrEqual(2);
      expect(failed.run.batchesDone).toBeLessThan(5);
      const numbers = (await t.db('invoices').orderBy('number').pluck('number')).map(Number);
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));

      const resumed = await t.billing.executeBillRun(runId, { workers: 2 });
      expect(resumed.run.status).toBe('completed');
      await expectEveryAccountBilledOnce(runId);
      const all = (await t.db('invoices').orderBy('number').pluck('number')).map(Number);
      expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    });

    it('completes a run that was marked failed by hand between batches', async () => {
      const { runId } = await t.billing.startBillRun({ configuration: 'Monthly Billing', ...september, ...by }, { familiesPerBatch: 1 });
      expect(await t.billing.unfinishedBillRuns()).toEqual([{ id: runId, status: 'scheduled' }]);
      await t.db('bill_runs').where({ id: runId }).update({ status: 'failed', error: 'marked failed by hand' });
      const report = await t.billing.executeBillRun(runId);
      expect(report.run).toMatchObject({ status: 'completed', error: null });
      await expectEveryAccountBilledOnce(runId);
      expect(await t.billing.unfinishedBillRuns()).toEqual([]);
    });
  });

  it('every refusal of a run is a BillingError', async () => {
    await expect(t.billing.bill({ account: 'Parent Co', ...september, startedBy: ' ' })).rejects.toBeInstanceOf(BillingError);
    await expect(t.billing.bill({ account: 'Parent Co', from: '2026-09-01', ...by })).rejects.toThrow(
      'Give both ends of the billing period (from YYYY-MM-DD to YYYY-MM-DD), or neither.',
    );
  });
});
