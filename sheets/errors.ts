import { BillingError } from '../billing';

/**
 * A workbook that cannot be read, each with a stable code and one sentence (the faces show
 * the message as it is). They are BillingErrors, so the faces treat them as a person's
 * mistake rather than a bug.
 */
export abstract class WorkbookError extends BillingError {}

export class NotAWorkbookError extends WorkbookError {
  readonly code = 'not_a_workbook';
}

export class LegacyWorkbookError extends WorkbookError {
  readonly code = 'legacy_workbook';
}

export class ProtectedWorkbookError extends WorkbookError {
  readonly code = 'protected_workbook';
}

export class CorruptWorkbookError extends WorkbookError {
  readonly code = 'corrupt_workbook';
}

export class EmptyWorkbookError extends WorkbookError {
  readonly code = 'empty_workbook';
}

export class WorkbookTooLargeError extends WorkbookError {
  readonly code = 'workbook_too_large';
}

export class WorkbookExpandsTooMuchError extends WorkbookError {
  readonly code = 'workbook_expands_too_much';
}

export class TooManyRowsError extends WorkbookError {
  readonly code = 'too_many_rows';
}

export class ExportFailedError extends WorkbookError {
  readonly code = 'export_failed';
}
