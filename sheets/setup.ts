import { Readable, Writable } from 'node:stream';
import {
  SetupChecker,
  type Billing,
  type SetupCounts,
  type SetupItem,
  type SetupPlan,
  type SetupProblem,
  type SetupRefs,
  type SetupStage,
  type SetupWarning,
} from '../billing';
import { readCell } from './cells';
import { EmptyWorkbookError, TooManyRowsError } from './errors';
import { openWorkbookFile, WorkbookFile } from './file';
import {
  findSetupSheet,
  headerOf,
  normalizeHeader,
  README_LINES,
  README_SHEET,
  SETUP_SHEETS,
  SetupColumn,
  SetupSheet,
  SetupSheetKey,
} from './layout';
import { limitsWith, WorkbookLimits } from './limits';
import { readSheets, WorkbookWriter } from './xlsx';

/** Where a row came from. */
export interface SheetRef {
  sheet: SetupSheetKey;
  row: number;
}

/** One problem in a workbook: the sheet, row and column, the value found and what was expected. */
export interface WorkbookProblem {
  sheet: string;
  row: number;
  column: string;
  value: string;
  expected: string;
  /** The whole problem as one sentence. */
  message: string;
}

export interface WorkbookWarning {
  sheet?: string;
  row?: number;
  message: string;
}

export interface ReadOptions {
  limits?: Partial<WorkbookLimits>;
  /** Most problems listed (all are counted in totalProblems). */
  maxProblems?: number;
}

export interface SetupReadResult {
  plan: SetupPlan<SheetRef>;
  problems: WorkbookProblem[];
  totalProblems: number;
  warnings: WorkbookWarning[];
  /** Data rows read per sheet. */
  rows: Record<SetupSheetKey, number>;
}

const sheetByKey = new Map(SETUP_SHEETS.map((s) => [s.key, s]));
const sheetOrder = new Map(SETUP_SHEETS.map((s, i) => [s.key, i]));

interface RawRead {
  /** The rows, checked one by one as they were read. */
  checked: { plan: SetupPlan<SheetRef>; problems: SetupProblem<SheetRef>[] };
  /** Problems of the sheets themselves (a missing column, a sheet twice). */
  problems: SetupProblem<SheetRef>[];
  /** Required columns a sheet lacks ("sheet:field"): already a problem of the header row, not of every row. */
  missing: Set<string>;
  warnings: WorkbookWarning[];
  rows: Record<SetupSheetKey, number>;
}

/** A workbook row's ref is its row number in its sheet. */
const SHEET_REFS: SetupRefs<SheetRef> = {
  rowOf: (_sheet, ref) => ref.row,
  refOf: (sheet, row) => ({ sheet, row }),
};

/** Reads and checks the rows; given a `stage`, the Accounts and Account Packages rows go to it as they are read. */
async function readRows(input: Readable | string, limits: WorkbookLimits, stage?: SetupStage<SheetRef>): Promise<RawRead> {
  const file = await openWorkbookFile(input, limits);
  try {
    return await readOpenWorkbook(file, limits, stage);
  } finally {
    file.close();
  }
}

