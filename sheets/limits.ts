/** Rows a worksheet holds in Excel (and in the file format): the header row and 1,048,575 rows below it. */
export const EXCEL_MAX_ROWS = 1_048_576;

/**
 * Data rows an export writes to one sheet before it continues on the next ("Transactions",
 * "Transactions 2", ...): Excel's rows less the header. Tests lower `maxDataRows` to see a
 * sheet continue without writing a million rows.
 */
export const EXPORT_SHEETS = { maxDataRows: EXCEL_MAX_ROWS - 1 };

/** How much a workbook may hold before it is refused unread. */
export interface WorkbookLimits {
  /** Size of the file itself. */
  maxBytes: number;
  /** Data rows in any one sheet (the header row and blank rows not counted). */
  maxRowsPerSheet: number;
  /** Entries (files) in the zip. */
  maxEntries: number;
  /** Expanded size of all entries together. */
  maxExpandedBytes: number;
  /** Expanded size over compressed size of any entry larger than 1 MB expanded. */
  maxCompressionRatio: number;
}

/**
 * Largest workbook sent over the network (a Slack upload): such files are held in memory
 * while they are checked and wait for Confirm. Bigger setups come as several workbooks.
 */
export const UPLOAD_MAX_BYTES = 20 * 1024 * 1024;

/**
 * Largest workbook file (read from disk by the CLI and the shell; the default of every read):
 * a setup workbook with full Accounts and Account Packages sheets, 1,048,575 rows each, as
 * exceljs saves it with shared strings, is 79 MB (660 MB expanded; test/bench/RESULTS.md).
 */
export const FILE_MAX_BYTES = 128 * 1024 * 1024;

export const DEFAULT_LIMITS: WorkbookLimits = {
  maxBytes: FILE_MAX_BYTES,
  maxRowsPerSheet: EXCEL_MAX_ROWS - 1,
  maxEntries: 10_000,
  maxExpandedBytes: 2 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
};

export function limitsWith(overrides: Partial<WorkbookLimits> = {}): WorkbookLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}

export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb < 1) return `${Math.ceil(bytes / 1024)} KB`;
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}
