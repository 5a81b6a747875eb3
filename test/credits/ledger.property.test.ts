import fc from 'fast-check';
import type { Knex } from 'knex';
import { BillingError, createBilling, type Billing } from '../../billing';
import { monthOf, addMonths } from '../../billing/dates';
import { createTestDatabase } from '../helpers/db';
import { clock, ledgerSnapshot, ledgerViolations } from './fixtures';
import { expectUnappliedUsed, paymentSteps, runPaymentStep, type PaymentStep } from '../payments/steps';

// Random sequences of add / bill / disburse / delete / reverse credits, and record / reverse
// payments (test/payments/steps.ts), on a small family of accounts.
// After EVERY step the ledger's invariants are checked by SQL over the real tables
// (ledgerViolations), and each step's outcome is checked against what the rules allow,
// computed from the rows as they were just before it.

// The family: Parent Co invoices itself; Child Co invoices to Parent Co; Sub Co (below Child
// Co) invoices to Child Co, so its invoices also end at Parent Co; Other Co invoices itself.
const ACCOUNTS = ['Parent Co', 'Child Co', 'Sub Co', 'Other Co'] as const;
type AccountName = (typeof ACCOUNTS)[number];
/** Who a bill run on each account bills (itself and the accounts invoicing to it) and its invoicer. */
const BILLS: Record<AccountName, { billed: AccountName[]; invoicer: AccountName }> = {
  'Parent Co': { billed: ['Parent Co', 'Child Co', 'Sub Co'], invoicer: 'Parent Co' },
  'Child Co': { billed: ['Child Co', 'Sub Co'], invoicer: 'Parent Co' },
  'Sub Co': { billed: ['Sub Co'], invoicer: 'Parent Co' },
  'Other Co': { billed: ['Other Co'], invoicer: 'Other Co' },
};

async function setUp(db: Knex): Promise<Billing> {
  const billing = createBilling(db, clock);
  await billing.loadDemo(); // Parent Co, Child Co with $140.00 monthly due 2026-09-15, numbering at 18
  await billing.createAccount({ name: 'Sub Co', currency: 'USD', parent: 'Child Co', invoiceTo: 'Child Co' });
  await billing.createAccount({ name: 'Other Co', currency: 'USD' });
  await billing.createPackage({ name: 'Quarterly Care', currency: 'USD', frequency: 'quarterly', services: [{ name: 'Care', price: '99.99' }] });
  await billing.createPackage({ name: 'Other Plan', currency: 'USD', frequency: 'monthly', services: [{ name: 'Hosting', price: '60.00' }] });
  await billing.addAccountPackage({ account: 'Sub Co', package: 'Quarterly Care', effectiveDate: '2026-09-30', quantity: 2 });
  await billing.addAccountPackage({ account: 'Other Co', package: 'Other Plan', effectiveDate: '2026-09-01' });
  await billing.createConfiguration({ name: 'Charges Only', billPackages: true, generateInvoice: false, billGroups: ['Default'] });
  return billing;
}

type Step =
  | { kind: 'add'; account: number; cents: number; quantity: number; auto: boolean }
  | { kind: 'bill'; account: number; cumulative: boolean; invoice: boolean }
  | { kind: 'disburse'; credit: number; invoice: number; amount: 'most' | 'left' | 'balance' | 'over' | { percentOfMost: number } | number; aimed: boolean }
  | { kind: 'delete'; credit: number; aimed: boolean }
  | { kind: 'reverse'; credit: number; aimed: boolean }
  | PaymentStep;

/**
 * An aimed step picks its credit (and invoice) among those the rules allow, so that most
 * steps do something; the others pick among all, so that refusals are exercised too.
 */
const aimed = fc.integer({ min: 0, max: 3 }).map((n) => n > 0);

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      account: fc.integer({ min: 0, max: 3 }),
      cents: fc.integer({ min: 1, max: 30000 }),
      quantity: fc.integer({ min: 1, max: 3 }),
      auto: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), // one credit in four disburses automatically
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('bill' as const),
      account: fc.integer({ min: 0, max: 3 }),
      cumulative: fc.boolean(),
      invoice: fc.integer({ min: 0, max: 3 }).map((n) => n > 0), // three runs in four generate invoices
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('disburse' as const),
      credit: fc.nat(),
      invoice: fc.nat(),
      amount: fc.oneof(
        fc.constantFrom('most' as const, 'left' as const, 'balance' as const, 'over' as const),
        fc.record({ percentOfMost: fc.integer({ min: 1, max: 100 }) }),
        fc.record({ percentOfMost: fc.integer({ min: 1, max: 100 }) }),
        fc.integer({ min: 1, max: 20000 }),
      ),
      aimed,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), credit: fc.nat(), aimed }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), credit: fc.nat(), aimed }) },
  ...paymentSteps,
);

