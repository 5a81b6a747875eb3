import { Readable } from 'node:stream';
import type { Billing, PaymentImportOutcome, PaymentImportRow } from '../billing';
import { readCell } from './cells';
import { EmptyWorkbookError, MixedWorkbookError, TooManyRowsError } from './errors';
import { openWorkbookBytes, openWorkbookFile, type WorkbookFile } from './file';
import { findSetupSheet, normalizeHeader, README_SHEET } from './layout';
import { limitsWith, type WorkbookLimits } from './limits';
import { BILLING_FIELD, PAYMENT_COLUMNS, PAYMENTS_SHEET, paymentRowSchema, type PaymentColumn } from './paymentsLayout';
import type { ImportOptions, WorkbookProblem, WorkbookWarning } from './setup';
import { readSheets, sheetNames } from './xlsx';

/**
 * The payments workbook (sheets/paymentsLayout.ts): read with the streaming reader, each row's
 * form checked here (paymentRowSchema) and handed to billing's payments import in chunks as it
 * is read (billing/payments/import.ts: staged, checked against what is stored and recorded in
 * one transaction, all or nothing). Problems point to the sheet, row and column, as the setup
 * workbook's do.
 */

/** What billing's import found (billing/payments/import.ts), with the workbook's problems and warnings. */
export interface PaymentsImportResult extends Omit<PaymentImportOutcome, 'problems' | 'rows'> {
  workbook: 'payments';
  dryRun: boolean;
  /** Data rows read. */
  rows: number;
  problems: WorkbookProblem[];
  warnings: WorkbookWarning[];
}

export function isPaymentsSheet(name: string): boolean {
  const n = normalizeHeader(name);
  return [PAYMENTS_SHEET.name, ...PAYMENTS_SHEET.aliases].some((s) => normalizeHeader(s) === n);
}

const headerOf = (field: string) => PAYMENT_COLUMNS.find((c) => c.field === field || BILLING_FIELD[c.field] === field)?.header ?? field;

function problem(row: number, field: string, value: string, expected: string): WorkbookProblem {
  const column = field ? headerOf(field) : '';
  const found = value === '' ? 'blank' : `"${value.length > 80 ? `${value.slice(0, 79)}…` : value}"`;
  const where = column ? `${PAYMENTS_SHEET.name} row ${row}, ${column}` : `${PAYMENTS_SHEET.name} row ${row}`;
  return { sheet: PAYMENTS_SHEET.name, row, column, value, expected, message: `${where}: found ${found}; expected: ${expected}` };
}

const shown = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** What the reader found besides the rows it handed on. */
interface ReadState {
  problems: WorkbookProblem[];
  totalProblems: number;
  warnings: WorkbookWarning[];
  rows: number;
  maxProblems: number;
  /** Required columns the sheet lacks: a problem of the header row, not of every row. */
  missing: Set<string>;
}

/** Maps the header row to the columns: a missing required column is a problem, an unknown one a warning. */
function headerColumns(sheetName: string, rowNumber: number, cells: unknown[], state: ReadState): { column: PaymentColumn; index: number }[] {
  const found: { column: PaymentColumn; index: number }[] = [];
  cells.forEach((cell, index) => {
    const text = cell instanceof Date ? cell.toISOString().slice(0, 10) : shown(cell).trim();
    if (!text) return;
    const column = PAYMENT_COLUMNS.find((c) => normalizeHeader(c.header) === normalizeHeader(text));
    if (!column) state.warnings.push({ sheet: sheetName, row: rowNumber, message: `Column "${text}" of sheet "${sheetName}" is not one of the payment columns and was ignored.` });
    else if (found.some((f) => f.column === column)) state.warnings.push({ sheet: sheetName, row: rowNumber, message: `Column "${text}" of sheet "${sheetName}" appears twice; the first one was used.` });
    else found.push({ column, index });
  });
  for (const column of PAYMENT_COLUMNS) {
    if (column.required && !found.some((f) => f.column === column)) {
      state.missing.add(column.field);
      addProblem(state, problem(rowNumber, column.field, '', `A column headed "${column.header}" in the header row.`));
    }
  }
  return found;
}

function addProblem(state: ReadState, p: WorkbookProblem): void {
  state.totalProblems++;
  if (state.problems.length < state.maxProblems) state.problems.push(p);
}

/** Checks one row's form: the row for billing, or its problems. */
function checkRow(number: number, values: Record<string, unknown>, state: ReadState): PaymentImportRow | null {
  const parsed = paymentRowSchema.safeParse(values);
  if (parsed.success) {
    const d = parsed.data;
    return { row: number, receivedOn: d.receivedOn, account: d.account, amount: d.amount, method: d.method, reference: d.reference, invoice: d.invoice };
  }
  const seen = new Set<string>();
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    if (seen.has(field) || state.missing.has(field)) continue;
    seen.add(field);
    addProblem(state, problem(number, field, shown(values[field]), issue.message));
  }
  return null;
}

const CHUNK = 5000;

