import PDFDocument from 'pdfkit';
import type { DocumentParty } from '../../billing';
import type { CompanyHeader } from './company';
import { fontSource, keepParsed, sharedLayouts, visible, type FontName, type GlyphCoverage } from './fonts';

/**
 * What the documents' PDFs share (pdfkit, A4): the embedded DejaVu fonts with their shared
 * layouts, text written as the font can show it (a missing glyph as [U+XXXX], counted, and a
 * note saying so), the company's header, room on a page or a new one, and every page's footer
 * with its number. An invoice (invoicePdf.ts) and a statement (statementPdf.ts) extend it.
 */

export const PAGE_WIDTH = 595.28; // A4 in points
export const PAGE_HEIGHT = 841.89;
export const LEFT = 50;
export const CONTENT_WIDTH = PAGE_WIDTH - 2 * LEFT;
export const TOP = 50;
export const BOTTOM = 30;
export const PAD = 3;
export const GREY = '#555555';

export type Doc = PDFKit.PDFDocument;

export interface PutOptions {
  width: number;
  font?: FontName;
  size?: number;
  align?: 'left' | 'right';
  color?: string;
}

/** A table's column: its header, width and alignment, and how a row shows in it. */
export interface Column<Row> {
  header: string;
  width: number;
  align: 'left' | 'right';
  cell: (row: Row, money: (amount: string) => string) => string;
}

export abstract class PdfPages {
  readonly doc: Doc;
  protected y = TOP;
  private missing = 0;
  private firstMissing: string | null = null;
  private readonly footer: string;
  protected readonly limit: number;

  constructor(
    protected readonly company: CompanyHeader,
    info: { Title: string; Subject: string; CreationDate: Date },
  ) {
    this.doc = new PDFDocument({
      size: 'A4',
      margins: { top: TOP, left: LEFT, right: LEFT, bottom: BOTTOM },
      bufferPages: true,
      info: { Title: info.Title, Author: company.name, Subject: info.Subject, Creator: 'billbot', Producer: 'billbot', CreationDate: info.CreationDate },
    });
    for (const name of ['bold', 'regular'] as const) {
      this.doc.registerFont(name, fontSource(name) as Buffer);
      keepParsed(name, this.coverage(name));
      (this.doc as unknown as { _font: { layoutCache: unknown } })._font.layoutCache = sharedLayouts(name);
    }
    this.footer = this.shown(company.footer, 'regular');
    this.limit = PAGE_HEIGHT - BOTTOM - this.footerHeight() - 12;
  }

  /** The font's glyph coverage: fontkit's font, as pdfkit's font object holds it. */
  private coverage(font: FontName): GlyphCoverage {
    this.doc.font(font);
    return (this.doc as unknown as { _font: { font: GlyphCoverage } })._font.font;
  }

  /** The text as the font can show it, counting what it cannot. */
  protected shown(text: string, font: FontName): string {
    const { text: out, missing, first } = visible(text, this.coverage(font));
    this.missing += missing;
    this.firstMissing ??= first;
    return out;
  }

  private footerHeight(): number {
    return this.doc.font('regular').fontSize(8).heightOfString(this.footer, { width: CONTENT_WIDTH }) + 14;
  }

  /** Writes text at (x, y) within `width`; gives its height. */
  protected put(text: string, x: number, y: number, o: PutOptions): number {
    const font = o.font ?? 'regular';
    const shown = this.shown(text, font);
    this.doc.font(font).fontSize(o.size ?? 9).fillColor(o.color ?? 'black');
    this.doc.text(shown, x, y, { width: o.width, align: o.align ?? 'left' });
    return this.doc.heightOfString(shown, { width: o.width, align: o.align ?? 'left' });
  }

  /**
   * The first page's header: the company's name, address and logo on the left; on the right
   * the document's title, its number when it has one, and its facts (dates, period, currency).
   */
  protected header(title: string, number: string | null, facts: string[]): void {
    const left = this.companyHeader();
    const x = LEFT + CONTENT_WIDTH - 220;
    let right = TOP;
    right += this.put(title, x, right, { width: 220, font: 'bold', size: 20, align: 'right' });
    if (number) right += this.put(number, x, right, { width: 220, font: 'bold', size: 11, align: 'right' });
    right += 4;
    for (const fact of facts) right += this.put(fact, x, right, { width: 220, align: 'right' });
    this.y = Math.max(left, right) + 20;
  }

