import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BillingError } from '../../billing';

/**
 * Files the shell and the CLI write (workbooks, documents): a name checked or found fresh,
 * and the file written beside it and moved into place once complete.
 */

/** A workbook file that cannot be written or read where it was named. */
export class WorkbookFileError extends BillingError {
  readonly code = 'workbook_file';
}

/** Opens a new file next to `wanted` that does not exist yet (name.xlsx, name-2.xlsx, ...). */
export async function freshFile(wanted: string): Promise<string> {
  const ext = path.extname(wanted);
  const base = wanted.slice(0, wanted.length - ext.length);
  for (let n = 1; n <= 1000; n++) {
    const candidate = n === 1 ? wanted : `${base}-${n}${ext}`;
    try {
      const handle = await fs.open(candidate, 'wx');
      await handle.close();
      return candidate;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new WorkbookFileError(`${candidate} cannot be written (${code ?? 'unknown error'}).`);
    }
  }
  throw new WorkbookFileError(`There are too many files named like ${path.basename(wanted)} in ${path.dirname(wanted)}; move some away.`);
}

const XLSX = { extension: '.xlsx', refusal: (name: string) => `Name the workbook file with the .xlsx extension (not "${name}"), so that Excel opens it.` };

/** Checks that a named file can be written: its extension (.xlsx), in a folder that exists, not a folder itself. */
export async function writableFile(file: string, kind: { extension: string; refusal: (name: string) => string } = XLSX): Promise<string> {
  if (!file.toLowerCase().endsWith(kind.extension)) throw new WorkbookFileError(kind.refusal(path.basename(file)));
  const folder = await fs.stat(path.dirname(file)).catch(() => null);
  if (!folder?.isDirectory()) throw new WorkbookFileError(`${file} cannot be written: its folder does not exist.`);
  const existing = await fs.stat(file).catch(() => null);
  if (existing && !existing.isFile()) throw new WorkbookFileError(`${file} cannot be written: it is a folder.`);
  return file;
}

/**
 * Writes a workbook next to `file` and moves it into place once complete: a failed export
 * (an unknown account, a full disk) leaves no half-written file and keeps any earlier file.
 */
export async function writeInPlace<T>(file: string, write: (temporary: string) => Promise<T>): Promise<T> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const result = await write(temporary);
    await fs.rename(temporary, file);
    return result;
  } catch (e) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    if (e instanceof BillingError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new WorkbookFileError(`${file} cannot be written (${code}).`);
    throw e;
  }
}

/** Text as a file name's part: "Parent Co" is parent-co (at most 40 characters). */
export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}
