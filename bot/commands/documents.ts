import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Billing } from '../../billing';
import { DEFAULT_COMPANY, invoicePdf, statementPdf, writeRunInvoicesZip } from '../../sheets/documents';
import { freshFile, slug, writableFile, writeInPlace } from './files';
import type { CommandOf } from './schema';
import type { CommandHandlers, DocumentCommand, DocumentKind, DocumentRuntime, Outcome } from './types';

/**
 * The document commands (loaded by the command table only when used: pdfkit takes a while
 * to load):
 *
 *   /billing invoice <number> pdf     → the invoice's PDF
 *   /billing statement <account> [from D] [to D] pdf → the statement's PDF
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

/** A one-file PDF (an invoice's, a statement's) in memory: what it is, its file name and its bytes. */
export interface SinglePdf {
  document: DocumentKind;
  subject: string;
  filename: string;
  data: Buffer;
}

/** The statement's PDF in memory: statement-parent-co-2026-10-02.pdf ("from" dates in the name too). */
export async function statementPdfBytes(billing: Billing, command: CommandOf<'statement.pdf'>, rt?: DocumentRuntime): Promise<SinglePdf> {
  const document = await billing.receivables.statementDocument(command.account, command);
  const { account, from, to } = document.statement;
  const data = await statementPdf(document, rt?.company ?? DEFAULT_COMPANY);
  return { document: 'statement', subject: account, filename: `statement-${slug(account) || 'account'}-${from ? `${from}-` : ''}${to}.pdf`, data };
}

/** An invoice's or a statement's PDF in memory; null for a run's zip (streamed). */
export async function singlePdf(billing: Billing, command: DocumentCommand, rt?: DocumentRuntime): Promise<SinglePdf | null> {
  if ('invoice' in command) {
    const { number, data } = await invoicePdfBytes(billing, command, rt);
    return { document: 'invoice', subject: number, filename: `${number}.pdf`, data };
  }
  return 'account' in command ? statementPdfBytes(billing, command, rt) : null;
}

/** A run's invoices as a zip of PDFs, streamed into `out` one PDF at a time. */
export function writeRunZip(billing: Billing, command: CommandOf<'billing.export.pdfs'>, out: Writable, rt?: DocumentRuntime): Promise<{ invoices: number }> {
  return writeRunInvoicesZip(billing, command.run, rt?.company ?? DEFAULT_COMPANY, out);
}

/** The shell and the CLI: the document written to the file named, or under a fresh name in the folder. */
export async function writeDocumentFile(billing: Billing, command: DocumentCommand, rt?: DocumentRuntime): Promise<Outcome> {
  const directory = rt?.directory ?? process.cwd();
  // An invoice or a statement is read (and refused when unknown) before a file is named after it.
  const single = await singlePdf(billing, command, rt);
  const run = command as CommandOf<'billing.export.pdfs'>;
  const wanted = single ? single.filename : documentFileName(run);
  const file = command.file ? await writableFile(path.resolve(directory, command.file), single ? PDF : ZIP) : await freshFile(path.resolve(directory, wanted));
  try {
    const written = await writeInPlace(file, async (temporary) => {
      if (single) return fs.writeFile(temporary, single.data).then(() => ({ document: single.document, subject: single.subject, invoices: 1 }));
      const zipped = await writeRunZip(billing, run, createWriteStream(temporary), rt);
      return { document: 'run invoices' as DocumentKind, subject: `bill run #${run.run}`, ...zipped };
    });
    const { size } = await fs.stat(file);
    return { kind: 'document.written', ...written, file, bytes: size };
  } catch (e) {
    if (!command.file) await fs.rm(file, { force: true }).catch(() => undefined);
    throw e;
  }
}
