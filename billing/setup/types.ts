import type { Address, AddressKey } from '../address';
import type { AccountPackageStatus, AccountStatus, PeriodRule } from '../schemas';

/**
 * Bulk setup: accounts, packages, account packages and bill run configurations given as
 * many rows at once (a setup workbook), checked in memory against what is stored and
 * applied in ONE transaction with set-based SQL. Nothing here knows about workbooks: each
 * row carries an opaque `ref` (where it came from) that problems point back to.
 *
 * Raw values follow one convention: `undefined` means "not given" (keep what is stored, or
 * the default for a new row), `null` means "given blank" (clear an optional field).
 */

export interface SetupAccountRow extends Partial<Record<AddressKey, unknown>> {
  name: unknown;
  displayName?: unknown;
  currency?: unknown;
  status?: unknown;
  billGroup?: unknown;
  billDay?: unknown;
  parent?: unknown;
  invoiceTo?: unknown;
  /** Days after the invoice date its invoices are due (blank: the configuration's, else 30). */
  paymentTerms?: unknown;
}

/** One service of a package; rows naming the same package form one package. */
export interface SetupPackageServiceRow {
  package: unknown;
  currency?: unknown;
  frequency?: unknown;
  service: unknown;
  /** Decimal text such as "140.00". */
  price: unknown;
}

export interface SetupAccountPackageRow {
  account: unknown;
  package: unknown;
  quantity?: unknown;
  status?: unknown;
  effectiveDate?: unknown;
  nextBillDate?: unknown;
}

export interface SetupConfigurationRow {
  name: unknown;
  billPackages?: unknown;
  generateInvoice?: unknown;
  /** "current month", "previous month" or "YYYY-MM-DD to YYYY-MM-DD". */
  period?: unknown;
  billGroups?: unknown;
  schedule?: unknown;
  timeZone?: unknown;
  reportChannel?: unknown;
  paymentTerms?: unknown;
}

export interface SetupItem<T, R> {
  ref: R;
  row: T;
}

export interface SetupInput<R> {
  accounts?: SetupItem<SetupAccountRow, R>[];
  packageServices?: SetupItem<SetupPackageServiceRow, R>[];
  accountPackages?: SetupItem<SetupAccountPackageRow, R>[];
  configurations?: SetupItem<SetupConfigurationRow, R>[];
}

/** One thing wrong with one field of one row: what was found and what was expected. */
export interface SetupProblem<R> {
  ref: R;
  field: string;
  value: string;
  expected: string;
  /** Another row the problem involves (the first row with the same name, ...). */
  related?: R;
}

export interface SetupWarning<R> {
  ref?: R;
  message: string;
}

/** Address fields: undefined keeps what is stored, null clears. */
export interface PlannedAccount<R> extends Partial<Address> {
  ref: R;
  name: string;
  displayName?: string | null;
  currency?: string;
  status?: AccountStatus;
  billGroup?: string;
  billDay?: number;
  parent?: string | null;
  invoiceTo?: string | null;
  paymentTermsDays?: number | null;
}

export interface PlannedService<R> {
  ref: R;
  name: string;
  price: string;
}

export interface PlannedPackage<R> {
  ref: R;
  name: string;
  currency?: string;
  currencyRef?: R;
  frequency?: string;
  services: PlannedService<R>[];
}

export interface PlannedAccountPackage<R> {
  ref: R;
  account: string;
  package: string;
  quantity?: number;
  status?: AccountPackageStatus;
  effectiveDate?: string;
  nextBillDate?: string;
}

export interface PlannedPeriod {
  rule: PeriodRule;
  start: string | null;
  end: string | null;
}

export interface PlannedConfiguration<R> {
  ref: R;
  name: string;
  billPackages?: boolean;
  generateInvoice?: boolean;
  period?: PlannedPeriod;
  billGroups?: string[];
  schedule?: string | null;
  timeZone?: string;
  reportChannel?: string | null;
  paymentTermsDays?: number | null;
}

/** The checked rows, ready to apply. Names of rows refused by the check are kept so references to them raise no second problem. */
export interface SetupPlan<R> {
  accounts: PlannedAccount<R>[];
  packages: PlannedPackage<R>[];
  accountPackages: PlannedAccountPackage<R>[];
  configurations: PlannedConfiguration<R>[];
  refused: { accounts: Set<string>; packages: Set<string> };
}

export interface SetupCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface SetupOutcome<R> {
  /** True when the changes were written (no problem, not a dry run). */
  applied: boolean;
  accounts: SetupCounts;
  packages: SetupCounts;
  accountPackages: SetupCounts;
  configurations: SetupCounts;
  /** Bill groups named in the rows that did not exist (created when applied). */
  billGroupsCreated: string[];
  problems: SetupProblem<R>[];
  warnings: SetupWarning<R>[];
}

/** The sheets whose rows are staged in Postgres rather than held in memory. */
export type StagedSheet = 'accounts' | 'accountPackages';

/**
 * How a row's `ref` is stored with it (a row number) and given back on its problems. A
 * workbook's refs are their row numbers already; refs of rows given in memory are kept in a
 * list (arrayRefs: each call to rowOf adds one).
 */
export interface SetupRefs<R> {
  rowOf(sheet: StagedSheet, ref: R): number;
  refOf(sheet: StagedSheet, row: number): R;
}

/** Where a checker sends the Accounts and Account Packages rows that pass, instead of keeping them (./stage.ts). */
export interface SetupSink<R> {
  account(row: PlannedAccount<R>): void;
  accountPackage(row: PlannedAccountPackage<R>): void;
}

