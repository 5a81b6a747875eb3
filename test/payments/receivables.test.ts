import type { Knex } from 'knex';
import { addDays, AGING_BUCKETS, agingBucket, createBilling, InvalidPeriodError, UnknownAccountError, type Billing } from '../../billing';
import { useTestDatabase } from '../helpers/db';
import { billMonth, clock, ledgerViolations, refusal, setUpFamily } from '../credits/fixtures';

/** Receivables at the level of the billing module: the aging report, statements, newly overdue invoices. */

const later = (date: string) => ({ now: () => new Date(`${date}T12:00:00Z`) });

/** An invoice written straight into the table (no transactions): for the buckets' edges. */
async function invoice(db: Knex, account: string, number: number, due: string, amount: string, currency = 'USD'): Promise<void> {
  const { id } = await db('accounts').where({ name: account }).first('id');
  const { id: run } = await db('bill_runs').first('id');
  await db('invoices').insert({
    number,
    account_id: id,
    bill_run_id: run,
    invoice_date: addDays(due, -30),
    posting_date: addDays(due, -30),
    period_start: addDays(due, -30),
    period_end: addDays(due, -30),
    currency,
    total: amount,
    balance: amount,
    status: 'open',
    due_date: due,
  });
}

const zero = { current: '0.00', '1-30': '0.00', '31-60': '0.00', '61-90': '0.00', 'over 90': '0.00' };