async function readOpenWorkbook(file: WorkbookFile, limits: WorkbookLimits, stage?: SetupStage<SheetRef>): Promise<RawRead> {
  const checker = new SetupChecker<SheetRef>(stage);
  const result: RawRead = {
    checked: { plan: { accounts: [], packages: [], accountPackages: [], configurations: [], refused: { accounts: new Set(), packages: new Set() } }, problems: [] },
    problems: [],
    missing: new Set(),
    warnings: [],
    rows: { accounts: 0, packages: 0, accountPackages: 0, billRuns: 0 },
  };
  const check: Record<SetupSheetKey, (item: SetupItem<any, SheetRef>) => void> = {
    accounts: (item) => checker.account(item),
    packages: (item) => checker.packageService(item),
    accountPackages: (item) => checker.accountPackage(item),
    billRuns: (item) => checker.configuration(item),
  };
  const seen = new Map<SetupSheetKey, string>();
  let sheetsSeen = 0;
  for await (const sheet of readSheets(file)) {
    sheetsSeen++;
    const layout = findSetupSheet(sheet.name);
    if (!layout) {
      if (normalizeHeader(sheet.name) !== normalizeHeader(README_SHEET)) {
        result.warnings.push({ sheet: sheet.name, message: `Sheet "${sheet.name}" is not one of ${SETUP_SHEETS.map((s) => s.name).join(', ')} and was ignored.` });
      }
      continue;
    }
    const earlier = seen.get(layout.key);
    if (earlier !== undefined) {
      result.problems.push({ ref: { sheet: layout.key, row: 1 }, field: '', value: sheet.name, expected: `One sheet named "${layout.name}" (sheet "${earlier}" is one already).` });
      continue;
    }
    seen.set(layout.key, sheet.name);

    let columns: { column: SetupColumn; index: number }[] | null = null;
    const checkRow = check[layout.key];
    let rows = 0;
    for await (const batch of sheet.batches()) {
      for (const row of batch) {
        if (row.cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''))) continue;
        if (!columns) {
          columns = headerColumns(layout, sheet.name, row.number, row.cells, result);
          continue;
        }
        if (rows >= limits.maxRowsPerSheet) {
          throw new TooManyRowsError(
            `Sheet "${sheet.name}" has more than ${limits.maxRowsPerSheet.toLocaleString('en-US')} rows below its header; split it over several workbooks.`,
          );
        }
        const values: Record<string, unknown> = {};
        for (const { column, index } of columns) values[column.field] = readCell(row.cells[index] ?? null, column.read);
        checkRow({ ref: { sheet: layout.key, row: row.number }, row: values });
        rows++;
      }
      if (stage) await stage.flush();
    }
    result.rows[layout.key] = rows;
  }
  if (sheetsSeen === 0 || seen.size === 0) {
    throw new EmptyWorkbookError(`The workbook has none of the sheets ${SETUP_SHEETS.map((s) => `"${s.name}"`).join(', ')}.`);
  }
  if (Object.values(result.rows).every((n) => n === 0) && result.problems.length === 0) {
    throw new EmptyWorkbookError('The workbook has no rows below the header rows, so there is nothing to import.');
  }
  result.checked = checker.finish();
  return result;
}

/** Maps the header row to the layout's columns: missing required columns are problems, unknown ones warnings. */
function headerColumns(
  layout: SetupSheet,
  sheetName: string,
  rowNumber: number,
  cells: unknown[],
  result: RawRead,
): { column: SetupColumn; index: number }[] {
  const found: { column: SetupColumn; index: number }[] = [];
  const used = new Set<string>();
  cells.forEach((cell, index) => {
    if (cell === null || cell === undefined) return;
    const text = String(cell instanceof Date ? cell.toISOString().slice(0, 10) : cell).trim();
    if (!text) return;
    const column = layout.columns.find((c) => normalizeHeader(c.header) === normalizeHeader(text));
    if (!column) {
      result.warnings.push({ sheet: sheetName, row: rowNumber, message: `Column "${text}" of sheet "${sheetName}" is not one of the setup columns and was ignored.` });
      return;
    }
    if (used.has(column.field)) {
      result.warnings.push({ sheet: sheetName, row: rowNumber, message: `Column "${text}" of sheet "${sheetName}" appears twice; the first one was used.` });
      return;
    }
    used.add(column.field);
    found.push({ column, index });
  });
  for (const column of layout.columns) {
    if (column.required && !used.has(column.field)) {
      result.missing.add(`${layout.key}:${column.field}`);
      result.problems.push({
        ref: { sheet: layout.key, row: rowNumber },
        field: column.field,
        value: '',
        expected: `A column headed "${column.header}" in the header row.`,
      });
    }
  }
  return found;
}

/** The rows' problems, less those a missing column already explains. */
function rowProblems(raw: RawRead, problems: SetupProblem<SheetRef>[]): SetupProblem<SheetRef>[] {
  return [...raw.problems, ...problems.filter((p) => !raw.missing.has(`${p.ref.sheet}:${p.field}`))];
}

function toWorkbookProblem(p: SetupProblem<SheetRef>): WorkbookProblem {
  const layout = sheetByKey.get(p.ref.sheet)!;
  const column = p.field ? headerOf(layout, p.field) : '';
  const related = p.related ? ` (see row ${p.related.row})` : '';
  // A huge cell is quoted by its start (the whole value stays in `value`).
  const found = p.value === '' ? 'blank' : `"${p.value.length > 80 ? `${p.value.slice(0, 79)}…` : p.value}"`;
  const where = column ? `${layout.name} row ${p.ref.row}, ${column}` : `${layout.name} row ${p.ref.row}`;
  return {
    sheet: layout.name,
    row: p.ref.row,
    column,
    value: p.value,
    expected: p.expected,
    message: `${where}: found ${found}; expected: ${p.expected}${related}`,
  };
}

