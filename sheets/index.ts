/**
 * Workbooks in and out (the issue "Workbooks"): the setup workbook (template, read, import)
 * and the exports. The faces (CLI, shell, Slack) call these; exceljs stays behind
 * sheets/xlsx.ts.
 */
export { writeTemplate, readSetupWorkbook, importSetupWorkbook } from './setup';
export type { SheetRef, WorkbookProblem, WorkbookWarning, ReadOptions, ImportOptions, SetupReadResult, SetupImportResult } from './setup';
export { importPaymentsWorkbook, workbookKind } from './payments';
export { isPaymentsImport } from './changes';
export type { WorkbookImportResult } from './changes';
export type { PaymentsImportResult } from './payments';
export { exportAccounts, exportInvoices, exportCredits, exportPayments } from './exports';
export type { AccountsExportCounts, InvoicesExportCounts, CreditsExportCounts, PaymentsExportCounts } from './exports';
export { exportAging, exportStatement } from './receivables';
export type { AgingExportCounts, StatementExportCounts } from './receivables';
export { DEFAULT_LIMITS, FILE_MAX_BYTES, UPLOAD_MAX_BYTES } from './limits';
export type { WorkbookLimits } from './limits';
export * from './errors';
export { SETUP_SHEETS } from './layout';
