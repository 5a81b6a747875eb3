import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import ExcelJS from 'exceljs';
import * as yauzl from 'yauzl';

export type Cell = string | number | boolean | Date | null | undefined | ExcelJS.CellValue;

/** A workbook built with exceljs's normal writer: sheet name -> rows (the first row the headers). */
export async function workbook(sheets: Record<string, Cell[][]>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name);
    for (const row of rows) ws.addRow(row as ExcelJS.CellValue[]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const made: string[] = [];

/** A path for a file in the temporary folder, removed after the test file (inside jest). */
export async function tempPath(ext = '.xlsx'): Promise<string> {
  const dir = path.join(os.tmpdir(), 'billbot-sheets-tests');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${randomBytes(6).toString('hex')}${ext}`);
  made.push(file);
  return file;
}

if (typeof afterAll === 'function') {
  afterAll(async () => {
    await Promise.all(made.splice(0).map((f) => fs.rm(f, { force: true })));
  });
}

/** Reads a workbook back with exceljs's normal reader (styles, views and filters included). */
export async function readBack(file: string | Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  if (typeof file === 'string') await wb.xlsx.readFile(file);
  else await wb.xlsx.load(file as unknown as ArrayBuffer);
  return wb;
}

/** The values of a sheet's rows (1-based cells dropped to 0-based arrays). */
export function rowsOf(ws: ExcelJS.Worksheet): unknown[][] {
  const out: unknown[][] = [];
  ws.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
  return out;
}

/** The text of one entry of a zip (an xlsx). */
export async function zipEntryText(file: string | Buffer, name: string): Promise<string> {
  const buffer = typeof file === 'string' ? await fs.readFile(file) : file;
  const zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      zip.on('entry', async (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        stream.on('error', reject);
      });
      zip.on('end', () => reject(new Error(`no entry ${name}`)));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

export interface CraftedEntry {
  name: string;
  data: Buffer;
  /** Size the central directory declares (defaults to the real one): a lie makes a hostile zip. */
  declaredSize?: number;
}

/** A zip written by hand, so tests can make hostile ones (bombs, lying sizes). */
export function craftZip(entries: CraftedEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const compressed = deflateRawSync(e.data, { level: 9 });
    const crc = crc32(e.data);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, compressed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The smallest parts that make a zip look like a workbook with one sheet, "Accounts", in xl/worksheets/sheet1.xml (not included). */
export const WORKBOOK_PARTS: CraftedEntry[] = [
  { name: '[Content_Types].xml', data: Buffer.from('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>') },
  {
    name: 'xl/workbook.xml',
    data: Buffer.from(
      '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Accounts" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
  },
  {
    name: 'xl/_rels/workbook.xml.rels',
    data: Buffer.from(
      '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    ),
  },
];

/** A sheet's XML with inline-string rows (as some tools write them). */
export function sheetXml(rows: string[][]): Buffer {
  const cells = (row: string[], r: number) =>
    row.map((v, c) => `<c r="${String.fromCharCode(65 + c)}${r}" t="inlineStr"><is><t>${v}</t></is></c>`).join('');
  return Buffer.from(
    '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
      rows.map((row, i) => `<row r="${i + 1}">${cells(row, i + 1)}</row>`).join('') +
      '</sheetData></worksheet>',
  );
}

/** The Accounts sheet's columns as billbot writes them (the address columns are optional when read). */
export const ACCOUNT_HEADERS = ['Name', 'Display Name', 'Currency', 'Status', 'Bill Group', 'Bill Day', 'Parent', 'Invoice To', 'Address Line 1', 'Address Line 2', 'City', 'Region', 'Postal Code', 'Country', 'Payment Terms'];
export const PACKAGE_HEADERS = ['Package', 'Currency', 'Frequency', 'Service', 'Price'];
export const ACCOUNT_PACKAGE_HEADERS = ['Account', 'Package', 'Quantity', 'Status', 'Effective Date', 'Next Bill Date'];
export const BILL_RUN_HEADERS = ['Name', 'Bill Packages', 'Generate Invoice', 'Period', 'Bill Groups', 'Schedule', 'Time Zone', 'Report Channel', 'Payment Terms'];

export const utcDate = (iso: string) => new Date(`${iso}T00:00:00Z`);

/** The worked example's setup (DOMAIN.md) as a setup workbook. */
export function workedExampleSheets(): Record<string, Cell[][]> {
  return {
    Accounts: [
      ACCOUNT_HEADERS,
      ['Parent Co', 'Parent Company', 'USD', 'active', 'Default', 1, null, null],
      ['Child Co', null, 'USD', 'Active', 'Default', 15, 'Parent Co', 'Parent Co'],
    ],
    Packages: [
      PACKAGE_HEADERS,
      ['Managed Network', 'USD', 'monthly', 'Network Monitoring', 100],
      ['Managed Network', 'USD', 'Monthly', 'Support', '40.00'],
    ],
    'Account Packages': [ACCOUNT_PACKAGE_HEADERS, ['Child Co', 'Managed Network', 1, 'active', utcDate('2026-09-15'), utcDate('2026-09-15')]],
    'Bill Runs': [BILL_RUN_HEADERS, ['Monthly Billing', 'yes', 'yes', 'current month', 'Default', null, 'UTC', null]],
  };
}
