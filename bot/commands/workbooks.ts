import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { BillingError, type Billing } from '../../billing';
import {
  DEFAULT_LIMITS,
  exportAccounts,
  exportAging,
  exportCredits,
  exportInvoices,
  exportStatement,
  exportPayments,
  importPaymentsWorkbook,
  importSetupWorkbook,
  isPaymentsImport,
  NotAWorkbookError,
  workbookKind,
  type WorkbookImportResult,
  WorkbookTooLargeError,
  writeTemplate,
} from '../../sheets';
import { megabytes } from '../../sheets/limits';
import { CommandSyntaxError } from './errors';
import { freshFile, slug, writableFile, WorkbookFileError, writeInPlace } from './files';
import { CommandOf, USAGE } from './schema';
import type { CommandContext, CommandHandlers, Outcome, WorkbookCommand, WorkbookKind, WorkbookRuntime } from './types';

/**
 * The workbook commands for the faces that have files (the shell and the CLI), and the
 * pieces the Slack app shares with them:
 *
 *   /billing template                  → workbook.written (the empty setup workbook)
 *   /billing export accounts|invoices|credits|payments [...] → workbook.written
 *   /billing import <file> [preview]   → workbook.import (checked; applied unless a preview)
 *
 * The workbooks themselves are sheets/'s business; this is where they meet files and people.
 */

/** A workbook's bytes as received (an upload, a file read once): what is checked is what is applied. */
export interface WorkbookBytes {
  /** The file's name as its sender named it. */
  name: string;
  data: Buffer;
  /** SHA-256 of the bytes, in hexadecimal. */
  sha256: string;
}

export function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function workbookBytes(name: string, data: Buffer): WorkbookBytes {
  return { name, data, sha256: sha256Of(data) };
}

/** Reads a workbook file once, refusing one over the size limit before reading it. */
export async function readWorkbookFile(file: string, maxBytes = DEFAULT_LIMITS.maxBytes): Promise<WorkbookBytes> {
  let size: number;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new NotAWorkbookError(`${file} is a folder, not an Excel workbook (.xlsx).`);
    size = stat.size;
  } catch (e) {
    if (e instanceof BillingError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new NotAWorkbookError(code === 'ENOENT' ? `There is no file ${file}.` : `The file ${file} cannot be read (${code ?? 'unknown error'}).`);
  }
  if (size > maxBytes) {
    throw new WorkbookTooLargeError(`${path.basename(file)} is ${megabytes(size)}; a workbook can be at most ${megabytes(maxBytes)}.`);
  }
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (e) {
    throw new NotAWorkbookError(`The file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'unknown error'}).`);
  }
  return workbookBytes(path.basename(file), data);
}


/** True when an applied import created or changed bill run configurations (schedules may have moved). */
export function configurationsChanged(result: WorkbookImportResult): boolean {
  return !isPaymentsImport(result) && result.applied && result.billRuns.created + result.billRuns.updated > 0;
}

/**
 * Checks a workbook (dryRun) or checks and applies it, all or nothing: a payments workbook (it
 * has a Payments sheet) records payments, any other is read as a setup workbook.
 */
export async function importWorkbook(
  billing: Billing,
  file: WorkbookBytes,
  options: { actor: string; dryRun: boolean },
): Promise<Extract<Outcome, { kind: 'workbook.import' }>> {
  const read = (await workbookKind(file.data)) === 'payments' ? importPaymentsWorkbook : importSetupWorkbook;
  const result = await read(billing, Readable.from(file.data), { actor: options.actor, dryRun: options.dryRun });
  return { kind: 'workbook.import', file: file.name, result };
}

export type { WorkbookCommand } from './types';
export { WorkbookFileError } from './files';

/** Writes the template or an export; the rows written per sheet. */
export async function writeWorkbook(billing: Billing, command: WorkbookCommand, out: Writable | string): Promise<{ workbook: WorkbookKind; rows: Record<string, number> }> {
  if (!('what' in command)) return { workbook: 'template', rows: { ...(await writeTemplate(out)) } };
  switch (command.what) {
    case 'accounts':
      return { workbook: 'accounts', rows: { ...(await exportAccounts(billing, out)) } };
    case 'invoices':
      return {
        workbook: 'invoices',
        rows: { ...(await exportInvoices(billing, out, { account: command.account, from: command.from, to: command.to, billRunId: command.run })) },
      };
    case 'credits':
      return { workbook: 'credits', rows: { ...(await exportCredits(billing, out, { account: command.account, from: command.from, to: command.to })) } };
    case 'aging':
      return { workbook: 'aging', rows: { ...(await exportAging(billing, out, command.asOf ?? null)) } };
    case 'statement':
      return { workbook: 'statement', rows: { ...(await exportStatement(billing, out, command.account ?? '', command)) } };
    case 'payments':
      return { workbook: 'payments', rows: { ...(await exportPayments(billing, out, { account: command.account, from: command.from, to: command.to })) } };
  }
}

