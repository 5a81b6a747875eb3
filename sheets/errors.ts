import { BillingError } from '../billing';

/**
 * A workbook that cannot be read, each with a stable code and one sentence (the faces show
 * the message as it is). They are BillingErrors, so the faces treat them as a person's
 * mistake rather than a bug.
 */
export abstract class WorkbookError extends BillingError {}

/** The base of one kind of WorkbookError: its stable code. */
function withCode<C extends string>(code: C) {
  return class extends WorkbookError {
    readonly code: C = code;
  };
}

export class NotAWorkbookError extends withCode('not_a_workbook') {}
export class LegacyWorkbookError extends withCode('legacy_workbook') {}
export class ProtectedWorkbookError extends withCode('protected_workbook') {}
export class CorruptWorkbookError extends withCode('corrupt_workbook') {}
export class EmptyWorkbookError extends withCode('empty_workbook') {}
export class WorkbookTooLargeError extends withCode('workbook_too_large') {}
export class WorkbookExpandsTooMuchError extends withCode('workbook_expands_too_much') {}
export class MixedWorkbookError extends withCode('mixed_workbook') {}
export class TooManyRowsError extends withCode('too_many_rows') {}
export class ExportFailedError extends withCode('export_failed') {}