/**
 * Hands chunks to `write` one at a time, without waiting for a chunk to be written before the
 * next is read: the database stages one while the reader reads the next (at most one chunk in
 * flight; a failed write is thrown at the next chunk or at the end).
 */
function overlapped(write: (rows: PaymentImportRow[]) => Promise<void>) {
  let inFlight: Promise<void> = Promise.resolve();
  return {
    send: async (rows: PaymentImportRow[]): Promise<void> => {
      await inFlight;
      inFlight = write(rows);
      inFlight.catch(() => undefined); // seen by the next send or by done
    },
    done: (): Promise<void> => inFlight,
  };
}

/** Reads the Payments sheet, handing its rows (form checked) to `write` a chunk at a time. */
async function readPayments(file: WorkbookFile, limits: WorkbookLimits, state: ReadState, writeChunk: (rows: PaymentImportRow[]) => Promise<void>): Promise<void> {
  const writer = overlapped(writeChunk);
  let sheets = 0;
  let seen = false;
  for await (const sheet of readSheets(file)) {
    sheets++;
    if (!isPaymentsSheet(sheet.name) || seen) {
      if (normalizeHeader(sheet.name) !== normalizeHeader(README_SHEET)) {
        state.warnings.push({ sheet: sheet.name, message: `Sheet "${sheet.name}" is not the ${seen ? 'first ' : ''}${PAYMENTS_SHEET.name} sheet and was ignored.` });
      }
      continue;
    }
    seen = true;
    let columns: { column: PaymentColumn; index: number }[] | null = null;
    let chunk: PaymentImportRow[] = [];
    for await (const batch of sheet.batches()) {
      for (const row of batch) {
        if (row.cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''))) continue;
        if (!columns) {
          columns = headerColumns(sheet.name, row.number, row.cells, state);
          continue;
        }
        if (state.rows >= limits.maxRowsPerSheet) {
          throw new TooManyRowsError(`Sheet "${sheet.name}" has more than ${limits.maxRowsPerSheet.toLocaleString('en-US')} rows below its header; split it over several workbooks.`);
        }
        state.rows++;
        const values: Record<string, unknown> = {};
        for (const { column, index } of columns) values[column.field] = readCell(row.cells[index] ?? null, column.read);
        const checked = checkRow(row.number, values, state);
        if (checked) chunk.push(checked);
        if (chunk.length >= CHUNK) {
          await writer.send(chunk);
          chunk = [];
        }
      }
    }
    await writer.send(chunk);
  }
  await writer.done();
  if (sheets === 0 || !seen) throw new EmptyWorkbookError(`The workbook has no sheet named "${PAYMENTS_SHEET.name}".`);
  if (state.rows === 0 && state.totalProblems === 0) throw new EmptyWorkbookError('The workbook has no rows below the header row, so there is nothing to import.');
}

/**
 * Reads a payments workbook and imports it: every row checked (its form here, the rest against
 * what is stored by billing), then all the payments recorded in one transaction, or none.
 * A payment recorded already (same account and reference) is reported and skipped.
 */
export async function importPaymentsWorkbook(billing: Billing, input: Readable | string, options: ImportOptions): Promise<PaymentsImportResult> {
  const limits = limitsWith(options.limits);
  const maxProblems = options.maxProblems ?? 1000;
  const state: ReadState = { problems: [], totalProblems: 0, warnings: [], rows: 0, maxProblems, missing: new Set() };
  const file = await openWorkbookFile(input, limits);
  try {
    const outcome = await billing.paymentImport.run({ dryRun: options.dryRun, actor: options.actor, maxProblems }, async (write) => {
      await readPayments(file, limits, state, write);
      return { problems: state.totalProblems };
    });
    const problems = [...state.problems, ...outcome.problems.map((p) => problem(p.row, p.field, p.value, p.expected))]
      .sort((a, b) => a.row - b.row)
      .slice(0, maxProblems);
    return {
      ...outcome,
      workbook: 'payments',
      dryRun: !!options.dryRun,
      rows: state.rows,
      problems,
      totalProblems: state.totalProblems + outcome.totalProblems,
      warnings: state.warnings,
    };
  } finally {
    file.close();
  }
}

/** What a workbook is, by its sheets: a payments workbook has a Payments sheet (and none of the setup sheets). */
export async function workbookKind(data: Buffer, limits: Partial<WorkbookLimits> = {}): Promise<'setup' | 'payments'> {
  const file = await openWorkbookBytes(data, limitsWith(limits));
  try {
    const names = await sheetNames(file);
    if (!names.some(isPaymentsSheet)) return 'setup';
    const setup = names.filter((n) => findSetupSheet(n));
    if (setup.length) {
      throw new MixedWorkbookError(
        `The workbook has a ${PAYMENTS_SHEET.name} sheet and setup sheets (${setup.map((n) => `"${n}"`).join(', ')}); import payments and setup as two workbooks.`,
      );
    }
    return 'payments';
  } finally {
    file.close();
  }
}
