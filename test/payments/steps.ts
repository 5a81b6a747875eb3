import fc from 'fast-check';
import type { Knex } from 'knex';
import type { Billing } from '../../billing';

/**
 * The payment steps of the ledger's property test (test/credits/ledger.property.test.ts): record
 * a payment (on any account, to a named invoice or to the oldest unpaid ones, with references
 * that repeat) and reverse one, each checked against what the rules allow, computed from the
 * rows as they were just before it. The ledger's invariants are checked after every step there.
 */
export type PaymentStep =
  | { kind: 'pay'; account: number; cents: number; named: boolean; invoice: number; reference: number }
  | { kind: 'reversePayment'; payment: number; aimed: boolean };

const ACCOUNTS = ['Parent Co', 'Child Co', 'Sub Co', 'Other Co'];

export const paymentSteps: { weight: number; arbitrary: fc.Arbitrary<PaymentStep> }[] = [
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      account: fc.integer({ min: 0, max: 3 }),
      cents: fc.integer({ min: 1, max: 40000 }),
      named: fc.boolean(),
      invoice: fc.nat(),
      reference: fc.integer({ min: 0, max: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reversePayment' as const), payment: fc.nat(), aimed: fc.boolean() }) },
];

/** Cents from the database's numeric text ("12.340000"); payments here are in whole cents. */
function cents(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(2, '0').slice(0, 2));
}
const dollars = (c: bigint) => `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;

type Refusal = (db: Knex, fn: () => Promise<unknown>) => Promise<void>;

/** After a bill run: the new invoice is paid off, or its invoicer has nothing unapplied left. */
export async function expectUnappliedUsed(db: Knex, invoiceId: number): Promise<void> {
  const invoice = await db('invoices').where('id', invoiceId).first('account_id', 'balance');
  const waiting = await db('payments').where({ account_id: invoice.account_id, status: 'recorded' }).where('unapplied', '>', 0).first('id');
  expect({ balanceLeft: cents(invoice.balance) > 0n, unappliedLeft: Boolean(waiting) }).not.toEqual({ balanceLeft: true, unappliedLeft: true });
}

async function pay(db: Knex, billing: Billing, step: Extract<PaymentStep, { kind: 'pay' }>, refused: Refusal): Promise<void> {
  const account = await db('accounts').where('name', ACCOUNTS[step.account]).first('id', 'invoicer_id');
  const reference = `R-${step.reference}`;
  const all = await db('invoices').orderBy('number');
  const named = step.named && all.length ? all[step.invoice % all.length] : null;
  const unpaid = all.filter((i: any) => i.account_id === account.id && cents(i.balance) > 0n);
  const taken = await db('payments').where({ account_id: account.id, reference }).first('id');
  const amount = BigInt(step.cents);
  const input = { account: ACCOUNTS[step.account], amount: dollars(amount), reference, to: named ? [{ invoice: String(named.number) }] : [] };
  const allowed = !account.invoicer_id && !taken && (!named || (named.account_id === account.id && cents(named.balance) > 0n));
  if (!allowed) return refused(db, () => billing.recordPayment(input, 'U_PROP'));
  const payment = await billing.recordPayment(input, 'U_PROP');
  const open = named ? [named] : unpaid;
  const room = open.reduce((sum: bigint, i: any) => sum + cents(i.balance), 0n);
  const applied = amount < room ? amount : room;
  expect(payment.applications.reduce((sum, a) => sum + cents(a.amount), 0n)).toBe(applied);
  expect(cents(payment.unapplied)).toBe(amount - applied);
  // Oldest due date first: an invoice is paid only once every invoice due before it is paid off.
  const touched = new Set(payment.applications.map((a) => a.invoice));
  if (!named) for (const a of payment.applications.slice(0, -1)) expect(a.invoiceStatus).toBe('paid');
  expect(touched.size).toBe(payment.applications.length);
}

async function reverse(db: Knex, billing: Billing, step: Extract<PaymentStep, { kind: 'reversePayment' }>, refused: Refusal): Promise<void> {
  const all = await db('payments').orderBy('id');
  const recorded = all.filter((p: any) => p.status === 'recorded');
  const pool = step.aimed && recorded.length ? recorded : all;
  const p = pool.length ? pool[step.payment % pool.length] : null;
  const number = p ? `PM-${p.id}` : 'PM-999999';
  if (!p || p.status !== 'recorded') return refused(db, () => billing.reversePayment(number, 'property test', 'U_PROP'));
  const applied = await db('payment_applications').where({ payment_id: p.id, kind: 'applied' });
  const before = new Map((await db('invoices').select('id', 'balance')).map((i: any) => [i.id, cents(i.balance)]));
  const view = await billing.reversePayment(number, 'property test', 'U_PROP');
  expect(view).toMatchObject({ status: 'reversed', unapplied: '0.00' });
  const back = new Map<number, bigint>();
  for (const a of applied) back.set(a.invoice_id, (back.get(a.invoice_id) ?? 0n) + cents(a.amount));
  for (const [id, amount] of back) expect(cents((await db('invoices').where('id', id).first('balance')).balance)).toBe(before.get(id)! + amount);
}

export async function runPaymentStep(db: Knex, billing: Billing, step: PaymentStep, refused: Refusal): Promise<void> {
  if (step.kind === 'pay') await pay(db, billing, step, refused);
  else await reverse(db, billing, step, refused);
}
