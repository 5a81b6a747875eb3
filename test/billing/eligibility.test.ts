import fc from 'fast-check';
import { createBilling, type Billing } from '../../billing';
import { addDays, daysInMonth, FREQUENCIES, type Frequency } from '../../billing/dates';
import { chargePeriods, describeSkip } from '../../billing/eligibility';
import { Money } from '../../billing/money';
import { useTestDatabase } from '../helpers/db';
import { clock } from './fixtures';

const september = { start: '2026-09-01', end: '2026-09-30' };

describe('chargePeriods', () => {
  it('bills a package due inside the period once, for [next bill date, next bill date + frequency)', () => {
    expect(chargePeriods({ nextBillDate: '2026-09-15', frequency: 'monthly', anchorDay: 15 }, september)).toEqual({
      periods: [{ start: '2026-09-15', end: '2026-10-14' }],
      nextBillDate: '2026-10-15',
    });
  });

  it('includes both ends of the period', () => {
    expect(chargePeriods({ nextBillDate: '2026-09-01', frequency: 'monthly', anchorDay: 1 }, september).periods).toEqual([
      { start: '2026-09-01', end: '2026-09-30' },
    ]);
    expect(chargePeriods({ nextBillDate: '2026-09-30', frequency: 'monthly', anchorDay: 30 }, september).periods).toEqual([
      { start: '2026-09-30', end: '2026-10-29' },
    ]);
  });

  it('bills nothing for a next bill date outside the period, and leaves it where it is', () => {
    for (const nextBillDate of ['2026-08-31', '2026-10-01']) {
      expect(chargePeriods({ nextBillDate, frequency: 'monthly', anchorDay: Number(nextBillDate.slice(8)) }, september)).toEqual({
        periods: [],
        nextBillDate,
      });
    }
  });

  it('catches up missed periods, each its own charge period', () => {
    expect(chargePeriods({ nextBillDate: '2026-07-15', frequency: 'monthly', anchorDay: 15 }, { start: '2026-07-01', end: '2026-09-30' })).toEqual({
      periods: [
        { start: '2026-07-15', end: '2026-08-14' },
        { start: '2026-08-15', end: '2026-09-14' },
        { start: '2026-09-15', end: '2026-10-14' },
      ],
      nextBillDate: '2026-10-15',
    });
    expect(
      chargePeriods({ nextBillDate: '2025-01-10', frequency: 'quarterly', anchorDay: 10 }, { start: '2025-01-01', end: '2025-12-31' }).periods.map((p) => p.start),
    ).toEqual(['2025-01-10', '2025-04-10', '2025-07-10', '2025-10-10']);
  });

  it('keeps the anchor day through short months (31 Jan -> 28 Feb -> 31 Mar)', () => {
    expect(chargePeriods({ nextBillDate: '2026-01-31', frequency: 'monthly', anchorDay: 31 }, { start: '2026-01-01', end: '2026-03-31' })).toEqual({
      periods: [
        { start: '2026-01-31', end: '2026-02-27' },
        { start: '2026-02-28', end: '2026-03-30' },
        { start: '2026-03-31', end: '2026-04-29' },
      ],
      nextBillDate: '2026-04-30',
    });
  });

  it('stops at the cancel date', () => {
    const schedule = { nextBillDate: '2026-07-15', frequency: 'monthly' as const, anchorDay: 15, cancelDate: '2026-08-15' };
    expect(chargePeriods(schedule, { start: '2026-07-01', end: '2026-09-30' })).toEqual({
      periods: [{ start: '2026-07-15', end: '2026-08-14' }],
      nextBillDate: '2026-08-15',
    });
    expect(chargePeriods({ ...schedule, cancelDate: '2026-07-15' }, september).periods).toEqual([]);
    expect(chargePeriods({ ...schedule, cancelDate: '2026-08-16' }, { start: '2026-07-01', end: '2026-09-30' }).periods).toHaveLength(2);
  });
});

describe('describeSkip', () => {
  it('says when a package is not due yet and which period would include it', () => {
    expect(describeSkip({ reason: 'not due', nextBillDate: '2026-10-15', period: september })).toBe(
      'next bill date 2026-10-15 is after the period end 2026-09-30; a period from 2026-10-01 to 2026-10-31 would include it',
    );
  });

  it('says when a package was due before the period', () => {
    expect(describeSkip({ reason: 'before period', nextBillDate: '2026-08-15', period: september })).toBe(
      'next bill date 2026-08-15 is before the period start 2026-09-01; a period from 2026-08-01 to 2026-08-31 would include it',
    );
  });

  it('names the invoice a package was already billed on', () => {
    const alreadyBilled = { periodStart: '2026-09-15', periodEnd: '2026-10-14', invoice: 'INV-000018' };
    expect(describeSkip({ reason: 'already billed', nextBillDate: '2026-10-15', period: september, alreadyBilled })).toBe(
      'already billed for 2026-09-15 to 2026-10-14 on INV-000018; next bill date is 2026-10-15',
    );
    expect(describeSkip({ reason: 'already billed', nextBillDate: '2026-10-15', period: september, alreadyBilled: { ...alreadyBilled, invoice: null } })).toBe(
      'already billed for 2026-09-15 to 2026-10-14 (not yet invoiced); next bill date is 2026-10-15',
    );
  });

  it('explains inactive accounts, pending and suspended packages and ended packages', () => {
    const base = { nextBillDate: '2026-09-15', period: september };
    expect(describeSkip({ ...base, reason: 'account inactive' })).toBe('the account is inactive, so its recurring charges are not billed');
    expect(describeSkip({ ...base, reason: 'account cancelled' })).toBe('the account is cancelled, so its recurring charges are not billed');
    expect(describeSkip({ ...base, reason: 'package pending' })).toBe('the package is pending; only active packages are billed');
    expect(describeSkip({ ...base, reason: 'package suspended' })).toBe('the package is suspended; only active packages are billed');
    expect(describeSkip({ ...base, reason: 'ended' })).toBe('the package has ended (cancel date reached); next bill date was 2026-09-15');
  });
});

