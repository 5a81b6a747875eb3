import { brokenInvoicerRule, CYCLE, cycleThrough, InvoicerRule, invoicerRules, rootsOf, sameTree } from '../accountRules';
import { key } from './rows';
import type { Node, TreeStored } from './state';
import type { SetupProblem } from './types';

/**
 * The account tree rules of billing/accountRules.ts, in memory over what would be stored:
 * no cycle in parent or invoicer chains; an invoicer is active, in the same currency and
 * in the same tree. Rows in the setup are checked; a stored account that is not in the
 * setup is checked too when a row breaks a rule for it that held before (its invoicer made
 * inactive, or its tree moved), and the problem goes on the row that broke it.
 */
export function checkTree<R>(
  nodes: Map<string, Node>,
  storedById: Map<number, TreeStored>,
  problems: SetupProblem<R>[],
  refOf: (row: number) => R,
): void {
  const get = (k: string) => nodes.get(k);
  const roots = rootsOf(nodes, (n) => n.parent, get);
  for (const node of nodes.values()) {
    const problem = rowProblem(node, roots, get, refOf);
    if (problem) problems.push(problem);
  }
  problems.push(...storedProblems(nodes, storedById, roots, refOf));
}

/** What a row in the setup breaks of the tree rules, the first rule only. */
function rowProblem<R>(node: Node, roots: Map<string, string>, get: (k: string) => Node | undefined, refOf: (row: number) => R): SetupProblem<R> | null {
  if (node.row === null || node.unresolved) return null;
  const ref = refOf(node.row);
  const path = (cycle: string[]) => [...cycle, node.key].map((k) => `"${get(k)!.name}"`).join(' → ');
  if (node.parent !== null && roots.get(node.key) === CYCLE) {
    const cycle = cycleThrough(node.key, (k) => get(k)?.parent ?? null);
    if (cycle) {
      const expected = `A parent that is not below this account (${path(cycle)} would be a cycle).`;
      return { ref, field: 'parent', value: get(node.parent)!.name, expected };
    }
  }
  if (node.invoicer === null) return null;
  const invoicer = get(node.invoicer)!;
  const cycle = cycleThrough(node.key, (k) => get(k)?.invoicer ?? null);
  if (cycle) {
    const expected = `An invoicer that does not invoice back to this account (${path(cycle)} would be a cycle).`;
    return { ref, field: 'invoiceTo', value: invoicer.name, expected };
  }
  const rule = brokenInvoicerRule(node, invoicer, sameTree(roots.get(node.key), roots.get(invoicer.key)));
  return rule ? { ref, field: 'invoiceTo', value: invoicer.name, expected: invoicerExpected(rule, node, invoicer) } : null;
}

/** What the import expects of an invoicer that breaks `rule`. */
function invoicerExpected(rule: InvoicerRule, node: Node, invoicer: Node): string {
  if (rule === 'active') return `An active invoicer: "${invoicer.name}" is ${invoicer.status}.`;
  if (rule === 'currency') return `An invoicer in ${node.currency}, the currency of "${node.name}" ("${invoicer.name}" uses ${invoicer.currency}).`;
  return `An invoicer in the same account tree as "${node.name}".`;
}

/**
 * Stored accounts that are not in the setup but whose rules the setup may break: the
 * problem goes on the row that breaks it, naming the accounts it breaks it for.
 */
function storedProblems<R>(
  nodes: Map<string, Node>,
  storedById: Map<number, TreeStored>,
  roots: Map<string, string>,
  refOf: (row: number) => R,
): SetupProblem<R>[] {
  const get = (k: string) => nodes.get(k);
  const storedNames = new Map<number, string>();
  for (const s of storedById.values()) storedNames.set(s.id, key(s.name));
  const storedParent = (k: string) => {
    const s = get(k)?.stored;
    return s && s.parent_id !== null ? storedNames.get(s.parent_id)! : null;
  };
  let storedRoots: Map<string, string> | null = null;
  const grouped = new Map<string, { problem: SetupProblem<R>; names: string[] }>();
  const blame = (ref: R, field: string, value: string, what: string, name: string) => {
    const k = `${field}\u0000${value}\u0000${what}\u0000${JSON.stringify(ref)}`;
    let g = grouped.get(k);
    if (!g) {
      g = { problem: { ref, field, value, expected: what }, names: [] };
      grouped.set(k, g);
    }
    g.names.push(name);
  };
  for (const node of nodes.values()) {
    if (node.row !== null || !node.stored || node.invoicer === null || node.unresolved) continue;
    const invoicer = get(node.invoicer)!;
    if (invoicer.unresolved) continue;
    const breaks = (rule: keyof typeof invoicerRules) =>
      invoicer.row !== null && invoicer.stored && !invoicerRules[rule](node, invoicer) && invoicerRules[rule](node, invoicer.stored);
    if (breaks('active')) {
      blame(refOf(invoicer.row!), 'status', invoicer.status, `active, because other accounts invoice to "${invoicer.name}"`, node.name);
      continue;
    }
    if (breaks('currency')) {
      blame(refOf(invoicer.row!), 'currency', invoicer.currency, `${node.currency}, the currency of the accounts that invoice to "${invoicer.name}"`, node.name);
      continue;
    }
    if (sameTree(roots.get(node.key), roots.get(node.invoicer))) continue;
    storedRoots ??= rootsOf(
      [...nodes].filter(([, n]) => n.stored),
      (n) => storedParent(n.key),
      get,
    );
    if (storedRoots.get(node.key) !== storedRoots.get(node.invoicer)) continue; // was already so
    const mover = movedAncestor(node.key, get) ?? movedAncestor(node.invoicer, get);
    if (!mover) continue;
    blame(
      refOf(mover.row!),
      'parent',
      mover.parent === null ? '' : get(mover.parent)!.name,
      `a parent that keeps each account in the same tree as its invoicer, as accounts below "${mover.name}" invoice to accounts it would leave behind`,
      node.name,
    );
  }
  return [...grouped.values()].map(({ problem, names }) => ({
    ...problem,
    expected: `${problem.expected[0]!.toUpperCase()}${problem.expected.slice(1)} (${list(names, names.length)}).`,
  }));
}

/** The nearest account up the parent chain (itself included) whose parent the setup changes. */
function movedAncestor<R>(start: string, get: (k: string) => Node | undefined): Node | null {
  const seen = new Set<string>();
  let cur: string | null = start;
  while (cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const n = get(cur);
    if (!n) return null;
    if (n.row !== null && n.parentGiven && n.stored) {
      const before = n.stored.parent_id;
      const now = n.parent === null ? null : get(n.parent)?.stored?.id ?? -1;
      if (before !== now) return n;
    }
    cur = n.parent;
  }
  return null;
}

function list(names: string[], total: number): string {
  const quoted = names.slice(0, 3).map((n) => `"${n}"`).join(', ');
  return total > 3 ? `${quoted} and ${total - 3} more` : quoted;
}
