import type { Knex } from 'knex';
import { analyzeChanged } from '../billRun/statistics';
import { ADDRESS_FIELDS } from '../address';
import { dayOf } from '../dates';
import type { AccountsCheck } from './accountsSheet';
import type { AccountPackagesCheck } from './accountPackagesSheet';
import type { ConfigurationChange } from './configurationsSheet';
import type { PackageChange, PackagesCheck } from './packagesSheet';
import { key } from './rows';
import type { BillGroups, SetupCheck } from './state';
import { writePaymentTerms } from './terms';
import type { PlannedPeriod, SetupOutcome } from './types';

/**
 * The set-based write of a checked setup, in the caller's one transaction: a few statements
 * whatever the number of rows, arrays passed as single parameters, accounts and account
 * packages in slices of 5,000 rows, the account tree's keys deferred to the commit.
 */

export interface SetupWrites<R> {
  accounts: AccountsCheck<R>;
  packages: PackagesCheck<R>;
  accountPackages: AccountPackagesCheck<R>;
  configurations: ConfigurationChange[];
}

export async function writeSetup<R>(check: SetupCheck<R>, writes: SetupWrites<R>, actor: string): Promise<SetupOutcome<R>> {
  const { trx, outcome } = check;
  const groupId = await writeBillGroups(trx, check.groups);
  const idByKey = await writeAccounts(trx, writes.accounts, groupId);
  const packageIdByKey = await writePackages(trx, writes.packages);
  await writeAccountPackages(trx, writes.accountPackages, idByKey, packageIdByKey);
  if (writes.configurations.length) await writeConfigurations(trx, writes.configurations, check.groups);
  await writePaymentTerms(trx, writes.accounts, idByKey, writes.configurations);
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
    accounts: writes.accounts.inserts.length + writes.accounts.updates.length,
    account_packages: writes.accountPackages.inserts.length + writes.accountPackages.updates.length,
  });
  outcome.applied = true;
  return outcome;
}

type GroupId = (name: string | undefined, fallback: number | null) => number;

/** Creates the bill groups the rows name that do not exist; gives the id of a group by name (a missing name: the fallback, else Default). */
async function writeBillGroups(trx: Knex.Transaction, groups: BillGroups): Promise<GroupId> {
  const groupIdByKey = groups.idByKey;
  if (groups.created.size) {
    const { rows } = await trx.raw(
      `INSERT INTO bill_groups (name) SELECT * FROM unnest(?::text[]) ON CONFLICT DO NOTHING RETURNING id, name`,
      [[...groups.created.values()]],
    );
    for (const r of rows) groupIdByKey.set(key(r.name), r.id);
  }
  return (name, fallback) => {
    if (name === undefined) return fallback ?? groupIdByKey.get('default')!;
    return groupIdByKey.get(key(name))!;
  };
}

// The address columns (constants of billing/address.ts, never input) and their values per row:
// a field the row does not give keeps what is stored (a new account: blank).
const ADDRESS_COLUMNS = ADDRESS_FIELDS.map((f) => f.column).join(', ');
const ADDRESS_ARRAYS = ADDRESS_FIELDS.map(() => '?::text[]').join(', ');
const ADDRESS_SET = ADDRESS_FIELDS.map((f) => `${f.column} = x.${f.column}`).join(', ');

function addressArrays<R>(rows: AccountsCheck<R>['inserts']): Knex.Value[] {
  return ADDRESS_FIELDS.map((f) =>
    nullable(rows.map((n) => (n.item![f.key] === undefined ? (n.stored?.[f.column] ?? null) : n.item![f.key]!) ?? null)),
  );
}

