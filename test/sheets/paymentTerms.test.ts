import { Readable } from 'node:stream';
import { createBilling } from '../../billing';
import { exportAccounts, importSetupWorkbook } from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { readBack, rowsOf, tempPath, workbook, workedExampleSheets } from './helpers';

/** A sheet's row with its Payment Terms cell (the column the sheet's header names) set to `value`. */
function withTerms(sheet: unknown[][], row: number, value: unknown): never {
  const at = (sheet[0] as unknown[]).indexOf('Payment Terms');
  if (at < 0) throw new Error('the sheet has no Payment Terms column');
  const cells = [...(sheet[row] as unknown[])];
  while (cells.length < at) cells.push(null);
  cells[at] = value;
  return cells as never;
}

/** Payment terms in the setup workbook: the Payment Terms columns of Accounts and Bill Runs, optional, and in the export. */
describe('payment terms in the setup workbook', () => {
  const t = useTestDatabase({ each: true });
  const clock = { now: () => new Date('2026-10-02T12:00:00Z') };
  const importSheets = async (sheets: Record<string, unknown[][]>) =>
    importSetupWorkbook(createBilling(t.db, clock), Readable.from([await workbook(sheets as never)]), { actor: 'U_FIN' });
  const terms = async () =>
    Object.fromEntries([
      ...(await t.db('accounts').select('name', 'payment_terms_days')).map((r) => [r.name, r.payment_terms_days]),
      ...(await t.db('bill_run_configurations').select('name', 'payment_terms_days')).map((r) => [r.name, r.payment_terms_days]),
    ]);

  it('stores the terms, dates invoices by them, exports them, and keeps them for a workbook without the columns', async () => {
    const sheets = workedExampleSheets();
    sheets.Accounts[1] = withTerms(sheets.Accounts, 1, 45);
    sheets['Bill Runs'][1] = withTerms(sheets['Bill Runs'], 1, 15);
    const first = await importSheets(sheets);
    expect(first.problems).toEqual([]);
    expect(await terms()).toEqual({ 'Parent Co': 45, 'Child Co': null, 'Monthly Billing': 15 });

    const billing = createBilling(t.db, clock);
    await billing.setInvoiceNumbering({ nextNumber: 18 });
    await billing.bill({ account: 'Child Co', configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    // The invoicer's terms (45 days) before the configuration's (15).
    expect(await billing.getInvoice('18')).toMatchObject({ invoiceDate: '2026-10-02', dueDate: '2026-11-16' });

    const out = await tempPath();
    await exportAccounts(billing, out);
    const wb = await readBack(out);
    const accounts = rowsOf(wb.getWorksheet('Accounts')!);
    const termsAt = (accounts[0] as unknown[]).indexOf('Payment Terms');
    expect(accounts.map((r) => r[termsAt])).toEqual(['Payment Terms', 45, undefined]);
    expect(rowsOf(wb.getWorksheet('Bill Runs')!).map((r) => r[8])).toEqual(['Payment Terms', 15]);
    const again = await importSetupWorkbook(billing, out, { actor: 'U_FIN' });
    expect(again).toMatchObject({ accounts: { created: 0, updated: 0, unchanged: 2 }, billRuns: { created: 0, updated: 0, unchanged: 1 }, totalProblems: 0 });

    // An older workbook, without the columns: the terms stay.
    const old = workedExampleSheets();
    old.Accounts = old.Accounts.map((r) => (r as unknown[]).slice(0, 8)) as never;
    old['Bill Runs'] = old['Bill Runs'].map((r) => (r as unknown[]).slice(0, 8)) as never;
    const older = await importSheets(old);
    expect(older).toMatchObject({ accounts: { updated: 0, unchanged: 2 }, billRuns: { updated: 0, unchanged: 1 }, totalProblems: 0 });
    expect(await terms()).toEqual({ 'Parent Co': 45, 'Child Co': null, 'Monthly Billing': 15 });

    // The columns with blank cells: the terms are cleared (the configuration's, else 30 days, apply).
    const cleared = await importSheets(workedExampleSheets());
    expect(cleared).toMatchObject({ accounts: { updated: 1 }, billRuns: { updated: 1 }, totalProblems: 0 });
    expect(await terms()).toEqual({ 'Parent Co': null, 'Child Co': null, 'Monthly Billing': null });
  });

  it('refuses terms that are not whole days from 0 to 3650', async () => {
    const sheets = workedExampleSheets();
    sheets.Accounts[1] = withTerms(sheets.Accounts, 1, -1);
    sheets.Accounts[2] = withTerms(sheets.Accounts, 2, 'net 30');
    sheets['Bill Runs'][1] = withTerms(sheets['Bill Runs'], 1, 4000);
    const result = await importSheets(sheets);
    expect(result.applied).toBe(false);
    expect(result.problems.map((p) => `${p.sheet} ${p.row} ${p.column}: ${p.expected}`)).toEqual([
      'Accounts 2 Payment Terms: Payment terms in days: a whole number from 0 to 3650, or blank.',
      'Accounts 3 Payment Terms: Payment terms in days: a whole number from 0 to 3650, or blank.',
      'Bill Runs 2 Payment Terms: Payment terms in days: a whole number from 0 to 3650, or blank.',
    ]);
    expect(await t.db('accounts').count('* as n').first()).toEqual({ n: 0 });
  });
});
