import path from 'node:path';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import ExcelJS from 'exceljs';
import { parseCommand } from '../../bot/commands/parse';
import { renderBlocks } from '../../bot/render';
import { workbookHandlers } from '../../bot/commands/workbooks';
import { useTestDatabase } from '../helpers/db';
import { driveShell } from '../helpers/shell';
import { checkMessage } from '../helpers/slackLimits';
import { billMonth, setUpFamily } from '../credits/fixtures';
import { accountsInCurrencies, longName, manyInvoices } from '../payments/receivablesFixtures';

/** /billing aging, /billing statement and their exports: the parser, the renderer at size, the shell. */

describe('the receivables commands', () => {
  it('parse /billing aging and /billing statement, and their exports', () => {
    const billing = (text: string) => parseCommand('/billing', text);
    expect(billing('aging')).toEqual({ kind: 'billing.aging', asOf: null });
    expect(billing('aging as of 2026-11-30')).toEqual({ kind: 'billing.aging', asOf: '2026-11-30' });
    expect(billing('aging 2026-11-30')).toEqual({ kind: 'billing.aging', asOf: '2026-11-30' });
    expect(billing('statement Parent Co')).toEqual({ kind: 'billing.statement', account: 'Parent Co', from: null, to: null });
    expect(billing('statement Back to Basics from 2026-10-01 to 2026-10-31')).toEqual({
      kind: 'billing.statement',
      account: 'Back to Basics',
      from: '2026-10-01',
      to: '2026-10-31',
    });
    expect(billing('statement "From Scratch" to 2026-10-31')).toMatchObject({ account: 'From Scratch', from: null, to: '2026-10-31' });
    expect(billing('export aging as of 2026-11-30')).toMatchObject({ kind: 'billing.export', what: 'aging', asOf: '2026-11-30', account: null });
    expect(billing('export statement Parent Co from 2026-10-01')).toMatchObject({ what: 'statement', account: 'Parent Co', from: '2026-10-01', to: null });

    const refused = (text: string) => {
      try {
        billing(text);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`"${text}" was accepted`);
    };
    expect(refused('aging as of')).toMatch(/^Give the day after "as of"/);
    expect(refused('aging as of 2026-02-30')).toMatch(/"2026-02-30" after "as of" is not a real date/);
    expect(refused('aging as of 2026-11-30 please')).toMatch(/Did not understand "please"/);
    expect(refused('statement')).toMatch(/^Say whose statement to show/);
    expect(refused('statement from 2026-10-01')).toMatch(/^Name the account before the dates/);
    expect(refused('statement Parent Co from 2026-11-01 to 2026-10-01')).toMatch(/^The statement starts after it ends/);
    expect(refused('export statement')).toMatch(/^Name the account whose statement to export/);
    expect(refused('export aging Parent Co')).toMatch(/Did not understand "Co"|not a real date/);
    expect(refused('export ledgers')).toBe(
      '"ledgers" is not an export; say accounts, invoices, credits, payments, aging or statement. Use: /billing export accounts|invoices|credits|payments [<account>] [from YYYY-MM-DD] [to YYYY-MM-DD] [run <run>] [in #channel]',
    );
  });

  describe('at size', () => {
    const t = useTestDatabase();

    it('keep a reply within Slack\'s limits at any size: 10 currencies of long names, a statement of 5,000 lines', async () => {
      const billing = await setUpFamily(t.db);
      await billMonth(billing, 'Child Co', '2026-09');
      await accountsInCurrencies(t.db, 12, '2026-08-01', 1000);
      const aging = renderBlocks({ kind: 'receivables.aging', report: await billing.receivables.aging('2026-10-02') });
      expect(checkMessage(aging)).toBeNull();
      expect(aging.text).toMatch(/^Aging as of 2026-10-02: AUD \$1,200\.00 owed by 12 accounts, \$1,200\.00 past due; CAD \$1,200\.00 owed /);
      expect(aging.text).toContain('and 5 more currencies.');
      const shown = JSON.stringify(aging.blocks);
      expect(shown).toContain('&lt;!channel&gt;'); // names are shown literally, never as a mention
      expect(shown).not.toContain('<!channel>');
      expect(shown).toContain('…and 2 more');
      expect(shown).toContain('5 more currencies not shown. Every account is in the workbook: /billing export aging as of 2026-10-02');

      const name = longName('Big Owner');
      await billing.createAccount({ name, currency: 'USD' });
      await manyInvoices(t.db, name, 5000, { firstNumber: 100_000, lastDue: '2026-10-01' });
      const s = await billing.receivables.statement(name);
      expect(s.lines).toHaveLength(5000);
      expect(s.closingBalance).toBe('50000.00');
      const statement = renderBlocks({ kind: 'receivables.statement', statement: s });
      expect(checkMessage(statement)).toBeNull();
      expect(JSON.stringify(statement.blocks)).toContain('4,985 more lines in the workbook: /billing export statement');
      expect(statement.text).toContain('closing $50,000.00 (5,000 lines)');
    }, 120_000);
  });

  describe('through the shell', () => {
    const t = useTestDatabase();

    it('through the shell: aging, statement and both exports as workbooks with finance formats', async () => {
      const billing = await setUpFamily(t.db);
      await billMonth(billing, 'Child Co', '2026-09');
      await billing.recordPayment({ account: 'Parent Co', amount: '$60.00', reference: 'CHQ-1001', to: [{ invoice: '18' }] }, 'U_FIN');
      const directory = await fs.mkdtemp(path.join(tmpdir(), 'billbot-receivables-'));
      const shell = driveShell({ services: { billing, handlers: workbookHandlers({ billing, directory, today: () => '2026-10-02' }) }, user: 'local-admin' });
      await shell.ready();
      const aging = await shell.type('/billing aging');
      expect(aging).toContain('Aging as of 2026-10-02');
      expect(aging).toContain('*USD*: $80.00 owed on 1 invoice by 1 account');
      expect(aging).toContain('*Current:* $80.00');
      expect(aging).toContain('*Parent Co* $80.00 (current)');
      const statement = await shell.type('/billing statement Parent Co');
      expect(statement).toContain('Statement of Parent Co');
      expect(statement).toContain('2026-10-02 Invoice INV-000018: +$140.00 → $140.00');
      expect(statement).toContain('2026-10-02 Payment PM-000001 CHQ-1001: -$60.00 → $80.00');
      expect(statement).toContain('*Closing balance:* $80.00');

      expect(await shell.type('/billing export aging')).toContain('billbot-aging-2026-10-02.xlsx');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(path.join(directory, 'billbot-aging-2026-10-02.xlsx'));
      const sheet = wb.getWorksheet('Aging')!;
      expect(sheet.getRow(1).values).toEqual([undefined, 'Account', 'Currency', 'Current', '1-30 Days', '31-60 Days', '61-90 Days', 'Over 90 Days', 'Total', 'Invoices', 'Oldest Due Date']);
      const parent = sheet.getRow(2);
      expect([parent.getCell(1).value, parent.getCell(3).value, parent.getCell(8).value]).toEqual(['Parent Co', 80, 80]);
      expect(parent.getCell(3).numFmt).toBe('#,##0.00');
      expect(parent.getCell(10).value).toEqual(new Date('2026-11-01T00:00:00Z'));
      expect(wb.getWorksheet('Totals')!.getRow(2).getCell(2).value).toBe('USD');

      expect(await shell.type('/billing export statement Parent Co from 2026-10-01')).toContain('billbot-statement-parent-co-from-2026-10-01.xlsx');
      const st = new ExcelJS.Workbook();
      await st.xlsx.readFile(path.join(directory, 'billbot-statement-parent-co-from-2026-10-01.xlsx'));
      const rows = st.getWorksheet('Statement')!.getSheetValues().slice(2).map((r: any) => [r[2], r[3], r[5], r[6]]);
      expect(rows).toEqual([
        ['opening balance', undefined, undefined, 0],
        ['invoice', 'INV-000018', 140, 140],
        ['payment', 'PM-000001', -60, 80],
        ['closing balance', undefined, undefined, 80],
      ]);
      expect(await shell.type('/billing statement Nobody Ltd')).toContain('There is no account named "Nobody Ltd".');
      // The overdue digest of a channel: set (its next post named), paused, refused with a bad schedule.
      expect(await shell.type('/billing schedule digest #finance 0 9 * * 1 Europe/Paris')).toContain(
        'The overdue digest for #finance is set: `0 9 * * 1` (Europe/Paris), next 2026-10-05 09:00 (Europe/Paris).',
      );
      expect(await shell.type('/billing schedule digest #finance pause')).toContain('The overdue digest for #finance is paused');
      expect(await shell.type('/billing schedule digest #finance every monday')).toContain('The digest cannot be scheduled');
      shell.close();
      await shell.finished;
    }, 120_000);
  });
});
