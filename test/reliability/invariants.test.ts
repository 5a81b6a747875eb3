import fc from 'fast-check';
import type { Knex } from 'knex';
import { createBilling } from '../../billing';
import { executeCommand, parseCommand, type Outcome, type SlashCommand } from '../../bot/commands';
import { ledgerSnapshot, ledgerViolations } from '../credits/fixtures';
import { createTestDatabase } from '../helpers/db';

// Random sequences of what people type (bill an account, run the bill groups, preview, add,
// disburse, reverse and delete credits, record and reverse payments), some delivered twice and some at the same time as
// another, through the one parser and executor. After every step the ledger's invariants are
// checked by SQL over the real tables (ledgerViolations, shared with the credits tests):
// invoice total = its charges + reversed credits; balance = total - disbursements - payments
// applied + payments reversed, between zero and the total; a payment's applied + unapplied = its
// amount; a credit's amount left never below zero; invoice numbers unique and gapless; an
// account package billed at most once per period; a credit_events row for every credit
// action. And the audit trails only grow: no row of credit_events or audit_log seen before
// ever changes or disappears (the database refuses it, checked at the end).
// test/credits/ledger.property.test.ts checks each credit step's outcome against the rules.

const ACCOUNTS = ['Parent Co', 'Child Co', 'Acme', 'Acme Labs', 'Solo'];
const MONTHS = ['2026-09', '2026-10', '2026-11', '2026-12'];
const CLOCK = { now: () => new Date('2026-12-20T12:00:00Z') };

async function setUp(db: Knex): Promise<void> {
  const billing = createBilling(db, CLOCK);
  await billing.loadDemo(); // Parent Co, Child Co ($140.00 monthly due 2026-09-15), Monthly Billing, numbering at 18
  await billing.createAccount({ name: 'Acme', currency: 'USD' });
  await billing.createAccount({ name: 'Acme Labs', currency: 'USD', parent: 'Acme', invoiceTo: 'Acme' });
  await billing.createAccount({ name: 'Solo', currency: 'USD' });
  await billing.createPackage({ name: 'Lab Care', currency: 'USD', frequency: 'quarterly', services: [{ name: 'Care', price: '99.99' }, { name: 'Parts', price: '0.01' }] });
  await billing.createPackage({ name: 'Solo Plan', currency: 'USD', frequency: 'monthly', services: [{ name: 'Hosting', price: '60.00' }] });
  await billing.addAccountPackage({ account: 'Acme Labs', package: 'Lab Care', effectiveDate: '2026-09-30', quantity: 2 });
  await billing.addAccountPackage({ account: 'Acme', package: 'Solo Plan', effectiveDate: '2026-10-01' });
  await billing.addAccountPackage({ account: 'Solo', package: 'Solo Plan', effectiveDate: '2026-09-01' });
  await billing.createConfiguration({ name: 'Charges Only', billPackages: true, generateInvoice: false, billGroups: ['Default'] });
}

type Step =
  | { kind: 'bill'; account: number; from: number; to: number; chargesOnly: boolean; preview: boolean }
  | { kind: 'run'; from: number; to: number; preview: boolean }
  | { kind: 'add'; account: number; cents: number; auto: boolean }
  | { kind: 'disburse'; credit: number; invoice: number; cents: number | null }
  | { kind: 'reverse' | 'delete'; credit: number }
  | { kind: 'pay'; account: number; cents: number; reference: number; invoice: number | null }
  | { kind: 'unpay'; payment: number };