/** Writes the template or an export into memory (for an upload). */
export async function workbookToBuffer(billing: Billing, command: WorkbookCommand): Promise<{ workbook: WorkbookKind; rows: Record<string, number>; data: Buffer }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  const finished = new Promise<void>((resolve, reject) => {
    sink.once('finish', resolve);
    sink.once('error', reject);
  });
  const written = await writeWorkbook(billing, command, sink);
  await finished;
  return { ...written, data: Buffer.concat(chunks) };
}

/** A file name that says what the workbook holds: billbot-invoices-parent-co-2026-09-01-2026-09-30.xlsx. */
export function workbookFileName(command: WorkbookCommand, today: string): string {
  if (!('what' in command)) return 'billbot-setup-template.xlsx';
  const parts = ['billbot', command.what];
  const account = command.account ? slug(command.account) : '';
  if (account) parts.push(account);
  if (command.run !== null) parts.push(`run-${command.run}`);
  if (command.asOf) parts.push(`as-of-${command.asOf}`);
  if (command.from) parts.push(`from-${command.from}`);
  if (command.to) parts.push(`to-${command.to}`);
  if (!command.from && !command.to && command.run === null && !command.asOf) parts.push(today);
  return `${parts.join('-')}.xlsx`;
}

/** The workbook commands' file folder, for ExecutorServices.handlers (the shell; the CLI plugs it in as data). */
export type WorkbookHandlerOptions = WorkbookRuntime;

export function workbookHandlers(options: WorkbookRuntime): CommandHandlers {
  return { workbooks: options };
}

const todayUtc = () => new Date().toISOString().slice(0, 10);

/** `/billing template`, `/billing export ...`: written to the file named, or under a fresh name in the folder. */
export async function writeWorkbookFile(rt: WorkbookRuntime, command: WorkbookCommand): Promise<Outcome> {
  if (command.channel) {
    throw new CommandSyntaxError('Only Slack posts a workbook in a channel; here it is written to a file, so leave out "in #channel"');
  }
  const directory = rt.directory ?? process.cwd();
  const named = !!command.file;
  const file = command.file
    ? await writableFile(path.resolve(directory, command.file))
    : await freshFile(path.resolve(directory, workbookFileName(command, (rt.today ?? todayUtc)())));
  try {
    const { workbook, rows } = await writeInPlace(file, (temporary) => writeWorkbook(rt.billing, command, temporary));
    return { kind: 'workbook.written', workbook, file, rows };
  } catch (e) {
    // The empty file that reserved the name goes too.
    if (!named) await fs.rm(file, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** The file named by `/billing import <file>`, read once. */
export async function namedWorkbookFile(rt: WorkbookRuntime, command: CommandOf<'billing.import'>): Promise<WorkbookBytes> {
  if (!command.file) throw new CommandSyntaxError('Name the workbook file to import', USAGE['billing.import']);
  return readWorkbookFile(path.resolve(rt.directory ?? process.cwd(), command.file));
}

/** Checks a workbook and, after an applied import that changed configurations, tells the scheduler. */
export async function importChecked(rt: WorkbookRuntime, file: WorkbookBytes, options: { actor: string; dryRun: boolean }) {
  const outcome = await importWorkbook(rt.billing, file, options);
  if (configurationsChanged(outcome.result)) await rt.onConfigurationsChanged?.();
  return outcome;
}

/** `/billing import <file> [preview]`: checked, and applied unless a preview (the CLI; the shell asks first). */
export async function importWorkbookFile(rt: WorkbookRuntime, command: CommandOf<'billing.import'>, ctx: CommandContext): Promise<Outcome> {
  return importChecked(rt, await namedWorkbookFile(rt, command), { actor: ctx.actor, dryRun: command.dryRun });
}
