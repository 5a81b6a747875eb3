import { Money, type AppliedAmount, type InvoiceDocument, type InvoiceDocumentLine } from '../../billing';
import { DEFAULT_COMPANY, type CompanyHeader } from './company';
import type { FontName } from './fonts';
import { CONTENT_WIDTH, GREY, LEFT, PdfPages, pdfBytes, type Column as PageColumn, type Doc } from './pdfPages';

/**
 * An invoice as a PDF (pdfkit, A4): the company's header, the invoicer's name and address,
 * the invoice's number and dates, one table row per line (the account it belongs to, what
 * was billed, its period, quantity and amount), the credits disbursed, and the summary
 * (total, credits disbursed, balance due), in the invoice's currency and its minor unit.
 *
 * - Reproducible: the same invoice gives the same bytes. The creation date is the invoice
 *   date, and pdfkit's file id is a hash of the document's info (no clock, no randomness);
 *   font subsets are named from the font's id in the document.
 * - Text wraps within its column; a table that does not fit continues on further pages,
 *   each with the table's header again, and every page ends with the footer and its number.
 * - A character the font has no glyph for is printed as [U+XXXX] and the document says so.
 */

type Column = PageColumn<InvoiceDocumentLine>;

const period = (start: string | null, end: string | null) => (start && end ? `${start} – ${end}` : '—');

/** "CR-1, 2026-10-02"; "Payment PM-000001 (cheque, ref CHQ-1001)". */
const appliedText = (a: AppliedAmount) =>
  a.kind === 'credit' ? `${a.reference}, ${a.date}` : `Payment ${a.reference}${a.detail ? ` (${a.detail})` : ''}`;

const COLUMNS: Column[] = [
  { header: 'Account', width: 110, align: 'left', cell: (l) => l.account },
  { header: 'Service', width: 130, align: 'left', cell: (l) => l.description },
  { header: 'Period', width: 130, align: 'left', cell: (l) => period(l.periodStart, l.periodEnd) },
  { header: 'Qty', width: 35, align: 'right', cell: (l) => l.quantity.toLocaleString('en-US') },
  { header: 'Amount', width: CONTENT_WIDTH - 405, align: 'right', cell: (l, money) => money(l.amount) },
];

class InvoiceWriter extends PdfPages {
  constructor(
    private readonly invoice: InvoiceDocument,
    company: CompanyHeader,
  ) {
    super(company, {
      Title: `Invoice ${invoice.number}`,
      Subject: `Invoice ${invoice.number} to ${invoice.invoicer.name}`,
      CreationDate: new Date(`${invoice.issued}T00:00:00Z`),
    });
  }

  money = (amount: string) => Money.exact(amount, this.invoice.currency).format();

  write(): Doc {
    const { invoice } = this;
    const facts = [...invoice.dates.map((d) => `${d.label}: ${d.date}`), `Period: ${period(invoice.period.start, invoice.period.end)}`, `Currency: ${invoice.currency}`];
    this.header('Invoice', invoice.number, facts);
    this.partyBlock('Bill to', invoice.invoicer);
    this.table();
    this.applied();
    this.summary();
    this.glyphNote((height) => this.room(height));
    this.footers(this.invoice.number);
    this.doc.end();
    return this.doc;
  }

  /** A new page that continues the table (its header again). */
  private continuePage(withTableHeader: boolean): void {
    this.newPage(`Invoice ${this.invoice.number} (continued)`, withTableHeader ? COLUMNS : undefined);
  }

  private table(): void {
    this.tableHeader(COLUMNS);
    for (const line of this.invoice.lines) {
      const cells = COLUMNS.map((c) => this.shown(c.cell(line, this.money), 'regular'));
      this.tableRow(COLUMNS, cells, line.kind === 'reversed credit' ? GREY : 'black', () => this.continuePage(true));
    }
    this.y += 12;
  }

  /** Room for `height` more points on this page, or a new page. */
  private room(height: number): void {
    if (this.y + height > this.limit) this.continuePage(false);
  }

  /** Credits disbursed, then payments applied, each under its heading. */
  private applied(): void {
    for (const [kind, heading] of [['credit', 'Credits disbursed'], ['payment', 'Payments applied']] as const) {
      const list = this.invoice.applied.filter((a) => a.kind === kind);
      if (!list.length) continue;
      this.room(30);
      this.y += this.put(heading, LEFT, this.y, { width: 300, font: 'bold', size: 10 }) + 2;
      for (const a of list) {
        this.room(14);
        this.put(appliedText(a), LEFT, this.y, { width: 300 });
        this.y += this.put(this.money(a.amount), LEFT + CONTENT_WIDTH - 150, this.y, { width: 150, align: 'right' }) + 2;
      }
      this.y += 10;
    }
  }

  private summary(): void {
    this.room(20 * this.invoice.summary.length + 10);
    const x = LEFT + CONTENT_WIDTH - 260;
    for (const s of this.invoice.summary) {
      const font: FontName = s.final ? 'bold' : 'regular';
      if (s.final) this.doc.moveTo(x, this.y).lineTo(LEFT + CONTENT_WIDTH, this.y).lineWidth(0.8).strokeColor('black').stroke();
      this.put(s.label, x, this.y + 3, { width: 150, font, size: 10 });
      this.y += this.put(this.money(s.amount), x + 150, this.y + 3, { width: 110, font, size: 10, align: 'right' }) + 6;
    }
  }
}

/** The invoice's PDF as a stream (already ended: read it to its end). */
export function invoicePdfStream(invoice: InvoiceDocument, company: CompanyHeader = DEFAULT_COMPANY): NodeJS.ReadableStream {
  return new InvoiceWriter(invoice, company).write();
}

/** The invoice's PDF bytes. */
export function invoicePdf(invoice: InvoiceDocument, company: CompanyHeader = DEFAULT_COMPANY): Promise<Buffer> {
  return pdfBytes(invoicePdfStream(invoice, company));
}
