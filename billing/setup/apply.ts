import type { Knex } from 'knex';
import { z } from 'zod';
import { InvalidInputError } from '../errors';
import { checkAccountPackages } from './accountPackagesSheet';
import { checkAccounts } from './accountsSheet';
import { checkConfigurations } from './configurationsSheet';
import { checkPackages } from './packagesSheet';
import { loadBillGroups, newOutcome, SetupCheck } from './state';
import type { SetupOutcome, SetupPlan } from './types';
import { writeSetup } from './write';

export interface ApplySetupOptions {
  /** Check and count, write nothing. */
  dryRun?: boolean;
  /** Who applies the setup (recorded with the import). */
  actor: string;
  /** Problems already found by the caller (checkSetup's): the rows are still checked against what is stored, but nothing is written. */
  earlierProblems?: number;
}

/**
 * Checks the plan against what is stored (the account tree rules of billing/accountRules.ts,
 * currencies, references, required values of new rows) and, when nothing is wrong and it
 * is not a dry run, writes it in one transaction: a few set-based statements, whatever
 * the number of rows. Any problem means nothing is written.
 */
export async function applySetup<R>(db: Knex, plan: SetupPlan<R>, options: ApplySetupOptions): Promise<SetupOutcome<R>> {
  const parsedActor = z.string().trim().min(1).safeParse(options.actor);
  if (!parsedActor.success) throw new InvalidInputError('Say who applies the setup (a Slack user or a name).');
  const actor = parsedActor.data;
  const write = !options.dryRun && !options.earlierProblems;
  if (!write) {
    return db.transaction(async (trx) => checkAndWrite(trx, plan, actor, false), { isolationLevel: 'repeatable read', readOnly: true });
  }
  return db.transaction(async (trx) => {
    // Nothing that the check reads may change before the writes: bill runs, credits and
    // people in Slack wait for the few seconds this takes.
    await trx.raw(
      'LOCK TABLE bill_groups, accounts, packages, services, account_packages, bill_run_configurations, bill_run_configuration_groups IN SHARE ROW EXCLUSIVE MODE',
    );
    return checkAndWrite(trx, plan, actor, true);
  });
}

/** Checks every sheet in turn against what is stored; writes only when asked and nothing is wrong. */
async function checkAndWrite<R>(trx: Knex.Transaction, plan: SetupPlan<R>, actor: string, write: boolean): Promise<SetupOutcome<R>> {
  const outcome = newOutcome<R>();
  const check: SetupCheck<R> = {
    trx,
    plan,
    problems: outcome.problems,
    warnings: outcome.warnings,
    outcome,
    groups: await loadBillGroups(trx),
  };
  const accounts = await checkAccounts(check);
  const packages = await checkPackages(check);
  const accountPackages = await checkAccountPackages(check, accounts.nodes, packages.merged);
  const configurations = await checkConfigurations(check);
  outcome.billGroupsCreated = [...check.groups.created.values()];
  if (outcome.problems.length || !write) return outcome;
  return writeSetup(check, { accounts, packages, accountPackages, configurations }, actor);
}
