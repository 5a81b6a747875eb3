import { Money, type StatementDocument, type StatementLine } from '../../billing';
import { DEFAULT_COMPANY, type CompanyHeader } from './company';
import { CONTENT_WIDTH, GREY, LEFT, PdfPages, pdfBytes, type Column, type Doc } from './pdfPages';

/**
 * An account's statement as a PDF (pdfkit, A4), laid out like the invoice (pdfPages.ts): the
 * company's header, the account's name and address, the period, the opening balance, one
 * table row per statement line (date, kind, reference, detail, amount, running balance), and
 * the closing balance, in the account's currency.
 *
 * - Reproducible: the creation date is the statement's end date; the same statement gives
 *   the same bytes.
 * - Text wraps within its column; a long statement continues on further pages, each with the
 *   statement's title and the table's header again, and every page ends with the footer.
 */

const KIND_LABEL: Record<StatementLine['kind'], string> = {
  invoice: 'Invoice',
  disbursement: 'Credit',
  payment: 'Payment',
  'payment reversal': 'Payment reversed',
};

const COLUMNS: Column<StatementLine>[] = [
  { header: 'Date', width: 62, align: 'left', cell: (l) => l.date },
  { header: 'Kind', width: 62, align: 'left', cell: (l) => KIND_LABEL[l.kind] },
  { header: 'Reference', width: 70, align: 'left', cell: (l) => l.reference },
  { header: 'Detail', width: 130, align: 'left', cell: (l) => l.detail },
  { header: 'Amount', width: 85, align: 'right', cell: (l, money) => money(l.amount) },
  { header: 'Balance', width: CONTENT_WIDTH - 409, align: 'right', cell: (l, money) => money(l.balance) },
];

/** "from 2026-10-01 to 2026-10-31"; without a start, "to 2026-10-31". */
export function statementPeriod(from: string | null, to: string): string {
  return from ? `${from} to ${to}` : `to ${to}`;
}

class StatementWriter extends PdfPages {
  private readonly title: string;

  constructor(
    private readonly document: StatementDocument,
    company: CompanyHeader,
  ) {
    const { statement } = document;
    super(company, {
      Title: `Statement of ${statement.account}`,
      Subject: `Statement of ${statement.account}, ${statementPeriod(statement.from, statement.to)}`,
      CreationDate: new Date(`${statement.to}T00:00:00Z`),
    });
    this.title = `Statement of ${statement.account}`;
  }

  money = (amount: string) => Money.exact(amount, this.document.statement.currency).format();

  write(): Doc {
    const { statement, party } = this.document;
    this.header('Statement', null, [`Period: ${statementPeriod(statement.from, statement.to)}`, `Currency: ${statement.currency}`]);
    this.partyBlock('Account', party);
    this.balance('Opening balance', statement.openingBalance, false);
    this.table();
    this.balance('Closing balance', this.document.statement.closingBalance, true);
    this.glyphNote((height) => this.room(height));
    this.footers(this.title);
    this.doc.end();
    return this.doc;
  }

  private continuePage(withTableHeader: boolean): void {
    this.newPage(`${this.title} (continued)`, withTableHeader ? COLUMNS : undefined);
  }

  private room(height: number): void {
    if (this.y + height > this.limit) this.continuePage(false);
  }

  private table(): void {
    this.tableHeader(COLUMNS);
    for (const line of this.document.statement.lines) {
      const cells = COLUMNS.map((c) => this.shown(c.cell(line, this.money), 'regular'));
      this.tableRow(COLUMNS, cells, 'black', () => this.continuePage(true));
    }
    if (!this.document.statement.lines.length) {
      this.room(20);
      this.y += this.put('No invoices, credits or payments in this period.', LEFT + 3, this.y + 3, { width: CONTENT_WIDTH, color: GREY }) + 6;
    }
    this.y += 12;
  }

  private balance(label: string, amount: string, final: boolean): void {
    this.room(26);
    const x = LEFT + CONTENT_WIDTH - 260;
    if (final) this.doc.moveTo(x, this.y).lineTo(LEFT + CONTENT_WIDTH, this.y).lineWidth(0.8).strokeColor('black').stroke();
    const font = final ? 'bold' : 'regular';
    this.put(label, x, this.y + 3, { width: 150, font, size: 10 });
    this.y += this.put(this.money(amount), x + 150, this.y + 3, { width: 110, font, size: 10, align: 'right' }) + 12;
  }
}

/** The statement's PDF bytes. */
export function statementPdf(document: StatementDocument, company: CompanyHeader = DEFAULT_COMPANY): Promise<Buffer> {
  return pdfBytes(new StatementWriter(document, company).write());
}
