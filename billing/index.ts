/**
 * billing's door. Nothing outside billing/ imports a billing module other than this one.
 *
 * - `createBilling(db, clock, options)` binds every billing service to one database handle
 *   (the pool, or a transaction) and one clock: what the faces (CLI, shell, Slack, scheduler)
 *   and the workbooks (sheets/) call. The flat methods (`bill`, `addCredit`, `getInvoice`, ...)
 *   are the everyday operations; the groups are the services of one concern each:
 *   `schedules` (scheduled configurations, fire claims, run reports and their delivery),
 *   `access` (roles and the audit trail), `pendingImports` (workbooks held for a decision),
 *   `setup` (check and apply a setup import), `exports` (the export row streams, read in one
 *   snapshot). A service that runs a step inside its own transaction hands that step a
 *   Billing bound to the transaction, never a raw handle.
 * - The public types and pure helpers the faces need (Money, parsing of amounts, dates and
 *   ids, coded errors, schemas, view types, the cron helpers) are re-exported below.
 * - `createDb`, `databaseAnswers` and `migrateLatest` open and prepare the database. They load
 *   knex, pg and the migrations only when called: importing this door stays cheap (the
 *   billbot CLI checks its arguments before any of that is needed), and billing never
 *   loads exceljs.
 */
import type { Knex } from 'knex';
import * as access from './access';
import * as accounts from './accounts';
import * as billRuns from './billRuns';
import * as configurations from './configurations';
import * as credits from './credits';
import * as documents from './documents';
import type * as database from './db';
import * as exportsRows from './exports';
import * as paymentRows from './export/paymentRows';
import * as home from './home';
import * as invoices from './invoices';
import * as lookups from './lookups';
import type * as migrate from './migrate';
import * as payments from './payments';
import * as aging from './payments/aging';
import * as statements from './payments/statement';
import * as digests from './payments/digests';
import * as paymentImport from './payments/import';
import * as pendingImports from './pendingImports';
import * as runReports from './runReports';
import * as runHistory from './runHistory';
import * as schedules from './schedules';
import * as setup from './setup';
import { loadDemo } from './demo';
import { todayIn } from './dates';
export { MANAGED_NETWORK } from './demo';
import type { Clock } from './billRuns';

// ---------------------------------------------------------------------------------------------
// Public types and pure helpers

