import type { Knex } from 'knex';
import { BillingError, createBilling, DisbursementRefusedError, type Billing } from '../../billing';
import { createDb } from '../../billing/db';
import { useTestDatabase } from '../helpers/db';
import { billMonth, clock, ledgerViolations, setUpFamily } from './fixtures';

// Disbursements racing for the same credit or the same invoice, each on its own database
// connection: exactly the allowed ones succeed, the others are refused with
// DisbursementRefusedError, and nothing ever goes below zero.

const RACERS = 10;

describe('racing disbursements', () => {
  const t = useTestDatabase();
  let billing: Billing;
  let racers: { db: Knex; billing: Billing }[] = [];

  beforeAll(async () => {
    billing = await setUpFamily(t.db);
    // One pool of one connection per racer: every racer is a separate session.
    racers = Array.from({ length: RACERS }, () => {
      const db = createDb(t.url, { poolMax: 1 });
      return { db, billing: createBilling(db, clock) };
    });
    await Promise.all(racers.map((r) => r.db.raw('SELECT 1')));
  });
  afterAll(async () => {
    await Promise.all(racers.map((r) => r.db.destroy()));
  });

  /** Waits until `n` sessions of this database are waiting for a lock. */
  async function waitForWaiters(n: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const { rows } = await t.db.raw(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (rows[0].n >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${n} sessions ever waited for the lock`);
  }

  /** Starts every attempt at once, optionally held at a gate (the invoicer's row locked) until all are waiting. */
  async function race(attempts: ((b: Billing) => Promise<unknown>)[], gate: { invoicer: string } | null) {
    let release: (() => void) | undefined;
    let holder: Promise<void> | undefined;
    if (gate) {
      const locked = new Promise<void>((resolveLocked) => {
        holder = t.db.transaction(async (trx) => {
          await trx('accounts').where('name', gate.invoicer).forUpdate().first('id');
          resolveLocked();
          await new Promise<void>((r) => (release = r));
        });
      });
      await locked;
    }
    const outcomes = attempts.map((attempt, i) =>
      attempt(racers[i].billing).then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    if (gate) {
      await waitForWaiters(attempts.length);
      release?.();
      await holder;
    }
    const settled = await Promise.all(outcomes);
    for (const o of settled) {
      // Anything but a refusal is a bug (a deadlock, a check violation, a float...).
      if (!o.ok && !(o.error instanceof DisbursementRefusedError)) throw o.error;
    }
    return settled;
  }

  it.each([
    ['held at a gate until all ten are waiting', true],
    ['started together', false],
  ])('ten $10.00 disbursements from a credit with $50.00 left: five succeed (%s)', async (_label, gated) => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Race me', createdBy: 'U_ANA' });
    const month = gated ? '2026-09' : '2026-10';
    const report = await billMonth(billing, 'Child Co', month); // a $140.00 invoice
    const invoice = report.invoices[0].number;

    const settled = await race(
      racers.map((_r, i) => (b: Billing) => b.disburseCredit({ credit: credit.id, invoice, amount: '10.00', actor: `U_${i}` })),
      gated ? { invoicer: 'Parent Co' } : null,
    );
    expect(settled.filter((o) => o.ok)).toHaveLength(5);
    const refusals = settled.filter((o) => !o.ok).map((o) => (o as { error: BillingError }).error.message);
    expect(refusals).toHaveLength(5);
    for (const m of refusals) expect(m).toBe(`${credit.id} has nothing left to disburse.`);

    expect(await billing.getCredit(credit.id)).toMatchObject({ amountLeft: '0.00' });
    expect((await billing.getCredit(credit.id)).disbursements.map((d) => d.amount)).toEqual(Array(5).fill('10.00'));
    expect(await billing.getInvoice(invoice)).toMatchObject({ total: '140.00', balance: '90.00', status: 'open' });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it.each([
    ['held at a gate until all ten are waiting', true],
    ['started together', false],
  ])('ten $10.00 disbursements from ten credits to an invoice with a $30.00 balance: three succeed (%s)', async (_label, gated) => {
    const month = gated ? '2026-11' : '2026-12';
    const credits = [];
    for (let i = 0; i < RACERS; i++) {
      credits.push((await billing.addCredit({ account: 'Child Co', amount: '10', detail: `Racer ${i}`, createdBy: 'U_ANA' })).id);
    }
    const filler = await billing.addCredit({ account: 'Parent Co', amount: '110', detail: 'Leaves $30', createdBy: 'U_ANA' });
    const invoice = (await billMonth(billing, 'Child Co', month)).invoices[0].number;
    await billing.disburseCredit({ credit: filler.id, invoice, amount: '110', actor: 'U_ANA' });
    expect((await billing.getInvoice(invoice)).balance).toBe('30.00');

    const settled = await race(
      credits.map((credit, i) => (b: Billing) => b.disburseCredit({ credit, invoice, amount: '10.00', actor: `U_${i}` })),
      gated ? { invoicer: 'Parent Co' } : null,
    );
    expect(settled.filter((o) => o.ok)).toHaveLength(3);
    const refusals = settled.filter((o) => !o.ok).map((o) => (o as { error: BillingError }).error.message);
    expect(refusals).toHaveLength(7);
    for (const m of refusals) expect(m).toMatch(new RegExp(`^${invoice} (is already paid|has a balance of \\$\\d+\\.\\d\\d; \\$10\\.00 is more than that)\\.$`));

    expect(await billing.getInvoice(invoice)).toMatchObject({ total: '140.00', balance: '0.00', status: 'paid' });
    const lefts = await Promise.all(credits.map(async (c) => (await billing.getCredit(c)).amountLeft));
    expect(lefts.filter((l) => l === '0.00')).toHaveLength(3);
    expect(lefts.filter((l) => l === '10.00')).toHaveLength(7);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('a bill run that auto-disburses and manual disbursements racing for the same invoices never overdraw', async () => {
    // Other Co: a $240.00 invoice (four months caught up) and a $200.00 manual credit issued to it.
    const manual = await billing.addCredit({ account: 'Other Co', amount: '200', detail: 'Manual', createdBy: 'U_ANA' });
    const first = await billing.bill({ account: 'Other Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-12-31', startedBy: 'U_BILLER' });
    const older = first.invoices[0].number;
    expect(first.invoices[0].total).toBe('240.00');
    const auto = await billing.addCredit({ account: 'Other Co', amount: '200', detail: 'Automatic', autoDisburse: true, createdBy: 'U_ANA' });

    // January's run ($60.00 invoice, issues and auto-disburses the $200.00) against seven $25.00 manual disbursements.
    const settled = await Promise.allSettled([
      racers[0].billing.bill({ account: 'Other Co', configuration: 'Monthly Billing', from: '2027-01-01', to: '2027-01-31', startedBy: 'U_BILLER' }),
      ...racers.slice(1, 8).map((r, i) => r.billing.disburseCredit({ credit: manual.id, invoice: older, amount: '25.00', actor: `U_${i}` })),
    ]);
    expect(settled[0].status).toBe('fulfilled');
    for (const s of settled.slice(1)) {
      if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(DisbursementRefusedError);
    }
    const successes = settled.slice(1).filter((s) => s.status === 'fulfilled').length;
    expect(successes).toBeGreaterThanOrEqual(1);

    const [a, b] = await billing.listInvoices('Other Co');
    expect(a.number).toBe(older);
    const manualView = await billing.getCredit(manual.id);
    const autoView = await billing.getCredit(auto.id);
    expect(autoView).toMatchObject({ status: 'issued', issuedInvoice: b.number });
    expect(manualView.disbursements.map((d) => [d.invoice, d.amount])).toEqual(Array(successes).fill([older, '25.00']));
    // In cents: whatever the order, the automatic credit went oldest first and stopped only when
    // it was used up or every invoice was paid; a manual refusal means the older invoice could not take $25.00.
    const cents = (text: string) => BigInt(text.replace('.', ''));
    const autoToOlder = autoView.disbursements.filter((d) => d.invoice === older).reduce((n, d) => n + cents(d.amount), 0n);
    const autoToNewer = autoView.disbursements.filter((d) => d.invoice === b.number).reduce((n, d) => n + cents(d.amount), 0n);
    expect(cents(a.balance)).toBe(24000n - 2500n * BigInt(successes) - autoToOlder);
    expect(cents(b.balance)).toBe(6000n - autoToNewer);
    if (autoToNewer > 0n) expect(a.balance).toBe('0.00');
    expect(autoView.amountLeft === '0.00' || (a.balance === '0.00' && b.balance === '0.00')).toBe(true);
    if (successes < 7) expect(cents(a.balance)).toBeLessThan(2500n);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
