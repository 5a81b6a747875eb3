import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { BillingError, createBilling } from '../../billing';
import {
  CorruptWorkbookError,
  EmptyWorkbookError,
  importSetupWorkbook,
  LegacyWorkbookError,
  NotAWorkbookError,
  ProtectedWorkbookError,
  readSetupWorkbook,
  TooManyRowsError,
  WorkbookExpandsTooMuchError,
  WorkbookTooLargeError,
} from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { ACCOUNT_HEADERS, ACCOUNT_PACKAGE_HEADERS, craftZip, sheetXml, tempPath, workbook, WORKBOOK_PARTS, workedExampleSheets } from './helpers';

const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

describe('files that are not a good workbook', () => {
  const t = useTestDatabase();

  async function refused(bytes: Buffer, error: new (...args: never[]) => BillingError, message: RegExp, limits = {}) {
    const path = await tempPath();
    await fs.writeFile(path, bytes);
    const before = await t.db('accounts').count('* as n').first();
    let caught: unknown;
    try {
      await importSetupWorkbook(createBilling(t.db), path, { actor: 'U_FIN', limits });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(error);
    expect((caught as Error).message).toMatch(message);
    // One sentence.
    expect((caught as Error).message.split(/\.\s/).length).toBeLessThanOrEqual(2);
    expect(await t.db('accounts').count('* as n').first()).toEqual(before);
    // The same through a stream.
    await expect(readSetupWorkbook(Readable.from([bytes]), { limits })).rejects.toThrow(error);
  }

  it('refuses random bytes', async () => {
    await refused(randomBytes(5000), NotAWorkbookError, /not an Excel workbook/);
  });

  it('refuses a CSV renamed to .xlsx', async () => {
    await refused(Buffer.from('Name,Currency\nParent Co,USD\n'), NotAWorkbookError, /plain text \(a CSV renamed to \.xlsx\?\)/);
  });

  it('refuses an empty file, an empty zip and a zip that is not a workbook', async () => {
    await refused(Buffer.alloc(0), EmptyWorkbookError, /The file is empty\./);
    const emptyZip = Buffer.alloc(22);
    emptyZip.writeUInt32LE(0x06054b50, 0);
    await refused(emptyZip, NotAWorkbookError, /empty zip archive/);
    await refused(craftZip([{ name: 'word/document.xml', data: Buffer.from('<w/>') }]), NotAWorkbookError, /zip archive but not an Excel workbook/);
  });

  it('refuses a legacy .xls and a password-protected workbook', async () => {
    await refused(Buffer.concat([OLE_MAGIC, randomBytes(2000)]), LegacyWorkbookError, /legacy Excel 97-2003 workbook \(\.xls\)/);
    const encrypted = Buffer.concat([OLE_MAGIC, randomBytes(500), Buffer.from('EncryptionInfo', 'utf16le'), randomBytes(500)]);
    await refused(encrypted, ProtectedWorkbookError, /password-protected/);
  });

  it('refuses a damaged workbook', async () => {
    const good = await workbook(workedExampleSheets());
    await refused(good.subarray(0, Math.floor(good.length / 2)), CorruptWorkbookError, /damaged/);
    const flipped = Buffer.from(good);
    for (let i = 200; i < flipped.length - 200; i += 97) flipped[i] ^= 0xff;
    await refused(flipped, CorruptWorkbookError, /damaged/);
  });

  it('refuses a workbook with no setup sheets', async () => {
    await refused(await workbook({ Notes: [['Hello']] }), EmptyWorkbookError, /none of the sheets "Accounts"/);
  });

  it('refuses a file over the size limit without reading it', async () => {
    // The default limit is 128 MB for a file; this workbook is small, so the limit is lowered below its size.
    const file = await workbook(workedExampleSheets());
    await refused(file, WorkbookTooLargeError, /a workbook can be at most/, { maxBytes: file.length - 1 });
  });

  it('refuses a zip bomb (small on disk, huge when expanded) before inflating it', async () => {
    const bomb = craftZip([...WORKBOOK_PARTS, { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(64 * 1024 * 1024, 0x20) }]);
    expect(bomb.length).toBeLessThan(200 * 1024);
    await refused(bomb, WorkbookExpandsTooMuchError, /would expand \d+ times/);
    await refused(bomb, WorkbookExpandsTooMuchError, /would expand to over 10 MB/, { maxExpandedBytes: 10 * 1024 * 1024 });
  });

  it('reads a hand-made workbook with inline strings, and refuses one whose directory understates what a sheet expands to', async () => {
    const rows = [['Name', 'Currency'], ['Inline Co', 'USD']];
    const honest = craftZip([...WORKBOOK_PARTS, { name: 'xl/worksheets/sheet1.xml', data: sheetXml(rows) }]);
    const read = await readSetupWorkbook(Readable.from([honest]));
    expect(read.plan.accounts).toEqual([expect.objectContaining({ name: 'Inline Co', currency: 'USD' })]);

    const padded = Buffer.concat([sheetXml(rows).subarray(0, -12), Buffer.alloc(8 * 1024 * 1024, 0x20), Buffer.from('</worksheet>')]);
    const liar = craftZip([...WORKBOOK_PARTS, { name: 'xl/worksheets/sheet1.xml', data: padded, declaredSize: 1000 }]);
    await refused(liar, CorruptWorkbookError, /"xl\/worksheets\/sheet1\.xml" does not expand to the size it declares/);
  });

  it('refuses a sheet with too many rows (a lowered limit stands in for 1,048,575)', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => [`Account ${i}`, null, 'USD']);
    await refused(await workbook({ Accounts: [ACCOUNT_HEADERS, ...rows] }), TooManyRowsError, /Sheet "Accounts" has more than 20 rows/, { maxRowsPerSheet: 20 });
  });

  it('counts data rows only: the header row and blank rows are not counted, and the sheet over the limit is named', async () => {
    const accounts = Array.from({ length: 20 }, (_, i) => [`Account ${i}`, null, 'USD']);
    const full = await workbook({ Accounts: [ACCOUNT_HEADERS, [], ...accounts.slice(0, 10), [], ...accounts.slice(10)] });
    const read = await readSetupWorkbook(Readable.from([full]), { limits: { maxRowsPerSheet: 20 } });
    expect(read).toMatchObject({ problems: [], rows: { accounts: 20 } });

    const packages = Array.from({ length: 21 }, (_, i) => [`Account ${i}`, 'Managed Network', 1, 'active', '2026-10-01']);
    const over = await workbook({ Accounts: [ACCOUNT_HEADERS, ...accounts], 'Account Packages': [ACCOUNT_PACKAGE_HEADERS, ...packages] });
    await refused(over, TooManyRowsError, /^Sheet "Account Packages" has more than 20 rows below its header; split it over several workbooks\.$/, { maxRowsPerSheet: 20 });
  });

  it('is unharmed afterwards: a good workbook still imports', async () => {
    const result = await importSetupWorkbook(createBilling(t.db), Readable.from([await workbook(workedExampleSheets())]), { actor: 'U_FIN' });
    expect(result).toMatchObject({ applied: true, problems: [], accounts: { created: 2 } });
    expect((await createBilling(t.db).findAccount('Child Co')).name).toBe('Child Co');
  });
});