export * from './errors';
export { Money, parseAmount, currency, looksLikeAmount, isCurrencyCode, sum } from './money';
export type { Currency } from './money';
export { parseIsoDate, isoDateSchema, todayIn, addDays, addMonths, compareDates, isWithin, monthOf, previousMonthOf, period } from './dates';
export type { IsoDate, Period, Frequency } from './dates';
export { nameSchema, quantitySchema, currencySchema, timeZoneSchema, firstIssue } from './schemas';
export type { AccountStatus, AccountPackageStatus, PeriodRule } from './schemas';
export type { Db } from './db';
export type { DbOptions } from './db';
export type { Account, AccountInput, AccountChange, PackageInput, AccountPackageInput, AccountPackageView, Package } from './accounts';
export { formatInvoiceNumber } from './accounts';
export { ADDRESS_FIELDS, addressLines } from './address';
export type { Address, AddressKey } from './address';
export type { BillRequest, BillRunReport, Clock, RunOptions, BilledPackage, SkippedPackage, InvoiceSummary } from './billRuns';
export { systemClock, failureReason } from './billRuns';
export type { CreditView, CreditStatus, CreditEventView, AddCreditInput, DisburseInput } from './credits';
export { parseCreditId } from './credits';
export type { InvoiceView, TransactionView, DisbursementView } from './invoices';
export type { InvoiceDocument, InvoiceDocumentLine, StatementDocument, DocumentParty, DocumentAmount, AppliedAmount } from './documents';
export type { PaymentView, PaymentApplicationView, PaymentStatus, UnpaidInvoice, RecordPaymentInput } from './payments';
export type { InvoicePaymentStatus, Allocation, NamedInvoice, PayableInvoice } from './payments/rules';
export { DEFAULT_PAYMENT_TERMS_DAYS, allocatePayment, daysPastDue, dueDate, formatPaymentNumber } from './payments/rules';
export { invoicePaymentStatus, isOverdue, parsePaymentNumber, paymentTermsDays } from './payments/rules';
export { AGING_BUCKETS, AGING_TOP, agingBucket } from './payments/aging';
export type { AgingAccount, AgingBucket, AgingReport, AgingTotal, BucketAmounts, OverdueInvoice } from './payments/aging';
export type { Statement, StatementLine, StatementLineKind } from './payments/statement';
export { DIGEST_OVERDUE_LIMIT } from './payments/digests';
export type { DigestClaim, DigestContent, DigestFire, OverdueDigest } from './payments/digests';
export type {
  AlreadyRecordedPayment,
  PaymentImportField,
  PaymentImportOptions,
  PaymentImportOutcome,
  PaymentImportProblem,
  PaymentImportRow,
  PaymentImportTotal,
  PaymentRowFeed,
} from './payments/import';
export { formatCreditId, parseInvoiceNumber } from './invoices';
export type { BillRunConfiguration, ConfigurationInput } from './configurations';
export { periodFor } from './configurations';
export type { PackageDue, DisbursementTarget, DisbursementTargets, ConfigurationChoice, TargetQuery } from './lookups';
export type { HomeSummary, HomeRun, HomeNextRun, HomeCredit, CurrencyTotal, HomeLimits } from './home';
export { ROLES, roleSchema, roleIncludes, AccessChangeError, createAccess } from './access';
export type { Role, Grant, AuditEntry, AuditEntryInput, Access } from './access';
export { PendingImportError, undecidable } from './pendingImports';
export type { PendingImport, PendingImportStatus, HoldInput, Decision } from './pendingImports';
export {
  NoScheduleError,
  scheduleProblem,
  nextFireAfter,
  latestFireAtOrBefore,
} from './schedules';
export type { ScheduledConfiguration, ScheduledFire, FireClaim, FireRequest } from './schedules';
export type { RunReportState, RunReportChange } from './runReports';
export type { RunHistory, RunHistoryEntry, RunHistoryOptions } from './runHistory';
export { MAX_RUN_HISTORY } from './runHistory';
export { SetupChecker, checkSetup, parsePeriodText, formatPeriodText } from './setup';
export type {
  ApplySetupOptions,
  SetupFeed,
  SetupRefs,
  SetupStage,
  StagedSheet,
  SetupCounts,
  SetupInput,
  SetupItem,
  SetupOutcome,
  SetupPlan,
  SetupProblem,
  SetupWarning,
} from './setup';
export type {
  AccountExportRow,
  AccountPackageExportRow,
  ConfigurationExportRow,
  CreditExportFilter,
  CreditExportRow,
  DisbursementExportRow,
  InvoiceExportFilter,
  InvoiceExportRow,
  PackageServiceExportRow,
  ResolvedFilter,
  ReversalExportRow,
  TransactionExportRow,
} from './exports';
export type { PaymentExportRow, PaymentApplicationExportRow } from './export/paymentRows';

// ---------------------------------------------------------------------------------------------
// The database: opened, checked and migrated (knex, pg and the migrations load on first use)

/** Opens a knex pool on a Postgres connection string (and sets billing's type parsers). */
export function createDb(connectionString: string, options: database.DbOptions = {}): Knex {
  return (require('./db') as typeof database).createDb(connectionString, options);
}

/** True when the database answers a trivial query (for health checks). */
export function databaseAnswers(db: Knex): Promise<boolean> {
  return (require('./db') as typeof database).databaseAnswers(db);
}

/** Brings the database schema up to date. Safe to call on every start. */
export function migrateLatest(db: Knex): Promise<string[]> {
  return (require('./migrate') as typeof migrate).migrateLatest(db);
}

// ---------------------------------------------------------------------------------------------
// The services

export interface BillingOptions {
  /** Principals that are admins from start-up (BILLING_ADMINS), for `billing.access`. */
  admins?: readonly string[];
}

