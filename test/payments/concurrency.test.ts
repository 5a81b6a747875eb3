import type { Knex } from 'knex';
import { BillingError, createBilling, type Billing } from '../../billing';
import { createDb } from '../../billing/db';
import { useTestDatabase } from '../helpers/db';
import { billMonth, clock, ledgerViolations, setUpFamily } from '../credits/fixtures';

// Payments racing for the same invoice's last balance, and a payment racing a credit
// disbursement, each on its own database connection (real Postgres, concurrent transactions):
// never more than the balance is applied, the losers are refused with one sentence (or keep
// their money unapplied), and the ledger's invariants hold.

const RACERS = 6;

describe('racing payments', () => {
  // Declared before the database's own hooks: jest runs this one first, while the database exists.
  afterEach(async () => {
    expect(await ledgerViolations(t.db)).toEqual([]);
    await Promise.all(racers.map((r) => r.db.destroy()));
  });
  const t = useTestDatabase({ each: true });
  let billing: Billing;
  let racers: { db: Knex; billing: Billing }[] = [];

  beforeEach(async () => {
    billing = await setUpFamily(t.db);
    await billMonth(billing, 'Child Co', '2026-09'); // INV-000018, $140.00 to Parent Co
    racers = Array.from({ length: RACERS }, () => {
      const db = createDb(t.url, { poolMax: 1 });
      return { db, billing: createBilling(db, clock) };
    });
    await Promise.all(racers.map((r) => r.db.raw('SELECT 1')));
  });

  /** Waits until `n` sessions of this database wait for a lock. */
  async function waitForWaiters(n: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const { rows } = await t.db.raw("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (rows[0].n >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${n} sessions ever waited for the lock`);
  }

  /** Runs the attempts at once, each on its own connection; with a gate, held behind Parent Co's row lock until all wait. */
  async function race(attempts: ((b: Billing) => Promise<unknown>)[], gated: boolean) {
    let release: (() => void) | undefined;
    let holder: Promise<void> | undefined;
    if (gated) {
      await new Promise<void>((locked) => {
        holder = t.db.transaction(async (trx) => {
          await trx('accounts').where('name', 'Parent Co').forUpdate().first('id');
          locked();
          await new Promise<void>((r) => (release = r));
        });
      });
    }
    const outcomes = attempts.map((attempt, i) => attempt(racers[i].billing).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })));
    if (gated) {
      await waitForWaiters(attempts.length);
      release?.();
      await holder;
    }
    const settled = await Promise.all(outcomes);
    for (const o of settled) if (!o.ok && !(o.error instanceof BillingError)) throw o.error; // a deadlock, a check violation: a bug
    return settled;
  }

  const balanceOf18 = async () => (await billing.getInvoice('18')).balance;

  it.each([
    ['held at a gate', true],
    ['started together', false],
  ])('six payments naming $30.00 each of a $140.00 balance: four are applied, two refused (%s)', async (_label, gated) => {
    const settled = await race(
      racers.map((_r, i) => (b: Billing) => b.recordPayment({ account: 'Parent Co', amount: '30', reference: `R-${i}`, to: [{ invoice: '18', amount: '30' }] }, 'U_RACE')),
      gated,
    );
    expect(settled.filter((o) => o.ok)).toHaveLength(4);
    for (const o of settled.filter((x) => !x.ok)) expect((o as { error: BillingError }).error.code).toBe('over_balance');
    expect(await balanceOf18()).toBe('20.00');
    expect(await t.db('payments').count('* as n').first()).toEqual({ n: 4 });
  });

  it.each([
    ['held at a gate', true],
    ['started together', false],
  ])('six $30.00 payments to the oldest unpaid invoices: $140.00 applied in all, the rest kept unapplied (%s)', async (_label, gated) => {
    const settled = await race(racers.map((_r, i) => (b: Billing) => b.recordPayment({ account: 'Parent Co', amount: '30', reference: `A-${i}` }, 'U_RACE')), gated);
    expect(settled.every((o) => o.ok)).toBe(true);
    expect(await balanceOf18()).toBe('0.00');
    const { rows } = await t.db.raw(`SELECT sum(amount - unapplied)::numeric(20,2)::text AS applied, sum(unapplied)::numeric(20,2)::text AS unapplied FROM payments`);
    expect(rows[0]).toEqual({ applied: '140.00', unapplied: '40.00' });
  });

  it.each([
    ['held at a gate', true],
    ['started together', false],
  ])('a payment and a credit disbursement racing for the last $50.00: exactly one is applied (%s)', async (_label, gated) => {
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Race', createdBy: 'U_RACE' });
    await billMonth(billing, 'Child Co', '2026-10'); // issues the credit onto INV-000019
    await billing.recordPayment({ account: 'Parent Co', amount: '90', to: [{ invoice: '18' }] }, 'U_RACE'); // #18: $50.00 left
    const settled = await race(
      [
        (b) => b.recordPayment({ account: 'Parent Co', amount: '50', reference: 'LAST', to: [{ invoice: '18', amount: '50' }] }, 'U_RACE'),
        (b) => b.disburseCredit({ credit: credit.id, invoice: '18', amount: '50', actor: 'U_RACE' }),
      ],
      gated,
    );
    expect(settled.filter((o) => o.ok)).toHaveLength(1);
    const loser = settled.find((o) => !o.ok) as { error: BillingError };
    // The payment, losing, finds the invoice paid; the disbursement, losing, finds nothing left on it.
    expect(['payment_invoice', 'disbursement_refused']).toContain(loser.error.code);
    expect(await balanceOf18()).toBe('0.00');
  });

  it('six payments with the same reference at once: one is recorded, five refused as duplicates', async () => {
    const settled = await race(racers.map(() => (b: Billing) => b.recordPayment({ account: 'Parent Co', amount: '10', reference: 'CHQ-7' }, 'U_RACE')), false);
    expect(settled.filter((o) => o.ok)).toHaveLength(1);
    for (const o of settled.filter((x) => !x.ok)) expect((o as { error: BillingError }).error.code).toBe('duplicate_payment');
    expect(await balanceOf18()).toBe('130.00');
  });
});