/** Writes the accounts; gives the id of every account by its key. */
async function writeAccounts<R>(trx: Knex.Transaction, accounts: AccountsCheck<R>, groupId: GroupId): Promise<Map<string, number>> {
  const { inserts: accountInserts, updates: accountUpdates } = accounts;
  // New accounts get their ids first, so that each is inserted whole (parent and invoicer
  // included) in one statement, even when they name each other.
  const idByKey = new Map<string, number>();
  for (const a of accounts.stored) idByKey.set(key(a.name), a.id);
  if (accountInserts.length) {
    const { rows } = await trx.raw(`SELECT nextval(pg_get_serial_sequence('accounts', 'id')) AS id FROM generate_series(1, ?)`, [accountInserts.length]);
    accountInserts.forEach((n, i) => idByKey.set(n.key, Number(rows[i].id)));
  }
  const id = (k: string | null) => (k === null ? null : idByKey.get(k)!);
  // An account may name a parent or an invoicer inserted in a later slice (migration 100).
  if (accountInserts.length) {
    await trx.raw('SET CONSTRAINTS accounts_parent_id_fkey, accounts_invoicer_id_fkey DEFERRED');
  }
  for (const rows of slices(accountInserts)) {
    await trx.raw(
      `INSERT INTO accounts (id, name, display_name, currency, status, bill_group_id, bill_day, parent_id, invoicer_id, ${ADDRESS_COLUMNS})
       SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::smallint[], ?::bigint[], ?::bigint[], ${ADDRESS_ARRAYS})`,
      [
        rows.map((n) => idByKey.get(n.key)!),
        rows.map((n) => n.name),
        nullable(rows.map((n) => n.item!.displayName ?? null)),
        rows.map((n) => n.currency),
        rows.map((n) => n.status),
        rows.map((n) => groupId(n.item!.billGroup, null)),
        rows.map((n) => n.item!.billDay ?? 1),
        nullable(rows.map((n) => id(n.parent))),
        nullable(rows.map((n) => id(n.invoicer))),
        ...addressArrays(rows),
      ],
    );
  }
  for (const rows of slices(accountUpdates)) {
    await trx.raw(
      `UPDATE accounts a
       SET display_name = x.display_name, currency = x.currency, status = x.status, bill_group_id = x.bill_group_id,
           bill_day = x.bill_day, parent_id = x.parent_id, invoicer_id = x.invoicer_id, ${ADDRESS_SET}
       FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::smallint[], ?::bigint[], ?::bigint[], ${ADDRESS_ARRAYS})
         AS x(id, display_name, currency, status, bill_group_id, bill_day, parent_id, invoicer_id, ${ADDRESS_COLUMNS})
       WHERE a.id = x.id`,
      [
        rows.map((n) => idByKey.get(n.key)!),
        nullable(rows.map((n) => (n.item!.displayName === undefined ? (n.stored?.display_name ?? null) : n.item!.displayName))),
        rows.map((n) => n.currency),
        rows.map((n) => n.status),
        rows.map((n) => groupId(n.item!.billGroup, n.stored?.bill_group_id ?? null)),
        rows.map((n) => n.item!.billDay ?? n.stored?.bill_day ?? 1),
        nullable(rows.map((n) => id(n.parent))),
        nullable(rows.map((n) => id(n.invoicer))),
        ...addressArrays(rows),
      ],
    );
  }
  return idByKey;
}

/** Writes the packages and their services; gives the id of every package by its key. */
async function writePackages<R>(trx: Knex.Transaction, packages: PackagesCheck<R>): Promise<Map<string, number>> {
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
  return packageIdByKey;
}

async function writeAccountPackages<R>(
  trx: Knex.Transaction,
  { inserts: apInserts, updates: apUpdates }: AccountPackagesCheck<R>,
  idByKey: Map<string, number>,
  packageIdByKey: Map<string, number>,
): Promise<void> {
  for (const rows of slices(apInserts)) {
    await trx.raw(
      `INSERT INTO account_packages (account_id, package_id, quantity, status, effective_date, next_bill_date, anchor_day)
       SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::integer[], ?::text[], ?::date[], ?::date[], ?::smallint[])`,
      [
        rows.map((x) => idByKey.get(key(x.plan.account))!),
        rows.map((x) => packageIdByKey.get(key(x.plan.package))!),
        rows.map((x) => x.quantity),
        rows.map((x) => x.status),
        rows.map((x) => x.effective),
        rows.map((x) => x.next),
        rows.map((x) => dayOf(x.next)),
      ],
    );
  }
  for (const rows of slices(apUpdates)) {
    await trx.raw(
      `UPDATE account_packages ap
       SET quantity = x.quantity, status = x.status, effective_date = x.effective_date, next_bill_date = x.next_bill_date, anchor_day = x.anchor_day
       FROM unnest(?::bigint[], ?::integer[], ?::text[], ?::date[], ?::date[], ?::smallint[])
         AS x(id, quantity, status, effective_date, next_bill_date, anchor_day)
       WHERE ap.id = x.id`,
      [
        rows.map((x) => x.id),
        rows.map((x) => x.quantity),
        rows.map((x) => x.status),
        rows.map((x) => x.effective),
        rows.map((x) => x.next),
        rows.map((x) => x.anchor),
      ],
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

/**
 * Rows in slices of 5,000, one statement each (in the one transaction): a statement carrying
 * 100,000 rows of parameters made the import's peak memory about 25 MB higher (test/bench/RESULTS.md).
 */
const SLICE = 5000;
function slices<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += SLICE) out.push(rows.slice(i, i + SLICE));
  return out;
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
