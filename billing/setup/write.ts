import type { Knex } from 'knex';
import { analyzeChanged } from '../billRun/statistics';
import type { AccountsCheck } from './accountsSheet';
import type { AccountPackagesCheck } from './accountPackagesSheet';
import type { ConfigurationChange } from './configurationsSheet';
import type { PackageChange, PackagesCheck } from './packagesSheet';
import { key } from './rows';
import type { BillGroups, SetupCheck } from './state';
import { ACCOUNT_PACKAGE_WRITES, INSERT_ACCOUNTS, TAKE_ACCOUNT_IDS, UPDATE_ACCOUNTS } from './writeSql';
import { writePaymentTerms } from './terms';
import type { PlannedPeriod, SetupOutcome } from './types';

/**
 * The set-based write of a checked setup, in the caller's one transaction: a few statements
 * whatever the number of rows; accounts and account packages from the staged rows
 * (./writeSql.ts), packages and configurations from arrays passed as single parameters.
 */

export interface SetupWrites<R> {
  accounts: AccountsCheck;
  packages: PackagesCheck<R>;
  accountPackages: AccountPackagesCheck;
  configurations: ConfigurationChange[];
}

export async function writeSetup<R>(check: SetupCheck<R>, writes: SetupWrites<R>, actor: string): Promise<SetupOutcome<R>> {
  const { trx, outcome } = check;
  await writeBillGroups(trx, check.groups);
  await writeAccounts(trx, writes.accounts, check.groups.idByKey.get('default')!);
  await writePackages(trx, writes.packages);
  if (writes.accountPackages.created + writes.accountPackages.updated) await trx.raw(ACCOUNT_PACKAGE_WRITES);
  if (writes.configurations.length) await writeConfigurations(trx, writes.configurations, check.groups);
  await writePaymentTerms(trx, writes.configurations);
  const summary = {
    accounts: outcome.accounts,
    packages: outcome.packages,
    accountPackages: outcome.accountPackages,
    configurations: outcome.configurations,
    billGroupsCreated: outcome.billGroupsCreated,
  };
  await trx('setup_imports').insert({ actor, summary: JSON.stringify(summary) });
  // Statistics of what was written, in this transaction: they commit with the rows, so that no
  // statement (a bill run started right after) is planned on the numbers from before the import.
  await analyzeChanged(trx, {
    accounts: writes.accounts.created + writes.accounts.updated,
    account_packages: writes.accountPackages.created + writes.accountPackages.updated,
  });
  outcome.applied = true;
  return outcome;
}

/** Creates the bill groups the rows name that do not exist. */
async function writeBillGroups(trx: Knex.Transaction, groups: BillGroups): Promise<void> {
  if (!groups.created.size) return;
  const { rows } = await trx.raw(
    `INSERT INTO bill_groups (name) SELECT * FROM unnest(?::text[]) ON CONFLICT DO NOTHING RETURNING id, name`,
    [[...groups.created.values()]],
  );
  for (const r of rows) groups.idByKey.set(key(r.name), r.id);
}

/**
 * Writes the checked accounts: new ones get a block of ids first, so that each is inserted
 * whole (parent and invoicer included) by one statement, even when they name each other; the
 * account tree's keys are checked at the end of that statement (migration 184).
 */
async function writeAccounts(trx: Knex.Transaction, accounts: AccountsCheck, defaultGroupId: number): Promise<void> {
  if (!accounts.created && !accounts.updated) return;
  let first = 0;
  if (accounts.created) {
    const { rows } = await trx.raw(TAKE_ACCOUNT_IDS, [accounts.created, accounts.created]);
    first = Number(rows[0].first);
    await trx.raw(INSERT_ACCOUNTS, [defaultGroupId, first, first, first]);
  }
  if (accounts.updated) await trx.raw(UPDATE_ACCOUNTS, [first, first, first]);
}

