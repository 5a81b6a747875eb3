import type { Knex } from 'knex';
import type { Billing } from '../../billing';
import { applyDisbursements } from '../../billing/ledger';
import { useTestDatabase } from '../helpers/db';
import { billMonth, ledgerSnapshot, ledgerViolations, pgError, setUpFamily } from './fixtures';

// What the database itself refuses, whatever code runs against it: changing the credit audit
// trail or a disbursement, and committing an invoice balance or a credit's amount left that
// does not match the disbursements.

describe('the database guards of the credits ledger', () => {
  const t = useTestDatabase();
  let billing: Billing;
  let creditId: number;
  let invoiceId: number;
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '50', detail: 'Outage', createdBy: 'U_ANA' });
    await billMonth(billing, 'Child Co', '2026-09'); // #18, $140
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '20', actor: 'U_BEN' });
    creditId = Number(credit.id.slice(3));
    invoiceId = (await t.db('invoices').where('number', 18).first('id')).id;
  });

  it.each([
    ['UPDATE', (db: Knex) => db('credit_events').update({ actor: 'someone else' })],
    ['UPDATE of one row', (db: Knex) => db('credit_events').where('action', 'disbursed').update({ after: null })],
    ['DELETE', (db: Knex) => db('credit_events').del()],
    ['TRUNCATE', (db: Knex) => db.raw('TRUNCATE credit_events CASCADE')],
  ])('refuses %s on credit_events', async (_label, change) => {
    const before = await t.db('credit_events').orderBy('id');
    expect(before.map((e: any) => e.action)).toEqual(['added', 'issued', 'disbursed']);
    const error = await pgError(() => change(t.db));
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/the audit trail can only grow: (UPDATE|DELETE|TRUNCATE) on credit_events is refused/);
    expect(await t.db('credit_events').orderBy('id')).toEqual(before);
  });

  it.each([
    ['UPDATE', (db: Knex) => db('disbursements').update({ amount: '1' })],
    ['DELETE', (db: Knex) => db('disbursements').del()],
    ['TRUNCATE', (db: Knex) => db.raw('TRUNCATE disbursements CASCADE')],
  ])('refuses %s on disbursements', async (_label, change) => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() => change(t.db));
    expect(error.code).toBe('42501');
    expect(error.message).toMatch(/a disbursement is never changed or removed/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it.each([
    ['an invoice balance changed alone', (trx: Knex.Transaction) => trx('invoices').where('id', invoiceId).update({ balance: '100' }), /invoice 18 has balance 100/],
    ['an invoice total changed alone', (trx: Knex.Transaction) => trx('invoices').where('id', invoiceId).update({ total: '150' }), /invoice 18 has balance/],
    ['a credit amount left changed alone', (trx: Knex.Transaction) => trx('credits').where('id', creditId).update({ amount_left: '50' }), /credit CR-\d+ \(issued\) has amount left 50/],
    [
      'a disbursement recorded without moving the money',
      (trx: Knex.Transaction) => trx('disbursements').insert({ credit_id: creditId, invoice_id: invoiceId, amount: '5', created_by: 'x' }),
      /has balance 120\.000000 but total 140\.000000 less disbursements 25\.000000/,
    ],
    [
      'a reversal that keeps the undisbursed part available',
      (trx: Knex.Transaction) => trx('credits').where('id', creditId).update({ status: 'reversal pending', reversed_amount: '20' }),
      /credit CR-\d+ \(reversal pending\) has amount left 30/,
    ],
    [
      'a reversal that reverses more than was disbursed',
      (trx: Knex.Transaction) => trx('credits').where('id', creditId).update({ status: 'reversal pending', reversed_amount: '50', amount_left: 0 }),
      /reversed amount 50\.000000 but 20\.000000 was disbursed/,
    ],
  ])('refuses to commit %s', async (_label, change, message) => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() => t.db.transaction(async (trx) => void (await change(trx))));
    expect(error.code).toBe('23514');
    expect(error.message).toMatch(message);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses a disbursement past the balance or the amount left even from code that skips the checks', async () => {
    const before = await ledgerSnapshot(t.db);
    const overBalance = await pgError(() =>
      t.db.transaction((trx) => applyDisbursements(trx, [{ creditId, invoiceId, amount: '30' }, { creditId, invoiceId, amount: '100' }], 'x', { automatic: false })),
    );
    expect(overBalance.code).toBe('23514'); // amount left 30 - 130 < 0
    expect(await ledgerSnapshot(t.db)).toBe(before);
    // Through the one place money moves, a correct disbursement commits and keeps the ledger whole.
    await t.db.transaction((trx) => applyDisbursements(trx, [{ creditId, invoiceId, amount: '30' }], 'U_X', { automatic: false }));
    expect(await billing.getCredit(`CR-${creditId}`)).toMatchObject({ amountLeft: '0.00' });
    expect((await billing.getInvoice('18')).balance).toBe('90.00');
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
