/**
 * The README's picture of an invoice page, made by billbot's own code: DOMAIN.md's invoice
 * INV-000018 (Child Co's charges on Parent Co's invoice, the $50.00 credit disbursed) as
 * billing's document view gives it, written by sheets/documents and rendered to PNG by
 * pdf-parse (pdf.js on @napi-rs/canvas).
 *
 *   npx tsx test/documents/pageImage.ts [out.png]     (default test/documents/invoice-page.png)
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InvoiceDocument } from '../../billing';
import { invoicePdf, type CompanyHeader } from '../../sheets/documents';

const COMPANY: CompanyHeader = {
  name: 'Northwind Billing Ltd',
  address: ['1 Harbour Road', 'Bristol BS1 4ST', 'United Kingdom'],
  logo: null,
  footer: 'Pay by bank transfer to GB00 NWBK 6016 1331 9268 19 within 30 days, quoting the invoice number. Questions: billing@northwind.example.',
};

const line = (service: string, amount: string) => ({
  kind: 'charge' as const,
  account: 'Child Co',
  otherAccount: true,
  description: `Managed Network: ${service}`,
  periodStart: '2026-09-15',
  periodEnd: '2026-10-14',
  quantity: 1,
  amount,
});

/** INV-000018 of the worked example, after the credit was disbursed (what billing.invoiceDocument('18') gives). */
export const INVOICE_18: InvoiceDocument = {
  number: 'INV-000018',
  status: 'open',
  currency: 'USD',
  minorUnits: 2,
  invoicer: { name: 'Parent Co', displayName: null, address: ['10 Downing Lane', '12345 Springfield', 'Freedonia'] },
  dates: [
    { label: 'Invoice date', date: '2026-10-02' },
    { label: 'Due date', date: '2026-11-01' },
  ],
  period: { start: '2026-09-01', end: '2026-09-30' },
  lines: [line('Network Monitoring', '100.00'), line('Support', '40.00')],
  applied: [{ kind: 'credit', reference: 'CR-1', date: '2026-10-02', amount: '50.00' }],
  summary: [
    { label: 'Total', amount: '140.00' },
    { label: 'Credits disbursed', amount: '-50.00' },
    { label: 'Balance due', amount: '90.00', final: true },
  ],
  issued: '2026-10-02',
};

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, 'invoice-page.png'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PDFParse } = require('pdf-parse') as typeof import('pdf-parse');
  const parser = new PDFParse({ data: new Uint8Array(await invoicePdf(INVOICE_18, COMPANY)) });
  try {
    const shot = await parser.getScreenshot({ partial: [1], desiredWidth: 900, imageBuffer: true, imageDataUrl: false });
    const png = Buffer.from(shot.pages[0].data);
    writeFileSync(out, png);
    process.stdout.write(`${out}: ${shot.pages[0].width} x ${shot.pages[0].height} px, ${Math.round(png.length / 1024)} KB\n`);
  } finally {
    await parser.destroy();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
