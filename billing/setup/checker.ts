import { ADDRESS_FIELDS, type Address } from '../address';
import {
  accountPackageRowSchema,
  accountRowSchema,
  configurationRowSchema,
  given,
  key,
  nameOf,
  packageServiceRowSchema,
  parseRow,
  priceProblem,
  priceSchema,
  setupCurrency,
} from './rows';
import type {
  PlannedAccount,
  PlannedAccountPackage,
  PlannedConfiguration,
  PlannedPackage,
  SetupAccountPackageRow,
  SetupAccountRow,
  SetupConfigurationRow,
  SetupInput,
  SetupItem,
  SetupPackageServiceRow,
  SetupPlan,
  SetupProblem,
  SetupSink,
} from './types';

/** The address fields a row gives (a missing column: not given, so the stored value is kept). */
function addressOfRow(data: Partial<Address>): Partial<Address> {
  const out: Partial<Address> = {};
  for (const f of ADDRESS_FIELDS) if (data[f.key] !== undefined) out[f.key] = data[f.key];
  return out;
}

type PackageInProgress<R> = PlannedPackage<R> & { frequencyRef?: R; serviceRows: Map<string, R> };

/**
 * Checks rows on their own, without the database, as they come (so a caller reading a
 * large file need not keep the rows): every field's form, duplicates among the Packages and
 * Bill Runs rows, and the rows of one package agreeing on its currency and frequency.
 * `finish` gives the plan of the rows that passed and a problem for every field that did not.
 * The Accounts and Account Packages rows (millions, maybe) are checked against each other
 * once staged (./stageSql.ts: duplicates, an account package's dates in order); given a
 * `sink`, they go to it as they come and the plan holds only the other sheets' rows.
 */
export class SetupChecker<R> {
  constructor(private readonly sink?: SetupSink<R>) {}

  private readonly problems: SetupProblem<R>[] = [];
  private readonly refused = { accounts: new Set<string>(), packages: new Set<string>() };
  private readonly accounts: PlannedAccount<R>[] = [];
  private readonly packages = new Map<string, PackageInProgress<R>>();
  private readonly accountPackages: PlannedAccountPackage<R>[] = [];
  private readonly configurations: PlannedConfiguration<R>[] = [];
  private readonly configurationRows = new Map<string, R>();

  private refuse(set: Set<string>, value: unknown): void {
    const n = nameOf(value);
    if (n) set.add(key(n));
  }

  /** Whether no earlier row has this name (then it is remembered); a second row is a problem on its name. */
  private once(rows: Map<string, R>, ref: R, name: string, expected: string): boolean {
    const k = key(name);
    const first = rows.get(k);
    if (first !== undefined) {
      this.problems.push({ ref, field: 'name', value: name, expected, related: first });
      return false;
    }
    rows.set(k, ref);
    return true;
  }

  account(item: SetupItem<SetupAccountRow, R>): void {
    const data = parseRow(accountRowSchema, item, this.problems);
    if (!data) return this.refuse(this.refused.accounts, item.row.name);
    const { ref } = item;
    const planned: PlannedAccount<R> = {
      ref,
      name: data.name,
      displayName: data.displayName,
      currency: given(data.currency),
      status: given(data.status),
      billGroup: given(data.billGroup),
      billDay: given(data.billDay),
      parent: data.parent,
      invoiceTo: data.invoiceTo,
      ...addressOfRow(data),
      paymentTermsDays: data.paymentTerms,
    };
    if (this.sink) this.sink.account(planned);
    else this.accounts.push(planned);
  }

