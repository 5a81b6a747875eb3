import { countActions } from './accountsSheet';
import type { MergedPackage } from './packagesSheet';
import type { SetupCheck } from './state';
import { ACCOUNT_PACKAGE_COUNTS, ACCOUNT_PACKAGE_PROBLEMS, ACCOUNT_PACKAGES_TOGETHER, CHECK_ACCOUNT_PACKAGES } from './stageSql';
import type { SetupProblem } from './types';

export interface AccountPackagesCheck {
  /** Rows that create an account package, and rows that change one. */
  created: number;
  updated: number;
}

/** A row CHECK_ACCOUNT_PACKAGES finds wrong: its code and the values the problem quotes. */
interface ProblemRow {
  row_no: number;
  code: string;
  account: string;
  package: string;
  next_given: boolean;
  effective: string | null;
  next: string | null;
  cancel: string | null;
  account_currency: string;
  account_name: string;
  package_currency: string;
}

const nextAfterEffective = (effective: string | null) => `A next bill date on or after the effective date ${effective}.`;

/** The problem of each code: field, value and what was expected. */
const PROBLEMS: Record<string, (r: ProblemRow) => { field: string; value: string; expected: string }> = {
  account: (r) => ({ field: 'account', value: r.account, expected: 'The name of an account in this setup or already stored.' }),
  package: (r) => ({ field: 'package', value: r.package, expected: 'The name of a package in this setup or already stored.' }),
  currency: (r) => ({
    field: 'package',
    value: r.package,
    expected: `A package in ${r.account_currency}, the currency of account "${r.account_name}" (this package is in ${r.package_currency}).`,
  }),
  effective: () => ({ field: 'effectiveDate', value: '', expected: 'An effective date for a new account package, such as 2026-09-15.' }),
  inactive: (r) => ({ field: 'package', value: r.package, expected: 'An active package: this one is inactive and cannot be added to an account.' }),
  next: (r) => ({ field: 'nextBillDate', value: r.next!, expected: nextAfterEffective(r.effective) }),
  order: (r) =>
    r.next_given
      ? { field: 'nextBillDate', value: r.next!, expected: nextAfterEffective(r.effective) }
      : { field: 'effectiveDate', value: r.effective!, expected: `An effective date on or before the next bill date ${r.next}.` },
  cancel: (r) => ({ field: 'effectiveDate', value: r.effective!, expected: `An effective date on or before the cancel date ${r.cancel}.` }),
};

/**
 * The Account Packages sheet (its rows staged): a pair on one row only, dates in order; against
 * the accounts and packages as they would be stored: both known, the same currency, a new one's dates and an active package,
 * dates that keep their order; what each row creates or changes (counted). One statement
 * checks every row (CHECK_ACCOUNT_PACKAGES); the first thing wrong with a row is its problem.
 */
export async function checkAccountPackages<R>(check: SetupCheck<R>, packages: Map<string, MergedPackage>): Promise<AccountPackagesCheck> {
  const { trx, stage, plan } = check;
  const refOf = (row: number) => stage.refs.refOf('accountPackages', row);
  const together = await trx.raw(ACCOUNT_PACKAGES_TOGETHER);
  type Together = { row_no: number; account: string; package: string; duplicate: boolean; first: number; effective: string; next: string };
  for (const r of (together.rows as Together[]).sort((a, b) => a.row_no - b.row_no)) {
    const expected = `Each package of account "${r.account}" on one row only.`;
    check.problems.push(
      r.duplicate
        ? { ref: refOf(r.row_no), field: 'package', value: r.package, expected, related: refOf(r.first) }
        : { ref: refOf(r.row_no), field: 'nextBillDate', value: r.next, expected: nextAfterEffective(r.effective) },
    );
  }
  const merged = [...packages];
  await trx.raw(
    `INSERT INTO setup_packages (key, currency, status, stored_id) SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[])`,
    [merged.map(([k]) => k), merged.map(([, p]) => p.currency), merged.map(([, p]) => p.status), merged.map(([, p]) => p.stored?.id ?? null) as number[]],
  );
  await trx.raw(CHECK_ACCOUNT_PACKAGES, [[...plan.refused.accounts], [...plan.refused.packages]]);
  const { rows } = await trx.raw(ACCOUNT_PACKAGE_PROBLEMS);
  for (const r of rows as ProblemRow[]) {
    const problem: SetupProblem<R> = { ref: refOf(r.row_no), ...PROBLEMS[r.code]!(r) };
    check.problems.push(problem);
  }
  const counts = await countActions(trx.raw(ACCOUNT_PACKAGE_COUNTS), check.outcome.accountPackages);
  return { created: counts.created, updated: counts.updated };
}
