import { Money } from '../money';
import { key, priceProblem } from './rows';
import { SetupCheck, StoredPackage, storedByKeyAndId } from './state';
import type { PlannedPackage, PlannedService } from './types';

/** A package as it would be stored (what account packages are checked against). */
export interface MergedPackage {
  currency: string;
  status: 'active' | 'inactive';
  stored: StoredPackage | null;
}

/** A package the rows create or change. */
export interface PackageChange<R> {
  plan: PlannedPackage<R>;
  stored: StoredPackage | null;
  currency: string;
  frequency: string;
  newServices: PlannedService<R>[];
  priceChanges: { id: number; price: string }[];
}

export interface PackagesCheck<R> {
  stored: Map<string, StoredPackage>;
  merged: Map<string, MergedPackage>;
  changes: PackageChange<R>[];
}

/**
 * The Packages sheet against what is stored: a new package's currency and frequency, prices
 * that fit the currency, a package on accounts keeping its currency, and what each package's
 * rows create or change (a stored service the rows leave out is kept, with a warning).
 */
export async function checkPackages<R>(check: SetupCheck<R>): Promise<PackagesCheck<R>> {
  const { trx, problems } = check;
  const stored = await storedPackages(check);
  const merged = new Map<string, MergedPackage>();
  for (const [k, p] of stored) merged.set(k, { currency: p.currency, status: p.status, stored: p });
  const changes: PackageChange<R>[] = [];
  const currencyChanged: { plan: PlannedPackage<R>; stored: StoredPackage }[] = [];
  for (const p of check.plan.packages) {
    const old = stored.get(key(p.name)) ?? null;
    const currency = p.currency ?? old?.currency;
    const frequency = p.frequency ?? old?.frequency;
    let ok = true;
    if (!currency) {
      problems.push({ ref: p.ref, field: 'currency', value: '', expected: 'A currency for a new package, such as USD.' });
      ok = false;
    }
    if (!frequency) {
      problems.push({ ref: p.ref, field: 'frequency', value: '', expected: 'A frequency for a new package: monthly, quarterly, semiannual or annual.' });
      ok = false;
    }
    if (!ok) continue;
    if (!p.currency && currency) ok = pricesFit(check, p, currency);
    if (old && currency !== old.currency) currencyChanged.push({ plan: p, stored: old });
    merged.set(key(p.name), { currency: currency!, status: old?.status ?? 'active', stored: old });
    if (!ok) continue;
    const change = packageChange(check, p, old, currency!, frequency!);
    if (change) changes.push(change);
  }
  if (currencyChanged.length) {
    const used = new Set<number>(
      await trx('account_packages')
        .whereIn(
          'package_id',
          currencyChanged.map((c) => c.stored.id),
        )
        .distinct()
        .pluck('package_id'),
    );
    for (const c of currencyChanged) {
      if (used.has(c.stored.id)) {
        problems.push({
          ref: c.plan.currencyRef ?? c.plan.ref,
          field: 'currency',
          value: c.plan.currency ?? '',
          expected: `${c.stored.currency}: a package that is on accounts keeps its currency.`,
        });
      }
    }
  }
  return { stored, merged, changes };
}

async function storedPackages<R>({ trx }: SetupCheck<R>): Promise<Map<string, StoredPackage>> {
  const packageRows = await trx('packages').select('id', 'name', 'currency', 'frequency', 'status');
  const serviceRows = await trx('services').orderBy('id').select('id', 'package_id', 'name', 'price');
  const { byKey, byId } = storedByKeyAndId(packageRows, (p): StoredPackage => ({ ...p, services: [] }));
  for (const s of serviceRows) byId.get(s.package_id)?.services.push({ id: s.id, name: s.name, price: s.price });
  return byKey;
}

/** Whether every price of a package whose rows name no currency fits the stored currency (each one that does not is a problem). */
function pricesFit<R>(check: SetupCheck<R>, p: PlannedPackage<R>, currency: string): boolean {
  let ok = true;
  for (const s of p.services) {
    const expected = priceProblem(s.price, currency);
    if (expected) {
      check.problems.push({ ref: s.ref, field: 'price', value: s.price, expected });
      ok = false;
    }
  }
  return ok;
}

/** What a package's rows change (counted), or null when they change nothing. */
function packageChange<R>(
  check: SetupCheck<R>,
  p: PlannedPackage<R>,
  stored: StoredPackage | null,
  currency: string,
  frequency: string,
): PackageChange<R> | null {
  const { outcome } = check;
  const newServices: PlannedService<R>[] = [];
  const priceChanges: { id: number; price: string }[] = [];
  const storedServices = new Map((stored?.services ?? []).map((s) => [key(s.name), s]));
  for (const s of p.services) {
    const existing = storedServices.get(key(s.name));
    if (!existing) newServices.push(s);
    else if (!Money.exact(existing.price, currency).eq(Money.exact(s.price, currency))) priceChanges.push({ id: existing.id, price: s.price });
    storedServices.delete(key(s.name));
  }
  for (const left of storedServices.values()) {
    check.warnings.push({
      ref: p.ref,
      message: `Service "${left.name}" of package "${stored!.name}" is not in the setup and was left as it is.`,
    });
  }
  const changed = !stored || currency !== stored.currency || frequency !== stored.frequency || newServices.length > 0 || priceChanges.length > 0;
  if (!stored) outcome.packages.created++;
  else if (changed) outcome.packages.updated++;
  else outcome.packages.unchanged++;
  return changed ? { plan: p, stored, currency, frequency, newServices, priceChanges } : null;
}