  packageService(item: SetupItem<SetupPackageServiceRow, R>): void {
    const problems = this.problems;
    const data = parseRow(packageServiceRowSchema, item, problems);
    if (!data) {
      this.refuse(this.refused.packages, item.row.package);
      // The rest of the row is still checked: a price that does not fit its currency is a problem of its own.
      const cur = setupCurrency.safeParse(item.row.currency);
      const price = priceSchema.safeParse(item.row.price);
      if (cur.success && price.success) {
        const expected = priceProblem(price.data, cur.data);
        if (expected) problems.push({ ref: item.ref, field: 'price', value: price.data, expected });
      }
      return;
    }
    const { ref } = item;
    const k = key(data.package);
    let pkg = this.packages.get(k);
    if (!pkg) {
      pkg = { ref, name: data.package, services: [], serviceRows: new Map() };
      this.packages.set(k, pkg);
    }
    const currencyAgrees = this.agrees(pkg, 'currency', data.currency, ref);
    const frequencyAgrees = this.agrees(pkg, 'frequency', data.frequency, ref);
    let ok = currencyAgrees && frequencyAgrees;
    const sk = key(data.service);
    const firstService = pkg.serviceRows.get(sk);
    if (firstService !== undefined) {
      problems.push({ ref, field: 'service', value: data.service, expected: `Each service of package "${pkg.name}" on one row only.`, related: firstService });
      ok = false;
    }
    if (ok) {
      pkg.serviceRows.set(sk, ref);
      pkg.services.push({ ref, name: data.service, price: data.price });
    } else {
      this.refused.packages.add(k);
    }
  }

  /** Whether a row agrees with its package's other rows on `field` (the first row that names it sets it); one that does not is a problem. */
  private agrees(pkg: PackageInProgress<R>, field: 'currency' | 'frequency', value: string | null | undefined, ref: R): boolean {
    if (!value) return true;
    const refField = field === 'currency' ? 'currencyRef' : 'frequencyRef';
    if (pkg[field] && pkg[field] !== value) {
      this.problems.push({ ref, field, value, expected: `${pkg[field]}, the ${field} on the package's other rows.`, related: pkg[refField] });
      return false;
    }
    if (!pkg[field]) {
      pkg[field] = value;
      pkg[refField] = ref;
    }
    return true;
  }

  accountPackage(item: SetupItem<SetupAccountPackageRow, R>): void {
    const data = parseRow(accountPackageRowSchema, item, this.problems);
    if (!data) return;
    const { ref } = item;
    const planned: PlannedAccountPackage<R> = {
      ref,
      account: data.account,
      package: data.package,
      quantity: given(data.quantity),
      status: given(data.status),
      effectiveDate: given(data.effectiveDate),
      nextBillDate: given(data.nextBillDate),
    };
    if (this.sink) this.sink.accountPackage(planned);
    else this.accountPackages.push(planned);
  }

  configuration(item: SetupItem<SetupConfigurationRow, R>): void {
    const data = parseRow(configurationRowSchema, item, this.problems);
    if (!data) return;
    const { ref } = item;
    if (!this.once(this.configurationRows, ref, data.name, 'Each bill run configuration on one row only.')) return;
    this.configurations.push({
      ref,
      name: data.name,
      billPackages: given(data.billPackages),
      generateInvoice: given(data.generateInvoice),
      period: given(data.period),
      billGroups: data.billGroups === null ? [] : data.billGroups,
      schedule: data.schedule,
      timeZone: given(data.timeZone),
      reportChannel: data.reportChannel,
      paymentTermsDays: data.paymentTerms,
    });
  }

  finish(): { plan: SetupPlan<R>; problems: SetupProblem<R>[] } {
    const { problems, refused } = this;
    // Prices must fit the currency's minor unit (when the rows name the currency; else when applied).
    for (const pkg of this.packages.values()) {
      if (!pkg.currency) continue;
      for (const s of pkg.services) {
        const expected = priceProblem(s.price, pkg.currency);
        if (expected) {
          problems.push({ ref: s.ref, field: 'price', value: s.price, expected });
          refused.packages.add(key(pkg.name));
        }
      }
    }
    return {
      plan: {
        accounts: this.accounts,
        packages: [...this.packages.values()]
          .filter((p) => !refused.packages.has(key(p.name)))
          .map(({ serviceRows: _rows, frequencyRef: _f, ...p }) => p),
        accountPackages: this.accountPackages,
        configurations: this.configurations,
        refused,
      },
      problems,
    };
  }
}

/** Checks a whole set of rows at once (see SetupChecker). */
export function checkSetup<R>(input: SetupInput<R>): { plan: SetupPlan<R>; problems: SetupProblem<R>[] } {
  const checker = new SetupChecker<R>();
  for (const item of input.accounts ?? []) checker.account(item);
  for (const item of input.packageServices ?? []) checker.packageService(item);
  for (const item of input.accountPackages ?? []) checker.accountPackage(item);
  for (const item of input.configurations ?? []) checker.configuration(item);
  return checker.finish();
}