describe('receivables at the level of the billing module', () => {
  const t = useTestDatabase({ each: true });
  let billing: Billing;

  beforeEach(async () => {
    billing = await setUpFamily(t.db);
  });

  it('puts each invoice in its bucket by days past due: due today is current, 1 and 30 days are 1-30, 31-60, 61-90, 91 over 90', () => {
    const cases: [number, string][] = [[-5, 'current'], [0, 'current'], [1, '1-30'], [30, '1-30'], [31, '31-60'], [60, '31-60'], [61, '61-90'], [90, '61-90'], [91, 'over 90'], [400, 'over 90']];
    for (const [days, bucket] of cases) expect([days, agingBucket(days)]).toEqual([days, bucket]);
    expect(AGING_BUCKETS).toEqual(['current', '1-30', '31-60', '61-90', 'over 90']);
  });

  it('ages invoices at the edges of the buckets, with totals per bucket and per currency kept apart', async () => {
    await billMonth(billing, 'Other Co', '2026-09'); // INV-000018, $60.00, due 2026-11-01
    await billing.createAccount({ name: 'Edge Co', currency: 'USD' });
    await billing.createAccount({ name: 'Euro GmbH', currency: 'EUR' });
    const asOf = '2027-01-31';
    // Days past due -> amount (powers of two, so every sum says which invoices it holds).
    const edges: [number, string][] = [[-1, '1.00'], [0, '2.00'], [1, '4.00'], [30, '8.00'], [31, '16.00'], [60, '32.00'], [61, '64.00'], [90, '128.00'], [91, '256.00']];
    let n = 100;
    for (const [days, amount] of edges) await invoice(t.db, 'Edge Co', n++, addDays(asOf, -days), amount);
    await invoice(t.db, 'Euro GmbH', n++, addDays(asOf, -45), '1000.00', 'EUR');

    const report = await billing.receivables.aging(asOf);
    expect(report.asOf).toBe(asOf);
    expect(report.totals).toEqual([
      { currency: 'EUR', buckets: { ...zero, '31-60': '1000.00' }, total: '1000.00', accounts: 1, invoices: 1 },
      {
        currency: 'USD',
        // Other Co's $60.00 is due 2026-11-01: 91 days before 2027-01-31.
        buckets: { current: '3.00', '1-30': '12.00', '31-60': '48.00', '61-90': '192.00', 'over 90': '316.00' },
        total: '571.00',
        accounts: 2,
        invoices: 10,
      },
    ]);
    expect(report.top.map((a) => [a.currency, a.account, a.total, a.invoices, a.oldestDue])).toEqual([
      ['EUR', 'Euro GmbH', '1000.00', 1, '2026-12-17'],
      ['USD', 'Edge Co', '511.00', 9, '2026-11-01'],
      ['USD', 'Other Co', '60.00', 1, '2026-11-01'],
    ]);
    expect(report.top[1].buckets).toEqual({ current: '3.00', '1-30': '12.00', '31-60': '48.00', '61-90': '192.00', 'over 90': '256.00' });
    expect((await billing.receivables.agingAccounts(asOf)).map((a) => a.account)).toEqual(['Euro GmbH', 'Edge Co', 'Other Co']);
    // A day earlier, every invoice is one day younger: the 91-day one is 61-90, the 1-day one current.
    const before = await billing.receivables.aging(addDays(asOf, -1));
    expect(before.totals[1].buckets).toEqual({ current: '7.00', '1-30': '24.00', '31-60': '96.00', '61-90': '444.00', 'over 90': '0.00' });
    // An invoice made after the as-of day is not there yet.
    expect((await billing.receivables.aging('2026-10-01')).totals).toEqual([]);
  });

  it("continues DOMAIN.md's worked example: after a $60.00 payment on invoice 18 the aging report shows $30.00 in its bucket", async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: 'Service outage', createdBy: 'U_FIN' });
    await billMonth(billing, 'Child Co', '2026-09');
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
    await billing.recordPayment({ account: 'Parent Co', amount: '$60.00', reference: 'CHQ-1001', to: [{ invoice: '18' }] }, 'U_FIN');
    const today = await billing.receivables.aging();
    expect(today.totals).toEqual([{ currency: 'USD', buckets: { ...zero, current: '30.00' }, total: '30.00', accounts: 1, invoices: 1 }]);
    expect(today.top).toEqual([{ account: 'Parent Co', currency: 'USD', buckets: { ...zero, current: '30.00' }, total: '30.00', invoices: 1, oldestDue: '2026-11-01' }]);
    // Six weeks later (invoice 18 is due 2026-11-01): 44 days past due.
    const december = createBilling(t.db, later('2026-12-14'));
    expect((await december.receivables.aging()).totals[0].buckets).toEqual({ ...zero, '31-60': '30.00' });
    await december.reversePayment('PM-000001', 'Cheque returned unpaid', 'U_FIN');
    expect((await december.receivables.aging()).totals[0].buckets).toEqual({ ...zero, '31-60': '90.00' });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('as of a past day uses the balances of that day: payments received after it do not count', async () => {
    await billMonth(billing, 'Child Co', '2026-09'); // INV-000018 $140.00, invoice date 2026-10-02, due 2026-11-01
    const december = createBilling(t.db, later('2026-12-20'));
    await december.recordPayment({ account: 'Parent Co', amount: '40', reference: 'W-1', receivedOn: '2026-11-10', to: [{ invoice: '18' }] }, 'U_FIN');
    await december.recordPayment({ account: 'Parent Co', amount: '100', reference: 'W-2', receivedOn: '2026-12-05', to: [{ invoice: '18' }] }, 'U_FIN');
    const owed = async (asOf: string | undefined) => (await december.receivables.aging(asOf)).totals.map((x) => [x.total, x.buckets]);
    expect(await owed('2026-11-09')).toEqual([['140.00', { ...zero, '1-30': '140.00' }]]);
    expect(await owed('2026-11-10')).toEqual([['100.00', { ...zero, '1-30': '100.00' }]]);
    expect(await owed('2026-12-04')).toEqual([['100.00', { ...zero, '31-60': '100.00' }]]);
    expect(await owed('2026-12-05')).toEqual([]); // paid
    expect(await owed(undefined)).toEqual([]);
    // The same as of the days when the invoice is paid now: the paid invoice comes back in the past.
    const overdue = await december.receivables.newlyOverdue(null, '2026-11-20');
    expect(overdue).toEqual({ count: 1, invoices: [{ number: 'INV-000018', account: 'Parent Co', currency: 'USD', dueDate: '2026-11-01', balance: '100.00', daysPastDue: 19 }] });
    // Overdue since a digest on 2026-11-01 (it was due that day, so it became overdue after).
    expect((await december.receivables.newlyOverdue('2026-11-01', '2026-11-20')).count).toBe(1);
    expect((await december.receivables.newlyOverdue('2026-11-02', '2026-11-20')).count).toBe(0);
    expect((await december.receivables.newlyOverdue(null, '2026-11-01')).count).toBe(0); // due today: not overdue
  });

  it('as of a past day undoes a reversal made after it, and a disbursement made after it, by the day they were made', async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: 'Outage', createdBy: 'U_FIN' });
    await billMonth(billing, 'Child Co', '2026-09');
    const dbToday: string = (await t.db.raw(`SELECT (now() AT TIME ZONE 'UTC')::date::text AS d`)).rows[0].d;
    // A clock after the database's day: the disbursement and the reversal are dated by the database's day.
    const lateClock = createBilling(t.db, later(addDays(dbToday, 10)));
    await lateClock.recordPayment({ account: 'Parent Co', amount: '30', reference: 'W-1', receivedOn: '2026-10-05', to: [{ invoice: '18' }] }, 'U_FIN');
    await lateClock.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
    await lateClock.reversePayment('PM-000001', 'Charge-back', 'U_FIN');
    const total = async (asOf: string) => (await lateClock.receivables.aging(asOf)).totals[0]?.total;
    expect(await total('2026-10-04')).toBe('140.00');
    expect(await total(addDays(dbToday, -1))).toBe('110.00'); // paid, not yet reversed or disbursed
    expect(await total(dbToday)).toBe('90.00'); // reversed (+30) and disbursed (-50)
  });

  it("gives an account's statement: opening balance, each invoice, disbursement, payment and reversal with a running balance, closing balance", async () => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: 'Outage', createdBy: 'U_FIN' });
    await billMonth(billing, 'Child Co', '2026-09'); // INV-000018
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
    await billing.recordPayment({ account: 'Parent Co', amount: '60', reference: 'CHQ-1001', method: 'cheque', receivedOn: '2026-10-01', to: [{ invoice: '18' }] }, 'U_FIN');
    const november = createBilling(t.db, later('2026-11-05'));
    await billMonth(november, 'Child Co', '2026-10'); // INV-000019, invoice date 2026-11-05
    await november.recordPayment({ account: 'Parent Co', amount: '200', reference: 'W-9', method: 'wire', receivedOn: '2026-11-05' }, 'U_FIN');
    await november.reversePayment('PM-000001', 'Cheque returned', 'U_FIN');

    const s = await november.receivables.statement('parent co');
    expect(s).toMatchObject({ account: 'Parent Co', currency: 'USD', from: null, to: '2026-11-05', openingBalance: '0.00' });
    // The disbursement was made by the database's clock, after the test clock's 2026-11-05: it is dated 2026-11-05.
    expect(s.lines.map((l) => [l.date, l.kind, l.reference, l.detail, l.amount, l.balance])).toEqual([
      ['2026-10-01', 'payment', 'PM-000001', 'cheque, CHQ-1001', '-60.00', '-60.00'],
      ['2026-10-02', 'invoice', 'INV-000018', '', '140.00', '80.00'],
      ['2026-11-05', 'invoice', 'INV-000019', '', '140.00', '220.00'],
      ['2026-11-05', 'disbursement', 'CR-1', 'to INV-000018', '-50.00', '170.00'],
      ['2026-11-05', 'payment', 'PM-000002', 'wire, W-9', '-200.00', '-30.00'],
      ['2026-11-05', 'payment reversal', 'PM-000001', 'Cheque returned', '60.00', '30.00'],
    ]);
    expect(s.closingBalance).toBe('30.00');
    // The closing balance is the invoices' balances (aging) less what payments still have unapplied.
    const owed = (await november.receivables.aging()).totals[0].total;
    const { unapplied } = (await t.db('payments').where({ status: 'recorded' }).sum('unapplied as unapplied').first()) as { unapplied: string };
    expect([owed, Number(unapplied).toFixed(2)]).toEqual(['60.00', '30.00']);
    expect(s.totals).toEqual({ invoice: '280.00', disbursement: '-50.00', payment: '-260.00', 'payment reversal': '60.00' });

    const part = await november.receivables.statement('Parent Co', { from: '2026-10-02', to: '2026-10-31' });
    expect(part).toMatchObject({ from: '2026-10-02', to: '2026-10-31', openingBalance: '-60.00', closingBalance: '80.00' });
    expect(part.lines.map((l) => l.reference)).toEqual(['INV-000018']);
    expect(await refusal(() => november.receivables.statement('Parent Co', { from: '2026-11-01', to: '2026-10-01' }))).toBeInstanceOf(InvalidPeriodError);
    expect(await refusal(() => november.receivables.statement('Nobody Ltd'))).toBeInstanceOf(UnknownAccountError);
    expect(await refusal(() => november.receivables.aging('2026-02-30'))).toMatchObject({ code: 'invalid_date' });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('uses the clock of billing for today (the fixtures clock is 2026-10-02)', async () => {
    expect((await billing.receivables.aging()).asOf).toBe(clock.now().toISOString().slice(0, 10));
  });
});