/** Exact amounts in millionths (the database's numeric(20, 6)), as BigInt. */
function micros(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(6, '0').slice(0, 6));
}
/** Millionths back to typed text in dollars and cents ("12.34"); callers keep whole cents. */
function dollars(value: bigint): string {
  const cents = value / 10000n;
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}
function centsText(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

async function creditRows(db: Knex) {
  return db('credits as c')
    .join('accounts as a', 'a.id', 'c.account_id')
    .leftJoin('invoices as i', 'i.id', 'c.issued_invoice_id')
    .orderBy('c.id')
    .select('c.*', 'a.name as account', 'i.account_id as issued_to');
}

async function expectRefusal(db: Knex, fn: () => Promise<unknown>): Promise<void> {
  const before = await ledgerSnapshot(db);
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof BillingError)) throw new Error(`expected a refusal, got ${error === undefined ? 'success' : String(error)}`);
  expect(error.message).toMatch(/^[^\n]+[.?]$/);
  expect(await ledgerSnapshot(db)).toBe(before); // a refused operation writes nothing
}

async function eventCount(db: Knex): Promise<number> {
  return Number((await db('credit_events').count('* as n').first())!.n);
}

async function runStep(db: Knex, billing: Billing, step: Step, state: { month: string; accountIds: Map<string, number> }): Promise<void> {
  const eventsBefore = await eventCount(db);
  let expectedNewEvents = 0;

  if (step.kind === 'add') {
    const account = ACCOUNTS[step.account];
    const credit = await billing.addCredit({
      account,
      amount: centsText(step.cents),
      quantity: step.quantity,
      detail: 'property test',
      autoDisburse: step.auto,
      createdBy: 'U_PROP',
    });
    expect(micros(credit.amount)).toBe(micros(centsText(step.cents)) * BigInt(step.quantity));
    expect(credit).toMatchObject({ status: 'unissued', account, autoDisburse: step.auto });
    expectedNewEvents = 1;
  }

  if (step.kind === 'bill') {
    state.month = addMonths(state.month, 1, 1);
    const target = ACCOUNTS[step.account];
    const from = step.cumulative ? '2026-09-01' : monthOf(state.month).start;
    const credits = await creditRows(db);
    const disbursementsBefore = Number((await db('disbursements').max('id as m').first())!.m ?? 0);
    const report = await billing.bill({
      account: target,
      configuration: step.invoice ? 'Monthly Billing' : 'Charges Only',
      from,
      to: monthOf(state.month).end,
      startedBy: 'U_RUN',
    });
    expect(report.run.status).toBe('completed');
    const runInvoices = await db('invoices').where('bill_run_id', report.run.id);
    expect(runInvoices.length).toBeLessThanOrEqual(1); // one invoice per invoicer per run; one invoicer here
    if (!step.invoice) expect(runInvoices).toEqual([]);
    const { billed, invoicer } = BILLS[target];
    const covered = new Set<string>([...billed, invoicer]);
    const invoice = runInvoices.find((i: any) => i.account_id === state.accountIds.get(invoicer));
    const after = new Map((await creditRows(db)).map((c: any) => [c.id, c]));
    let issued = 0;
    let reversed = 0;
    for (const c of credits) {
      const now = after.get(c.id);
      const attached = covered.has(c.account) && invoice;
      if (c.status === 'unissued') {
        // Issued onto the run's invoice of its invoicer when it is covered and there is one; else waiting.
        expect([c.id, now.status, now.issued_invoice_id]).toEqual([c.id, attached ? 'issued' : 'unissued', attached ? invoice.id : null]);
        if (attached) {
          issued++;
          if (now.auto_disburse && micros(now.amount_left) > 0n) {
            // Automatic disbursement stops only when the credit is used up or every invoice is paid.
            const open = await db('invoices').where('account_id', state.accountIds.get(invoicer)).where('balance', '>', 0).first('id');
            expect(open).toBeUndefined();
          }
          if (!now.auto_disburse) expect(now.amount_left).toBe(now.amount);
        }
      } else if (c.status === 'reversal pending') {
        expect([c.id, now.status, now.reversal_invoice_id]).toEqual([c.id, attached ? 'reversed' : 'reversal pending', attached ? invoice.id : null]);
        if (attached) reversed++;
      } else {
        expect([c.id, now.status, now.amount_left]).toEqual([c.id, c.status, c.amount_left]);
      }
    }
    const newDisbursements = await db('disbursements').where('id', '>', disbursementsBefore);
    for (const d of newDisbursements) expect(d.automatic).toBe(true);
    if (newDisbursements.length) {
      // Oldest first: every invoice older than the newest one that received money is paid off.
      const newest = await db('invoices').whereIn('id', newDisbursements.map((d: any) => d.invoice_id)).max('number as n').first();
      const unpaidOlder = await db('invoices')
        .where('account_id', state.accountIds.get(invoicer))
        .where('number', '<', newest!.n)
        .where('balance', '>', 0)
        .pluck('number');
      expect(unpaidOlder).toEqual([]);
    }
    expectedNewEvents = issued + reversed + newDisbursements.length;
    // What the invoicer had unapplied on payments went onto the new invoice: one of them is used up.
    if (invoice) await expectUnappliedUsed(db, invoice.id);
  }

  if (step.kind === 'pay' || step.kind === 'reversePayment') await runPaymentStep(db, billing, step, expectRefusal);

  if (step.kind === 'disburse') {
    const all = await creditRows(db);
    const issued = all.filter((c: any) => c.status === 'issued' && micros(c.amount_left) > 0n);
    const credits = step.aimed && issued.length ? issued : all;
    const allInvoices = await db('invoices').orderBy('number');
    const c0 = credits.length ? credits[step.credit % credits.length] : null;
    const open = allInvoices.filter((i: any) => c0 && i.account_id === c0.issued_to && i.status === 'open');
    const invoices = step.aimed && open.length ? open : allInvoices;
    if (credits.length === 0 || invoices.length === 0) {
      await expectRefusal(db, () => billing.disburseCredit({ credit: 'CR-9999', invoice: '9999', amount: '1', actor: 'U_PROP' }));
    } else {
      const c = credits[step.credit % credits.length];
      const i = invoices[step.invoice % invoices.length];
      const left = micros(c.amount_left);
      const balance = micros(i.balance);
      const most = left < balance ? left : balance;
      const amount =
        step.amount === 'most' ? most
        : step.amount === 'left' ? left
        : step.amount === 'balance' ? balance
        : step.amount === 'over' ? most + 10000n
        : typeof step.amount === 'object' ? ((most * BigInt(step.amount.percentOfMost)) / 100n / 10000n) * 10000n || 10000n
        : micros(centsText(step.amount));
      const allowed =
        c.status === 'issued' && c.issued_to === i.account_id && i.status === 'open' && left > 0n && amount > 0n && amount <= left && amount <= balance;
      const input = {
        credit: `CR-${c.id}`,
        invoice: String(i.number),
        amount: step.amount === 'most' ? undefined : dollars(amount),
        actor: 'U_PROP',
      };
      if (allowed) {
        const result = await billing.disburseCredit(input);
        expect(micros(result.disbursed)).toBe(amount);
        const [c2, i2] = [await db('credits').where('id', c.id).first(), await db('invoices').where('id', i.id).first()];
        expect(micros(c2.amount_left)).toBe(left - amount);
        expect(micros(i2.balance)).toBe(balance - amount);
        expectedNewEvents = 1;
      } else {
        await expectRefusal(db, () => billing.disburseCredit(input));
      }
    }
  }

  if (step.kind === 'delete' || step.kind === 'reverse') {
    const all = await creditRows(db);
    const wanted = all.filter((c: any) => c.status === (step.kind === 'delete' ? 'unissued' : 'issued'));
    const credits = step.aimed && wanted.length ? wanted : all;
    const c = credits.length ? credits[step.credit % credits.length] : null;
    const id = c ? `CR-${c.id}` : 'CR-9999';
    const allowed = c !== null && c.status === (step.kind === 'delete' ? 'unissued' : 'issued');
    if (!allowed) {
      await expectRefusal(db, () => (step.kind === 'delete' ? billing.deleteCredit(id, 'U_PROP') : billing.reverseCredit(id, 'U_PROP')));
    } else if (step.kind === 'delete') {
      expect(await billing.deleteCredit(id, 'U_PROP')).toMatchObject({ status: 'deleted', amountLeft: '0.00' });
      expectedNewEvents = 1;
    } else {
      const view = await billing.reverseCredit(id, 'U_PROP');
      expect(view.status).toBe('reversal pending');
      expect(micros(view.reversedAmount!)).toBe(micros(c!.amount) - micros(c!.amount_left));
      expectedNewEvents = 1;
    }
  }

  // A credit_events row for every credit action, and none for a refused one.
  expect(await eventCount(db)).toBe(eventsBefore + expectedNewEvents);
  // The ledger's invariants, by SQL over the real tables.
  expect(await ledgerViolations(db)).toEqual([]);
}

describe('the credits ledger under random sequences of operations', () => {
  it('keeps every invariant after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 20, size: 'max' }), async (steps) => {
        const database = await createTestDatabase();
        try {
          const billing = await setUp(database.db);
          const accountIds = new Map<string, number>(
            (await database.db('accounts').select('id', 'name')).map((a: any) => [a.name as string, a.id as number]),
          );
          const state = { month: '2026-08-01', accountIds };
          for (const step of steps) await runStep(database.db, billing, step, state);
        } finally {
          await database.drop();
        }
      }),
      { numRuns: 20, endOnFailure: true },
    );
  }, 240_000); // 20 random sequences of up to 20 steps, each checked by SQL: a minute, two on a loaded machine
});
