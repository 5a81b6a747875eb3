import { dayOf } from '../dates';
import type { MergedPackage } from './packagesSheet';
import { key } from './rows';
import type { Node, SetupCheck, StoredAccountPackage } from './state';
import type { PlannedAccountPackage } from './types';

export interface AccountPackageInsert<R> {
  plan: PlannedAccountPackage<R>;
  quantity: number;
  status: string;
  effective: string;
  next: string;
}

export interface AccountPackageUpdate {
  id: number;
  quantity: number;
  status: string;
  effective: string;
  next: string;
  anchor: number;
}

export interface AccountPackagesCheck<R> {
  inserts: AccountPackageInsert<R>[];
  updates: AccountPackageUpdate[];
}

/**
 * The Account Packages sheet against the accounts and packages as they would be stored:
 * both known, the same currency, a new one's dates and an active package, dates that keep
 * their order; what each row creates or changes (counted).
 */
export async function checkAccountPackages<R>(
  check: SetupCheck<R>,
  nodes: Map<string, Node<R>>,
  packages: Map<string, MergedPackage>,
): Promise<AccountPackagesCheck<R>> {
  const { plan, problems } = check;
  const storedPairs = await storedAccountPackages(check, nodes);
  const result: AccountPackagesCheck<R> = { inserts: [], updates: [] };
  for (const ap of plan.accountPackages) {
    const account = nodes.get(key(ap.account));
    const pkg = packages.get(key(ap.package));
    if (!account) {
      if (!plan.refused.accounts.has(key(ap.account))) {
        problems.push({ ref: ap.ref, field: 'account', value: ap.account, expected: 'The name of an account in this setup or already stored.' });
      }
      continue;
    }
    if (!pkg) {
      if (!plan.refused.packages.has(key(ap.package))) {
        problems.push({ ref: ap.ref, field: 'package', value: ap.package, expected: 'The name of a package in this setup or already stored.' });
      }
      continue;
    }
    if (account.currency && pkg.currency !== account.currency) {
      problems.push({
        ref: ap.ref,
        field: 'package',
        value: ap.package,
        expected: `A package in ${account.currency}, the currency of account "${account.name}" (this package is in ${pkg.currency}).`,
      });
      continue;
    }
    const stored = account.stored && pkg.stored ? storedPairs.get(`${account.stored.id}:${pkg.stored.id}`) : undefined;
    if (!stored) newAccountPackage(check, ap, pkg, result);
    else changedAccountPackage(check, ap, stored, result);
  }
  return result;
}

/** Per account of the rows and package: the live one, else the most recent cancelled one. */
async function storedAccountPackages<R>(check: SetupCheck<R>, nodes: Map<string, Node<R>>): Promise<Map<string, StoredAccountPackage>> {
  const accountIds = new Set<number>();
  for (const ap of check.plan.accountPackages) {
    const stored = nodes.get(key(ap.account))?.stored;
    if (stored) accountIds.add(stored.id);
  }
  const storedPairs = new Map<string, StoredAccountPackage>();
  if (!accountIds.size) return storedPairs;
  const { rows } = await check.trx.raw(
    `SELECT DISTINCT ON (account_id, package_id)
            id, account_id, package_id, quantity, status, effective_date, next_bill_date, cancel_date, anchor_day
     FROM account_packages WHERE account_id = ANY(?::bigint[])
     ORDER BY account_id, package_id, (status <> 'cancelled') DESC, id DESC`,
    [[...accountIds]],
  );
  for (const r of rows as StoredAccountPackage[]) storedPairs.set(`${r.account_id}:${r.package_id}`, r);
  return storedPairs;
}

function newAccountPackage<R>(check: SetupCheck<R>, ap: PlannedAccountPackage<R>, pkg: MergedPackage, result: AccountPackagesCheck<R>): void {
  const { problems } = check;
  if (!ap.effectiveDate) {
    problems.push({ ref: ap.ref, field: 'effectiveDate', value: '', expected: 'An effective date for a new account package, such as 2026-09-15.' });
    return;
  }
  if (pkg.status !== 'active') {
    problems.push({ ref: ap.ref, field: 'package', value: ap.package, expected: 'An active package: this one is inactive and cannot be added to an account.' });
    return;
  }
  const next = ap.nextBillDate ?? ap.effectiveDate;
  if (next < ap.effectiveDate) {
    problems.push({ ref: ap.ref, field: 'nextBillDate', value: next, expected: `A next bill date on or after the effective date ${ap.effectiveDate}.` });
    return;
  }
  result.inserts.push({ plan: ap, quantity: ap.quantity ?? 1, status: ap.status ?? 'active', effective: ap.effectiveDate, next });
  check.outcome.accountPackages.created++;
}

function changedAccountPackage<R>(
  check: SetupCheck<R>,
  ap: PlannedAccountPackage<R>,
  stored: StoredAccountPackage,
  result: AccountPackagesCheck<R>,
): void {
  const { problems, outcome } = check;
  const effective = ap.effectiveDate ?? stored.effective_date;
  const next = ap.nextBillDate ?? stored.next_bill_date;
  if (next < effective) {
    problems.push({
      ref: ap.ref,
      field: ap.nextBillDate ? 'nextBillDate' : 'effectiveDate',
      value: ap.nextBillDate ?? effective,
      expected: ap.nextBillDate ? `A next bill date on or after the effective date ${effective}.` : `An effective date on or before the next bill date ${next}.`,
    });
    return;
  }
  if (stored.cancel_date && effective > stored.cancel_date) {
    problems.push({ ref: ap.ref, field: 'effectiveDate', value: effective, expected: `An effective date on or before the cancel date ${stored.cancel_date}.` });
    return;
  }
  const quantity = ap.quantity ?? stored.quantity;
  const status = ap.status ?? stored.status;
  if (quantity === stored.quantity && status === stored.status && effective === stored.effective_date && next === stored.next_bill_date) {
    outcome.accountPackages.unchanged++;
    return;
  }
  const anchor = next === stored.next_bill_date ? stored.anchor_day : dayOf(next);
  result.updates.push({ id: stored.id, quantity, status, effective, next, anchor });
  outcome.accountPackages.updated++;
}
