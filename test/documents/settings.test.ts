import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { PNG } from 'pngjs';
import { ConfigError, loadConfig } from '../../bot/config';
import type { InvoiceDocument } from '../../billing';
import { invoicePdf } from '../../sheets/documents';
import { flat, pdfText } from './helpers';

// PDFs are read back by pdf-parse in a process of their own: on a busy machine that takes seconds.
jest.setTimeout(120_000);

/** The company on the documents: settings read and checked at start, like every other setting. */
describe('the company header settings', () => {
  let dir: string;
  let logo: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-company-'));
    const png = new PNG({ width: 60, height: 20 });
    png.data.fill(0x80);
    logo = path.join(dir, 'logo.png');
    await fs.writeFile(logo, PNG.sync.write(png));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (e) {
      if (e instanceof ConfigError) return e.message;
      throw e;
    }
    throw new Error('accepted');
  };

  it('reads the name, the address lines, the logo and the footer; blank is the default', () => {
    const config = loadConfig({
      BILLBOT_COMPANY_NAME: ' Northwind Billing Ltd ',
      BILLBOT_COMPANY_ADDRESS: '1 Harbour Road | Bristol BS1 4ST|United Kingdom',
      BILLBOT_COMPANY_LOGO: logo,
      BILLBOT_INVOICE_FOOTER: 'Pay by bank transfer.\\nQuote the invoice number.',
    });
    expect(config.company).toMatchObject({
      name: 'Northwind Billing Ltd',
      address: ['1 Harbour Road', 'Bristol BS1 4ST', 'United Kingdom'],
      footer: 'Pay by bank transfer.\nQuote the invoice number.',
    });
    expect(config.company.logo?.subarray(1, 4).toString()).toBe('PNG');
    // The logo's bytes are not printed with the settings.
    expect(inspect(config)).toMatch(/logo: '\d+ bytes'/);
    expect(loadConfig({ BILLBOT_COMPANY_NAME: '  ' }).company.name).toBe('billbot');
  });

  it.each<[Record<string, string>, string]>([
    [{ BILLBOT_COMPANY_LOGO: '/nonexistent/logo.png' }, 'BILLBOT_COMPANY_LOGO names a file that cannot be read.'],
    [{ BILLBOT_COMPANY_NAME: 'N'.repeat(101) }, 'BILLBOT_COMPANY_NAME can be at most 100 characters.'],
    [{ BILLBOT_COMPANY_ADDRESS: 'a|b|c|d|e|f|g' }, 'BILLBOT_COMPANY_ADDRESS can have at most 6 lines (separated by |) of at most 100 characters.'],
    [{ BILLBOT_INVOICE_FOOTER: 'x'.repeat(501) }, 'BILLBOT_INVOICE_FOOTER can be at most 500 characters.'],
  ])('refuses %j with one sentence', (env, message) => {
    expect(refusal(env)).toBe(message);
  });

  it('refuses a logo that is not a PNG or JPEG', async () => {
    const text = path.join(dir, 'logo.txt');
    await fs.writeFile(text, 'not an image');
    expect(refusal({ BILLBOT_COMPANY_LOGO: text })).toBe('BILLBOT_COMPANY_LOGO must be a PNG or JPEG file.');
  });

  it('puts the header, the logo and the footer on every page', async () => {
    const { company } = loadConfig({ BILLBOT_COMPANY_NAME: 'Northwind', BILLBOT_COMPANY_LOGO: logo, BILLBOT_INVOICE_FOOTER: 'Pay within 30 days.' });
    const line = { kind: 'charge' as const, account: 'A', otherAccount: false, description: 'S', periodStart: '2026-09-01', periodEnd: '2026-09-30', quantity: 1, amount: '1.00' };
    const doc: InvoiceDocument = {
      number: 'INV-000001',
      status: 'open',
      currency: 'JPY',
      minorUnits: 0,
      invoicer: { name: 'A', displayName: 'A Company', address: [] },
      dates: [{ label: 'Invoice date', date: '2026-10-02' }],
      period: { start: '2026-09-01', end: '2026-09-30' },
      lines: Array.from({ length: 120 }, () => ({ ...line, amount: '1000' })),
      applied: [],
      summary: [{ label: 'Total', amount: '120000' }, { label: 'Balance due', amount: '120000', final: true }],
      issued: '2026-10-02',
    };
    const pdf = await invoicePdf(doc, company);
    expect(pdf.toString('latin1')).toContain('/Subtype /Image');
    const { pages } = await pdfText(pdf);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page).toContain('Pay within 30 days.');
    const text = flat(pages.join('\n'));
    expect(text).toContain('Bill to A Company Account: A');
    // Yen have no minor unit.
    expect(text).toContain('Total ¥120,000 Balance due ¥120,000');
  });
});
