import type { Knex } from 'knex';
import { z } from 'zod';
import { InvalidInputError } from '../errors';
import { checkAccountPackages } from './accountPackagesSheet';
import { checkAccounts } from './accountsSheet';
import { checkConfigurations } from './configurationsSheet';
import { checkPackages } from './packagesSheet';
import { loadBillGroups, newOutcome, SetupCheck } from './state';
import { arrayRefs, SetupStage } from './stage';
import type { SetupOutcome, SetupPlan, SetupRefs } from './types';
import { writeSetup } from './write';

export interface ApplySetupOptions {
  /** Check and count, write nothing. */
  dryRun?: boolean;
  /** Who applies the setup (recorded with the import). */
  actor: string;
  /** Problems already found by the caller (checkSetup's): the rows are still checked against what is stored, but nothing is written. */
  earlierProblems?: number;
}

/** Stages the rows (./stage.ts: the Accounts and Account Packages rows as they are read) and gives the plan of the others, and how many problems the rows' form had. */
export type SetupFeed<R> = (stage: SetupStage<R>) => Promise<{ plan: SetupPlan<R>; earlierProblems: number }>;

/** Thrown to roll back an import that writes nothing (a dry run, or problems): the stage goes with it. */
class NothingWritten<R> {
  constructor(readonly outcome: SetupOutcome<R>) {}
}

const LOCK_SETUP_TABLES =
  'LOCK TABLE bill_groups, accounts, packages, services, account_packages, bill_run_configurations, bill_run_configuration_groups IN SHARE ROW EXCLUSIVE MODE';

/**
 * A setup import whose Accounts and Account Packages rows are staged in Postgres as `feed`
 * reads them (so memory does not grow with them): checks them against what is stored (the
 * account tree rules of billing/accountRules.ts, currencies, references, required values of
 * new rows) and, when nothing is wrong and it is not a dry run, writes them, all in one
 * transaction of `db` (a savepoint when `db` is one already): a few set-based statements
 * whatever the number of rows. Any problem means nothing is written, and the staged rows
 * (temporary tables) go with the transaction's end.
 */
export async function importSetup<R>(db: Knex, options: ApplySetupOptions, refs: SetupRefs<R>, feed: SetupFeed<R>): Promise<SetupOutcome<R>> {
  const parsedActor = z.string().trim().min(1).safeParse(options.actor);
  if (!parsedActor.success) throw new InvalidInputError('Say who applies the setup (a Slack user or a name).');
  const actor = parsedActor.data;
  try {
    return await db.transaction(async (trx) => {
      const stage = new SetupStage<R>(trx, refs);
      await stage.create();
      const { plan, earlierProblems } = await feed(stage);
      await stage.finish();
      const write = !options.dryRun && !earlierProblems && !options.earlierProblems;
      // Nothing that the check reads may change before the writes: bill runs, credits and
      // people in Slack wait for the few seconds the check and the writes take.
      if (write) await trx.raw(LOCK_SETUP_TABLES);
      const outcome = await checkAndWrite(trx, stage, plan, actor, write);
      if (!outcome.applied) throw new NothingWritten(outcome);
      return outcome;
    });
  } catch (e) {
    if (e instanceof NothingWritten) return e.outcome as SetupOutcome<R>;
    throw e;
  }
}

/** The same for a plan held in memory (billing's `setup.check`): its rows are staged first. */
export async function applySetup<R>(db: Knex, plan: SetupPlan<R>, options: ApplySetupOptions): Promise<SetupOutcome<R>> {
  return importSetup(db, options, arrayRefs<R>(), async (stage) => {
    await stage.addPlan(plan);
    return { plan, earlierProblems: options.earlierProblems ?? 0 };
  });
}

/** Checks every sheet in turn against what is stored; writes only when asked and nothing is wrong. */
async function checkAndWrite<R>(trx: Knex.Transaction, stage: SetupStage<R>, plan: SetupPlan<R>, actor: string, write: boolean): Promise<SetupOutcome<R>> {
  const outcome = newOutcome<R>();
  const check: SetupCheck<R> = {
    trx,
    stage,
    plan,
    problems: outcome.problems,
    warnings: outcome.warnings,
    outcome,
    groups: await loadBillGroups(trx),
  };
  const accounts = await checkAccounts(check);
  const packages = await checkPackages(check);
  const accountPackages = await checkAccountPackages(check, packages.merged);
  const configurations = await checkConfigurations(check);
  outcome.billGroupsCreated = [...check.groups.created.values()];
  if (outcome.problems.length || !write) return outcome;
  return writeSetup(check, { accounts, packages, accountPackages, configurations }, actor);
}
