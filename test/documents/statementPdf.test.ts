import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBilling, type Billing } from '../../billing';
import { parseCommand } from '../../bot/commands';
import { statementPdf } from '../../sheets/documents';
import { billMonth, clock } from '../credits/fixtures';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { driveShell } from '../helpers/shell';
import { flat, pdfText } from './helpers';

// The CLI case starts node, and pdf-parse reads in a process of its own: seconds on a busy machine.
jest.setTimeout(120_000);

/** DOMAIN.md's worked example to September (INV-000018 $140.00, the $50.00 credit disbursed to it), then a $60.00 payment on it. */
async function workedExampleWithPayment(billing: Billing): Promise<void> {
  await billing.loadDemo();
  const credit = await billing.addCredit({ account: 'Parent Co', amount: '$50.00', detail: 'Service outage', createdBy: 'U_FIN' });
  await billMonth(billing, 'Child Co', '2026-09');
  await billing.disburseCredit({ credit: credit.id, invoice: '18', amount: '50.00', actor: 'U_FIN' });
  await billing.recordPayment({ account: 'Parent Co', amount: '$60.00', reference: 'CHQ-1001', method: 'cheque', to: [{ invoice: '18' }] }, 'U_FIN');
}

describe('the statement of account as a PDF', () => {
  const t = useTestDatabase();
  let dir: string;
  let billing: Billing;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-statement-pdf-'));
    billing = createBilling(t.db, clock);
    await workedExampleWithPayment(billing);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is parsed by the one parser: a last word "pdf" after the account and the dates', () => {
    expect(parseCommand('/billing', 'statement Parent Co pdf')).toEqual({ kind: 'statement.pdf', account: 'Parent Co', from: null, to: null, file: null });
    expect(parseCommand('/billing', 'statement "Parent Co" from 2026-10-01 to 2026-10-31 PDF')).toEqual({
      kind: 'statement.pdf',
      account: 'Parent Co',
      from: '2026-10-01',
      to: '2026-10-31',
      file: null,
    });
    expect(parseCommand('/billing', 'statement pdf')).toMatchObject({ kind: 'billing.statement', account: 'pdf' });
    expect(() => parseCommand('/billing', 'statement Parent Co from 2026-10-31 to 2026-10-01 pdf')).toThrow('The statement starts after it ends');
  });

  it("shows the header, the account, the period, the opening balance, each line with its running balance and the closing balance 30.00; the same bytes twice", async () => {
    const document = await billing.receivables.statementDocument('Parent Co', { to: '2026-10-31' });
    const company = { name: 'Northwind Billing Ltd', address: ['1 Harbour Road', 'Bristol BS1 4ST'], logo: null, footer: 'Pay within 30 days.' };
    const data = await statementPdf(document, company);
    expect((await statementPdf(document, company)).equals(data)).toBe(true);
    const raw = data.toString('latin1');
    expect(raw).toContain(`${/\/CreationDate (\d+) 0 R/.exec(raw)![1]} 0 obj\n(D:20261031000000Z)`);
    const text = flat((await pdfText(data)).text);
    expect(text).toContain('Northwind Billing Ltd 1 Harbour Road Bristol BS1 4ST');
    expect(text).toContain('Statement Period: to 2026-10-31 Currency: USD');
    expect(text).toContain('Account Parent Co');
    expect(text).toContain('Opening balance $0.00');
    expect(text).toContain('Date Kind Reference Detail Amount Balance');
    expect(text).toContain('2026-10-02 Invoice INV-000018 $140.00 $140.00');
    expect(text).toContain('2026-10-02 Credit CR-1 to INV-000018 -$50.00 $90.00');
    expect(text).toContain('2026-10-02 Payment PM-000001 cheque, CHQ-1001 -$60.00 $30.00');
    expect(text).toContain('Closing balance $30.00');
    expect(text).toContain('Pay within 30 days.');
  });

  it('wraps long text and continues on further pages with the header again', async () => {
    const document = await billing.receivables.statementDocument('Parent Co', { to: '2026-10-31' });
    const line = { ...document.statement.lines[2], detail: 'cheque, a reference long enough to wrap over several lines of its column' };
    const lines = Array.from({ length: 120 }, () => line);
    const long = { ...document, statement: { ...document.statement, lines } };
    const { pages } = await pdfText(await statementPdf(long));
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages.slice(1)) {
      expect(flat(page)).toContain('Statement of Parent Co (continued) Date Kind Reference Detail Amount Balance');
    }
    expect(flat(pages[0])).toContain('a reference long enough to wrap');
    expect(pages.at(-1)).toContain('Closing balance');
  });

  it('in the shell and from the CLI: a file in the working folder', async () => {
    const shell = driveShell({ services: { billing }, user: 'local-admin', directory: dir });
    await shell.ready();
    const reply = await shell.type('/billing statement Parent Co to 2026-10-31 pdf');
    const file = path.join(dir, 'statement-parent-co-2026-10-31.pdf');
    expect(reply).toContain(`Wrote the PDF of the statement of Parent Co to \`${file}\``);
    expect(flat((await pdfText(await fs.readFile(file))).text)).toContain('Closing balance $30.00');
    expect(await shell.type('/billing statement Nobody Ltd pdf')).toContain('There is no account named "Nobody Ltd".');
    shell.close();
    await shell.finished;

    // The CLI runs on the real clock: the credit's disbursement is dated the day it was made, so only the closing balance is fixed.
    const written = await billbot(t.url, ['statement', 'Parent Co', '--from', '2026-10-01', '--pdf', 'parent.pdf'], { cwd: dir });
    expect(written).toMatchObject({ code: 0, stderr: '' });
    const text = flat((await pdfText(await fs.readFile(path.join(dir, 'parent.pdf')))).text);
    expect(text).toContain('Period: 2026-10-01 to');
    expect(text).toContain('2026-10-02 Payment PM-000001 cheque, CHQ-1001 -$60.00');
    expect(text).toContain('Closing balance $30.00');
    expect(await billbot(t.url, ['statement', 'Parent Co', '--pdf', 'parent.txt'], { cwd: dir })).toMatchObject({
      code: 1,
      stderr: 'Name the file with the .pdf extension (not "parent.txt"), so that a PDF reader opens it.\n',
    });
  });
});
