import PDFDocument from 'pdfkit';
import { Money, type AppliedAmount, type InvoiceDocument, type InvoiceDocumentLine } from '../../billing';
import { DEFAULT_COMPANY, type CompanyHeader } from './company';
import { fontSource, keepParsed, sharedLayouts, visible, type FontName, type GlyphCoverage } from './fonts';

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

const PAGE_WIDTH = 595.28; // A4 in points
const PAGE_HEIGHT = 841.89;
const LEFT = 50;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * LEFT;
const TOP = 50;
const BOTTOM = 30;
const PAD = 3;
const GREY = '#555555';

interface Column {
  header: string;
  width: number;
  align: 'left' | 'right';
  cell: (line: InvoiceDocumentLine, money: (amount: string) => string) => string;
}

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

type Doc = PDFKit.PDFDocument;

class InvoiceWriter {
  readonly doc: Doc;
  private y = TOP;
  private missing = 0;
  private firstMissing: string | null = null;
  private readonly footer: string;
  private readonly limit: number;

  constructor(
    private readonly invoice: InvoiceDocument,
    private readonly company: CompanyHeader,
  ) {
    this.doc = new PDFDocument({
      size: 'A4',
      margins: { top: TOP, left: LEFT, right: LEFT, bottom: BOTTOM },
      bufferPages: true,
      info: {
        Title: `Invoice ${invoice.number}`,
        Author: company.name,
        Subject: `Invoice ${invoice.number} to ${invoice.invoicer.name}`,
        Creator: 'billbot',
        Producer: 'billbot',
        CreationDate: new Date(`${invoice.issued}T00:00:00Z`),
      },
    });
    for (const name of ['bold', 'regular'] as const) {
      this.doc.registerFont(name, fontSource(name) as Buffer);
      keepParsed(name, this.coverage(name));
      (this.doc as unknown as { _font: { layoutCache: unknown } })._font.layoutCache = sharedLayouts(name);
    }
    this.footer = this.shown(company.footer, 'regular');
    this.limit = PAGE_HEIGHT - BOTTOM - this.footerHeight() - 12;
  }

  money = (amount: string) => Money.exact(amount, this.invoice.currency).format();

  /** The font's glyph coverage: fontkit's font, as pdfkit's font object holds it. */
  private coverage(font: FontName): GlyphCoverage {
    this.doc.font(font);
    return (this.doc as unknown as { _font: { font: GlyphCoverage } })._font.font;
  }

  /** The text as the font can show it, counting what it cannot. */
  private shown(text: string, font: FontName): string {
    const { text: out, missing, first } = visible(text, this.coverage(font));
    this.missing += missing;
    this.firstMissing ??= first;
    return out;
  }

  private footerHeight(): number {
    return this.doc.font('regular').fontSize(8).heightOfString(this.footer, { width: CONTENT_WIDTH }) + 14;
  }

  /** Writes text at (x, y) within `width`; gives its height. */
  private put(text: string, x: number, y: number, o: { width: number; font?: FontName; size?: number; align?: 'left' | 'right'; color?: string }): number {
    const font = o.font ?? 'regular';
    const shown = this.shown(text, font);
    this.doc.font(font).fontSize(o.size ?? 9).fillColor(o.color ?? 'black');
    this.doc.text(shown, x, y, { width: o.width, align: o.align ?? 'left' });
    return this.doc.heightOfString(shown, { width: o.width, align: o.align ?? 'left' });
  }

  write(): Doc {
    this.header();
    this.billTo();
    this.table();
    this.applied();
    this.summary();
    this.glyphNote();
    this.footers();
    this.doc.end();
    return this.doc;
  }

  private header(): void {
    const { company, invoice } = this;
    let left = TOP;
    if (company.logo) {
      this.doc.image(company.logo, LEFT, left, { fit: [160, 60] });
      left += 68;
    }
    left += this.put(company.name, LEFT, left, { width: 280, font: 'bold', size: 14 }) + 2;
    for (const line of company.address) left += this.put(line, LEFT, left, { width: 280, color: GREY });
    const x = LEFT + CONTENT_WIDTH - 220;
    let right = TOP;
    right += this.put('Invoice', x, right, { width: 220, font: 'bold', size: 20, align: 'right' });
    right += this.put(invoice.number, x, right, { width: 220, font: 'bold', size: 11, align: 'right' }) + 4;
    const facts = [...invoice.dates.map((d) => `${d.label}: ${d.date}`), `Period: ${period(invoice.period.start, invoice.period.end)}`, `Currency: ${invoice.currency}`];
    for (const fact of facts) right += this.put(fact, x, right, { width: 220, align: 'right' });
    this.y = Math.max(left, right) + 20;
  }

