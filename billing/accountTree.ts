import { brokenInvoicerRule, cycleThrough, InvoicerRule, invoicerRules, linkedChain, sameTree } from './accountRules';
import { AccountCycleError, CurrencyMismatchError, InvalidInvoicerError } from './errors';
import type { Db } from './db';

/** What the checks read of a stored account (billing/accounts.ts's Account has it). */
interface TreeAccount {
  id: number;
  name: string;
  currency: string;
  status: string;
}

/**
 * The account tree rules (billing/accountRules.ts) held against the database for one
 * account that is created or changed, each broken rule thrown as its coded error.
 */

/** The ids of an account and the accounts up its parent or invoicer chain, nearest first. */
async function chainUp(db: Db, accountId: number, link: 'parent_id' | 'invoicer_id'): Promise<number[]> {
  const { rows } = await db.raw(
    `WITH RECURSIVE up(id, next_id, depth) AS (
       SELECT id, ??, 0 FROM accounts WHERE id = ?
       UNION ALL
       SELECT a.id, ??, up.depth + 1 FROM accounts a JOIN up ON a.id = up.next_id WHERE up.depth < 1000
     ) SELECT id FROM up ORDER BY depth`,
    [link, accountId, `a.${link}`],
  );
  return rows.map((r: { id: number }) => r.id);
}

/** Whether linking `from` to `to` (a parent or an invoicer link) would close a cycle. */
async function wouldCycle(db: Db, from: number, to: number, link: 'parent_id' | 'invoicer_id'): Promise<boolean> {
  return cycleThrough(from, linkedChain(from, await chainUp(db, to, link))) !== null;
}

async function rootOf(db: Db, accountId: number): Promise<number | undefined> {
  const up = await chainUp(db, accountId, 'parent_id');
  return up[up.length - 1];
}

/**
 * Checks the tree rules for an account that is being given a parent and an invoicer:
 * no cycle in the parent chain; the invoicer is active, in the same currency, in the
 * same tree, and does not (through its own invoicer) invoice back to the account.
 */
export async function checkTree(
  db: Db,
  account: { id: number | null; name: string; currency: string },
  parent: TreeAccount | null,
  invoicer: TreeAccount | null,
): Promise<void> {
  if (parent && account.id !== null && (await wouldCycle(db, account.id, parent.id, 'parent_id'))) {
    throw new AccountCycleError(`"${parent.name}" cannot be the parent of "${account.name}": it is already below it, which would make a cycle.`);
  }
  if (!invoicer) return;
  if (invoicer.id === account.id) return;
  const rule = brokenInvoicerRule(account, invoicer, true);
  if (rule) throw invoicerError(rule, account, invoicer);
  const accountRoot = parent ? await rootOf(db, parent.id) : account.id;
  if (!sameTree(accountRoot, await rootOf(db, invoicer.id))) throw invoicerError('tree', account, invoicer);
  if (account.id !== null && (await wouldCycle(db, account.id, invoicer.id, 'invoicer_id'))) {
    throw new AccountCycleError(
      `"${account.name}" cannot invoice to "${invoicer.name}": "${invoicer.name}" already invoices to "${account.name}", which would make a cycle.`,
    );
  }
}

/** The refusal of a link to an invoicer that breaks `rule`. */
function invoicerError(rule: InvoicerRule, account: { name: string; currency: string }, invoicer: TreeAccount): Error {
  if (rule === 'active') {
    return new InvalidInvoicerError(`"${account.name}" cannot invoice to "${invoicer.name}": that account is ${invoicer.status}, and an invoicer must be active.`);
  }
  if (rule === 'currency') {
    return new CurrencyMismatchError(
      `"${account.name}" (${account.currency}) cannot invoice to "${invoicer.name}" (${invoicer.currency}): an invoicer must use the same currency.`,
    );
  }
  return new InvalidInvoicerError(`"${account.name}" cannot invoice to "${invoicer.name}": an account can only invoice to an account in its own tree.`);
}

/**
 * The rules seen from the other side: the accounts that invoice to this one must still find
 * it active and in their currency, and its own packages must stay in its currency.
 */
export async function checkDependants(db: Db, account: TreeAccount, status: string, currency: string): Promise<void> {
  const dependant = () =>
    db('accounts').where('invoicer_id', account.id).whereNot('status', 'cancelled').orderBy('name').first('name', 'currency');
  const asInvoicer = { currency, status }; // this account as the accounts that invoice to it would find it
  if (status !== account.status && !invoicerRules.active({ currency }, asInvoicer)) {
    const d = await dependant();
    if (d) {
      throw new InvalidInvoicerError(`"${account.name}" cannot become ${status}: "${d.name}" invoices to it, and an invoicer must be active.`);
    }
  }
  if (currency !== account.currency) {
    const d = await dependant();
    if (d) {
      throw new CurrencyMismatchError(
        `"${account.name}" cannot change to ${currency}: "${d.name}" invoices to it in ${d.currency}, and an invoicer must use the same currency.`,
      );
    }
    const pkg = await db('account_packages as ap')
      .join('packages as p', 'p.id', 'ap.package_id')
      .where('ap.account_id', account.id)
      .whereNot('ap.status', 'cancelled')
      .orderBy('p.name')
      .first('p.name', 'p.currency');
    if (pkg) {
      throw new CurrencyMismatchError(`"${account.name}" cannot change to ${currency}: its package "${pkg.name}" is in ${pkg.currency}.`);
    }
  }
}

/**
 * After an account moved to another parent (so its whole subtree changed tree): no invoicer
 * link into or out of the subtree may now cross from one tree to another. Runs inside the
 * caller's transaction, after the update, so a refusal rolls the move back.
 */
export async function checkTreeAfterMove(db: Db, account: TreeAccount, parent: TreeAccount | null): Promise<void> {
  const { rows } = await db.raw(
    `WITH RECURSIVE subtree(id) AS (
       SELECT ?::bigint
       UNION
       SELECT a.id FROM accounts a JOIN subtree s ON a.parent_id = s.id
     ),
     links AS (
       SELECT a.id AS account_id, a.invoicer_id FROM accounts a
       WHERE a.invoicer_id IS NOT NULL AND a.status <> 'cancelled'
         AND (a.id IN (SELECT id FROM subtree) OR a.invoicer_id IN (SELECT id FROM subtree))
     ),
     up(start, cur, depth) AS (
       SELECT x.id, x.id, 0 FROM (SELECT account_id AS id FROM links UNION SELECT invoicer_id FROM links) x
       UNION ALL
       SELECT up.start, a.parent_id, up.depth + 1 FROM up JOIN accounts a ON a.id = up.cur
       WHERE a.parent_id IS NOT NULL AND up.depth < 1000
     ),
     roots AS (SELECT DISTINCT ON (start) start, cur AS root FROM up ORDER BY start, depth DESC)
     SELECT a.name AS account, i.name AS invoicer
     FROM links l
     JOIN roots ra ON ra.start = l.account_id
     JOIN roots ri ON ri.start = l.invoicer_id
     JOIN accounts a ON a.id = l.account_id
     JOIN accounts i ON i.id = l.invoicer_id
     WHERE ra.root <> ri.root
     ORDER BY a.name
     LIMIT 1`,
    [account.id],
  );
  if (rows.length) {
    const move = parent ? `Moving "${account.name}" under "${parent.name}"` : `Making "${account.name}" a top-level account`;
    throw new InvalidInvoicerError(`${move} would leave "${rows[0].account}" invoicing to "${rows[0].invoicer}" outside its tree.`);
  }
}
