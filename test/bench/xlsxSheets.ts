/**
 * What an exported workbook holds, read back without loading it: its sheets in order, each with
 * its data rows (rows below the header), counted while the sheet's XML streams through. The
 * user-path benchmark checks an export with it: every invoice and transaction of the run, and a
 * sheet over Excel's rows continued on "<name> 2", "<name> 3", ...
 */
import yauzl from 'yauzl';

export interface SheetRows {
  name: string;
  rows: number;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: false }, (e, z) => (e ? reject(e) : resolve(z!))));
}

/** Every entry of the zip, in order, each handed to `visit` as a stream (read to its end before the next). */
async function eachEntry(zip: yauzl.ZipFile, visit: (name: string, stream: NodeJS.ReadableStream) => Promise<void>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) return reject(error ?? new Error(`cannot read ${entry.fileName}`));
        visit(entry.fileName, stream).then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
}

/** The whole (small) entry as text. */
async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `<row` elements in a sheet's XML, counted chunk by chunk (a tag cut between two chunks counted once). */
async function countRows(stream: NodeJS.ReadableStream): Promise<number> {
  let rows = 0;
  let carry = '';
  for await (const chunk of stream) {
    const s = carry + (chunk as Buffer).toString('latin1');
    for (let i = s.indexOf('<row '); i !== -1; i = s.indexOf('<row ', i + 5)) rows++;
    // Keep the last 4 characters: a "<row " split over two chunks is found in the next one, and
    // never counted twice (4 characters cannot hold a whole "<row ").
    carry = s.slice(-4);
  }
  return rows;
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The sheets of the .xlsx `file` in the workbook's order, with their data rows (the header row not counted). */
export async function readSheetRows(file: string): Promise<SheetRows[]> {
  const zip = await openZip(file);
  let workbook = '';
  let rels = '';
  const rowsByPart = new Map<string, number>();
  try {
    await eachEntry(zip, async (name, stream) => {
      if (name === 'xl/workbook.xml') workbook = await text(stream);
      else if (name === 'xl/_rels/workbook.xml.rels') rels = await text(stream);
      else if (/^xl\/worksheets\/[^/]+\.xml$/.test(name)) rowsByPart.set(name, await countRows(stream));
      else await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject).resume());
    });
  } finally {
    zip.close();
  }
  const targets = new Map([...rels.matchAll(/<Relationship\b[^>]*>/g)].map((m) => [attribute(m[0], 'Id'), attribute(m[0], 'Target')]));
  return [...workbook.matchAll(/<sheet\b[^>]*>/g)].map((m) => {
    const target = targets.get(attribute(m[0], 'r:id')) ?? '';
    const part = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
    const rows = rowsByPart.get(part);
    return { name: unescapeXml(attribute(m[0], 'name')), rows: rows === undefined ? NaN : Math.max(0, rows - 1) };
  });
}

function attribute(tag: string, name: string): string {
  return new RegExp(`\\s${name.replace(':', '\\:')}="([^"]*)"`).exec(tag)?.[1] ?? '';
}

/** The sheets an export of `rows` rows named `name` must take: full sheets of `maxDataRows`, then the rest (one empty sheet for none). */
export function expectedSheets(name: string, rows: number, maxDataRows: number): SheetRows[] {
  const sheets: SheetRows[] = [];
  let left = rows;
  do {
    sheets.push({ name: sheets.length ? `${name} ${sheets.length + 1}` : name, rows: Math.min(left, maxDataRows) });
    left -= maxDataRows;
  } while (left > 0);
  return sheets;
}
