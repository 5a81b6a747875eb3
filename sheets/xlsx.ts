import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { currency as currencyInfo } from '../billing';
import { CorruptWorkbookError, ExportFailedError } from './errors';
import type { WorkbookFile } from './file';
import { EXPORT_SHEETS } from './limits';

/**
 * The one module that knows exceljs (its streaming reader and writer only), so that it
 * can be replaced. Everything else in sheets/ speaks in plain values.
 */

// ---------------------------------------------------------------------------------------
// Reading

/** A cell's shown value: rich text, formulas, hyperlinks and errors are reduced to what a person sees. */
export type CellValue = string | number | boolean | Date | null;

export interface SheetRow {
  /** The row number in the sheet (1-based). */
  number: number;
  /** Cells by column, index 0 is column A. */
  cells: CellValue[];
}

export interface SheetReader {
  name: string;
  /** The sheet's rows, a batch at a time; read them all before asking for the next sheet. */
  batches(): AsyncIterable<SheetRow[]>;
}

function reduce(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) return (v.richText as { text?: string }[]).map((r) => r.text ?? '').join('');
    if ('formula' in v || 'sharedFormula' in v) return reduce(v.result);
    if ('hyperlink' in v || 'text' in v) return reduce(v.text);
    if ('error' in v) return String(v.error);
  }
  return null;
}

interface ReaderInternals {
  model?: { sheets?: { id: number; name: string; rId: string; state?: string }[] };
  workbookRels?: { Id: string; Target: string; Type?: string }[];
  _parseRels(stream: Readable): Promise<void>;
  _parseWorkbook(stream: Readable): Promise<void>;
  _parseStyles(stream: Readable): Promise<void>;
  _parseSharedStrings(stream: Readable): AsyncGenerator<unknown>;
  _parseWorksheet(stream: Readable, sheetNo: string): Generator<{ eventType: string; value: any }>;
}

/** Where a relation's target lies in the zip (targets are relative to xl/, or absolute). */
function partPath(target: string): string {
  return target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`;
}

/**
 * The sheets of a workbook, in the workbook's order, one after another, with shared strings
 * and styles cached (so date cells come back as dates). A damaged workbook throws
 * CorruptWorkbookError.
 *
 * exceljs's streaming WorkbookReader parses every part; it is driven here part by part,
 * in the order a reader needs them (relations, workbook, styles, shared strings, then the
 * sheets), instead of in the order the zip happens to hold them: its own loop, which meets
 * entries in file order, loses sheet names or date cells when sheets come first (zip order
 * is free, and tools differ), copies sheets to temporary files to wait for the shared
 * strings, and reads local zip headers rather than the checked central directory.
 */
export async function* readSheets(file: WorkbookFile): AsyncGenerator<SheetReader> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(null as unknown as Readable, {
    sharedStrings: 'cache',
    styles: 'cache',
    worksheets: 'emit',
    hyperlinks: 'ignore',
    entries: 'ignore',
  }) as unknown as ReaderInternals;
  let sheets: { name: string; path: string; sheetNo: string }[];
  try {
    if (file.names.has('xl/_rels/workbook.xml.rels')) await reader._parseRels(await file.open('xl/_rels/workbook.xml.rels'));
    await reader._parseWorkbook(await file.open('xl/workbook.xml'));
    if (file.names.has('xl/styles.xml')) await reader._parseStyles(await file.open('xl/styles.xml'));
    if (file.names.has('xl/sharedStrings.xml')) {
      for await (const _ of reader._parseSharedStrings(await file.open('xl/sharedStrings.xml'))) {
        // the strings are cached by the reader; nothing is emitted
      }
    }
    const rels = new Map((reader.workbookRels ?? []).map((r) => [r.Id, r.Target]));
    sheets = (reader.model?.sheets ?? []).flatMap((sheet, i) => {
      const target = rels.get(sheet.rId);
      const path = target ? partPath(target) : `xl/worksheets/sheet${i + 1}.xml`;
      if (!file.names.has(path)) return [];
      return [{ name: String(sheet.name ?? ''), path, sheetNo: /(\d+)\.xml$/.exec(path)?.[1] ?? String(i + 1) }];
    });
  } catch (e) {
    throw damaged(e);
  }
  for (const sheet of sheets) {
    yield {
      name: sheet.name,
      batches: async function* () {
        let stream: Readable;
        try {
          stream = await file.open(sheet.path);
        } catch (e) {
          throw damaged(e);
        }
        try {
          for (const { value: worksheet } of reader._parseWorksheet(stream, sheet.sheetNo)) yield* batchesOf(worksheet);
        } finally {
          stream.destroy();
        }
      },
    };
  }
}

/** The sheets' names in the workbook's order, from the workbook part alone (to tell what kind of workbook it is). */
export async function sheetNames(file: WorkbookFile): Promise<string[]> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(null as unknown as Readable, { worksheets: 'ignore', sharedStrings: 'ignore', styles: 'ignore' }) as unknown as ReaderInternals;
  try {
    await reader._parseWorkbook(await file.open('xl/workbook.xml'));
  } catch (e) {
    throw damaged(e);
  }
  return (reader.model?.sheets ?? []).map((sheet) => String(sheet.name ?? ''));
}

/** The rows of a sheet in the batches the reader parses them in (one await per batch, not per row). */
async function* batchesOf(sheet: { parse(): AsyncIterable<{ eventType: string; value: any }[]> }): AsyncGenerator<SheetRow[]> {
  try {
    for await (const events of sheet.parse()) {
      const batch: SheetRow[] = [];
      for (const { eventType, value: row } of events) {
        if (eventType !== 'row') continue;
        const values: unknown[] = row.values ?? [];
        const cells: CellValue[] = new Array(Math.max(0, values.length - 1));
        for (let i = 1; i < values.length; i++) cells[i - 1] = reduce(values[i]);
        batch.push({ number: row.number, cells });
      }
      if (batch.length) yield batch;
    }
  } catch (e) {
    throw damaged(e);
  }
}

function damaged(e: unknown): Error {
  if (e instanceof CorruptWorkbookError) return e;
  return new CorruptWorkbookError('The workbook is damaged and cannot be read; open and save it again in Excel.');
}

// ---------------------------------------------------------------------------------------
// Writing

export type ColumnKind = 'text' | 'integer' | 'date' | 'datetime' | 'money' | 'yesno';

export interface ColumnSpec {
  header: string;
  width: number;
  kind: ColumnKind;
}

/** An amount: exact decimal text and the currency that says how many decimals it shows. */
export interface MoneyValue {
  amount: string;
  currency: string;
}

/** What a column takes: text; a whole number; 'YYYY-MM-DD' or a Date; a Date; an amount; true/false. */
export type OutValue = string | number | boolean | Date | MoneyValue | null | undefined;

const TEXT_STYLE = Object.freeze({}) as Partial<ExcelJS.Style>;
const HEADER_STYLE = Object.freeze({ font: { bold: true } }) as Partial<ExcelJS.Style>;
const INTEGER_STYLE = Object.freeze({ numFmt: '0' }) as Partial<ExcelJS.Style>;
const DATE_STYLE = Object.freeze({ numFmt: 'yyyy-mm-dd' }) as Partial<ExcelJS.Style>;
const DATETIME_STYLE = Object.freeze({ numFmt: 'yyyy-mm-dd hh:mm:ss' }) as Partial<ExcelJS.Style>;
const moneyStyles = new Map<string, Partial<ExcelJS.Style>>();

/** The number format of a currency's amounts: #,##0.00 for USD, #,##0 for JPY, #,##0.000 for KWD. */
export function moneyFormat(currencyCode: string): string {
  const places = currencyInfo(currencyCode).minorUnits;
  return places === 0 ? '#,##0' : `#,##0.${'0'.repeat(places)}`;
}

