import type { Knex } from 'knex';
import type { Billing } from '../../billing';
import { applyPayments } from '../../billing/payments/ledger';
import { useTestDatabase } from '../helpers/db';
import { billMonth, ledgerSnapshot, ledgerViolations, pgError, setUpFamily } from '../credits/fixtures';

// What the database itself refuses, whatever code runs against it (migration 132): changing or
// removing an application or a payment beyond its two allowed changes, a reference recorded
// twice on one account, and committing a balance or an unapplied amount that does not match.

describe('the database guards of the payments ledger', () => {
  const t = useTestDatabase();
  let billing: Billing;
  let paymentId: number;
  let invoiceId: number;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
    await billMonth(billing, 'Child Co', '2026-09'); // #18, $140
    await billMonth(billing, 'Other Co', '2026-09'); // #19, $60, another invoicer
    await billing.recordPayment({ account: 'Parent Co', amount: '100', reference: 'CHQ-1', to: [{ invoice: '18', amount: '40' }] }, 'U_FIN');
    paymentId = (await t.db('payments').first('id')).id;
    invoiceId = (await t.db('invoices').where('number', 18).first('id')).id;
  });

  afterEach(async () => {
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it.each([
    ['UPDATE', (db: Knex) => db('payment_applications').update({ amount: '1' })],
    ['DELETE', (db: Knex) => db('payment_applications').del()],
    ['TRUNCATE', (db: Knex) => db.raw('TRUNCATE payment_applications CASCADE')],
    ['DELETE of a payment', (db: Knex) => db('payments').del()],
    ['TRUNCATE of payments', (db: Knex) => db.raw('TRUNCATE payments CASCADE')],
  ])('refuses %s', async (_label, change) => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() => change(t.db));
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/the payment ledger only grows/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it.each([
    ['its amount', { amount: '200' }],
    ['its reference', { reference: 'CHQ-2' }],
    ['its account', { account_id: 3 }],
    ['its unapplied amount upwards', { unapplied: '70' }],
    ['a reversal that keeps something unapplied', { status: 'reversed', reversal_reason: 'x', reversed_by: 'U', reversed_at: new Date() }],
  ])('refuses a change of %s', async (_label, patch) => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() => t.db('payments').where('id', paymentId).update(patch));
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/a payment is changed only by applying what it has unapplied or by reversing it once/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses the same reference twice on one account (a constraint, not only a check in code)', async () => {
    const error = await pgError(() =>
      t.db('payments').insert({ account_id: 1, currency: 'USD', amount: '1', unapplied: '1', received_on: '2026-10-01', reference: 'CHQ-1', created_by: 'U' }),
    );
    expect(error).toMatchObject({ code: '23505', constraint: 'payments_account_reference_key' });
  });

  it('refuses at the commit a balance or an unapplied amount that does not add up', async () => {
    const before = await ledgerSnapshot(t.db);
    const balance = await pgError(() => t.db.transaction((trx) => trx('invoices').where('id', invoiceId).update({ balance: '50' })));
    expect(balance.message).toMatch(/less payments applied 40\.000000 plus payments reversed 0 is 100\.000000/);
    const unapplied = await pgError(() => t.db.transaction((trx) => trx('payments').where('id', paymentId).update({ unapplied: '10' })));
    expect(unapplied.message).toMatch(/payment PM-000001 \(recorded\) of 100\.000000 has 40\.000000 applied, 0 reversed and 10\.000000 unapplied/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it("refuses from code that skips the checks: above a balance, or onto another invoicer's invoice", async () => {
    const before = await ledgerSnapshot(t.db);
    const other = (await t.db('invoices').where('number', 19).first('id')).id;
    const over = await pgError(() =>
      t.db.transaction((trx) => applyPayments(trx, [{ paymentId, invoiceId, amount: '100.01' }], 'U', { automatic: false })),
    );
    expect(over.code).toBe('23514'); // the invoice's own check: balance >= 0 (or the payment's unapplied >= 0)
    const foreign = await pgError(() =>
      t.db.transaction((trx) => applyPayments(trx, [{ paymentId, invoiceId: other, amount: '1' }], 'U', { automatic: false })),
    );
    expect(foreign.message).toMatch(/applied to an invoice of another account or currency/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it.each([
    ['payment_id', { payment_id: 999999 }, 'payments'],
    ['invoice_id', { invoice_id: 999999 }, 'invoices'],
    ['reverses_id', { kind: 'reversed', reverses_id: 999999 }, 'payment_applications'],
  ])('refuses an application whose %s names no row (a key checked once per statement)', async (column, patch, table) => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() =>
      t.db.transaction((trx) =>
        trx('payment_applications').insert({ payment_id: paymentId, invoice_id: invoiceId, kind: 'applied', amount: '1', created_by: 'U', ...patch }),
      ),
    );
    expect(error).toMatchObject({ code: '23503', constraint: `payment_applications_${column}_fkey` });
    expect((error as { detail?: string }).detail).toBe(`Key (${column})=(999999) is not present in table "${table}".`);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses a payment whose account does not exist, and a second reversal of one application', async () => {
    const before = await ledgerSnapshot(t.db);
    const noAccount = await pgError(() =>
      t.db('payments').insert({ account_id: 999999, currency: 'USD', amount: '1', unapplied: '1', received_on: '2026-10-01', reference: 'NOBODY', created_by: 'U' }),
    );
    expect(noAccount).toMatchObject({ code: '23503', constraint: 'payments_account_id_fkey' });
    expect((noAccount as { detail?: string }).detail).toBe('Key (account_id)=(999999) is not present in table "accounts".');
    const application = (await t.db('payment_applications').where({ payment_id: paymentId, kind: 'applied' }).first('id', 'amount')) as { id: number; amount: string };
    const twice = await pgError(() =>
      t.db.transaction((trx) =>
        trx('payment_applications').insert([1, 2].map(() => ({ payment_id: paymentId, invoice_id: invoiceId, kind: 'reversed', reverses_id: application.id, amount: application.amount, created_by: 'U' }))),
      ),
    );
    expect(twice).toMatchObject({ code: '23505', constraint: 'payment_applications_reverses_id_key' });
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('checks the keys of a big statement as one join, with the same refusal (migration 180)', async () => {
    const before = await ledgerSnapshot(t.db);
    const many = 10_500; // at least migration 180's big statement
    const noAccount = await pgError(() =>
      t.db.raw(
        `INSERT INTO payments (account_id, currency, amount, unapplied, received_on, reference, created_by)
         SELECT CASE WHEN g = 7777 THEN 999998 ELSE 1 END, 'USD', 1, 1, '2026-10-01', 'BIG-' || g, 'U' FROM generate_series(1, ?) g`,
        [many],
      ),
    );
    expect(noAccount).toMatchObject({ code: '23503', constraint: 'payments_account_id_fkey' });
    expect((noAccount as { detail?: string }).detail).toBe('Key (account_id)=(999998) is not present in table "accounts".');
    const noInvoice = await pgError(() =>
      t.db.raw(
        `INSERT INTO payment_applications (payment_id, invoice_id, kind, amount, created_by)
         SELECT ?, CASE WHEN g = 9001 THEN 999997 ELSE ? END, 'applied', 0.01, 'U' FROM generate_series(1, ?) g`,
        [paymentId, invoiceId, many],
      ),
    );
    expect(noInvoice).toMatchObject({ code: '23503', constraint: 'payment_applications_invoice_id_fkey' });
    expect((noInvoice as { detail?: string }).detail).toBe('Key (invoice_id)=(999997) is not present in table "invoices".');
    const other = (await t.db('invoices').where('number', 19).first('id')).id;
    const foreign = await pgError(() =>
      t.db.raw(
        `INSERT INTO payment_applications (payment_id, invoice_id, kind, amount, created_by)
         SELECT ?, CASE WHEN g = 4242 THEN ?::bigint ELSE ?::bigint END, 'applied', 0.01, 'U' FROM generate_series(1, ?) g`,
        [paymentId, other, invoiceId, many],
      ),
    );
    expect(foreign.message).toMatch(/payment PM-000001 is applied to an invoice of another account or currency/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses, as the rows are written, a reversal that does not give back its own application (migration 183)', async () => {
    const before = await ledgerSnapshot(t.db);
    const application = (await t.db('payment_applications').where({ payment_id: paymentId, kind: 'applied' }).first('id', 'amount')) as { id: number; amount: string };
    const other = (await t.db('invoices').where('number', 19).first('id')).id;
    for (const patch of [{ amount: '1' }, { invoice_id: other }]) {
      const wrong = await pgError(() =>
        t.db.transaction((trx) =>
          trx('payment_applications').insert({ payment_id: paymentId, invoice_id: invoiceId, kind: 'reversed', reverses_id: application.id, amount: application.amount, created_by: 'U', ...patch }),
        ),
      );
      expect(wrong.code).toBe('23514');
      expect(wrong.message).toMatch(patch.amount ? /payment PM-000001 has a reversal that does not give back its own application/ : /payment PM-000001 is applied to an invoice of another account or currency/);
    }
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('allows the reversal, once, and nothing after it', async () => {
    await billing.reversePayment('PM-000001', 'Returned', 'U_FIN');
    const error = await pgError(() => t.db('payments').where('id', paymentId).update({ reversal_reason: 'Another reason' }));
    expect(error.code).toBe('42501');
    expect((await billing.getInvoice('18')).balance).toBe('140.00');
  });
});