/** Today's date by the clock, in UTC (what "overdue" and a payment's received date are counted against). */
function today(clock: Clock): string {
  return todayIn('UTC', clock.now());
}

/** The everyday operations, flat: accounts and setup, bill runs, invoices, credits, look-ups. */
function operations(db: Knex, clock: Clock) {
  return {
    // accounts and setup
    createAccount: (input: accounts.AccountInput) => accounts.createAccount(db, input),
    updateAccount: (name: string, change: accounts.AccountChange) => accounts.updateAccount(db, name, change),
    findAccount: (name: string) => accounts.findAccount(db, name),
    createBillGroup: (name: string) => accounts.createBillGroup(db, name),
    createPackage: (input: accounts.PackageInput) => accounts.createPackage(db, input),
    addAccountPackage: (input: accounts.AccountPackageInput) => accounts.addAccountPackage(db, input),
    listAccountPackages: (account: string) => accounts.listAccountPackages(db, account),
    setInvoiceNumbering: (change: { prefix?: string; nextNumber?: number }) => accounts.setInvoiceNumbering(db, change),
    createConfiguration: (input: configurations.ConfigurationInput) => configurations.createConfiguration(db, input),
    findConfiguration: (name?: string | null) => configurations.findConfiguration(db, name),
    listConfigurations: () => configurations.listConfigurations(db),
    loadDemo: () => loadDemo(db),
    // bill runs
    bill: (request: billRuns.BillRequest, options: billRuns.RunOptions = {}) => billRuns.bill(db, request, { clock, ...options }),
    previewBill: (request: billRuns.BillRequest, options: billRuns.RunOptions = {}) =>
      billRuns.previewBill(db, request, { clock, ...options }),
    startBillRun: (request: billRuns.BillRequest, options: billRuns.RunOptions = {}) =>
      billRuns.startBillRun(db, request, { clock, ...options }),
    executeBillRun: (runId: number, options: billRuns.RunOptions = {}) => billRuns.executeBillRun(db, runId, { clock, ...options }),
    getBillRunReport: (runId: number, detailLimit?: number) => billRuns.getBillRunReport(db, runId, detailLimit),
    unfinishedBillRuns: () => billRuns.unfinishedBillRuns(db),
    /** A configuration's last completed runs (default 12), oldest first: invoices and total per currency of each. */
    runHistory: (configuration: string | null, options?: runHistory.RunHistoryOptions) => runHistory.runHistory(db, configuration, options),
    // invoices
    listInvoices: (account: string) => invoices.listInvoices(db, account),
    getInvoice: (number: string) => invoices.getInvoice(db, number),
    /** An invoice as a document shows it (sheets/documents writes the PDF). */
    invoiceDocument: (number: string) => documents.invoiceDocument(db, number),
    /** A bill run's invoices (number, date), in number order (unknown run: UnknownBillRunError). */
    runInvoices: (runId: number) => documents.runInvoices(db, runId),
    // credits
    addCredit: (input: credits.AddCreditInput) => credits.addCredit(db, input, clock),
    deleteCredit: (credit: string, actor: string) => credits.deleteCredit(db, credit, actor),
    disburseCredit: (input: credits.DisburseInput) => credits.disburseCredit(db, input),
    // the same, also saying whether this call did it (false: its request key already had)
    addCreditOnce: (input: credits.AddCreditInput) => credits.addCreditOnce(db, input, clock),
    disburseCreditOnce: (input: credits.DisburseInput) => credits.disburseCreditOnce(db, input),
    reverseCredit: (credit: string, actor: string) => credits.reverseCredit(db, credit, actor),
    getCredit: (credit: string) => credits.getCredit(db, credit),
    listCredits: (account: string, options?: { includeDeleted?: boolean }) => credits.listCredits(db, account, options),
    creditHistory: (credit: string) => credits.creditHistory(db, credit),
    // read-only look-ups for forms (pickers, pre-filled amounts, early warnings)
    searchAccounts: (text: string, limit?: number) => lookups.searchAccounts(db, text, limit),
    accountNameById: (id: number) => lookups.nameById(db, 'accounts', id),
    searchConfigurations: (text: string, limit?: number) => lookups.searchConfigurations(db, text, limit),
    configurationNameById: (id: number) => lookups.nameById(db, 'bill_run_configurations', id),
    packagesDue: (account: string, period: { start: string; end: string }) => lookups.packagesDue(db, account, period),
    disbursementTargets: (credit: string, query?: lookups.TargetQuery) => lookups.disbursementTargets(db, credit, query),
    /** The Home tab's figures now: last runs, next scheduled runs, credits waiting, open invoice totals. */
    home: (limits?: home.HomeLimits) => home.homeSummary(db, clock.now(), limits),
    // the database itself
    databaseAnswers: () => databaseAnswers(db),
    migrateLatest: () => migrateLatest(db),
  };
}

