import { CommandSyntaxError } from './errors';
import { Command, USAGE, validateCommand } from './schema';
import { isWord, Token } from './tokens';

/** The document words of /billing (parseBilling.ts): an invoice as a PDF, a run's invoices as a zip of PDFs. */

/** `/billing invoice <number>`, and `/billing invoice <number> pdf` for the invoice as a PDF. */
export function parseInvoice(rest: Token[]): Command {
  if (rest.length === 2 && isWord(rest[1], 'pdf')) {
    return validateCommand({ kind: 'invoice.pdf', invoice: rest[0].text }, USAGE['invoice.pdf']);
  }
  const usage = USAGE['invoice.show'];
  if (rest.length !== 1) {
    throw new CommandSyntaxError(rest.length ? 'Give one invoice number, and "pdf" after it for the invoice as a PDF' : 'Give one invoice number', usage);
  }
  return validateCommand({ kind: 'invoice.show', invoice: rest[0].text }, usage);
}

/** `/billing export pdfs run <run>` (the words after "pdfs"). */
export function parseDocumentExport(rest: Token[]): Command {
  const usage = USAGE['billing.export.pdfs'];
  if (rest.length === 0) throw new CommandSyntaxError('Say which bill run\'s invoices to export, like "run 12"', usage);
  const [first, ...more] = rest;
  const runText = isWord(first, 'run') ? more[0]?.text : first.text;
  const extra = isWord(first, 'run') ? more.slice(1) : more;
  const m = /^(?:#|run-?)?(\d{1,9})$/i.exec(runText ?? '');
  if (!m) throw new CommandSyntaxError(runText ? `"${runText}" is not a bill run number` : 'Give the bill run\'s number after "run"', usage);
  if (extra.length) throw new CommandSyntaxError(`Did not understand "${extra[0].text}" after the bill run`, usage);
  return validateCommand({ kind: 'billing.export.pdfs', run: Number(m[1]) }, usage);
}