  private billTo(): void {
    const { invoicer } = this.invoice;
    this.y += this.put('Bill to', LEFT, this.y, { width: 300, size: 8, color: GREY });
    this.y += this.put(invoicer.displayName ?? invoicer.name, LEFT, this.y, { width: 300, font: 'bold', size: 11 });
    if (invoicer.displayName) this.y += this.put(`Account: ${invoicer.name}`, LEFT, this.y, { width: 300, color: GREY });
    for (const line of invoicer.address) this.y += this.put(line, LEFT, this.y, { width: 300 });
    this.y += 18;
  }

  private tableHeader(): void {
    let x = LEFT;
    let height = 0;
    for (const c of COLUMNS) {
      height = Math.max(height, this.put(c.header, x + PAD, this.y, { width: c.width - 2 * PAD, font: 'bold', align: c.align }));
      x += c.width;
    }
    this.y += height + PAD;
    this.doc.moveTo(LEFT, this.y).lineTo(LEFT + CONTENT_WIDTH, this.y).lineWidth(0.8).strokeColor('black').stroke();
    this.y += PAD;
  }

  /** A new page that continues the table (its header again). */
  private continuePage(withTableHeader: boolean): void {
    this.doc.addPage();
    this.y = TOP;
    this.y += this.put(`Invoice ${this.invoice.number} (continued)`, LEFT, this.y, { width: CONTENT_WIDTH, font: 'bold', size: 11 }) + 10;
    if (withTableHeader) this.tableHeader();
  }

  private rowHeight(cells: string[]): number {
    this.doc.font('regular').fontSize(9);
    return Math.max(...cells.map((text, i) => this.doc.heightOfString(text, { width: COLUMNS[i].width - 2 * PAD }))) + 2 * PAD;
  }

  private table(): void {
    this.tableHeader();
    for (const line of this.invoice.lines) {
      const cells = COLUMNS.map((c) => this.shown(c.cell(line, this.money), 'regular'));
      const height = this.rowHeight(cells);
      if (this.y + height > this.limit) this.continuePage(true);
      let x = LEFT;
      cells.forEach((text, i) => {
        this.doc.font('regular').fontSize(9).fillColor(line.kind === 'reversed credit' ? GREY : 'black');
        this.doc.text(text, x + PAD, this.y + PAD, { width: COLUMNS[i].width - 2 * PAD, align: COLUMNS[i].align });
        x += COLUMNS[i].width;
      });
      this.y += height;
      this.doc.moveTo(LEFT, this.y).lineTo(LEFT + CONTENT_WIDTH, this.y).lineWidth(0.3).strokeColor('#bbbbbb').stroke();
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

  /** Says how characters the font lacks were written (after everything else that is written on the pages). */
  private glyphNote(): void {
    if (!this.missing) return;
    const count = this.missing === 1 ? 'One character' : `${this.missing} characters`;
    const note = `${count} in this document cannot be shown in its font; each is written as its Unicode code point in brackets, like ${this.firstMissing}.`;
    this.room(30);
    this.y += 14 + this.put(note, LEFT, this.y + 14, { width: CONTENT_WIDTH, size: 8, color: GREY });
  }

  private footers(): void {
    const { start, count } = this.doc.bufferedPageRange();
    for (let i = start; i < start + count; i++) {
      this.doc.switchToPage(i);
      const top = this.limit + 12;
      const height = this.put(this.footer, LEFT, top, { width: CONTENT_WIDTH, size: 8, color: GREY });
      this.put(`${this.invoice.number} · page ${i - start + 1} of ${count}`, LEFT, top + height + 2, { width: CONTENT_WIDTH, size: 8, color: GREY, align: 'right' });
    }
  }
}

/** The invoice's PDF as a stream (already ended: read it to its end). */
export function invoicePdfStream(invoice: InvoiceDocument, company: CompanyHeader = DEFAULT_COMPANY): NodeJS.ReadableStream {
  return new InvoiceWriter(invoice, company).write();
}

/** The invoice's PDF bytes. */
export async function invoicePdf(invoice: InvoiceDocument, company: CompanyHeader = DEFAULT_COMPANY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = invoicePdfStream(invoice, company);
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