  /** Whom the document is for: a small label, the name (and the account's own name under a display name), the address. */
  protected partyBlock(label: string, party: DocumentParty): void {
    this.y += this.put(label, LEFT, this.y, { width: 300, size: 8, color: GREY });
    this.y += this.put(party.displayName ?? party.name, LEFT, this.y, { width: 300, font: 'bold', size: 11 });
    if (party.displayName) this.y += this.put(`Account: ${party.name}`, LEFT, this.y, { width: 300, color: GREY });
    for (const line of party.address) this.y += this.put(line, LEFT, this.y, { width: 300 });
    this.y += 18;
  }

  /** The company's name, address and logo on the left, from the top; gives where it ends. */
  private companyHeader(): number {
    let left = TOP;
    if (this.company.logo) {
      this.doc.image(this.company.logo, LEFT, left, { fit: [160, 60] });
      left += 68;
    }
    left += this.put(this.company.name, LEFT, left, { width: 280, font: 'bold', size: 14 }) + 2;
    for (const line of this.company.address) left += this.put(line, LEFT, left, { width: 280, color: GREY });
    return left;
  }

  /** A table's header row and its rule. */
  protected tableHeader<Row>(columns: Column<Row>[]): void {
    let x = LEFT;
    let height = 0;
    for (const c of columns) {
      height = Math.max(height, this.put(c.header, x + PAD, this.y, { width: c.width - 2 * PAD, font: 'bold', align: c.align }));
      x += c.width;
    }
    this.y += height + PAD;
    this.doc.moveTo(LEFT, this.y).lineTo(LEFT + CONTENT_WIDTH, this.y).lineWidth(0.8).strokeColor('black').stroke();
    this.y += PAD;
  }

  /** One table row (its cells already as the font shows them), on a new page when it does not fit. */
  protected tableRow<Row>(columns: Column<Row>[], cells: string[], color: string, continuePage: () => void): void {
    this.doc.font('regular').fontSize(9);
    const height = Math.max(...cells.map((text, i) => this.doc.heightOfString(text, { width: columns[i].width - 2 * PAD }))) + 2 * PAD;
    if (this.y + height > this.limit) continuePage();
    let x = LEFT;
    cells.forEach((text, i) => {
      this.doc.font('regular').fontSize(9).fillColor(color);
      this.doc.text(text, x + PAD, this.y + PAD, { width: columns[i].width - 2 * PAD, align: columns[i].align });
      x += columns[i].width;
    });
    this.y += height;
    this.doc.moveTo(LEFT, this.y).lineTo(LEFT + CONTENT_WIDTH, this.y).lineWidth(0.3).strokeColor('#bbbbbb').stroke();
  }

  /** A new page that continues the document: its title again, and the table's header when given. */
  protected newPage(title: string, columns?: Column<never>[]): void {
    this.doc.addPage();
    this.y = TOP;
    this.y += this.put(title, LEFT, this.y, { width: CONTENT_WIDTH, font: 'bold', size: 11 }) + 10;
    if (columns) this.tableHeader(columns);
  }

  /** Says how characters the font lacks were written (after everything else that is written on the pages). */
  protected glyphNote(room: (height: number) => void): void {
    if (!this.missing) return;
    const count = this.missing === 1 ? 'One character' : `${this.missing} characters`;
    const note = `${count} in this document cannot be shown in its font; each is written as its Unicode code point in brackets, like ${this.firstMissing}.`;
    room(30);
    this.y += 14 + this.put(note, LEFT, this.y + 14, { width: CONTENT_WIDTH, size: 8, color: GREY });
  }

  /** Every page's footer, and "<label> · page i of n". */
  protected footers(label: string): void {
    const { start, count } = this.doc.bufferedPageRange();
    for (let i = start; i < start + count; i++) {
      this.doc.switchToPage(i);
      const top = this.limit + 12;
      const height = this.put(this.footer, LEFT, top, { width: CONTENT_WIDTH, size: 8, color: GREY });
      this.put(`${label} · page ${i - start + 1} of ${count}`, LEFT, top + height + 2, { width: CONTENT_WIDTH, size: 8, color: GREY, align: 'right' });
    }
  }
}

/** A PDF stream's bytes. */
export function pdfBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