/** Payments: what an invoicer account paid, applied to its invoices. */
function paymentOperations(db: Knex, clock: Clock) {
  return {
    recordPayment: async (input: payments.RecordPaymentInput, actor: string) => (await payments.recordPaymentOnce(db, input, actor, clock)).payment,
    /** recordPayment that also says whether this call recorded it (false: its request key already had). */
    recordPaymentOnce: (input: payments.RecordPaymentInput, actor: string) => payments.recordPaymentOnce(db, input, actor, clock),
    reversePayment: (payment: string, reason: string, actor: string) => payments.reversePayment(db, payment, reason, actor, clock),
    getPayment: (payment: string) => payments.getPayment(db, payment, today(clock)),
    listPayments: (account: string, limit?: number) => payments.listPayments(db, account, today(clock), limit),
    /** An invoicer's unpaid invoices, oldest due date first (at most `limit`, ≤ 100), and how many in all. */
    unpaidInvoices: (account: string, limit?: number) => payments.unpaidInvoices(db, account, today(clock), limit),
  };
}

/** Receivables: the aging report, the accounts' statements, the invoices that became overdue (dates default to today, UTC). */
function receivableServices(db: Knex, clock: Clock) {
  return {
    aging: (asOf?: string | null) => aging.agingReport(db, asOf ?? today(clock), today(clock)),
    /** Every account that owes something, with its buckets (the aging workbook). */
    agingAccounts: (asOf?: string | null) => aging.agingAccounts(db, asOf ?? today(clock), today(clock)),
    statement: (account: string, period: { from?: string | null; to?: string | null } = {}) =>
      statements.accountStatement(db, account, period, today(clock)),
    /** The statement with the account's name and address, as the statement's PDF shows it. */
    statementDocument: (account: string, period: { from?: string | null; to?: string | null } = {}) =>
      documents.statementDocument(db, account, period, today(clock)),
    /** Invoices due on or after `since` and overdue by `asOf` (at most `limit`), and how many in all. */
    newlyOverdue: (since: string | null, asOf?: string | null, limit = 20) => aging.newlyOverdue(db, since, asOf ?? today(clock), today(clock), limit),
  };
}

/** Overdue digests: per channel, a schedule; each fire claimed once with what it says; its post recorded once. */
function digestServices(db: Knex, clock: Clock) {
  return {
    list: () => digests.listDigests(db),
    set: (input: { channel: string; schedule: string; timeZone?: string | null; actor: string }) => digests.setDigest(db, input),
    setPaused: (channel: string, paused: boolean) => digests.setDigestPaused(db, channel, paused),
    claimFire: (fire: Parameters<typeof digests.claimDigestFire>[1]) => digests.claimDigestFire(db, fire, today(clock)),
    unposted: () => digests.unpostedDigests(db),
    postOnce: (fire: { digestId: number; scheduledFor: Date }, post: () => Promise<{ channelId: string; ts: string }>) => digests.postDigestOnce(db, fire, post),
  };
}

