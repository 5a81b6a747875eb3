import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Billing } from '../../billing';
import { DEFAULT_COMPANY, invoicePdf, writeRunInvoicesZip } from '../../sheets/documents';
import { freshFile, writableFile, writeInPlace } from './files';
import type { CommandOf } from './schema';
import type { CommandHandlers, DocumentCommand, DocumentKind, DocumentRuntime, Outcome } from './types';

/**
 * The document commands (loaded by the command table only when used: pdfkit takes a while
 * to load):
 *
 *   /billing invoice <number> pdf     → the invoice's PDF
 *   /billing export pdfs run <run>    → the run's invoices as one zip of PDFs, streamed
 *
 * The shell and the CLI write a file (named, or a fresh name like INV-000018.pdf in the
 * working folder); Slack uploads the bytes to the person (bot/slack/documents.ts).
 */

const PDF = { extension: '.pdf', refusal: (name: string) => `Name the file with the .pdf extension (not "${name}"), so that a PDF reader opens it.` };
const ZIP = { extension: '.zip', refusal: (name: string) => `Name the file with the .zip extension (not "${name}"): it holds one PDF per invoice.` };

export function documentHandlers(documents: DocumentRuntime): CommandHandlers {
  return { documents };
}

/** The file name a run's zip is given when none is named (an invoice's PDF is named after its number: INV-000018.pdf). */
export function documentFileName(command: CommandOf<'billing.export.pdfs'>): string {
  return `billbot-run-${command.run}-invoices.zip`;
}

/** The invoice's PDF in memory (one invoice is small), with its number. */
export async function invoicePdfBytes(billing: Billing, command: CommandOf<'invoice.pdf'>, rt?: DocumentRuntime) {
  const document = await billing.invoiceDocument(command.invoice);
  return { number: document.number, data: await invoicePdf(document, rt?.company ?? DEFAULT_COMPANY) };
}

/** A run's invoices as a zip of PDFs, streamed into `out` one PDF at a time. */
export function writeRunZip(billing: Billing, command: CommandOf<'billing.export.pdfs'>, out: Writable, rt?: DocumentRuntime): Promise<{ invoices: number }> {
  return writeRunInvoicesZip(billing, command.run, rt?.company ?? DEFAULT_COMPANY, out);
}

/** The shell and the CLI: the document written to the file named, or under a fresh name in the folder. */
export async function writeDocumentFile(billing: Billing, command: DocumentCommand, rt?: DocumentRuntime): Promise<Outcome> {
  const directory = rt?.directory ?? process.cwd();
  // An invoice is read (and refused when unknown) before a file is named after it.
  const invoice = 'invoice' in command ? await invoicePdfBytes(billing, command, rt) : null;
  const wanted = invoice ? `${invoice.number}.pdf` : documentFileName(command as CommandOf<'billing.export.pdfs'>);
  const file = command.file ? await writableFile(path.resolve(directory, command.file), invoice ? PDF : ZIP) : await freshFile(path.resolve(directory, wanted));
  try {
    const written = await writeInPlace(file, async (temporary) => {
      if (invoice) return fs.writeFile(temporary, invoice.data).then(() => ({ document: 'invoice' as DocumentKind, subject: invoice.number, invoices: 1 }));
      const zipped = await writeRunZip(billing, command as CommandOf<'billing.export.pdfs'>, createWriteStream(temporary), rt);
      return { document: 'run invoices' as DocumentKind, subject: `bill run #${(command as CommandOf<'billing.export.pdfs'>).run}`, ...zipped };
    });
    const { size } = await fs.stat(file);
    return { kind: 'document.written', ...written, file, bytes: size };
  } catch (e) {
    if (!command.file) await fs.rm(file, { force: true }).catch(() => undefined);
    throw e;
  }
}
