import { promises as fs } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import {
  CorruptWorkbookError,
  EmptyWorkbookError,
  LegacyWorkbookError,
  NotAWorkbookError,
  ProtectedWorkbookError,
  WorkbookExpandsTooMuchError,
  WorkbookTooLargeError,
} from './errors';
import { megabytes, WorkbookLimits } from './limits';

/**
 * Takes a workbook file in (a path or a stream) and refuses what is not a safe .xlsx before
 * anything is inflated: its bytes are held in memory (at most `maxBytes`), the zip's
 * central directory is read (yauzl) and every entry's declared size is checked against the
 * limits. Entries are then read only through that directory, each inflated by yauzl, which
 * stops an entry as soon as it gives more bytes than it declared. Nothing hidden between
 * entries is ever read, and nothing is written to disk.
 */
export interface WorkbookFile {
  /** The entries' names, as the directory lists them. */
  names: Set<string>;
  /** An entry's bytes, inflated as they are read. */
  open(name: string): Promise<Readable>;
  close(): void;
}

export async function openWorkbookFile(input: Readable | string, limits: WorkbookLimits): Promise<WorkbookFile> {
  const bytes = typeof input === 'string' ? await readPath(input, limits) : await readStream(input, limits);
  return openWorkbookBytes(bytes, limits);
}

async function readPath(path: string, limits: WorkbookLimits): Promise<Buffer> {
  let size: number;
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new NotAWorkbookError('That is a folder, not an Excel workbook (.xlsx).');
    size = stat.size;
  } catch (e) {
    if (e instanceof NotAWorkbookError) throw e;
    throw new NotAWorkbookError(`The workbook file cannot be read (${(e as NodeJS.ErrnoException).code ?? 'unknown error'}).`);
  }
  if (size > limits.maxBytes) {
    throw new WorkbookTooLargeError(`The file is ${megabytes(size)}; a workbook can be at most ${megabytes(limits.maxBytes)}.`);
  }
  return fs.readFile(path);
}

async function readStream(input: Readable, limits: WorkbookLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of input) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += b.length;
      if (total > limits.maxBytes) {
        input.destroy();
        throw new WorkbookTooLargeError(`The file is over ${megabytes(limits.maxBytes)}; a workbook can be at most ${megabytes(limits.maxBytes)}.`);
      }
      chunks.push(b);
    }
  } catch (e) {
    if (e instanceof WorkbookTooLargeError) throw e;
    throw new NotAWorkbookError(`The workbook could not be received (${(e as Error).message}).`);
  }
  // A buffer handed over whole (Readable.from(buffer) gives it as one chunk) is not copied.
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

const ZIP_LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_EMPTY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

function looksLikeText(sample: Buffer): boolean {
  if (sample.includes(0)) return false;
  return !new TextDecoder('utf-8', { fatal: false }).decode(sample).includes('\uFFFD');
}

const DAMAGED_DIRECTORY = 'The workbook is damaged (its zip directory cannot be read); open and save it again in Excel.';

/** Refuses bytes whose first bytes are not those of a zip archive (.xlsx), saying what they look like instead. */
function refuseByHead(buffer: Buffer): void {
  if (buffer.length === 0) throw new EmptyWorkbookError('The file is empty.');
  const head = buffer.subarray(0, 8);
  if (head.equals(OLE)) {
    // An encrypted .xlsx is an OLE compound file holding "EncryptionInfo" and the encrypted package.
    if (buffer.includes(Buffer.from('EncryptionInfo', 'utf16le'))) {
      throw new ProtectedWorkbookError('The workbook is password-protected; remove the password in Excel (File > Info > Protect Workbook) and send it again.');
    }
    throw new LegacyWorkbookError('The file is a legacy Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx) and send it again.');
  }
  if (head.subarray(0, 4).equals(ZIP_EMPTY)) throw new NotAWorkbookError('The file is an empty zip archive, not an Excel workbook (.xlsx).');
  if (!head.subarray(0, 4).equals(ZIP_LOCAL)) {
    if (looksLikeText(buffer.subarray(0, 4096))) {
      throw new NotAWorkbookError('The file is plain text (a CSV renamed to .xlsx?), not an Excel workbook; save it from Excel as an Excel Workbook (.xlsx).');
    }
    throw new NotAWorkbookError('The file is not an Excel workbook (.xlsx).');
  }
}

/** Refuses bytes that are not a well-formed, reasonably sized .xlsx; opens the others. */
export async function openWorkbookBytes(buffer: Buffer, limits: WorkbookLimits): Promise<WorkbookFile> {
  refuseByHead(buffer);

  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(buffer, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
      decodeStrings: true,
      strictFileNames: false,
    });
  } catch {
    throw new CorruptWorkbookError(DAMAGED_DIRECTORY);
  }
  try {
    if (zip.entryCount === 0) throw new NotAWorkbookError('The file is an empty zip archive, not an Excel workbook (.xlsx).');
    if (zip.entryCount > limits.maxEntries) {
      throw new WorkbookExpandsTooMuchError(`The workbook holds ${zip.entryCount} files; at most ${limits.maxEntries} are accepted.`);
    }
    const entries = await readEntries(zip);
    let expanded = 0;
    const byName = new Map<string, yauzl.Entry>();
    for (const e of entries) {
      if (byName.has(e.fileName)) throw new CorruptWorkbookError('The workbook is damaged (it names one part twice); open and save it again in Excel.');
      byName.set(e.fileName, e);
      if (e.isEncrypted()) throw new ProtectedWorkbookError('The workbook is encrypted; remove the password in Excel and send it again.');
      if (e.compressionMethod !== 0 && e.compressionMethod !== 8) {
        throw new CorruptWorkbookError('The workbook uses a compression Excel does not write; open and save it again in Excel.');
      }
      expanded += e.uncompressedSize;
      if (expanded > limits.maxExpandedBytes) {
        throw new WorkbookExpandsTooMuchError(`The workbook would expand to over ${megabytes(limits.maxExpandedBytes)}; it was refused unread.`);
      }
      if (e.uncompressedSize > 1024 * 1024 && e.uncompressedSize > limits.maxCompressionRatio * Math.max(1, e.compressedSize)) {
        throw new WorkbookExpandsTooMuchError(
          `The workbook's "${e.fileName}" would expand ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))} times (to ${megabytes(e.uncompressedSize)}); it was refused unread.`,
        );
      }
    }
    if (!byName.has('xl/workbook.xml') || !byName.has('[Content_Types].xml')) {
      throw new NotAWorkbookError('The file is a zip archive but not an Excel workbook (.xlsx).');
    }
    return {
      names: new Set(byName.keys()),
      open: async (name: string) => {
        const entry = byName.get(name);
        if (!entry) throw new CorruptWorkbookError(`The workbook is damaged (its part "${name}" is missing); open and save it again in Excel.`);
        const mismatch = () =>
          new CorruptWorkbookError(`The workbook is damaged ("${name}" does not expand to the size it declares); open and save it again in Excel.`);
        let stream: Readable;
        try {
          stream = await zip.openReadStreamPromise(entry);
        } catch {
          throw mismatch();
        }
        // yauzl's own errors (more bytes than declared, a broken deflate stream) become one clear sentence.
        const out = new PassThrough();
        stream.on('error', () => out.destroy(mismatch()));
        return stream.pipe(out);
      },
      close: () => zip.close(),
    };
  } catch (e) {
    zip.close();
    throw e;
  }
}

function readEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', () => reject(new CorruptWorkbookError(DAMAGED_DIRECTORY)));
    zip.readEntry();
  });
}
