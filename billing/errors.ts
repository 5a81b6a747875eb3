/**
 * Every failure a person can cause has its own class and a stable code (in the manner
 * of bolt-js's coded errors). The faces (CLI, shell, Slack) map them to one sentence;
 * anything that is not a BillingError is a bug and is reported as such.
 */
export abstract class BillingError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends BillingError {
  readonly code = 'invalid_input';
}

export class InvalidAmountError extends BillingError {
  readonly code = 'invalid_amount';
}

export class InvalidDateError extends BillingError {
  readonly code = 'invalid_date';
}

export class InvalidPeriodError extends BillingError {
  readonly code = 'invalid_period';
}

/** `"a", "b"`: names quoted and listed, for the unknown-name sentences below. */
const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

export class UnknownAccountError extends BillingError {
  readonly code = 'unknown_account';
  constructor(
    readonly accountName: string,
    readonly closeMatches: string[] = [],
  ) {
    super(`There is no account named "${accountName}".${closeMatches.length ? ` Did you mean ${quoted(closeMatches)}?` : ''}`);
  }
}

export class UnknownConfigurationError extends BillingError {
  readonly code = 'unknown_configuration';
  constructor(
    readonly configurationName: string,
    readonly known: string[] = [],
  ) {
    super(`There is no bill run configuration named "${configurationName}".${known.length ? ` Known configurations: ${quoted(known)}.` : ''}`);
  }
}

export class UnknownPackageError extends BillingError {
  readonly code = 'unknown_package';
}

export class UnknownBillGroupError extends BillingError {
  readonly code = 'unknown_bill_group';
}

export class UnknownBillRunError extends BillingError {
  readonly code = 'unknown_bill_run';
}

export class UnknownInvoiceError extends BillingError {
  readonly code = 'unknown_invoice';
}

export class UnknownCreditError extends BillingError {
  readonly code = 'unknown_credit';
}

export class AccountNotBillableError extends BillingError {
  readonly code = 'account_not_billable';
}

export class CurrencyMismatchError extends BillingError {
  readonly code = 'currency_mismatch';
}

export class InvalidInvoicerError extends BillingError {
  readonly code = 'invalid_invoicer';
}

export class AccountCycleError extends BillingError {
  readonly code = 'account_cycle';
}

export class DuplicateNameError extends BillingError {
  readonly code = 'duplicate_name';
}

export class ConfigurationCannotBillError extends BillingError {
  readonly code = 'configuration_cannot_bill';
}

export class CreditStateError extends BillingError {
  readonly code = 'credit_state';
}

export class DisbursementRefusedError extends BillingError {
  readonly code = 'disbursement_refused';
}

export class BillRunStateError extends BillingError {
  readonly code = 'bill_run_state';
}

/** A payment with the same reference was already recorded on the account. */
export class DuplicatePaymentError extends BillingError {
  readonly code = 'duplicate_payment';
}

export class UnknownPaymentError extends BillingError {
  readonly code = 'unknown_payment';
}

/** The payment's status does not allow it (a payment is reversed only once). */
export class PaymentStateError extends BillingError {
  readonly code = 'payment_state';
}

/** A payment named an invoice it cannot pay: another invoicer's, another currency, already paid, named twice. */
export class PaymentInvoiceError extends BillingError {
  readonly code = 'payment_invoice';
}

/** An application above an invoice's balance, or amounts named above the payment's amount. */
export class OverBalanceError extends BillingError {
  readonly code = 'over_balance';
}
