import ExcelJS from 'exceljs';
import { existsSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { createBilling, InvalidInputError } from '../../billing';
import { ExportFailedError, exportCredits, exportInvoices } from '../../sheets';
import { EXPORT_SHEETS } from '../../sheets/limits';
import { useTestDatabase } from '../helpers/db';
import { readBack, rowsOf, tempPath, utcDate, zipEntryText } from './helpers';

describe('exporting invoices and the credit ledger', () => {
  const t = useTestDatabase();
  const clock = { now: () => new Date('2026-10-02T12:00:00Z') };
  let septemberRun = 0;

  beforeAll(async () => {
    const billing = createBilling(t.db, clock);
    await billing.loadDemo();
    const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: '=SUM(A1)', createdBy: 'U_FIN', date: '2026-09-20' });
    await billing.addCredit({ account: 'Child Co', amount: '5', detail: '+1', createdBy: '@x', date: '2026-09-21' });
    const september = await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    septemberRun = september.run.id;
    await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: '-1' });
    await billing.reverseCredit(credit.id, 'U_BOSS');
    await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-10-01', to: '2026-10-31', startedBy: 'U_FIN' });
    // An unrelated JPY family, billed too.
    await billing.createAccount({ name: 'Tokyo KK', currency: 'JPY' });
    await billing.createPackage({ name: 'Yen Plan', currency: 'JPY', frequency: 'monthly', services: [{ name: 'Hosting', price: '1200' }] });
    await billing.addAccountPackage({ account: 'Tokyo KK', package: 'Yen Plan', quantity: 2, effectiveDate: '2026-10-01' });
    await billing.bill({ account: 'Tokyo KK', configuration: 'Monthly Billing', from: '2026-10-01', to: '2026-10-31', startedBy: 'U_FIN' });
  });

  function expectFinanceFormat(ws: ExcelJS.Worksheet, columns: number) {
    const header = ws.getRow(1);
    for (let c = 1; c <= columns; c++) expect(header.getCell(c).font?.bold).toBe(true);
    expect(ws.views).toEqual([expect.objectContaining({ state: 'frozen', ySplit: 1 })]);
    const last = ws.getColumn(columns).letter;
    expect(ws.autoFilter).toBe(`A1:${last}${ws.rowCount}`);
    for (let c = 1; c <= columns; c++) expect(ws.getColumn(c).width).toBeGreaterThanOrEqual(8);
  }

  it('writes every invoice and transaction with amounts as numbers in the currency format and dates as dates', async () => {
    const out = await tempPath();
    expect(await exportInvoices(createBilling(t.db), out)).toEqual({ invoices: 3, transactions: 6 });
    const wb = await readBack(out);
    const invoices = wb.getWorksheet('Invoices')!;
    expect(rowsOf(invoices)).toEqual([
      ['Number', 'Invoicer', 'Invoice Date', 'Period Start', 'Period End', 'Currency', 'Total', 'Balance', 'Status', 'Posting Date', 'Bill Run'],
      ['INV-000018', 'Parent Co', utcDate('2026-10-02'), utcDate('2026-09-01'), utcDate('2026-09-30'), 'USD', 140, 90, 'open', utcDate('2026-10-02'), septemberRun],
      ['INV-000019', 'Parent Co', utcDate('2026-10-02'), utcDate('2026-10-01'), utcDate('2026-10-31'), 'USD', 190, 190, 'open', utcDate('2026-10-02'), septemberRun + 1],
      ['INV-000020', 'Tokyo KK', utcDate('2026-10-02'), utcDate('2026-10-01'), utcDate('2026-10-31'), 'JPY', 2400, 2400, 'open', utcDate('2026-10-02'), septemberRun + 2],
    ]);
    expectFinanceFormat(invoices, 11);
    expect(invoices.getCell('G2').type).toBe(ExcelJS.ValueType.Number);
    expect(invoices.getCell('G2').numFmt).toBe('#,##0.00');
    expect(invoices.getCell('H4').numFmt).toBe('#,##0');
    expect(invoices.getCell('C2').type).toBe(ExcelJS.ValueType.Date);
    expect(invoices.getCell('C2').numFmt).toBe('yyyy-mm-dd');

    const transactions = wb.getWorksheet('Transactions')!;
    expect(rowsOf(transactions).map((r) => [r[0], r[1], r[2], r[4], r[5], r[8], r[9]])).toEqual([
      ['Invoice', 'Account', 'Kind', 'Service', 'Credit', 'Quantity', 'Amount'],
      ['INV-000018', 'Child Co', 'charge', 'Network Monitoring', undefined, 1, 100],
      ['INV-000018', 'Child Co', 'charge', 'Support', undefined, 1, 40],
      ['INV-000019', 'Child Co', 'charge', 'Network Monitoring', undefined, 1, 100],
      ['INV-000019', 'Child Co', 'charge', 'Support', undefined, 1, 40],
      ['INV-000019', 'Parent Co', 'reversed credit', undefined, 'CR-1', 1, 50],
      ['INV-000020', 'Tokyo KK', 'charge', 'Hosting', undefined, 2, 2400],
    ]);
    expect(transactions.getCell('G2').value).toEqual(utcDate('2026-09-15'));
    expect(transactions.getCell('H2').value).toEqual(utcDate('2026-10-14'));
    expect(transactions.getCell('J7').numFmt).toBe('#,##0');
    expectFinanceFormat(transactions, 12);
  });

  it('filters by account (with the accounts that invoice to it), dates and bill run', async () => {
    const count = async (filter: Parameters<typeof exportInvoices>[2]) => {
      const out = await tempPath();
      const counts = await exportInvoices(createBilling(t.db), out, filter);
      const numbers = rowsOf((await readBack(out)).getWorksheet('Invoices')!).slice(1).map((r) => r[0]);
      return { ...counts, numbers };
    };
    expect(await count({ account: 'parent co' })).toEqual({ invoices: 2, transactions: 5, numbers: ['INV-000018', 'INV-000019'] });
    expect(await count({ account: 'Child Co' })).toEqual({ invoices: 2, transactions: 5, numbers: ['INV-000018', 'INV-000019'] });
    expect(await count({ account: 'Tokyo KK' })).toEqual({ invoices: 1, transactions: 1, numbers: ['INV-000020'] });
    expect(await count({ billRunId: septemberRun })).toEqual({ invoices: 1, transactions: 2, numbers: ['INV-000018'] });
    expect(await count({ from: '2026-10-03' })).toEqual({ invoices: 0, transactions: 0, numbers: [] });
    expect(await count({ from: '2026-10-01', to: '2026-10-02', account: 'Tokyo KK' })).toEqual({ invoices: 1, transactions: 1, numbers: ['INV-000020'] });
    const refused = await tempPath();
    await expect(exportInvoices(createBilling(t.db), refused, { account: 'Parent Coo' })).rejects.toThrow('There is no account named "Parent Coo". Did you mean "Parent Co"?');
    expect(existsSync(refused)).toBe(false);
    await expect(exportInvoices(createBilling(t.db), await tempPath(), { from: '2026-10-05', to: '2026-10-01' })).rejects.toThrow(InvalidInputError);
  });

  it('writes the credit ledger: credits, disbursements and reversals, with who and when', async () => {
    const out = await tempPath();
    expect(await exportCredits(createBilling(t.db), out)).toEqual({ credits: 2, disbursements: 1, reversals: 1 });
    const wb = await readBack(out);
    const credits = wb.getWorksheet('Credits')!;
    const rows = rowsOf(credits);
    expect(rows[0]).toEqual([
      'Credit', 'Account', 'Currency', 'Unit Amount', 'Quantity', 'Amount', 'Amount Left', 'Status', 'Date', 'Detail',
      'Automatic Disbursement', 'Issued Invoice', 'Reversed Amount', 'Reversal Invoice', 'Created By', 'Created At',
    ]);
    expect(rows[1].slice(0, 15)).toEqual([
      'CR-1', 'Parent Co', 'USD', 50, 1, 50, 0, 'reversed', utcDate('2026-09-20'), "'=SUM(A1)", 'no', 'INV-000018', 50, 'INV-000019', 'U_FIN',
    ]);
    expect(rows[2].slice(0, 15)).toEqual([
      'CR-2', 'Child Co', 'USD', 5, 1, 5, 5, 'issued', utcDate('2026-09-21'), "'+1", 'no', 'INV-000018', undefined, undefined, "'@x",
    ]);
    expect(rows[1][15]).toBeInstanceOf(Date);
    expect(credits.getCell('P2').numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(credits.getCell('F2').numFmt).toBe('#,##0.00');
    expectFinanceFormat(credits, 16);

    const disbursements = rowsOf(wb.getWorksheet('Disbursements')!);
    expect(disbursements.slice(1).map((r) => r.slice(1, 9))).toEqual([['CR-1', 'Parent Co', 'INV-000018', 'USD', 50, 0, 'no', "'-1"]]);
    expect(disbursements[1][9]).toBeInstanceOf(Date);
    const reversals = rowsOf(wb.getWorksheet('Reversals')!);
    expect(reversals.slice(1).map((r) => r.slice(0, 10))).toEqual([['CR-1', 'Parent Co', 'USD', 50, 50, 0, 'reversed', 'INV-000018', 'INV-000019', 'U_BOSS']]);
    expect(reversals[1][10]).toBeInstanceOf(Date);
    expect(reversals[1][11]).toBeInstanceOf(Date);
    expectFinanceFormat(wb.getWorksheet('Reversals')!, 12);

    // Filtered: Child Co's own credit only; dates select by credit date.
    const child = await tempPath();
    expect(await exportCredits(createBilling(t.db), child, { account: 'Child Co' })).toEqual({ credits: 1, disbursements: 0, reversals: 0 });
    expect(await exportCredits(createBilling(t.db), await tempPath(), { account: 'Parent Co' })).toEqual({ credits: 2, disbursements: 1, reversals: 1 });
    expect(await exportCredits(createBilling(t.db), await tempPath(), { from: '2026-09-21', to: '2026-09-21' })).toMatchObject({ credits: 1 });
  });

  it('reports an output that fails as one sentence, and leaves the process unharmed', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    await expect(exportInvoices(createBilling(t.db), broken)).rejects.toThrow(ExportFailedError);
    expect(await exportInvoices(createBilling(t.db), await tempPath())).toEqual({ invoices: 3, transactions: 6 });
  });

  it('writes text that looks like a formula as a quoted string cell, never a formula', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await exportCredits(createBilling(t.db), out);
    const file = Buffer.concat(chunks);
    const ws = (await readBack(file)).getWorksheet('Credits')!;
    for (const [address, text] of [['J2', "'=SUM(A1)"], ['J3', "'+1"], ['O3', "'@x"]]) {
      expect(ws.getCell(address).type).toBe(ExcelJS.ValueType.String);
      expect(ws.getCell(address).value).toBe(text);
    }
    // The cells are string cells holding the quoted text, and the sheet holds no formula at all.
    const xml = await zipEntryText(file, 'xl/worksheets/sheet1.xml');
    expect(xml).not.toMatch(/<f[ >]/);
    expect(xml).toContain('<c r="J2" t="str"><v>&apos;=SUM(A1)</v></c>');
    expect(xml).toContain('<c r="J3" t="str"><v>&apos;+1</v></c>');
  });

  describe("past a sheet's rows (Excel's 1,048,575 below the header; lowered here)", () => {
    const excel = EXPORT_SHEETS.maxDataRows;
    afterEach(() => {
      EXPORT_SHEETS.maxDataRows = excel;
    });

    it('continues on further sheets, each with the same header, formats, frozen header and filter', async () => {
      EXPORT_SHEETS.maxDataRows = 2;
      const out = await tempPath();
      expect(await exportInvoices(createBilling(t.db), out)).toEqual({ invoices: 3, transactions: 6 });
      const wb = await readBack(out);
      expect(wb.worksheets.map((ws) => [ws.name, ws.rowCount])).toEqual([
        ['Invoices', 3],
        ['Invoices 2', 2],
        ['Transactions', 3],
        ['Transactions 2', 3],
        ['Transactions 3', 3],
      ]);
      const sheets = ['Transactions', 'Transactions 2', 'Transactions 3'].map((name) => wb.getWorksheet(name)!);
      for (const ws of sheets) {
        expect(rowsOf(ws)[0]).toEqual(['Invoice', 'Account', 'Kind', 'Package', 'Service', 'Credit', 'Period Start', 'Period End', 'Quantity', 'Amount', 'Currency', 'Posting Date']);
        expectFinanceFormat(ws, 12);
        expect(ws.getCell('L2').numFmt).toBe('yyyy-mm-dd');
        expect(ws.getCell('J2').type).toBe(ExcelJS.ValueType.Number);
      }
      // The rows in order, none lost or repeated.
      expect(sheets.flatMap((ws) => rowsOf(ws).slice(1).map((r) => [r[0], r[4] ?? r[5]]))).toEqual([
        ['INV-000018', 'Network Monitoring'],
        ['INV-000018', 'Support'],
        ['INV-000019', 'Network Monitoring'],
        ['INV-000019', 'Support'],
        ['INV-000019', 'CR-1'],
        ['INV-000020', 'Hosting'],
      ]);
      expect(sheets[2].getCell('J3').numFmt).toBe('#,##0');
      expectFinanceFormat(wb.getWorksheet('Invoices 2')!, 11);
      expect(rowsOf(wb.getWorksheet('Invoices 2')!)[1][0]).toBe('INV-000020');
    });

    it('starts no further sheet for rows that exactly fill one', async () => {
      EXPORT_SHEETS.maxDataRows = 3;
      const out = await tempPath();
      expect(await exportInvoices(createBilling(t.db), out)).toEqual({ invoices: 3, transactions: 6 });
      expect((await readBack(out)).worksheets.map((ws) => [ws.name, ws.rowCount])).toEqual([
        ['Invoices', 4],
        ['Transactions', 4],
        ['Transactions 2', 4],
      ]);
    });
  });
});
