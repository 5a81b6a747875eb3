import { createBilling, MANAGED_NETWORK, type Billing } from '../../billing';
import { invoicePdf } from '../../sheets/documents';
import { clock } from '../credits/fixtures';
import { useTestDatabase } from '../helpers/db';
import { flat, pdfText } from './helpers';

// PDFs are read back by pdf-parse in a process of their own: on a busy machine that takes seconds.
jest.setTimeout(120_000);

/**
 * What an invoice's text survives: accents, Greek and Cyrillic in the embedded font; a
 * character the font lacks, shown as its code point with a note; a 200-character name
 * wrapped in its column; 500 lines on several pages, the table's header on each.
 */
describe('invoice PDF text', () => {
  const t = useTestDatabase();
  let billing: Billing;

  /** Bills a new account (invoicing to itself) with `pkg` for September; its invoice's PDF text. */
  async function invoiceOf(name: string, pkg = MANAGED_NETWORK.name) {
    await billing.createAccount({ name, currency: 'USD' });
    await billing.addAccountPackage({ account: name, package: pkg, effectiveDate: '2026-09-01', nextBillDate: '2026-09-01' });
    const report = await billing.bill({ account: name, configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });
    const pdf = await invoicePdf(await billing.invoiceDocument(report.invoices[0].number));
    return { number: report.invoices[0].number, pdf, ...(await pdfText(pdf)) };
  }

  beforeAll(async () => {
    billing = createBilling(t.db, clock);
    await billing.createPackage(MANAGED_NETWORK);
    await billing.createConfiguration({ name: 'Monthly Billing', billPackages: true, generateInvoice: true, billGroups: ['Default'] });
  });

  it('writes accents, Greek and Cyrillic with the embedded font: the text reads back equal', async () => {
    const name = 'Ærøskøbing Café Müller — Ωμέγα Λτδ — Кириллица ООО';
    const { text, pdf } = await invoiceOf(name);
    expect(flat(text)).toContain(`Bill to ${name}`);
    expect(flat(text)).toContain(`${name} Managed Network: Support`);
    expect(text).not.toMatch(/\[U\+/);
    expect(pdf.toString('latin1')).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans\b/);
  });

  it('never drops a character the font lacks: it is written as its code point, and a note says so', async () => {
    const { text } = await invoiceOf('漢字 Trading');
    const shown = flat(text);
    expect(shown).toContain('Bill to [U+6F22][U+5B57] Trading');
    expect(shown).toContain('[U+6F22][U+5B57] Trading Managed Network');
    expect(shown).toContain('6 characters in this document cannot be shown in its font; each is written as its Unicode code point in brackets, like [U+6F22].');
    expect(text).not.toContain('漢');
  });

  it('wraps a 200-character name within its column, words and a word of 200 letters alike', async () => {
    const words = 'Amalgamated Consolidated International Holdings '.repeat(5).slice(0, 200).trim();
    expect(words.length).toBeGreaterThan(195);
    const spaced = await invoiceOf(words);
    const lines = spaced.text.split('\n');
    // The name is on the page whole, but on no line whole: it wrapped (in the Bill to block and in its column).
    expect(flat(spaced.text)).toContain(words);
    expect(lines.some((l) => l.includes(words))).toBe(false);
    // Its column is the first: no line of the table holds more than about 25 of its characters before the service.
    const rowLines = lines.filter((l) => l.includes('Managed Network'));
    expect(rowLines).toHaveLength(2);
    for (const l of rowLines) expect(l.indexOf('Managed Network')).toBeLessThan(30);
    expect(spaced.pages).toHaveLength(1);

    const letters = 'W'.repeat(200);
    const unspaced = await invoiceOf(letters);
    expect(unspaced.text.replace(/\s+/g, '')).toContain(letters);
    expect(unspaced.text.split('\n').some((l) => l.includes(letters))).toBe(false);
    expect(flat(unspaced.text)).toContain('Total $140.00');
  });

  it('continues an invoice of 500 lines on further pages, the table header on each, every line once', async () => {
    const services = Array.from({ length: 500 }, (_, i) => ({ name: `Line ${String(i + 1).padStart(3, '0')}`, price: '1.25' }));
    await billing.createPackage({ name: 'Five Hundred', currency: 'USD', frequency: 'monthly', services });
    const { number, pages, text } = await invoiceOf('Many Lines Ltd', 'Five Hundred');
    expect(pages.length).toBeGreaterThan(5);
    pages.forEach((page, i) => {
      expect(page).toContain('Account Service Period Qty Amount');
      expect(page).toContain(`${number} · page ${i + 1} of ${pages.length}`);
      if (i > 0) expect(page).toContain(`Invoice ${number} (continued)`);
    });
    for (const s of services) expect(text.split(`Five Hundred: ${s.name} `)).toHaveLength(2);
    expect(flat(pages.at(-1)!)).toContain('Total $625.00 Balance due $625.00');
  });
});