function toWorkbookWarning(w: SetupWarning<SheetRef>): WorkbookWarning {
  if (!w.ref) return { message: w.message };
  const layout = sheetByKey.get(w.ref.sheet)!;
  return { sheet: layout.name, row: w.ref.row, message: `${layout.name} row ${w.ref.row}: ${w.message}` };
}

function sortedProblems(problems: SetupProblem<SheetRef>[], max: number): WorkbookProblem[] {
  return [...problems]
    .sort((a, b) => sheetOrder.get(a.ref.sheet)! - sheetOrder.get(b.ref.sheet)! || a.ref.row - b.ref.row)
    .slice(0, max)
    .map(toWorkbookProblem);
}

/**
 * Reads a setup workbook and checks every row on its own (forms, duplicates among the
 * Packages and Bill Runs rows, package rows agreeing). Nothing is looked up in the database:
 * importSetupWorkbook does that, and checks the Accounts and Account Packages rows among
 * themselves once staged. A file that is not a readable .xlsx throws a WorkbookError.
 */
export async function readSetupWorkbook(input: Readable | string, options: ReadOptions = {}): Promise<SetupReadResult> {
  const raw = await readRows(input, limitsWith(options.limits));
  const checked = raw.checked;
  const problems = rowProblems(raw, checked.problems);
  return {
    plan: checked.plan,
    problems: sortedProblems(problems, options.maxProblems ?? 1000),
    totalProblems: problems.length,
    warnings: raw.warnings,
    rows: raw.rows,
  };
}

export interface ImportOptions extends ReadOptions {
  /** Check and count only; write nothing. */
  dryRun?: boolean;
  /** Who imports (a Slack user id or a name), recorded with the import. */
  actor: string;
}

export interface SetupImportResult {
  /** True when the workbook was written (no problem, not a dry run). */
  applied: boolean;
  dryRun: boolean;
  accounts: SetupCounts;
  packages: SetupCounts;
  accountPackages: SetupCounts;
  billRuns: SetupCounts;
  billGroupsCreated: string[];
  problems: WorkbookProblem[];
  totalProblems: number;
  warnings: WorkbookWarning[];
}

/**
 * Reads a setup workbook, checks it whole against what is stored, and applies it in one
 * transaction: all or nothing. The rows of the big sheets are staged in Postgres as they are
 * read, so memory stays flat whatever their number. Every problem is reported (with sheet, row, column, value
 * and what was expected); any problem means nothing changes. `billing`: the billing services
 * (a database handle is still taken, for callers that have not moved to the billing object).
 */
export async function importSetupWorkbook(billing: Billing, input: Readable | string, options: ImportOptions): Promise<SetupImportResult> {
  let warnings: WorkbookWarning[] = [];
  let earlier: SetupProblem<SheetRef>[] = [];
  // The Accounts and Account Packages rows are staged in Postgres as they are read (only a name
  // per row stays, for duplicates): memory does not grow with them.
  const outcome = await billing.setup.import({ dryRun: options.dryRun, actor: options.actor }, SHEET_REFS, async (stage) => {
    const raw = await readRows(input, limitsWith(options.limits), stage);
    warnings = raw.warnings;
    earlier = rowProblems(raw, raw.checked.problems);
    return { plan: raw.checked.plan, earlierProblems: earlier.length };
  });
  const problems = [...earlier, ...outcome.problems];
  return {
    applied: outcome.applied,
    dryRun: !!options.dryRun,
    accounts: outcome.accounts,
    packages: outcome.packages,
    accountPackages: outcome.accountPackages,
    billRuns: outcome.configurations,
    billGroupsCreated: outcome.billGroupsCreated,
    problems: sortedProblems(problems, options.maxProblems ?? 1000),
    totalProblems: problems.length,
    warnings: [...warnings, ...outcome.warnings.map(toWorkbookWarning)],
  };
}

/** Writes an empty setup workbook: each sheet with its headers, and a sheet that explains them. */
export async function writeTemplate(out: Writable | string): Promise<{ sheets: number }> {
  const writer = new WorkbookWriter(out);
  try {
    for (const sheet of SETUP_SHEETS) {
      writer.addSheet(sheet.name, sheet.columns.map((c) => ({ header: c.header, width: c.width, kind: c.write }))).commit();
    }
    const readme = writer.addSheet(README_SHEET, [
      { header: README_LINES[0][0], width: 18, kind: 'text' },
      { header: README_LINES[0][1], width: 28, kind: 'text' },
      { header: README_LINES[0][2], width: 120, kind: 'text' },
    ]);
    for (const line of README_LINES.slice(1)) readme.addRow(line);
    await writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { sheets: SETUP_SHEETS.length + 1 };
}
