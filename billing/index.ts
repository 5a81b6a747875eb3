import type { Knex } from 'knex';
import * as accounts from './accounts';
import * as billRuns from './billRuns';
import * as configurations from './configurations';
import * as credits from './credits';
import * as invoices from './invoices';
import * as lookups from './lookups';
import { loadDemo } from './demo';
import type { Clock } from './billRuns';

export * from './errors';
export { Money, parseAmount, currency, looksLikeAmount } from './money';
export type { Account, AccountInput, PackageInput, AccountPackageInput } from './accounts';
export type { BillRequest, BillRunReport, Clock, RunOptions } from './billRuns';
export type { CreditView } from './credits';
export type { InvoiceView, TransactionView, DisbursementView } from './invoices';
export type { BillRunConfiguration, ConfigurationInput } from './configurations';
export { NoScheduleError, scheduleProblem, nextFireAfter, latestFireAtOrBefore } from './schedules';

/**
 * The billing services bound to one database and one clock: what the faces (CLI, shell,
 * Slack, scheduler, workbooks) call. Every method validates its input and runs in a
 * transaction; a failure changes nothing.
 */
export function createBilling(db: Knex, clock: Clock = billRuns.systemClock) {
  return {
    db,
    clock,
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
    // invoices
    listInvoices: (account: string) => invoices.listInvoices(db, account),
    getInvoice: (number: string) => invoices.getInvoice(db, number),
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
    packagesDue: (account: string, period: { start: string; end: string }) => lookups.packagesDue(db, account, period),
    disbursementTargets: (credit: string) => lookups.disbursementTargets(db, credit),
  };
}

export type Billing = ReturnType<typeof createBilling>;
