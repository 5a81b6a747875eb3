/**
 * Bulk setup: accounts, packages, account packages and bill run configurations given as
 * many rows at once (a setup workbook), checked in memory against what is stored and
 * applied in ONE transaction with set-based SQL. This is the module's face; the work is in
 *
 * - ./types.ts: the rows, the plan, the problems and the outcome;
 * - ./rows.ts: reading and normalising one row; ./checker.ts: the rows on their own (SetupChecker);
 * - ./accountsSheet.ts (with ./tree.ts, over billing/accountRules.ts), ./packagesSheet.ts,
 *   ./accountPackagesSheet.ts, ./configurationsSheet.ts: each sheet against what is stored;
 * - ./stage.ts (./stageSql.ts): the Accounts and Account Packages rows staged in temporary
 *   tables as they are read, checked set-based there; ./write.ts (./writeSql.ts): the set-based
 *   write; ./apply.ts: importSetup and applySetup, the stage, check and write in one transaction.
 */
export type {
  SetupAccountRow,
  SetupPackageServiceRow,
  SetupAccountPackageRow,
  SetupConfigurationRow,
  SetupItem,
  SetupInput,
  SetupProblem,
  SetupWarning,
  PlannedAccount,
  PlannedService,
  PlannedPackage,
  PlannedAccountPackage,
  PlannedPeriod,
  PlannedConfiguration,
  SetupPlan,
  SetupCounts,
  SetupOutcome,
  SetupRefs,
  SetupSink,
  StagedSheet,
} from './types';
export { parsePeriodText, formatPeriodText } from './rows';
export { SetupChecker, checkSetup } from './checker';
export { applySetup, importSetup } from './apply';
export type { ApplySetupOptions, SetupFeed } from './apply';
export type { SetupStage } from './stage';
