import type { PaymentsImportResult } from './payments';
import type { SetupImportResult } from './setup';

export type { SetupImportResult, PaymentsImportResult };

/** What an import of either workbook gives. */
export type WorkbookImportResult = SetupImportResult | PaymentsImportResult;

/** True for the result of a payments workbook (loads nothing: the faces tell results apart with it). */
export function isPaymentsImport(result: WorkbookImportResult): result is PaymentsImportResult {
  return (result as { workbook?: string }).workbook === 'payments';
}

/** Rows created and updated by an import (and bill groups created): 0 means it changes nothing. */
export function importChanges(result: SetupImportResult): number {
  const sheets = [result.accounts, result.packages, result.accountPackages, result.billRuns];
  return sheets.reduce((n, c) => n + c.created + c.updated, 0) + result.billGroupsCreated.length;
}
