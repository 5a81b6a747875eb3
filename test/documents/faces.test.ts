import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBilling } from '../../billing';
import { parseCommand } from '../../bot/commands';
import { clock } from '../credits/fixtures';
import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';
import { driveShell } from '../helpers/shell';
import { flat, pdfText, workedExampleThroughOctober } from './helpers';
import { zipEntries } from './zip';

// The CLI cases start node; on a busy machine that takes seconds.
jest.setTimeout(120_000);

describe('the document commands', () => {
  const t = useTestDatabase();
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-documents-'));
    await workedExampleThroughOctober(createBilling(t.db, clock));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('are read by the one parser, with a sentence and the right form for a mistake', () => {
    expect(parseCommand('/billing', 'invoice 18 pdf')).toEqual({ kind: 'invoice.pdf', invoice: '18', file: null });
    expect(parseCommand('/billing', 'export pdfs run 12')).toEqual({ kind: 'billing.export.pdfs', run: 12, file: null });
    expect(parseCommand('/billing', 'export pdf #12')).toEqual({ kind: 'billing.export.pdfs', run: 12, file: null });
    expect(() => parseCommand('/billing', 'invoice 18 pdf please')).toThrow('Give one invoice number, and "pdf" after it for the invoice as a PDF');
    expect(() => parseCommand('/billing', 'export pdfs')).toThrow('Say which bill run\'s invoices to export, like "run 12"');
    expect(() => parseCommand('/billing', 'export pdfs run twelve')).toThrow('"twelve" is not a bill run number');
    expect(() => parseCommand('/billing', 'export pdfs run 12 now')).toThrow('Did not understand "now" after the bill run');
  });

  it('in the shell: /billing invoice 18 pdf writes a PDF whose text shows 140.00 and 90.00; a run\'s PDFs make one zip', async () => {
    const shell = driveShell({ services: { billing: createBilling(t.db, clock) }, user: 'local-admin', directory: dir });
    await shell.ready();
    const file = path.join(dir, 'INV-000018.pdf');
    expect(await shell.type('/billing invoice 18 pdf')).toMatch(new RegExp(`Wrote the PDF of INV-000018 to \`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\(\\d+ KB\\)\\.`));
    const text = flat((await pdfText(await fs.readFile(file))).text);
    expect(text).toContain('Total $140.00');
    expect(text).toContain('Balance due $90.00');
    // Again: a fresh name, the earlier file kept.
    expect(await shell.type('/billing invoice INV-000018 pdf')).toContain('INV-000018-2.pdf');
    expect(await shell.type('/billing export pdfs run 2')).toContain(`Wrote 1 invoice PDF of bill run #2 in one zip to \`${path.join(dir, 'billbot-run-2-invoices.zip')}\``);
    expect((await zipEntries(path.join(dir, 'billbot-run-2-invoices.zip'))).map((e) => e.name)).toEqual(['INV-000019.pdf']);
    expect(await shell.type('/billing invoice 99 pdf')).toContain('There is no invoice INV-000099.');
    shell.close();
    await shell.finished;
  });

  it('from the CLI: billbot invoice 18 --pdf with the company settings; billbot export pdfs --run', async () => {
    const env = {
      BILLBOT_COMPANY_NAME: 'Northwind Billing Ltd',
      BILLBOT_COMPANY_ADDRESS: '1 Harbour Road | Bristol BS1 4ST',
      BILLBOT_INVOICE_FOOTER: 'Pay within 30 days to IBAN GB00 NWBK 6016 1331 9268 19.',
    };
    const written = await billbot(t.url, ['invoice', '18', '--pdf', 'eighteen.pdf'], { cwd: dir, env });
    expect(written).toMatchObject({ code: 0, stderr: '' });
    const text = flat((await pdfText(await fs.readFile(path.join(dir, 'eighteen.pdf')))).text);
    expect(text).toContain('Northwind Billing Ltd 1 Harbour Road Bristol BS1 4ST');
    expect(text).toContain('Total $140.00 Credits disbursed -$50.00 Balance due $90.00');
    expect(text).toContain(env.BILLBOT_INVOICE_FOOTER);

    const zip = await billbot(t.url, ['export', 'pdfs', 'october.zip', '--run', '2'], { cwd: dir });
    expect(zip).toMatchObject({ code: 0, stderr: '' });
    const [entry] = await zipEntries(path.join(dir, 'october.zip'));
    expect(flat((await pdfText(entry.data)).text)).toContain('Total $190.00 Balance due $190.00');

    expect(await billbot(t.url, ['invoice', '18', '--pdf', 'eighteen.txt'], { cwd: dir })).toMatchObject({
      code: 1,
      stderr: 'Name the file with the .pdf extension (not "eighteen.txt"), so that a PDF reader opens it.\n',
    });
    expect(await billbot(t.url, ['export', 'pdfs', 'all.zip'], { cwd: dir })).toMatchObject({ code: 2, stderr: 'A bill run number like 12 is required; usage: billbot export pdfs <file> --run N.\n' });
    const badLogo = await billbot(t.url, ['invoice', '18', '--pdf', 'x.pdf'], { cwd: dir, env: { BILLBOT_COMPANY_LOGO: path.join(dir, 'eighteen.pdf') } });
    expect(badLogo).toMatchObject({ code: 1, stderr: 'BILLBOT_COMPANY_LOGO must be a PNG or JPEG file.\n' });
    await expect(fs.stat(path.join(dir, 'x.pdf'))).rejects.toThrow();
  });
});