const month = fc.integer({ min: 0, max: MONTHS.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('bill' as const), account: fc.nat(ACCOUNTS.length - 1), from: month, to: month, chargesOnly: fc.boolean(), preview: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('run' as const), from: month, to: month, preview: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), account: fc.nat(ACCOUNTS.length - 1), cents: fc.integer({ min: 1, max: 20000 }), auto: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('disburse' as const), credit: fc.nat(), invoice: fc.nat(), cents: fc.option(fc.integer({ min: 1, max: 20000 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('reverse' as const, 'delete' as const), credit: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('pay' as const), account: fc.nat(ACCOUNTS.length - 1), cents: fc.integer({ min: 1, max: 30000 }), reference: fc.nat(5), invoice: fc.option(fc.nat()) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unpay' as const), payment: fc.nat() }) },
);
/** One step, the same step delivered twice (same request key), or two steps at once. */
const move = fc.oneof(
  { weight: 6, arbitrary: step.map((s) => ({ steps: [s], twice: false })) },
  { weight: 1, arbitrary: step.map((s) => ({ steps: [s], twice: true })) },
  { weight: 2, arbitrary: fc.tuple(step, step).map((s) => ({ steps: s, twice: false })) },
);

const dollars = (cents: number) => `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

async function commandText(db: Knex, s: Step): Promise<[SlashCommand, string]> {
  const period = (from: number, to: number) => {
    const [a, b] = [Math.min(from, to), Math.max(from, to)];
    const end = new Date(Date.UTC(Number(MONTHS[b].slice(0, 4)), Number(MONTHS[b].slice(5)), 0)).toISOString().slice(0, 10);
    return `from ${MONTHS[a]}-01 to ${end}`;
  };
  switch (s.kind) {
    case 'bill':
      return ['/bill', `"${ACCOUNTS[s.account]}" using ${s.chargesOnly ? 'Charges Only' : 'Monthly Billing'} ${period(s.from, s.to)}${s.preview ? ' preview' : ''}`];
    case 'run':
      return ['/billing', `run Monthly Billing ${period(s.from, s.to)}${s.preview ? ' preview' : ''}`];
    case 'add':
      return ['/credit', `add "${ACCOUNTS[s.account]}" ${dollars(s.cents)} Random credit${s.auto ? ' auto' : ''}`];
    case 'disburse': {
      // Mostly a credit and an invoice that exist (refusals are fine too).
      const credits: number[] = await db('credits').orderBy('id').pluck('id');
      const invoices: number[] = await db('invoices').orderBy('number').pluck('number');
      const credit = credits.length ? credits[s.credit % credits.length] : 999;
      const invoice = invoices.length ? invoices[s.invoice % invoices.length] : 999;
      return ['/credit', `disburse CR-${credit} ${invoice}${s.cents ? ` ${dollars(s.cents)}` : ''}`];
    }
    case 'pay': {
      const invoices: number[] = await db('invoices').orderBy('number').pluck('number');
      const to = s.invoice !== null && invoices.length ? ` to ${invoices[s.invoice % invoices.length]}` : '';
      return ['/payment', `add "${ACCOUNTS[s.account]}" ${dollars(s.cents)} ref R-${s.reference}${to}`];
    }
    case 'unpay': {
      const payments: number[] = await db('payments').orderBy('id').pluck('id');
      return ['/payment', `reverse PM-${payments.length ? payments[s.payment % payments.length] : 999} Random reversal`];
    }
    default: {
      const credits: number[] = await db('credits').orderBy('id').pluck('id');
      return ['/credit', `${s.kind} CR-${credits.length ? credits[s.credit % credits.length] : 999}`];
    }
  }
}

/** Rows of an append-only table, keyed by id, as text. */
async function rowsById(db: Knex, table: string): Promise<Map<number, string>> {
  return new Map((await db(table).orderBy('id')).map((r: { id: number }) => [r.id, JSON.stringify(r)]));
}

describe('billing under random sequences of commands', () => {
  it('keeps every invariant after every step', async () => {
    let keys = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(move, { minLength: 5, maxLength: 18 }), async (moves) => {
        const database = await createTestDatabase();
        const db = database.db;
        try {
          await setUp(db);
          const errors: string[] = [];
          const services = { billing: createBilling(db, CLOCK), log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) } };
          let events = await rowsById(db, 'credit_events');
          let applications = await rowsById(db, 'payment_applications');
          for (const m of moves) {
            const typed = await Promise.all(m.steps.map((s) => commandText(db, s)));
            const before = typed.every(([, text]) => text.endsWith(' preview')) ? await ledgerSnapshot(db) : null;
            const run = (command: SlashCommand, text: string, requestKey: string): Promise<Outcome> =>
              executeCommand(services, parseCommand(command, text), { actor: 'U_PROP', channel: 'C_PROP', requestKey });
            const outcomes = await Promise.all(
              typed.flatMap(([command, text]) => {
                const key = `prop:${++keys}`;
                return m.twice ? [run(command, text, key), run(command, text, key)] : [run(command, text, key)];
              }),
            );
            // Never an unexpected failure: a refusal is a sentence, anything else a bug.
            expect(errors).toEqual([]);
            expect(outcomes.filter((o) => o.kind === 'error' && o.code === 'internal')).toEqual([]);
            if (before !== null) expect(await ledgerSnapshot(db)).toBe(before); // a preview changes nothing
            if (m.twice && typed[0][1].startsWith('add ')) {
              // A credit is added once; a payment at most once (it may be refused: a reference taken, an account invoicing to another).
              const [table, most] = typed[0][0] === '/payment' ? ['payments', [0, 1]] : ['credits', [1]];
              expect(most).toContain(Number((await db(table).where('request_key', `prop:${keys}`).count('* as n').first())!.n));
            }
            expect(await ledgerViolations(db)).toEqual([]);
            // The credit audit trail only grows: every row seen before is still there, unchanged.
            const now = await rowsById(db, 'credit_events');
            for (const [id, row] of events) expect([id, now.get(id)]).toEqual([id, row]);
            events = now;
            // So does the payment ledger.
            const applied = await rowsById(db, 'payment_applications');
            for (const [id, row] of applications) expect([id, applied.get(id)]).toEqual([id, row]);
            applications = applied;
          }
        } finally {
          await database.drop();
        }
      }),
      { numRuns: 12, endOnFailure: true },
    );
  }, 120_000);

  it('previews and bills one invoicer from several requests at once without a deadlock', async () => {
    const database = await createTestDatabase();
    try {
      const db = database.db;
      await setUp(db);
      const billing = createBilling(db, CLOCK);
      const request = (account: string, n: number) => ({ account, configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-12-31', startedBy: 'U_P', requestKey: `at-once:${n}` });
      // Found by the random sequences above: two previews of Acme at once deadlocked.
      const results = await Promise.allSettled([
        ...[1, 2, 3, 4].map((n) => billing.previewBill(request('Acme', n))),
        ...[5, 6].map((n) => billing.previewBill(request('Parent Co', n))),
        billing.bill(request('Acme', 7)),
        billing.bill(request('Acme Labs', 8)),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await ledgerViolations(db)).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it('is guarded by the database: the audit trails and disbursements cannot be changed or removed', async () => {
    const database = await createTestDatabase();
    try {
      const db = database.db;
      await setUp(db);
      const billing = createBilling(db, CLOCK);
      const credit = await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Guard', createdBy: 'U_G' });
      await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_G' });
      await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '10', actor: 'U_G' });
      await db('audit_log').insert({ actor: 'U_G', source: 'test', command: '/credit', decision: 'allowed' });
      await db('setup_imports').insert({ actor: 'U_G', summary: JSON.stringify({ accounts: 1 }) });
      for (const table of ['credit_events', 'audit_log', 'setup_imports', 'disbursements']) {
        const rows = await rowsById(db, table);
        expect(rows.size).toBeGreaterThan(0);
        const column = table === 'disbursements' ? 'created_by' : 'actor';
        await expect(db(table).update({ [column]: 'someone else' })).rejects.toThrow(/can only grow|never changed or removed/);
        await expect(db(table).del()).rejects.toThrow(/can only grow|never changed or removed/);
        await expect(db.raw(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/can only grow|never changed or removed/);
        expect(await rowsById(db, table)).toEqual(rows);
      }
    } finally {
      await database.drop();
    }
  });
});
