import type { Outcome } from '../commands/execute';
import type { DocumentKind } from '../commands/types';
import { plural, section, type KnownBlock, type Rendered } from './kit';
import { escapeMrkdwn } from './mrkdwn';
import type { types } from '@slack/bolt';

/** Documents: an invoice's or a statement's PDF, a run's zip of PDFs (written to a file, or uploaded in Slack), and the PDF button. */

/** "the PDF of INV-000018", "4 invoice PDFs of bill run #12 in one zip". */
function what(document: DocumentKind, invoices: number, subject: string): string {
  if (document === 'statement') return `the PDF of the statement of ${subject}`;
  return document === 'invoice' ? `the PDF of ${subject}` : `${plural(invoices, 'invoice PDF')} of ${subject} in one zip`;
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function renderDocumentWritten(outcome: Extract<Outcome, { kind: 'document.written' }>): Rendered {
  const text = `Wrote ${what(outcome.document, outcome.invoices, escapeMrkdwn(outcome.subject))} to \`${escapeMrkdwn(outcome.file)}\` (${size(outcome.bytes)}).`;
  return { text, blocks: [section(text)] };
}

/** A document's upload in Slack: its title, and the comment that goes with it (`subject`: the invoice number, the account, or "bill run #12"). */
export function documentUpload(document: DocumentKind, subject: string, user: string, invoices: number): { title: string; comment: string } {
  const title = document === 'invoice' ? `Invoice ${subject}` : document === 'statement' ? `Statement of ${subject}` : `Invoices of ${subject}`;
  return { title, comment: `<@${user}> asked for this: ${what(document, invoices, escapeMrkdwn(subject))}.` };
}

/** The block that carries an invoice message's PDF button. */
export const INVOICE_PDF_BLOCK_ID = 'invoice_pdf';

/** An invoice message with a "PDF" button (`actionId`: the face's; its value is the invoice number). */
export function withPdfButton(rendered: Rendered, invoiceNumber: string, actionId: string): Rendered {
  const button: types.Button = {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: 'PDF' },
    value: invoiceNumber,
    accessibility_label: `The PDF of invoice ${invoiceNumber}, sent to you in a direct message`.slice(0, 75),
  };
  const block: KnownBlock = { type: 'actions', block_id: INVOICE_PDF_BLOCK_ID, elements: [button] };
  return { text: rendered.text, blocks: [...rendered.blocks.slice(0, 49), block] };
}
