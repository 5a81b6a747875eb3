import { Readable } from 'node:stream';
import { allocatePayment, createBilling, Money, type Billing } from '../../billing';
import { exportPayments, importPaymentsWorkbook, workbookKind } from '../../sheets';
import { ledgerSnapshot, ledgerViolations } from '../credits/fixtures';
import { useTestDatabase } from '../helpers/db';
import { readBack, rowsOf, tempPath, utcDate, workbook } from '../sheets/helpers';
import { importClock, payer, paymentsWorkbook, quantityOf, seedPayers } from './importFixtures';

const run = (billing: Billing, file: Buffer, dryRun = false) => importPaymentsWorkbook(billing, Readable.from([file]), { actor: 'U_FIN', dryRun });

describe('importing a payments workbook', () => {
  const t = useTestDatabase();
  let billing: Billing;
  const N = 40;

  beforeAll(async () => {
    billing = await seedPayers(t.db, N);
  });

  afterEach(async () => {
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('previews, then records all at once; the same file again changes nothing and says already recorded', async () => {
    const invoices = await billing.listInvoices(payer(0));
    const file = await paymentsWorkbook([
      [utcDate('2026-10-05'), payer(0), 60, 'cheque', 'CHQ-1', invoices[1].number],
      [utcDate('2026-10-06'), payer(1), '$250.00', 'bank transfer', 'BT-1', null],
      ['2026-10-07', payer(2), '1,000.00', null, 'BT-2', null],
    ]);
    expect(await workbookKind(file)).toBe('payments');
    const before = await ledgerSnapshot(t.db);
    const dry = await run(billing, file, true);
    expect(dry).toMatchObject({ workbook: 'payments', applied: false, dryRun: true, rows: 3, payments: 3, totalProblems: 0, alreadyRecorded: 0, invoicesPaid: 3 });
    expect(dry.totals).toEqual([{ currency: 'USD', payments: 3, amount: '1310.00', applied: '910.00', unapplied: '400.00', applications: 5 }]);
    expect(await ledgerSnapshot(t.db)).toBe(before);

    const done = await run(billing, file);
    expect(done).toMatchObject({ applied: true, payments: 3, applications: 5, totalProblems: 0, invoicesPaid: 3 }); // counted by the write itself
    expect((await billing.getInvoice(invoices[1].number)).balance).toBe('40.00');
    // Payer 00001: $200 + $200, $250 oldest first: August paid, September $150 left.
    const [aug, sep] = await billing.listInvoices(payer(1));
    expect([(await billing.getInvoice(aug.number)).balance, (await billing.getInvoice(sep.number)).balance]).toEqual(['0.00', '150.00']);
    const p2 = await billing.listPayments(payer(2));
    expect(p2[0]).toMatchObject({ amount: '1000.00', unapplied: '400.00', reference: 'BT-2', method: null, receivedOn: '2026-10-07', createdBy: 'U_FIN' });

    const after = await ledgerSnapshot(t.db);
    const again = await run(billing, file);
    expect(again).toMatchObject({ applied: false, payments: 0, alreadyRecorded: 3, totalProblems: 0 });
    expect(again.alreadyRecordedShown.map((r) => [r.row, r.reference])).toEqual([[2, 'CHQ-1'], [3, 'BT-1'], [4, 'BT-2']]);
    expect(await ledgerSnapshot(t.db)).toBe(after);

    // The payments export: amounts in the currency's format, dates as dates; an account and dates filter it.
    const out = await tempPath();
    expect(await exportPayments(billing, out, { account: payer(1), from: '2026-10-06', to: '2026-10-06' })).toEqual({ payments: 1, applications: 2 });
    const wb = await readBack(out);
    const [head, row] = rowsOf(wb.getWorksheet('Payments')!);
    expect(head).toEqual(['Payment', 'Date', 'Account', 'Currency', 'Amount', 'Applied', 'Unapplied', 'Method', 'Reference', 'Status', 'Reversal Reason', 'Reversed At', 'Created By', 'Created At']);
    expect(row.slice(0, 10)).toEqual(['PM-000002', utcDate('2026-10-06'), payer(1), 'USD', 250, 250, 0, 'bank transfer', 'BT-1', 'recorded']);
    expect(wb.getWorksheet('Payments')!.getRow(2).getCell(5).numFmt).toBe('#,##0.00');
    expect(wb.getWorksheet('Payments')!.getRow(2).getCell(2).numFmt).toBe('yyyy-mm-dd');
    expect(rowsOf(wb.getWorksheet('Applications')!).slice(1).map((r) => [r[0], r[2], r[4], r[5]])).toEqual([
      ['PM-000002', aug.number, 'applied', 200],
      ['PM-000002', sep.number, 'applied', 50],
    ]);
    expect((await exportPayments(billing, await tempPath())).payments).toBe(3);
  });
});

describe('a payments workbook with problems', () => {
  const t = useTestDatabase();
  let billing: Billing;

  beforeAll(async () => {
    billing = await seedPayers(t.db, 6);
    await billing.createAccount({ name: 'Child Of Payer', currency: 'USD', invoiceTo: payer(0), parent: payer(0) });
    await billing.createAccount({ name: 'Yen Payer', currency: 'JPY' });
    // Payer 00005's August invoice paid off by a payment recorded earlier.
    const [aug] = await billing.listInvoices(payer(5));
    await billing.recordPayment({ account: payer(5), amount: '300.00', reference: 'EARLIER', receivedOn: '2026-10-01', to: [{ invoice: aug.number }] }, 'U_FIN');
  });

  it('lists every problem by sheet, row and column, and records nothing', async () => {
    const own = await billing.listInvoices(payer(0));
    const other = await billing.listInvoices(payer(1));
    const [paid] = await billing.listInvoices(payer(5));
    const file = await paymentsWorkbook([
      ['2026-10-05', 'Nobody Inc', 10, null, 'R-1', null], // 2: unknown account
      ['2026-10-05', 'Child Of Payer', 10, null, 'R-2', null], // 3: invoiced to another
      ['2026-10-05', 'Yen Payer', '10.5', null, 'R-3', null], // 4: decimals
      ['2026-11-05', payer(0), 10, null, 'R-4', null], // 5: after today
      ['2026-10-05', payer(0), 10, null, 'R-5', other[0].number], // 6: another's invoice
      ['2026-10-05', payer(0), 10, null, 'R-6', 'INV-999999'], // 7: no such invoice
      ['2026-10-05', payer(5), 10, null, 'R-7', paid.number], // 8: paid
      ['2026-10-05', payer(0), 10, 'wire', 'R-8', own[0].number], // 9: one payment on two rows...
      ['2026-10-06', payer(0), 10, 'cheque', 'R-8', own[1].number], // 10: ...with another date and method
      ['2026-10-05', payer(0), 10, null, 'R-9', own[0].number], // 11
      ['2026-10-05', payer(0), 10, null, 'R-9', null], // 12: a row of a several-row payment without an invoice
      ['2026-10-05', payer(0), 10, null, 'R-10', own[0].number], // 13
      ['2026-10-05', payer(0), 10, null, 'R-10', own[0].number], // 14: the same invoice twice
      ['2026-13-05', payer(0), 0, null, null, 'nonsense'], // 15: form problems
      ['2026-10-05', payer(5), 20, null, 'EARLIER', null], // 16: already recorded (not a problem)
    ]);
    const before = await ledgerSnapshot(t.db);
    const result = await run(billing, file);
    expect(result.applied).toBe(false);
    expect(await ledgerSnapshot(t.db)).toBe(before);
    const where = result.problems.map((p) => `${p.row} ${p.column}`);
    expect(where).toEqual([
      '2 Account',
      '3 Account',
      '4 Amount',
      '5 Date',
      '6 Invoice',
      '7 Invoice',
      '8 Invoice',
      '10 Date',
      '10 Method',
      '12 Invoice',
      '14 Invoice',
      '15 Date',
      '15 Amount',
      '15 Reference',
      '15 Invoice',
    ]);
    expect(result.totalProblems).toBe(15);
    expect(result.alreadyRecorded).toBe(1);
    const text = result.problems.map((p) => p.message).join('\n');
    expect(text).toContain('Payments row 2, Account: found "Nobody Inc"; expected: An account that exists');
    expect(text).toContain(`record the payment on "${payer(0)}"`);
    expect(text).toContain('at most 0 decimal places, as JPY has');
    expect(text).toContain('A date on or before today (2026-10-20)');
    expect(text).toContain(`(${other[0].number} is an invoice of "${payer(1)}")`);
    expect(text).toContain(`(${paid.number} is paid)`);
    expect(text).toContain('Each invoice once in a payment (row 13 names it already)');
    expect(text).toContain('Payments row 15, Reference: found blank; expected: A reference is required.');
  });

  it('refuses a workbook without a required column, once on the header row', async () => {
    const file = await workbook({ Payments: [['Date', 'Account', 'Amount'], ['2026-10-05', payer(0), 10]] });
    const result = await run(billing, file);
    expect(result.problems.map((p) => p.message)).toEqual(['Payments row 1, Reference: found blank; expected: A column headed "Reference" in the header row.']);
  });

  it('tells a setup workbook from a payments one, and refuses one that is both', async () => {
    expect(await workbookKind(await workbook({ Accounts: [['Name']] }))).toBe('setup');
    await expect(workbookKind(await workbook({ Payments: [['Date']], Accounts: [['Name']] }))).rejects.toMatchObject({ code: 'mixed_workbook' });
  });
});

describe('a payments workbook at size', () => {
  const t = useTestDatabase();
  const N = 1500;

  it('records thousands of payments by the allocation rules in one go, and the same file again changes nothing', async () => {
    const billing = await seedPayers(t.db, N);
    const numbers = await t.db.raw(
      `SELECT a.name, array_agg(i.number ORDER BY i.number) AS numbers FROM invoices i JOIN accounts a ON a.id = i.account_id GROUP BY a.name`,
    );
    const invoicesOf = new Map<string, number[]>(numbers.rows.map((r: any) => [r.name, r.numbers.map(Number)]));
    const rows: unknown[][] = [];
    const later: unknown[][] = [];
    const expected = new Map<number, string>();
    const usd = (n: number) => Money.exact(String(n), 'USD');
    for (let i = 0; i < N; i++) {
      const total = 100 * quantityOf(i);
      const [aug, sep] = invoicesOf.get(payer(i))!;
      const name = payer(i);
      switch (i % 4) {
        case 0: // no invoice named: oldest due first
          rows.push(['2026-10-05', name, total * 1.5, 'bank transfer', `A-${i}`, null]);
          expected.set(aug, '0.00').set(sep, usd(total / 2).toString());
          break;
        case 1: // one payment on two rows
          rows.push(['2026-10-05', name, total / 2, 'wire', `B-${i}`, aug], ['2026-10-05', name, total, 'wire', `B-${i}`, `INV-${String(sep).padStart(6, '0')}`]);
          expected.set(aug, usd(total / 2).toString()).set(sep, '0.00');
          break;
        case 2: // more than the balance named (the rest unapplied), then a payment naming none
          rows.push(['2026-10-05', name, total * 2, 'cheque', `C-${i}`, aug]);
          later.push(['2026-10-04', name, total / 4, null, `D-${i}`, null]);
          expected.set(aug, '0.00').set(sep, usd(total * 0.75).toString());
          break;
        default: // two payments naming none: the one received first goes first
          rows.push(['2026-10-03', name, total / 2, null, `E-${i}`, null], ['2026-10-01', name, total, null, `F-${i}`, null]);
          expected.set(aug, '0.00').set(sep, usd(total / 2).toString());
      }
    }
    const file = await paymentsWorkbook([...rows, ...later] as never);
    const result = await run(billing, file);
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ applied: true, rows: rows.length + later.length, payments: rows.length + later.length - N / 4 });

    const balances = await t.db.raw('SELECT number, balance FROM invoices');
    const wrong = balances.rows.filter((r: any) => Money.exact(r.balance, 'USD').toString() !== expected.get(Number(r.number)));
    expect(wrong).toEqual([]);
    // Received first, applied first: F- pays August whole, E- goes to September.
    const applied = await t.db.raw(
      `SELECT p.reference, i.number = min(i.number) OVER (PARTITION BY p.account_id) AS august
       FROM payment_applications pa JOIN payments p ON p.id = pa.payment_id JOIN invoices i ON i.id = pa.invoice_id
       WHERE p.reference LIKE 'E-%' OR p.reference LIKE 'F-%'`,
    );
    expect(applied.rows.every((r: any) => r.august === r.reference.startsWith('F-'))).toBe(true);
    const unapplied = await t.db.raw(`SELECT sum(unapplied) AS s FROM payments WHERE reference LIKE 'C-%'`);
    expect(Money.exact(unapplied.rows[0].s, 'USD').toString()).toBe(
      usd(Array.from({ length: N }, (_, i) => i).filter((i) => i % 4 === 2).reduce((s, i) => s + 100 * quantityOf(i), 0)).toString(),
    );
    expect(await ledgerViolations(t.db)).toEqual([]);
    expect(Number((await t.db.raw(`SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'payments' AND last_analyze IS NOT NULL`)).rows[0].count)).toBe(1);

    const after = await ledgerSnapshot(t.db);
    const again = await run(billing, file);
    expect(again).toMatchObject({ applied: false, payments: 0, alreadyRecorded: rows.length + later.length, totalProblems: 0 });
    expect(await ledgerSnapshot(t.db)).toBe(after);
  }, 120_000);
});
