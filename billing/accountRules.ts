/**
 * The rules of the account tree, with no I/O: no cycle in parent or invoicer chains; an
 * invoicer is active, in the same currency and in the same tree. The single-account services
 * (billing/accountTree.ts) hold them against chains read from the database, the setup import
 * (billing/setup/tree.ts) against the accounts it holds in memory. A rule says which rule is
 * broken; each caller words it in its own way.
 */

/** What the invoicer rules look at in an account. */
export interface RuleAccount {
  currency: string;
  status?: string;
}

/** The rules an invoicer keeps for the accounts that invoice to it, in the order they are checked (the tree apart). */
export const invoicerRules = {
  /** An invoicer is active. */
  active: (_account: RuleAccount, invoicer: RuleAccount): boolean => invoicer.status === 'active',
  /** An invoicer uses the account's currency (when both are known). */
  currency: (account: RuleAccount, invoicer: RuleAccount): boolean =>
    !invoicer.currency || !account.currency || invoicer.currency === account.currency,
};

export type InvoicerRule = keyof typeof invoicerRules | 'tree';

/** The first rule a link from `account` to `invoicer` breaks, or null when it keeps them all. */
export function brokenInvoicerRule(account: RuleAccount, invoicer: RuleAccount, inSameTree: boolean): InvoicerRule | null {
  if (!invoicerRules.active(account, invoicer)) return 'active';
  if (!invoicerRules.currency(account, invoicer)) return 'currency';
  if (!inSameTree) return 'tree';
  return null;
}

/** The root of an account on (or leading into) a cycle of parent links. */
export const CYCLE = '\u0000cycle';

/** Whether two accounts with these roots are in one tree (an account on a cycle is not held to the rule). */
export function sameTree(rootA: unknown, rootB: unknown): boolean {
  return rootA === CYCLE || rootB === CYCLE || rootA === rootB;
}

/** The root of every account following parent links, memoised; accounts on or leading into a cycle get CYCLE. */
export function rootsOf<N>(all: Iterable<[string, N]>, parentOf: (n: N) => string | null, get: (k: string) => N | undefined): Map<string, string> {
  const roots = new Map<string, string>();
  for (const [start] of all) {
    if (roots.has(start)) continue;
    const path: string[] = [];
    const onPath = new Set<string>();
    let cur: string | null = start;
    let root: string = CYCLE;
    while (cur !== null) {
      const known = roots.get(cur);
      if (known !== undefined) {
        root = known;
        break;
      }
      if (onPath.has(cur)) {
        root = CYCLE;
        break;
      }
      onPath.add(cur);
      path.push(cur);
      const node = get(cur);
      const next: string | null = node ? parentOf(node) : null;
      if (next === null) {
        root = cur;
        break;
      }
      cur = next;
    }
    for (const p of path) roots.set(p, root);
  }
  return roots;
}

/** The accounts on the cycle that `start` reaches by following `next` (start first), or null when there is none through `start`. */
export function cycleThrough<K>(start: K, next: (k: K) => K | null): K[] | null {
  const path: K[] = [start];
  const seen = new Set<K>([start]);
  let cur = next(start);
  while (cur !== null) {
    if (cur === start) return path;
    if (seen.has(cur) || path.length > 100_000) return null;
    seen.add(cur);
    path.push(cur);
    cur = next(cur);
  }
  return null;
}

/**
 * `next` for cycleThrough over a link not made yet, from `from` to the first account of
 * `chain` (that account's chain along the same kind of link, itself first).
 */
export function linkedChain<K>(from: K, chain: readonly K[]): (k: K) => K | null {
  const after = new Map<K, K>();
  if (chain.length) after.set(from, chain[0]!);
  for (let i = 0; i + 1 < chain.length; i++) if (!after.has(chain[i]!)) after.set(chain[i]!, chain[i + 1]!);
  return (k) => after.get(k) ?? null;
}
