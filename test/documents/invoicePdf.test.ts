import { createBilling, type Billing } from '../../billing';
import { invoicePdf } from '../../sheets/documents';
import type { CompanyHeader } from '../../sheets/documents';
import { clock } from '../credits/fixtures';
import { useTestDatabase } from '../helpers/db';
import { flat, pdfText, workedExampleThroughOctober } from './helpers';
import { INVOICE_18 } from './pageImage';

// PDFs are read back by pdf-parse in a process of their own: on a busy machine that takes seconds.
jest.setTimeout(120_000);

const COMPANY: CompanyHeader = {
  name: 'Northwind Billing Ltd',
  address: ['1 Harbour Road', 'Bristol BS1 4ST', 'United Kingdom'],
  logo: null,
  footer: 'Pay by bank transfer to GB00 NWBK 6016 1331 9268 19 within 30 days, quoting the invoice number.',
};

// DOMAIN.md's worked example, read back from the PDFs of invoices 18 and 19.
describe('invoice PDFs of the worked example', () => {
  const t = useTestDatabase();
  let billing: Billing;
  const pdf = async (number: string) => invoicePdf(await billing.invoiceDocument(number), COMPANY);

  beforeAll(async () => {
    billing = createBilling(t.db, clock);
    await workedExampleThroughOctober(billing);
    await billing.updateAccount('Parent Co', { addressLine1: '10 Downing Lane', city: 'Springfield', postalCode: '12345', country: 'Freedonia' });
  });

  it('shows every figure of invoice 18: the header, the child\'s charges, the credit disbursed, total and balance due', async () => {
    const text = flat((await pdfText(await pdf('18'))).text);
    for (const part of [
      'Northwind Billing Ltd 1 Harbour Road Bristol BS1 4ST United Kingdom',
      'Invoice INV-000018 Invoice date: 2026-10-02 Due date: 2026-11-01 Period: 2026-09-01 – 2026-09-30 Currency: USD',
      'Bill to Parent Co 10 Downing Lane 12345 Springfield Freedonia',
      'Account Service Period Qty Amount',
      'Child Co Managed Network: Network Monitoring 2026-09-15 – 2026-10-14 1 $100.00',
      'Child Co Managed Network: Support 2026-09-15 – 2026-10-14 1 $40.00',
      'Total $140.00 Credits disbursed -$50.00 Balance due $90.00',
      COMPANY.footer,
      'INV-000018 · page 1 of 1',
    ]) {
      expect(text).toContain(part);
    }
    expect(text).toMatch(/Credits disbursed CR-1, \d{4}-\d{2}-\d{2} \$50\.00 Total/);
    // The reading order: the lines, then what was applied, then the summary.
    expect(text.indexOf('$40.00')).toBeLessThan(text.indexOf('CR-1'));
    expect(text.indexOf('CR-1')).toBeLessThan(text.indexOf('Total $140.00'));
  });

  it('shows invoice 19 with the charges and the reversed credit as such: total and balance due $190.00', async () => {
    const text = flat((await pdfText(await pdf('INV-000019'))).text);
    expect(text).toContain('Invoice INV-000019');
    expect(text).toContain(
      'Child Co Managed Network: Network Monitoring 2026-10-15 – 2026-11-14 1 $100.00 ' +
        'Child Co Managed Network: Support 2026-10-15 – 2026-11-14 1 $40.00 ' +
        'Parent Co Credit CR-1 reversed — 1 $50.00 ' +
        'Total $190.00 Balance due $190.00',
    );
    expect(text).not.toContain('Credits disbursed');
  });

  it("gives the README's picture what billing gives: INVOICE_18 of pageImage.ts is invoice 18's document", async () => {
    const doc = await billing.invoiceDocument('18');
    // The disbursement is dated by the database's clock (today), the picture by the worked example's.
    expect({ ...doc, applied: doc.applied.map((a) => ({ ...a, date: '2026-10-02' })) }).toEqual(INVOICE_18);
  });

  it('gives the same bytes for the same invoice, dated with the invoice date, with no random id', async () => {
    const first = await pdf('18');
    await pdf('19');
    const again = await pdf('18');
    expect(again.equals(first)).toBe(true);
    const raw = first.toString('latin1');
    expect(raw).toMatch(/\/CreationDate (\d+) 0 R/);
    expect(raw).toContain(`${/\/CreationDate (\d+) 0 R/.exec(raw)![1]} 0 obj\n(D:20261002000000Z)`);
    expect(raw).not.toContain('/ModDate');
    const ids = /\/ID \[<([0-9a-f]+)> <([0-9a-f]+)>\]/.exec(raw);
    expect(ids).not.toBeNull();
    // The file id is a hash of the document's info: another invoice, another id; the same invoice, the same.
    expect((await pdf('19')).toString('latin1')).not.toContain(ids![1]);
  });

  it('embeds its font (DejaVu Sans, a subset) and names the company from the settings', async () => {
    const raw = (await pdf('18')).toString('latin1');
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans\b/);
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold\b/);
    expect(raw).toContain('/FontFile2');
    expect(raw).not.toMatch(/\/BaseFont \/Helvetica/);
  });

  // Last: it pays invoice 18 and takes the payment back (the invoice ends as the tests above read it).
  it('shows a payment applied to invoice 18 (balance due $30.00), and after its reversal no payment and $90.00', async () => {
    const payment = await billing.recordPayment({ account: 'Parent Co', amount: '$60.00', method: 'cheque', reference: 'CHQ-1001', to: [{ invoice: '18' }] }, 'U_FIN');
    const paid = flat((await pdfText(await pdf('18'))).text);
    expect(paid).toContain('Due date: 2026-11-01');
    expect(paid).toMatch(/Credits disbursed CR-1, \d{4}-\d{2}-\d{2} \$50\.00 Payments applied Payment PM-\d{6} \(cheque, ref CHQ-1001\) \$60\.00 Total/);
    expect(paid).toContain(`Payment ${payment.number} (cheque, ref CHQ-1001) $60.00`);
    expect(paid).toContain('Total $140.00 Credits disbursed -$50.00 Payments applied -$60.00 Balance due $30.00');

    await billing.reversePayment(payment.number, 'Cheque returned', 'U_FIN');
    const doc = await billing.invoiceDocument('18');
    expect(doc.applied.map((a) => a.kind)).toEqual(['credit']);
    const reversed = flat((await pdfText(await pdf('18'))).text);
    expect(reversed).not.toContain('Payment');
    expect(reversed).toContain('Total $140.00 Credits disbursed -$50.00 Balance due $90.00');
  });
});
