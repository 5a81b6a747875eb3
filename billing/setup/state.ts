import type { Knex } from 'knex';
import type { AddressColumn } from '../address';
import type { AccountPackageStatus, AccountStatus, PeriodRule } from '../schemas';
import { key } from './rows';
import type { SetupStage } from './stage';
import type { SetupCounts, SetupOutcome, SetupPlan, SetupProblem, SetupWarning } from './types';

// ---------------------------------------------------------------------------------------
// What is stored

export interface StoredAccount extends Record<AddressColumn, string | null> {
  id: number;
  name: string;
  display_name: string | null;
  currency: string;
  status: AccountStatus;
  bill_group_id: number;
  bill_day: number;
  parent_id: number | null;
  invoicer_id: number | null;
  payment_terms_days: number | null;
}

export interface StoredPackage {
  id: number;
  name: string;
  currency: string;
  frequency: string;
  status: 'active' | 'inactive';
  services: { id: number; name: string; price: string }[];
}

export interface StoredAccountPackage {
  id: number;
  account_id: number;
  package_id: number;
  quantity: number;
  status: AccountPackageStatus;
  effective_date: string;
  next_bill_date: string;
  cancel_date: string | null;
  anchor_day: number;
}

export interface StoredConfiguration {
  id: number;
  name: string;
  bill_packages: boolean;
  generate_invoice: boolean;
  period_rule: PeriodRule;
  period_start: string | null;
  period_end: string | null;
  schedule: string | null;
  time_zone: string;
  report_channel: string | null;
  payment_terms_days: number | null;
  groups: number[];
}

// ---------------------------------------------------------------------------------------
// The merged picture: what would be stored after applying the rows

/** What the tree rules look at in a stored account. */
export interface TreeStored {
  id: number;
  name: string;
  currency: string;
  status: AccountStatus;
  parent_id: number | null;
}

export interface Node {
  key: string;
  name: string;
  stored: TreeStored | null;
  /** The number of the row that gives the account (null: a stored account no row names), and whether it gives a parent. */
  row: number | null;
  parentGiven: boolean;
  currency: string;
  status: AccountStatus;
  parent: string | null;
  invoicer: string | null;
  /** A parent or invoicer that could not be resolved: the tree rules are not checked for it. */
  unresolved: boolean;
}

/** What the check of every sheet shares: the plan, what it found so far, and the bill groups. */
export interface SetupCheck<R> {
  trx: Knex.Transaction;
  /** The Accounts and Account Packages rows, staged in the transaction (./stage.ts). */
  stage: SetupStage<R>;
  plan: SetupPlan<R>;
  problems: SetupProblem<R>[];
  warnings: SetupWarning<R>[];
  outcome: SetupOutcome<R>;
  groups: BillGroups;
}

/** The stored bill groups, and those the rows name that do not exist yet (created when applied). */
export interface BillGroups {
  idByKey: Map<string, number>;
  keyById: Map<number, string>;
  created: Map<string, string>;
  use(name: string): void;
}

export async function loadBillGroups(trx: Knex.Transaction): Promise<BillGroups> {
  const groupRows: { id: number; name: string }[] = await trx('bill_groups').select('id', 'name');
  const idByKey = new Map(groupRows.map((g) => [key(g.name), g.id]));
  const created = new Map<string, string>();
  return {
    idByKey,
    keyById: new Map(groupRows.map((g) => [g.id, key(g.name)])),
    created,
    use: (name: string) => {
      const k = key(name);
      if (!idByKey.has(k) && !created.has(k)) created.set(k, name);
    },
  };
}

export function newOutcome<R>(): SetupOutcome<R> {
  return {
    applied: false,
    accounts: emptyCounts(),
    packages: emptyCounts(),
    accountPackages: emptyCounts(),
    configurations: emptyCounts(),
    billGroupsCreated: [],
    problems: [],
    warnings: [],
  };
}

function emptyCounts(): SetupCounts {
  return { created: 0, updated: 0, unchanged: 0 };
}

/** Stored rows by the key of their name and by id (the same object in both). */
export function storedByKeyAndId<T extends { id: number; name: string }, S>(rows: T[], make: (row: T) => S): { byKey: Map<string, S>; byId: Map<number, S> } {
  const byKey = new Map<string, S>();
  const byId = new Map<number, S>();
  for (const row of rows) {
    const stored = make(row);
    byKey.set(key(row.name), stored);
    byId.set(row.id, stored);
  }
  return { byKey, byId };
}