/** Writes the packages and their services; gives the id of every package by its key. */
async function writePackages<R>(trx: Knex.Transaction, packages: PackagesCheck<R>): Promise<void> {
  const packageChanges: PackageChange<R>[] = packages.changes;
  const packageIdByKey = new Map<string, number>();
  for (const p of packages.stored.values()) packageIdByKey.set(key(p.name), p.id);
  const createdPackages = packageChanges.filter((c) => !c.stored);
  if (createdPackages.length) {
    const { rows } = await trx.raw(
      `INSERT INTO packages (name, currency, frequency)
       SELECT * FROM unnest(?::text[], ?::text[], ?::text[]) RETURNING id, name`,
      [createdPackages.map((c) => c.plan.name), createdPackages.map((c) => c.currency), createdPackages.map((c) => c.frequency)],
    );
    for (const r of rows) packageIdByKey.set(key(r.name), r.id);
  }
  const updatedPackages = packageChanges.filter((c) => c.stored);
  if (updatedPackages.length) {
    await trx.raw(
      `UPDATE packages p SET currency = x.currency, frequency = x.frequency
       FROM unnest(?::bigint[], ?::text[], ?::text[]) AS x(id, currency, frequency) WHERE p.id = x.id`,
      [updatedPackages.map((c) => c.stored!.id), updatedPackages.map((c) => c.currency), updatedPackages.map((c) => c.frequency)],
    );
  }
  const newServices = packageChanges.flatMap((c) => c.newServices.map((s) => ({ packageId: packageIdByKey.get(key(c.plan.name))!, s })));
  if (newServices.length) {
    await trx.raw(
      `INSERT INTO services (package_id, name, price) SELECT * FROM unnest(?::bigint[], ?::text[], ?::numeric[])`,
      [newServices.map((x) => x.packageId), newServices.map((x) => x.s.name), newServices.map((x) => x.s.price)],
    );
  }
  const priceChanges = packageChanges.flatMap((c) => c.priceChanges);
  if (priceChanges.length) {
    await trx.raw(
      `UPDATE services s SET price = x.price FROM unnest(?::bigint[], ?::numeric[]) AS x(id, price) WHERE s.id = x.id`,
      [priceChanges.map((p) => p.id), priceChanges.map((p) => p.price)],
    );
  }
}

async function writeConfigurations(trx: Knex.Transaction, configurationChanges: ConfigurationChange[], groups: BillGroups): Promise<void> {
  const groupIdByKey = groups.idByKey;
  const created = configurationChanges.filter((c) => !c.stored);
  const configIdByKey = new Map<string, number>();
  if (created.length) {
    const { rows } = await trx.raw(
      `INSERT INTO bill_run_configurations (name, bill_packages, generate_invoice, period_rule, period_start, period_end, schedule, time_zone, report_channel)
       SELECT * FROM unnest(?::text[], ?::boolean[], ?::boolean[], ?::text[], ?::date[], ?::date[], ?::text[], ?::text[], ?::text[])
       RETURNING id, name`,
      configurationColumns(created),
    );
    for (const r of rows) configIdByKey.set(key(r.name), r.id);
  }
  const updated = configurationChanges.filter((c) => c.stored);
  if (updated.length) {
    await trx.raw(
      `UPDATE bill_run_configurations c
       SET bill_packages = x.bill_packages, generate_invoice = x.generate_invoice, period_rule = x.period_rule,
           period_start = x.period_start, period_end = x.period_end, schedule = x.schedule, time_zone = x.time_zone,
           report_channel = x.report_channel
       FROM unnest(?::bigint[], ?::text[], ?::boolean[], ?::boolean[], ?::text[], ?::date[], ?::date[], ?::text[], ?::text[], ?::text[])
         AS x(id, name, bill_packages, generate_invoice, period_rule, period_start, period_end, schedule, time_zone, report_channel)
       WHERE c.id = x.id`,
      [updated.map((c) => c.stored!.id), ...configurationColumns(updated)],
    );
    for (const c of updated) configIdByKey.set(key(c.name), c.stored!.id);
    await trx.raw('DELETE FROM bill_run_configuration_groups WHERE configuration_id = ANY(?::bigint[])', [updated.map((c) => c.stored!.id)]);
  }
  const links = configurationChanges.flatMap((c) =>
    [...new Set(c.groups.map((g) => groupIdByKey.get(key(g))!))].map((g) => [configIdByKey.get(key(c.name))!, g] as const),
  );
  if (links.length) {
    await trx.raw(
      `INSERT INTO bill_run_configuration_groups (configuration_id, bill_group_id) SELECT * FROM unnest(?::bigint[], ?::bigint[])`,
      [links.map((l) => l[0]), links.map((l) => l[1])],
    );
  }
}

/** An array with empty entries, passed as one parameter (pg sends it as one array value). */
function nullable(values: unknown[]): Knex.Value {
  return values as Knex.Value;
}

function configurationColumns(
  list: { name: string; billPackages: boolean; generateInvoice: boolean; period: PlannedPeriod; schedule: string | null; timeZone: string; reportChannel: string | null }[],
): Knex.Value[] {
  return [
    list.map((c) => c.name),
    list.map((c) => c.billPackages),
    list.map((c) => c.generateInvoice),
    list.map((c) => c.period.rule),
    nullable(list.map((c) => c.period.start)),
    nullable(list.map((c) => c.period.end)),
    nullable(list.map((c) => c.schedule)),
    list.map((c) => c.timeZone),
    nullable(list.map((c) => c.reportChannel)),
  ];
}
