import type { SetupImportResult } from './setup';

export type { SetupImportResult };

/** Rows created and updated by an import (and bill groups created): 0 means it changes nothing. */
export function importChanges(result: SetupImportResult): number {
  const sheets = [result.accounts, result.packages, result.accountPackages, result.billRuns];
  return sheets.reduce((n, c) => n + c.created + c.updated, 0) + result.billGroupsCreated.length;
}
