import type { AccountStatus } from '../schemas';
import type { SetupCheck, Node, TreeStored } from './state';
import {
  ACCOUNT_ACTIONS,
  ACCOUNT_COUNTS,
  ACCOUNT_REFERENCE_PROBLEMS,
  CHECK_ACCOUNTS,
  DUPLICATE_ACCOUNTS,
  KEEP_CURRENCIES,
  NAMED_BILL_GROUPS,
  TREE_NODES,
  TREE_PAGE,
} from './stageSql';
import { checkTree } from './tree';
import type { SetupCounts } from './types';

/** What the check of the Accounts sheet says of the staged rows (the rows themselves stay staged). */
export interface AccountsCheck {
  /** Rows that create an account, and rows that change one. */
  created: number;
  updated: number;
}

/** The words of the reference problems ACCOUNT_REFERENCE_PROBLEMS finds: field and what was expected. */
const REFERENCE_PROBLEMS: Record<string, { field: string; expected: string }> = {
  currency: { field: 'currency', expected: 'A currency for a new account, such as USD.' },
  'parent-self': { field: 'parent', expected: 'A parent other than the account itself.' },
  'parent-unknown': { field: 'parent', expected: 'The name of an account in this setup or already stored.' },
  'invoiceTo-unknown': { field: 'invoiceTo', expected: 'The name of an account in this setup or already stored.' },
};

/** Nodes of the account tree read back at a time. */
const TREE_PAGE_ROWS = 10_000;

/**
 * The Accounts sheet (its rows staged): an account on one row only; against what is stored: references to parents and
 * invoicers, a new account's currency, the currency of an account in use, the account tree
 * rules (./tree.ts, over the accounts a chain can reach, read back by pages), and what each
 * row creates or changes (counted).
 */
export async function checkAccounts<R>(check: SetupCheck<R>): Promise<AccountsCheck> {
  const { trx, problems, stage } = check;
  const refOf = (row: number) => stage.refs.refOf('accounts', row);
  const duplicates = await trx.raw(DUPLICATE_ACCOUNTS);
  for (const r of (duplicates.rows as { row_no: number; name: string; first: number }[]).sort((a, b) => a.row_no - b.row_no)) {
    problems.push({ ref: refOf(r.row_no), field: 'name', value: r.name, expected: 'Each account on one row only.', related: refOf(r.first) });
  }
  const refused = [...check.plan.refused.accounts];
  const [checked, indexed] = CHECK_ACCOUNTS;
  await trx.raw(checked, [refused, refused]);
  await trx.raw(indexed);
  const referenceProblems = await trx.raw(ACCOUNT_REFERENCE_PROBLEMS);
  for (const r of referenceProblems.rows as { row_no: number; what: string; value: string }[]) {
    const { field, expected } = REFERENCE_PROBLEMS[r.what]!;
    problems.push({ ref: refOf(r.row_no), field, value: r.value ?? '', expected });
  }
  for (const g of (await trx.raw(NAMED_BILL_GROUPS)).rows as { bill_group: string }[]) check.groups.use(g.bill_group);
  const kept = await trx.raw(KEEP_CURRENCIES);
  for (const r of (kept.rows as { row_no: number; currency: string; stored_currency: string }[]).sort((a, b) => a.row_no - b.row_no)) {
    problems.push({
      ref: refOf(r.row_no),
      field: 'currency',
      value: r.currency,
      expected: `${r.stored_currency}: an account with packages, charges, credits or invoices keeps its currency.`,
    });
  }
  const { nodes, storedById } = await treeNodes(check);
  checkTree(nodes, storedById, problems, refOf);
  await trx.raw(ACCOUNT_ACTIONS);
  const counts = await countActions(trx.raw(ACCOUNT_COUNTS), check.outcome.accounts);
  return { created: counts.created, updated: counts.updated };
}

interface TreeRow {
  key: string;
  name: string;
  row_no: number | null;
  parent_given: boolean | null;
  currency: string;
  status: AccountStatus;
  parent: string | null;
  invoicer: string | null;
  unresolved: boolean;
  stored_id: string | number | null;
  stored_currency: string | null;
  stored_status: AccountStatus | null;
  stored_parent_id: string | number | null;
}

/** The accounts the tree rules can concern, as they would be stored (read by pages: compact nodes, no rows). */
async function treeNodes<R>(check: SetupCheck<R>): Promise<{ nodes: Map<string, Node>; storedById: Map<number, TreeStored> }> {
  const { trx } = check;
  await trx.raw(TREE_NODES);
  const nodes = new Map<string, Node>();
  const storedById = new Map<number, TreeStored>();
  // One copy of each currency and status (pg gives each row its own strings).
  const words = new Map<string, string>();
  const word = <T extends string>(w: T): T => {
    const known = words.get(w);
    if (known !== undefined) return known as T;
    words.set(w, w);
    return w;
  };
  for (let after = 0; ; after += TREE_PAGE_ROWS) {
    const { rows } = await trx.raw(TREE_PAGE, [after, TREE_PAGE_ROWS]);
    for (const r of rows as TreeRow[]) {
      const stored: TreeStored | null =
        r.stored_id === null
          ? null
          : {
              id: Number(r.stored_id),
              name: r.name,
              currency: r.stored_currency!,
              status: r.stored_status!,
              parent_id: r.stored_parent_id === null ? null : Number(r.stored_parent_id),
            };
      if (stored) storedById.set(stored.id, stored);
      nodes.set(r.key, {
        key: r.key,
        name: r.name,
        stored,
        row: r.row_no,
        parentGiven: !!r.parent_given,
        currency: word(r.currency),
        status: word(r.status),
        // The same string as the node's own key once that node is read (one copy of each name in memory).
        parent: r.parent === null ? null : (nodes.get(r.parent)?.key ?? r.parent),
        invoicer: r.invoicer === null ? null : (nodes.get(r.invoicer)?.key ?? r.invoicer),
        unresolved: r.unresolved,
      });
    }
    if (rows.length < TREE_PAGE_ROWS) break;
  }
  return { nodes, storedById };
}

/** Adds the counts of a `SELECT action, n` to `counts`; gives them. */
export async function countActions(query: PromiseLike<{ rows: { action: string; n: number }[] }>, counts: SetupCounts): Promise<SetupCounts> {
  for (const r of (await query).rows) {
    if (r.action === 'created' || r.action === 'updated' || r.action === 'unchanged') counts[r.action] += r.n;
  }
  return counts;
}
