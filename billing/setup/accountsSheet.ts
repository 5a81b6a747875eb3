import { ADDRESS_FIELDS } from '../address';
import { key } from './rows';
import type { Node, SetupCheck, StoredAccount } from './state';
import { checkTree } from './tree';
import type { PlannedAccount } from './types';

/** The accounts as they would be stored, and which rows create or change one. */
export interface AccountsCheck<R> {
  stored: StoredAccount[];
  storedById: Map<number, StoredAccount>;
  nodes: Map<string, Node<R>>;
  inserts: Node<R>[];
  updates: Node<R>[];
}

/**
 * The Accounts sheet against what is stored: references to parents and invoicers, the
 * currency of an account in use, the account tree rules (./tree.ts), and what each row
 * creates or changes.
 */
export async function checkAccounts<R>(check: SetupCheck<R>): Promise<AccountsCheck<R>> {
  const { trx, problems } = check;
  const stored: StoredAccount[] = await trx('accounts').select(
    'id',
    'name',
    'display_name',
    'currency',
    'status',
    'bill_group_id',
    'bill_day',
    'parent_id',
    'invoicer_id',
    ...ADDRESS_FIELDS.map((f) => f.column),
    'payment_terms_days',
  );
  const storedById = new Map<number, StoredAccount>();
  for (const a of stored) storedById.set(a.id, a);
  const nodes = mergedNodes(check, stored, storedById);
  for (const item of check.plan.accounts) {
    const node = nodes.get(key(item.name))!;
    resolve(check, nodes, item, node, 'parent');
    resolve(check, nodes, item, node, 'invoiceTo');
  }
  await keepCurrenciesInUse(check, nodes);
  checkTree(nodes, storedById, problems);
  return { stored, storedById, nodes, ...accountChanges(check, nodes, storedById) };
}

/** Every stored account, with the rows laid over them (and the new ones), references not yet resolved. */
function mergedNodes<R>(check: SetupCheck<R>, stored: StoredAccount[], storedById: Map<number, StoredAccount>): Map<string, Node<R>> {
  const nodes = new Map<string, Node<R>>();
  for (const a of stored) {
    nodes.set(key(a.name), {
      key: key(a.name),
      name: a.name,
      stored: a,
      item: null,
      currency: a.currency,
      status: a.status,
      parent: a.parent_id === null ? null : key(storedById.get(a.parent_id)!.name),
      invoicer: a.invoicer_id === null ? null : key(storedById.get(a.invoicer_id)!.name),
      unresolved: false,
    });
  }
  for (const item of check.plan.accounts) {
    const k = key(item.name);
    const node = nodes.get(k);
    if (node) {
      node.item = item;
      node.currency = item.currency ?? node.currency;
      node.status = item.status ?? node.status;
    } else {
      if (!item.currency) {
        check.problems.push({ ref: item.ref, field: 'currency', value: '', expected: 'A currency for a new account, such as USD.' });
      }
      nodes.set(k, {
        key: k,
        name: item.name,
        stored: null,
        item,
        currency: item.currency ?? '',
        status: item.status ?? 'active',
        parent: null,
        invoicer: null,
        unresolved: !item.currency,
      });
    }
    if (item.billGroup) check.groups.use(item.billGroup);
  }
  return nodes;
}

/** A row's parent or invoicer, once every name in the rows is known. */
function resolve<R>(check: SetupCheck<R>, nodes: Map<string, Node<R>>, item: PlannedAccount<R>, node: Node<R>, field: 'parent' | 'invoiceTo'): void {
  const value = item[field];
  if (value === undefined) return;
  if (value === null) {
    if (field === 'parent') node.parent = null;
    else node.invoicer = null;
    return;
  }
  const k = key(value);
  if (field === 'invoiceTo' && k === node.key) {
    node.invoicer = null;
    return;
  }
  if (field === 'parent' && k === node.key) {
    check.problems.push({ ref: item.ref, field, value, expected: 'A parent other than the account itself.' });
    node.unresolved = true;
    return;
  }
  if (!nodes.has(k)) {
    node.unresolved = true;
    if (!check.plan.refused.accounts.has(k)) {
      check.problems.push({ ref: item.ref, field, value, expected: 'The name of an account in this setup or already stored.' });
    }
    return;
  }
  if (field === 'parent') node.parent = k;
  else node.invoicer = k;
}

/** An account that has packages, charges, credits or invoices keeps its currency. */
async function keepCurrenciesInUse<R>(check: SetupCheck<R>, nodes: Map<string, Node<R>>): Promise<void> {
  const currencyChanged = check.plan.accounts
    .map((item) => nodes.get(key(item.name))!)
    .filter((n) => n.stored && n.currency !== n.stored.currency);
  if (!currencyChanged.length) return;
  const ids = currencyChanged.map((n) => n.stored!.id);
  const { rows } = await check.trx.raw(
    `SELECT account_id FROM account_packages WHERE account_id = ANY(?::bigint[])
     UNION SELECT account_id FROM transactions WHERE account_id = ANY(?::bigint[])
     UNION SELECT account_id FROM credits WHERE account_id = ANY(?::bigint[])
     UNION SELECT account_id FROM invoices WHERE account_id = ANY(?::bigint[])`,
    [ids, ids, ids, ids],
  );
  const inUse = new Set<number>(rows.map((r: { account_id: number }) => r.account_id));
  for (const n of currencyChanged) {
    if (inUse.has(n.stored!.id)) {
      check.problems.push({
        ref: n.item!.ref,
        field: 'currency',
        value: n.currency,
        expected: `${n.stored!.currency}: an account with packages, charges, credits or invoices keeps its currency.`,
      });
      n.currency = n.stored!.currency;
    }
  }
}

/** Which rows create an account, which change one, which leave it as it is (counted). */
function accountChanges<R>(
  check: SetupCheck<R>,
  nodes: Map<string, Node<R>>,
  storedById: Map<number, StoredAccount>,
): { inserts: Node<R>[]; updates: Node<R>[] } {
  const { outcome, groups } = check;
  const inserts: Node<R>[] = [];
  const updates: Node<R>[] = [];
  for (const item of check.plan.accounts) {
    const node = nodes.get(key(item.name))!;
    const s = node.stored;
    if (!s) {
      outcome.accounts.created++;
      inserts.push(node);
      continue;
    }
    const parentKey = s.parent_id === null ? null : key(storedById.get(s.parent_id)!.name);
    const invoicerKey = s.invoicer_id === null ? null : key(storedById.get(s.invoicer_id)!.name);
    const same =
      (item.displayName === undefined || (item.displayName ?? null) === s.display_name) &&
      node.currency === s.currency &&
      node.status === s.status &&
      (item.billGroup === undefined || key(item.billGroup) === groups.keyById.get(s.bill_group_id)) &&
      (item.billDay === undefined || item.billDay === s.bill_day) &&
      node.parent === parentKey &&
      node.invoicer === invoicerKey &&
      ADDRESS_FIELDS.every((f) => item[f.key] === undefined || (item[f.key] ?? null) === s[f.column]) &&
      (item.paymentTermsDays === undefined || item.paymentTermsDays === s.payment_terms_days);
    if (same) outcome.accounts.unchanged++;
    else {
      outcome.accounts.updated++;
      updates.push(node);
    }
  }
  return { inserts, updates };
}
