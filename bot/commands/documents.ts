import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Billing } from '../../billing';
import { DEFAULT_COMPANY, invoicePdf, writeRunInvoicesZip } from '../../sheets/documents';
import { freshFile, writableFile, writeInPlace } from './files';
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

/** The file name a document is given when none is named: INV-000018.pdf, billbot-run-12-invoices.zip. */
export function documentFileName(command: DocumentCommand): string {
  return command.kind === 'invoice.pdf' ? `${command.invoice.replace(/[^A-Za-z0-9_-]+/g, '-')}.pdf` : `billbot-run-${command.run}-invoices.zip`;
}

/** The invoice's PDF in memory (one invoice is small), with its number. */
export async function invoicePdfBytes(billing: Billing, command: DocumentCommand & { kind: 'invoice.pdf' }, rt?: DocumentRuntime) {
  const document = await billing.invoiceDocument(command.invoice);
  return { number: document.number, data: await invoicePdf(document, rt?.company ?? DEFAULT_COMPANY) };
}

/** Writes a document into `out` (a run's zip is streamed into it, one PDF at a time). */
export async function writeDocument(billing: Billing, command: DocumentCommand, out: Writable, rt?: DocumentRuntime): Promise<{ document: DocumentKind; invoices: number }> {
  const company = rt?.company ?? DEFAULT_COMPANY;
  if (command.kind === 'billing.export.pdfs') {
    return { document: 'run invoices', ...(await writeRunInvoicesZip(billing, command.run, company, out)) };
  }
  const { data } = await invoicePdfBytes(billing, command, rt);
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(data, () => resolve());
  });
  return { document: 'invoice', invoices: 1 };
}

/** The shell and the CLI: the document written to the file named, or under a fresh name in the folder. */
export async function writeDocumentFile(billing: Billing, command: DocumentCommand, rt?: DocumentRuntime): Promise<Outcome> {
  const directory = rt?.directory ?? process.cwd();
  const kind = command.kind === 'invoice.pdf' ? PDF : ZIP;
  const file = command.file ? await writableFile(path.resolve(directory, command.file), kind) : await freshFile(path.resolve(directory, documentFileName(command)));
  try {
    const written = await writeInPlace(file, (temporary) => writeDocument(billing, command, createWriteStream(temporary), rt));
    const { size } = await fs.stat(file);
    return { kind: 'document.written', ...written, file, bytes: size };
  } catch (e) {
    if (!command.file) await fs.rm(file, { force: true }).catch(() => undefined);
    throw e;
  }
}