/** Scheduled configurations, the claim of each scheduled fire, and run reports with their delivery. */
function scheduleServices(db: Knex, clock: Clock, options: BillingOptions) {
  return {
    list: () => schedules.listScheduledConfigurations(db),
    find: (name: string) => schedules.findScheduledConfiguration(db, name),
    fingerprint: () => schedules.schedulesFingerprint(db),
    /** Pauses or resumes a schedule; resuming counts it from `at` (default: the clock's now). */
    setPaused: (name: string, paused: boolean, at: Date = clock.now()) => schedules.setSchedulePaused(db, name, paused, at),
    claimFire: (fire: schedules.FireRequest) => schedules.claimScheduledFire(db, fire),
    startReportedRun: (request: billRuns.BillRequest, runOptions: billRuns.RunOptions = {}, defaultDestination: string | null = null) =>
      runReports.startReportedBillRun(db, request, { clock, ...runOptions }, defaultDestination),
    ensureReport: (runId: number, destination: string | null) => runReports.ensureRunReport(db, runId, destination),
    /** Runs `step` under the lock of a run's report row; `step` reads through the Billing it is given (the transaction's). */
    withReport: <T>(
      runId: number,
      mode: 'wait' | 'skip',
      step: (state: runReports.RunReportState, billing: Billing) => Promise<{ change?: runReports.RunReportChange; result: T }>,
    ) => runReports.withRunReport(db, runId, mode, (state, trx) => step(state, createBilling(trx, clock, options))),
    reportsDue: () => runReports.runsWithReportsDue(db),
    workbookDue: (runId: number) => runReports.workbookDue(db, runId),
    remainingWork: (runId: number) => runReports.remainingWork(db, runId),
    skipReasonCounts: (runId: number) => runReports.skipReasonCounts(db, runId),
    /** Calls `onChange` on every change to a configuration, as it happens; returns the stop. */
    watchChanges: (onChange: () => void, onBroken?: (error: unknown) => void) => schedules.watchConfigurationChanges(db, onChange, onBroken),
  };
}

/** Workbooks held until a person confirms or cancels them. */
function pendingImportServices(db: Knex, clock: Clock, options: BillingOptions) {
  return {
    hold: (input: pendingImports.HoldInput) => pendingImports.holdPendingImport(db, input),
    recordCheck: (id: string, check: { status: 'previewed' | 'rejected'; summary: unknown }) => pendingImports.recordPendingCheck(db, id, check),
    get: (id: string) => pendingImports.getPendingImport(db, id),
    /** Confirms a held file: `apply` gets a Billing bound to the decision's transaction, the checked bytes and the file. */
    confirm: <T>(
      id: string,
      actor: string,
      apply: (billing: Billing, content: Buffer, pending: pendingImports.PendingImport) => Promise<{ applied: boolean; summary: unknown; value: T }>,
    ) => pendingImports.confirmPendingImport(db, id, actor, (trx, content, pending) => apply(createBilling(trx, clock, options), content, pending)),
    cancel: (id: string, actor: string) => pendingImports.cancelPendingImport(db, id, actor),
  };
}

/** A setup import: rows checked on their own as they come, then all of them against what is stored (Accounts and Account Packages rows staged in Postgres). */
function setupServices(db: Knex) {
  return {
    /** A checker that takes rows one at a time (a workbook streamed sheet by sheet). */
    checker: <R>() => new setup.SetupChecker<R>(),
    /** Checks a whole set of rows at once, in memory, each on its own (the Accounts and Account Packages rows among themselves: when applied). */
    check: <R>(input: setup.SetupInput<R>) => setup.checkSetup(input),
    /** Checks the plan against what is stored and, with no problem and not a dry run, writes it: all or nothing. */
    apply: <R>(plan: setup.SetupPlan<R>, applyOptions: setup.ApplySetupOptions) => setup.applySetup(db, plan, applyOptions),
    /**
     * The same for rows `feed` reads as it goes (a workbook): the Accounts and Account Packages
     * rows are staged in Postgres as they come (a SetupChecker given the stage as its sink), so
     * memory does not grow with them; all in one transaction, all or nothing.
     */
    import: <R>(importOptions: setup.ApplySetupOptions, refs: setup.SetupRefs<R>, feed: setup.SetupFeed<R>) =>
      setup.importSetup(db, importOptions, refs, feed),
  };
}