// One style object per format: exceljs recognises a style object it has seen before
// without rendering it again (a large part of the time of writing a cell).
function moneyStyle(currencyCode: string): Partial<ExcelJS.Style> {
  let style = moneyStyles.get(currencyCode);
  if (!style) {
    style = Object.freeze({ numFmt: moneyFormat(currencyCode) }) as Partial<ExcelJS.Style>;
    moneyStyles.set(currencyCode, style);
  }
  return style;
}

/**
 * Text that a spreadsheet (or a CSV saved from it) could take for a formula starts with
 * =, +, -, @, a tab or a carriage return: such text is written with a leading single quote
 * (and so is text that already starts with quotes before one of those), always as a string
 * cell. `fromCellText` takes the quote off again when reading.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
export function toCellText(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
export function fromCellText(text: string): string {
  return /^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

// Exports repeat the same few thousand dates: one Date per day, shared by its cells.
const dates = new Map<string, Date>();
function isoToDate(text: string): Date {
  let date = dates.get(text);
  if (!date) {
    date = new Date(Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10))));
    if (dates.size >= 20_000) dates.clear();
    dates.set(text, date);
  }
  return date;
}

/** A value as the cell exceljs writes for a column of that kind, and the cell's style. */
function cellOf(v: OutValue, kind: ColumnKind): [unknown, Partial<ExcelJS.Style>] {
  if (v === null || v === undefined || v === '') return [null, TEXT_STYLE];
  if (typeof v === 'string' && kind === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return [isoToDate(v), DATE_STYLE];
  if (typeof v === 'string') return [toCellText(v), TEXT_STYLE];
  if (v instanceof Date) return [v, kind === 'datetime' ? DATETIME_STYLE : DATE_STYLE];
  if (typeof v === 'number') return [v, kind === 'integer' ? INTEGER_STYLE : TEXT_STYLE];
  if (typeof v === 'boolean') return [kind === 'yesno' ? (v ? 'yes' : 'no') : v, TEXT_STYLE];
  // A spreadsheet holds amounts as binary floating point: the exact decimal is
  // converted here, for display only, and shown with the currency's decimals.
  return [Number(v.amount), moneyStyle(v.currency)];
}

export interface SheetWriter {
  addRow(values: OutValue[]): void;
  /**
   * Waits while the rows written so far are still queued for compression (more than a few
   * megabytes). Call it between batches: exceljs's writer hands rows to the zip without
   * backpressure, so a fast producer would otherwise pile the whole sheet up in memory.
   */
  settle(): Promise<void>;
  /** Rows written so far, over all the sheets it continued on, not counting their headers. */
  readonly rows: number;
  commit(): void;
}

const SETTLE_BYTES = 4 * 1024 * 1024;

/** A streaming workbook writer: sheets are written one after another, rows as they come. */
export class WorkbookWriter {
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private readonly stream: Writable;
  private failure: Error | null = null;
  private open: SheetWriter | null = null;

  constructor(out: Writable | string) {
    this.stream = typeof out === 'string' ? createWriteStream(out) : out;
    // Attached at once: an output that fails early must not take the process down.
    this.stream.on('error', (e) => {
      this.failure ??= e;
    });
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: this.stream,
      useStyles: true,
      useSharedStrings: false,
      zip: { zlib: { level: 1 } },
    } as unknown as Partial<ExcelJS.stream.xlsx.WorkbookStreamWriterOptions>);
  }

  /**
   * Starts a sheet with a bold, frozen header row, an autofilter and the columns' widths and
   * formats. A sheet holds at most EXPORT_SHEETS.maxDataRows rows below its header (Excel's
   * 1,048,575): more continue on further sheets, "<name> 2", "<name> 3", ..., each alike.
   */
  addSheet(name: string, columns: ColumnSpec[]): SheetWriter {
    if (this.open) this.open.commit();
    const maxDataRows = EXPORT_SHEETS.maxDataRows;
    let ws = this.startWorksheet(name, columns);
    let part = 1;
    let rows = 0;
    let sheetRows = 0;
    let committed = false;
    const kinds = columns.map((c) => c.kind);
    const finishWorksheet = () => {
      ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: sheetRows + 1, column: columns.length } };
      ws.commit();
    };
    const self = this;
    const writer: SheetWriter = {
      get rows() {
        return rows;
      },
      addRow(values: OutValue[]) {
        self.throwIfFailed();
        if (sheetRows >= maxDataRows) {
          finishWorksheet();
          ws = self.startWorksheet(`${name} ${++part}`, columns);
          sheetRows = 0;
        }
        const cells: unknown[] = new Array(kinds.length);
        const styles: Partial<ExcelJS.Style>[] = new Array(kinds.length);
        for (let i = 0; i < kinds.length; i++) [cells[i], styles[i]] = cellOf(values[i], kinds[i]);
        const row = ws.addRow(cells);
        for (let i = 0; i < kinds.length; i++) row.getCell(i + 1).style = styles[i];
        row.commit();
        rows++;
        sheetRows++;
      },
      async settle() {
        // What waits in the worksheet's buffer (an exceljs StreamBuf) and in the stream it is
        // piped to (archiver's entry stream, a readable-stream PassThrough).
        type Piped = { writableLength?: number; _writableState?: { length: number } };
        const queued = () => {
          const buf = (ws as unknown as { stream?: { buffers?: unknown[]; pipes?: Piped[] } }).stream;
          if (!buf) return 0;
          let bytes = (buf.buffers?.length ?? 0) * 65536;
          for (const p of buf.pipes ?? []) bytes += p.writableLength ?? p._writableState?.length ?? 0;
          return bytes;
        };
        // At least one turn of the event loop, so the zip (which works in callbacks) moves on.
        await new Promise((resolve) => setImmediate(resolve));
        while (queued() > SETTLE_BYTES && !self.failure) await new Promise((resolve) => setTimeout(resolve, 1));
        self.throwIfFailed();
      },
      commit() {
        if (committed) return;
        committed = true;
        finishWorksheet();
        if (self.open === writer) self.open = null;
      },
    };
    this.open = writer;
    return writer;
  }

  /** One worksheet with the columns' widths and the bold, frozen header row. */
  private startWorksheet(name: string, columns: ColumnSpec[]): ExcelJS.Worksheet {
    const ws = this.workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = columns.map((c) => ({ width: c.width }));
    const header = ws.addRow(columns.map((c) => c.header));
    for (let i = 1; i <= columns.length; i++) header.getCell(i).style = HEADER_STYLE;
    header.commit();
    return ws;
  }

  /** Finishes the workbook and waits until the output has it all. */
  async commit(): Promise<void> {
    if (this.open) this.open.commit();
    this.throwIfFailed();
    try {
      await this.workbook.commit();
    } catch (e) {
      throw new ExportFailedError(`The export could not be written (${(e as Error).message}).`);
    }
    this.throwIfFailed();
  }

  throwIfFailed(): void {
    if (this.failure) throw new ExportFailedError(`The export could not be written (${this.failure.message}).`);
  }

  /** Gives up on the workbook (after a failure), closing a file output. */
  abort(): void {
    if (!this.stream.destroyed) this.stream.destroy();
  }
}