describe('the set-based SQL bill run charges exactly the periods chargePeriods predicts', () => {
  const t = useTestDatabase();
  let billing: Billing;
  const packageOf: Record<Frequency, string> = {
    monthly: 'P monthly',
    quarterly: 'P quarterly',
    semiannual: 'P semiannual',
    annual: 'P annual',
  };

  beforeAll(async () => {
    billing = createBilling(t.db, clock);
    for (const frequency of FREQUENCIES) {
      await billing.createPackage({
        name: packageOf[frequency],
        currency: 'USD',
        frequency,
        services: [
          { name: 'Base', price: '10.00' },
          { name: 'Extra', price: '0.01' },
        ],
      });
    }
  });

  const dayArb = fc.record({ year: fc.integer({ min: 2025, max: 2027 }), month: fc.integer({ min: 1, max: 12 }) });
  const packageArb = fc.record({
    frequency: fc.constantFrom(...FREQUENCIES),
    // The next bill date is where the anchor day lands in its month, as it always is.
    due: dayArb,
    anchorDay: fc.integer({ min: 1, max: 31 }),
    cancelAfterDays: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
    quantity: fc.integer({ min: 1, max: 3 }),
  });
  const runArb = fc.record({
    packages: fc.array(packageArb, { minLength: 1, maxLength: 6 }),
    start: dayArb,
    startDay: fc.integer({ min: 1, max: 28 }),
    lengthDays: fc.integer({ min: 0, max: 800 }),
  });

  let runNo = 0;
  it('for random next bill dates, anchor days, frequencies, cancel dates and periods', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ packages, start, startDay, lengthDays }) => {
        runNo++;
        const group = `Group ${runNo}`;
        await billing.createBillGroup(group);
        await billing.createConfiguration({ name: `Run ${runNo}`, billGroups: [group], generateInvoice: false });
        const periodStart = `${start.year}-${String(start.month).padStart(2, '0')}-${String(startDay).padStart(2, '0')}`;
        const billingPeriod = { start: periodStart, end: addDays(periodStart, lengthDays) };

        const made: { id: number; schedule: Parameters<typeof chargePeriods>[0]; quantity: number }[] = [];
        for (const [i, p] of packages.entries()) {
          const account = `Account ${runNo}-${i}`;
          await billing.createAccount({ name: account, currency: 'USD', billGroup: group });
          const day = Math.min(p.anchorDay, daysInMonth(p.due.year, p.due.month));
          const nextBillDate = `${p.due.year}-${String(p.due.month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          const cancelDate = p.cancelAfterDays === undefined ? null : addDays(nextBillDate, p.cancelAfterDays);
          const { id } = await billing.addAccountPackage({
            account,
            package: packageOf[p.frequency],
            quantity: p.quantity,
            effectiveDate: nextBillDate,
            nextBillDate,
            cancelDate,
          });
          // A package first due on the 31st that has moved to 28 Feb keeps anchor day 31.
          await t.db('account_packages').where({ id }).update({ anchor_day: p.anchorDay });
          made.push({ id, quantity: p.quantity, schedule: { nextBillDate, frequency: p.frequency, anchorDay: p.anchorDay, cancelDate } });
        }

        const report = await billing.bill({ configuration: `Run ${runNo}`, from: billingPeriod.start, to: billingPeriod.end, startedBy: 'property test' });
        expect(report.run.status).toBe('completed');

        let expectedCharges = 0;
        for (const m of made) {
          const predicted = chargePeriods(m.schedule, billingPeriod);
          const rows = (await t.db('transactions as t')
            .join('services as s', 's.id', 't.service_id')
            .where({ 't.account_package_id': m.id, 't.kind': 'charge' })
            .orderBy(['t.period_start', 's.name'])
            .select('t.period_start', 't.period_end', 's.name', 't.amount', 't.quantity')).map((r) => ({
            ...r,
            amount: Money.exact(r.amount, 'USD').toString(),
          }));
          const expected = predicted.periods.flatMap((p) => [
            { period_start: p.start, period_end: p.end, name: 'Base', amount: Money.exact('10.00', 'USD').times(m.quantity).toString(), quantity: m.quantity },
            { period_start: p.start, period_end: p.end, name: 'Extra', amount: Money.exact('0.01', 'USD').times(m.quantity).toString(), quantity: m.quantity },
          ]);
          expect({ schedule: m.schedule, billingPeriod, rows }).toEqual({ schedule: m.schedule, billingPeriod, rows: expected });
          const after = await t.db('account_packages').where({ id: m.id }).first('next_bill_date');
          expect({ schedule: m.schedule, billingPeriod, next: after.next_bill_date }).toEqual({
            schedule: m.schedule,
            billingPeriod,
            next: predicted.nextBillDate,
          });
          expectedCharges += expected.length;
        }
        expect(report.totals.charges).toBe(expectedCharges);
        expect(report.totals.packagesBilled + report.totals.packagesSkipped).toBe(made.length);
      }),
      { numRuns: 40 },
    );
  });
});