/** A payments import: rows staged as they are read, checked whole, recorded all or nothing (payments/import.ts). */
function paymentImportServices(db: Knex, clock: Clock) {
  return {
    /** Stages the rows `feed` gives, checks them and, with no problem and not a dry run, records the payments. */
    run: (importOptions: paymentImport.PaymentImportOptions, feed: paymentImport.PaymentRowFeed) => paymentImport.importPayments(db, clock, importOptions, feed),
  };
}

/** The reads of one export, bound to its snapshot: rows come a batch at a time. */
function exportReads(trx: Knex.Transaction) {
  return {
    accounts: (batchSize?: number) => exportsRows.accountExportRows(trx, batchSize),
    packageServices: (batchSize?: number) => exportsRows.packageServiceExportRows(trx, batchSize),
    accountPackages: (batchSize?: number) => exportsRows.accountPackageExportRows(trx, batchSize),
    configurations: () => exportsRows.configurationExportRows(trx),
    invoiceFilter: (filter: exportsRows.InvoiceExportFilter) => exportsRows.resolveInvoiceFilter(trx, filter),
    creditFilter: (filter: exportsRows.CreditExportFilter) => exportsRows.resolveCreditFilter(trx, filter),
    invoices: (filter: exportsRows.ResolvedFilter, batchSize?: number) => exportsRows.invoiceExportRows(trx, filter, batchSize),
    transactions: (filter: exportsRows.ResolvedFilter, batchSize?: number) => exportsRows.transactionExportRows(trx, filter, batchSize),
    credits: (filter: exportsRows.ResolvedFilter, batchSize?: number) => exportsRows.creditExportRows(trx, filter, batchSize),
    disbursements: (filter: exportsRows.ResolvedFilter, batchSize?: number) => exportsRows.disbursementExportRows(trx, filter, batchSize),
    reversals: (filter: exportsRows.ResolvedFilter, batchSize?: number) => exportsRows.reversalExportRows(trx, filter, batchSize),
    /** Payments by received date, of an account or of all (the filter of the credits export: account, from, to). */
    paymentFilter: (filter: exportsRows.CreditExportFilter) => exportsRows.resolveCreditFilter(trx, filter),
    payments: (filter: exportsRows.ResolvedFilter, batchSize?: number) => paymentRows.paymentExportRows(trx, filter, batchSize),
    paymentApplications: (filter: exportsRows.ResolvedFilter, batchSize?: number) => paymentRows.paymentApplicationExportRows(trx, filter, batchSize),
  };
}

export type ExportReads = ReturnType<typeof exportReads>;

function exportServices(db: Knex) {
  return {
    /** Runs the reads of one export in one consistent, read-only snapshot. */
    snapshot: <T>(read: (reads: ExportReads) => Promise<T>) => exportsRows.withExportSnapshot(db, (trx) => read(exportReads(trx))),
  };
}

function buildBilling(db: Knex, clock: Clock, options: BillingOptions) {
  return {
    db,
    clock,
    ...operations(db, clock),
    ...paymentOperations(db, clock),
    receivables: receivableServices(db, clock),
    digests: digestServices(db, clock),
    schedules: scheduleServices(db, clock, options),
    access: access.createAccess(db, { admins: options.admins }),
    pendingImports: pendingImportServices(db, clock, options),
    setup: setupServices(db),
    paymentImport: paymentImportServices(db, clock),
    exports: exportServices(db),
  };
}

/**
 * The billing services bound to one database and one clock: what the faces (CLI, shell,
 * Slack, scheduler, workbooks) call. Every method validates its input and runs in a
 * transaction; a failure changes nothing.
 */
export function createBilling(db: Knex, clock: Clock = billRuns.systemClock, options: BillingOptions = {}): Billing {
  return buildBilling(db, clock, options);
}

export interface Billing extends ReturnType<typeof buildBilling> {}
