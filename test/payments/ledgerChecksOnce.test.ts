import type { Knex } from 'knex';
import type { Billing } from '../../billing';
import { useTestDatabase } from '../helpers/db';
import { recordPaymentOnce } from '../../billing/payments/record';
import { billMonth, clock, ledgerSnapshot, ledgerViolations, pgError, setUpFamily } from '../credits/fixtures';

// The ledger's checks run once per transaction over every row it touched (migration 170):
// what that way of checking must still refuse, whatever order, savepoints, immediate
// constraints or other sessions the transaction meets.

describe('the ledger checked once per transaction', () => {
  const t = useTestDatabase();
  let billing: Billing;
  let ids: { i18: number; i19: number };
  beforeAll(async () => {
    billing = await setUpFamily(t.db);
    await billMonth(billing, 'Child Co', '2026-09'); // #18, $140
    await billMonth(billing, 'Other Co', '2026-09'); // #19, $60, another invoicer
    const rows: { id: number; number: number }[] = await t.db('invoices').whereIn('number', [18, 19]).select('id', 'number');
    const id = (n: number) => rows.find((r) => r.number === n)!.id;
    ids = { i18: id(18), i19: id(19) };
  });

  afterEach(async () => {
    expect(await ledgerViolations(t.db)).toEqual([]);
    expect(Number((await t.db('billbot_ledger_pending').count('* as n').first())?.n)).toBe(0);
  });

  const lower = (db: Knex, id: number, balance: string) => db('invoices').where('id', id).update({ balance });

  it('refuses a statement breaking several invoices, naming the lowest number, and changes nothing', async () => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() =>
      t.db.transaction((trx) => trx('invoices').whereIn('id', [ids.i19, ids.i18]).update({ balance: t.db.raw('balance - 1') })),
    );
    expect(error.code).toBe('23514');
    expect(error.message).toMatch(/invoice 18 has balance 139\.000000 but total 140\.000000/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('checks the transaction as it stands at the commit, not each statement on its own', async () => {
    await t.db.transaction(async (trx) => {
      await lower(trx, ids.i18, '100');
      await lower(trx, ids.i18, '140');
    });
    expect((await billing.getInvoice('18')).balance).toBe('140.00');
  });

  it('checks again what a transaction touches after its checks were made immediate', async () => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() =>
      t.db.transaction(async (trx) => {
        await recordPaymentOnce(trx, { account: 'Other Co', amount: '10', reference: 'IMM-1', to: [{ invoice: '19', amount: '10' }] }, 'U', clock);
        await trx.raw('SET CONSTRAINTS ALL IMMEDIATE'); // the payment's checks run here, and pass
        await trx.raw('SET CONSTRAINTS ALL DEFERRED');
        await lower(trx, ids.i18, '1');
      }),
    );
    expect(error.message).toMatch(/invoice 18 has balance 1\.000000/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
  });

  it('refuses at once a breaking statement while the checks are immediate', async () => {
    const error = await pgError(() =>
      t.db.transaction(async (trx) => {
        await trx.raw('SET CONSTRAINTS ledger_checked_at_commit IMMEDIATE');
        await lower(trx, ids.i19, '59');
        throw new Error('not refused at the statement');
      }),
    );
    expect(error.message).toMatch(/invoice 19 has balance 59\.000000/);
  });

  it('still checks what comes after a savepoint that held the first change was rolled back', async () => {
    const before = await ledgerSnapshot(t.db);
    const error = await pgError(() =>
      t.db.transaction(async (trx) => {
        await trx
          .transaction(async (inner) => {
            await lower(inner, ids.i19, '1');
            throw new Error('roll the savepoint back');
          })
          .catch(() => undefined);
        await lower(trx, ids.i18, '2');
      }),
    );
    expect(error.message).toMatch(/invoice 18 has balance 2\.000000/);
    expect(await ledgerSnapshot(t.db)).toBe(before);
    // and a savepoint rolled back leaves nothing to refuse
    await t.db.transaction(async (trx) => {
      await trx.transaction(async (inner) => {
        await lower(inner, ids.i19, '1');
        throw new Error('roll the savepoint back');
      }).catch(() => undefined);
    });
    expect((await billing.getInvoice('19')).balance).toBe('60.00');
  });

  it("checks each session's own rows: another session's commit goes through while a broken transaction waits, which is then refused", async () => {
    const error = await pgError(() =>
      t.db.transaction(async (broken) => {
        await lower(broken, ids.i18, '3');
        await billing.recordPayment({ account: 'Other Co', amount: '5', reference: 'SESSION-2', to: [{ invoice: '19', amount: '5' }] }, 'U');
      }),
    );
    expect(error.message).toMatch(/invoice 18 has balance 3\.000000/);
    expect((await billing.getInvoice('18')).balance).toBe('140.00');
    expect((await billing.getInvoice('19')).balance).toBe('55.00'); // $60.00 less the other session's $5.00
  });

  it('checks a payment with a thousand applications and a thousand invoices in one go, and names the one left wrong', async () => {
    // Invoices made for this test only (no transactions under them), so every step runs in a
    // transaction that is rolled back; SET CONSTRAINTS ... IMMEDIATE runs the commit's check.
    const payThousand = async (trx: Knex.Transaction, upTo: number) => {
      await trx.raw(
        `INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, due_date, posting_date, period_start, period_end, currency, total, balance, status)
         SELECT 1000 + k, i.account_id, i.bill_run_id, i.invoice_date, i.due_date, i.posting_date, i.period_start, i.period_end, i.currency, 1, 1, 'open'
         FROM invoices i, generate_series(0, 999) k WHERE i.number = 19`,
      );
      const [{ id }] = await trx('payments')
        .insert({ account_id: trx('invoices').where('number', 19).select('account_id'), currency: 'USD', amount: '1000', unapplied: '0', received_on: '2026-10-01', reference: 'BULK', created_by: 'U' })
        .returning('id');
      await trx.raw(
        `INSERT INTO payment_applications (payment_id, invoice_id, kind, amount, automatic, created_by)
         SELECT ?, id, 'applied', 1, false, 'U' FROM invoices WHERE number >= 1000`,
        [id],
      );
      await trx.raw(`UPDATE invoices SET balance = 0, status = 'paid' WHERE number >= 1000 AND number < ?`, [upTo]);
      await trx.raw('SET CONSTRAINTS ALL IMMEDIATE');
    };
    const rolledBack = (upTo: number) =>
      t.db.transaction(async (trx) => {
        await payThousand(trx, upTo);
        throw new Error(`checked and rolled back (${upTo})`);
      });
    const wrong = await pgError(() => rolledBack(1999));
    expect(wrong.message).toMatch(/invoice 1999 has balance 1\.000000 but total 1\.000000 less disbursements 0 less payments applied 1\.000000/);
    const right = await pgError(() => rolledBack(2000));
    expect(right.message).toBe('checked and rolled back (2000)');
  });
});
