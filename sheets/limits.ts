/** How much a workbook may hold before it is refused unread. */
export interface WorkbookLimits {
  /** Size of the file itself. */
  maxBytes: number;
  /** Rows in any one sheet (the header row included). */
  maxRowsPerSheet: number;
  /** Entries (files) in the zip. */
  maxEntries: number;
  /** Expanded size of all entries together. */
  maxExpandedBytes: number;
  /** Expanded size over compressed size of any entry larger than 1 MB expanded. */
  maxCompressionRatio: number;
}

export const DEFAULT_LIMITS: WorkbookLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxRowsPerSheet: 200_000,
  maxEntries: 10_000,
  maxExpandedBytes: 1024 * 1024 * 1024,
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
