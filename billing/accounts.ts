import { z } from 'zod';
import { dayOf, isoDateSchema } from './dates';
import {
  AccountCycleError,
  CurrencyMismatchError,
  DuplicateNameError,
  InvalidInputError,
  InvalidInvoicerError,
  UnknownAccountError,
  UnknownBillGroupError,
  UnknownPackageError,
} from './errors';
import { Money } from './money';
import { closeMatches } from './names';
import {
  accountPackageStatusSchema,
  accountStatusSchema,
  billDaySchema,
  currencySchema,
  firstIssue,
  frequencySchema,
  nameSchema,
  quantitySchema,
} from './schemas';
import type { Db } from './db';

export interface Account {
  id: number;
  name: string;
  displayName: string | null;
  currency: string;
  status: 'active' | 'inactive' | 'cancelled';
  billGroup: string;
  billDay: number;
  parentId: number | null;
  invoicerId: number | null;
}

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(firstIssue(result.error));
  return result.data;
}

function toAccount(row: any): Account {
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    currency: row.currency,
    status: row.status,
    billGroup: row.bill_group,
    billDay: row.bill_day,
    parentId: row.parent_id,
    invoicerId: row.invoicer_id,
  };
}

const accountColumns = [
  'a.id',
  'a.name',
  'a.display_name',
  'a.currency',
  'a.status',
  'g.name as bill_group',
  'a.bill_day',
  'a.parent_id',
  'a.invoicer_id',
];

/** Finds an account by its name (case-insensitive); an unknown name names close matches. */
export async function findAccount(db: Db, name: string): Promise<Account> {
  const clean = parse(nameSchema, name);
  const row = await db('accounts as a')
    .join('bill_groups as g', 'g.id', 'a.bill_group_id')
    .whereRaw('lower(a.name) = lower(?)', [clean])
    .first(accountColumns);
  if (row) return toAccount(row);
  throw new UnknownAccountError(clean, await similarAccountNames(db, clean));
}

export async function findAccountById(db: Db, id: number): Promise<Account> {
  const row = await db('accounts as a').join('bill_groups as g', 'g.id', 'a.bill_group_id').where('a.id', id).first(accountColumns);
  if (!row) throw new UnknownAccountError(`#${id}`);
  return toAccount(row);
}

async function similarAccountNames(db: Db, name: string): Promise<string[]> {
  const lowered = name.toLowerCase();
  const candidates = await db('accounts')
    .whereRaw("lower(name) LIKE '%' || ? || '%'", [lowered.slice(0, 3).replace(/[%_\\]/g, '\\$&')])
    .orWhereRaw('lower(left(name, 1)) = ?', [lowered.slice(0, 1)])
    .limit(500)
    .pluck('name');
  return closeMatches(name, candidates);
}

export async function findBillGroup(db: Db, name: string): Promise<{ id: number; name: string }> {
  const row = await db('bill_groups').whereRaw('lower(name) = lower(?)', [name.trim()]).first('id', 'name');
  if (!row) {
    const known = await db('bill_groups').orderBy('name').limit(20).pluck('name');
    throw new UnknownBillGroupError(`There is no bill group named "${name}". Known bill groups: ${known.join(', ')}.`);
  }
  return row;
}

export async function createBillGroup(db: Db, name: string): Promise<{ id: number; name: string }> {
  const clean = parse(nameSchema, name);
  const [row] = await db('bill_groups')
    .insert({ name: clean })
    .onConflict(db.raw('(lower(name))') as any)
    .ignore()
    .returning(['id', 'name']);
  return row ?? findBillGroup(db, clean);
}

export const accountInputSchema = z.object({
  name: nameSchema,
  displayName: z.string().trim().max(200, 'A display name can be at most 200 characters.').nullish(),
  currency: currencySchema,
  status: accountStatusSchema.default('active'),
  billGroup: nameSchema.default('Default'),
  billDay: billDaySchema.default(1),
  parent: nameSchema.nullish(),
  invoiceTo: nameSchema.nullish(),
});
export type AccountInput = z.input<typeof accountInputSchema>;

/** The ids of an account and its ancestors, nearest first, following parent links. */
async function ancestry(db: Db, accountId: number): Promise<number[]> {
  const { rows } = await db.raw(
    `WITH RECURSIVE up(id, parent_id, depth) AS (
       SELECT id, parent_id, 0 FROM accounts WHERE id = ?
       UNION ALL
       SELECT a.id, a.parent_id, up.depth + 1 FROM accounts a JOIN up ON a.id = up.parent_id WHERE up.depth < 1000
     ) SELECT id FROM up ORDER BY depth`,
    [accountId],
  );
  return rows.map((r: { id: number }) => r.id);
}

/** The accounts an invoicer chain passes through, starting at the given account. */
async function invoicerChain(db: Db, accountId: number): Promise<number[]> {
  const { rows } = await db.raw(
    `WITH RECURSIVE up(id, invoicer_id, depth) AS (
       SELECT id, invoicer_id, 0 FROM accounts WHERE id = ?
       UNION ALL
       SELECT a.id, a.invoicer_id, up.depth + 1 FROM accounts a JOIN up ON a.id = up.invoicer_id WHERE up.depth < 1000
     ) SELECT id FROM up ORDER BY depth`,
    [accountId],
  );
  return rows.map((r: { id: number }) => r.id);
}

/**
 * Checks the tree rules for an account that is being given a parent and an invoicer:
 * no cycle in the parent chain; the invoicer is active, in the same currency, in the
 * same tree, and does not (through its own invoicer) invoice back to the account.
 */
async function checkTree(
  db: Db,
  account: { id: number | null; name: string; currency: string },
  parent: Account | null,
  invoicer: Account | null,
): Promise<void> {
  if (parent && account.id !== null) {
    const parentsUp = await ancestry(db, parent.id);
    if (parentsUp.includes(account.id)) {
      throw new AccountCycleError(
        `"${parent.name}" cannot be the parent of "${account.name}": it is already below it, which would make a cycle.`,
      );
    }
  }
  if (!invoicer) return;
  if (invoicer.id === account.id) return;
  if (invoicer.status !== 'active') {
    throw new InvalidInvoicerError(`"${account.name}" cannot invoice to "${invoicer.name}": that account is ${invoicer.status}, and an invoicer must be active.`);
  }
  if (invoicer.currency !== account.currency) {
    throw new CurrencyMismatchError(
      `"${account.name}" (${account.currency}) cannot invoice to "${invoicer.name}" (${invoicer.currency}): an invoicer must use the same currency.`,
    );
  }
  const rootOf = async (id: number | null, viaParent: Account | null): Promise<number | null> => {
    if (viaParent) {
      const up = await ancestry(db, viaParent.id);
      return up[up.length - 1];
    }
    if (id === null) return null;
    const up = await ancestry(db, id);
    return up[up.length - 1];
  };
  const accountRoot = parent ? await rootOf(null, parent) : account.id;
  const invoicerUp = await ancestry(db, invoicer.id);
  const invoicerRoot = invoicerUp[invoicerUp.length - 1];
  if (accountRoot !== invoicerRoot) {
    throw new InvalidInvoicerError(
      `"${account.name}" cannot invoice to "${invoicer.name}": an account can only invoice to an account in its own tree.`,
    );
  }
  if (account.id !== null) {
    const chain = await invoicerChain(db, invoicer.id);
    if (chain.includes(account.id)) {
      throw new AccountCycleError(
        `"${account.name}" cannot invoice to "${invoicer.name}": "${invoicer.name}" already invoices to "${account.name}", which would make a cycle.`,
      );
    }
  }
}

/**
 * The rules seen from the other side: the accounts that invoice to this one must still find
 * it active and in their currency, and its own packages must stay in its currency.
 */
async function checkDependants(db: Db, account: Account, status: string, currency: string): Promise<void> {
  const dependant = () =>
    db('accounts').where('invoicer_id', account.id).whereNot('status', 'cancelled').orderBy('name').first('name', 'currency');
  if (status !== account.status && status !== 'active') {
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
async function checkTreeAfterMove(db: Db, account: Account, parent: Account | null): Promise<void> {
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

/** Creates an account after checking every rule of the account tree. */
export async function createAccount(db: Db, input: AccountInput): Promise<Account> {
  const data = parse(accountInputSchema, input);
  return db.transaction(async (trx) => {
    const existing = await trx('accounts').whereRaw('lower(name) = lower(?)', [data.name]).first('id');
    if (existing) throw new DuplicateNameError(`An account named "${data.name}" already exists.`);
    const group = await findBillGroup(trx, data.billGroup);
    const parent = data.parent ? await findAccount(trx, data.parent) : null;
    const invoicer = data.invoiceTo ? await findAccount(trx, data.invoiceTo) : null;
    await checkTree(trx, { id: null, name: data.name, currency: data.currency }, parent, invoicer);
    const [row] = await trx('accounts')
      .insert({
        name: data.name,
        display_name: data.displayName ?? null,
        currency: data.currency,
        status: data.status,
        bill_group_id: group.id,
        bill_day: data.billDay,
        parent_id: parent?.id ?? null,
        invoicer_id: invoicer?.id ?? null,
      })
      .returning('id');
    return findAccountById(trx, row.id);
  });
}

export const accountChangeSchema = accountInputSchema.partial().omit({ name: true });
export type AccountChange = z.input<typeof accountChangeSchema>;

/** Changes an account; the tree rules are checked again against the new values. */
export async function updateAccount(db: Db, name: string, change: AccountChange): Promise<Account> {
  const data = parse(accountChangeSchema, change);
  return db.transaction(async (trx) => {
    const account = await findAccount(trx, name);
    await trx('accounts').where('id', account.id).forUpdate().first('id');
    const currency = data.currency ?? account.currency;
    const parent =
      data.parent === undefined ? (account.parentId ? await findAccountById(trx, account.parentId) : null) : data.parent ? await findAccount(trx, data.parent) : null;
    const invoicer =
      data.invoiceTo === undefined
        ? account.invoicerId
          ? await findAccountById(trx, account.invoicerId)
          : null
        : data.invoiceTo
          ? await findAccount(trx, data.invoiceTo)
          : null;
    if (parent && parent.id === account.id) throw new AccountCycleError(`"${account.name}" cannot be its own parent.`);
    await checkTree(trx, { id: account.id, name: account.name, currency }, parent, invoicer && invoicer.id !== account.id ? invoicer : null);
    const patch: Record<string, unknown> = {
      currency,
      parent_id: parent?.id ?? null,
      invoicer_id: invoicer && invoicer.id !== account.id ? invoicer.id : null,
    };
    if (data.displayName !== undefined) patch.display_name = data.displayName ?? null;
    if (data.status !== undefined) patch.status = data.status;
    if (data.billDay !== undefined) patch.bill_day = data.billDay;
    if (data.billGroup !== undefined) patch.bill_group_id = (await findBillGroup(trx, data.billGroup)).id;
    await checkDependants(trx, account, data.status ?? account.status, currency);
    await trx('accounts').where('id', account.id).update(patch);
    if (parent?.id !== (account.parentId ?? undefined)) await checkTreeAfterMove(trx, account, parent);
    return findAccountById(trx, account.id);
  });
}

export const packageInputSchema = z.object({
  name: nameSchema,
  currency: currencySchema,
  frequency: frequencySchema,
  status: z.enum(['active', 'inactive'], { message: 'A package status is active or inactive.' }).default('active'),
  services: z
    .array(z.object({ name: nameSchema, price: z.string({ message: 'A price is text like "140.00".' }) }))
    .min(1, 'A package needs at least one service.'),
});
export type PackageInput = z.input<typeof packageInputSchema>;

export interface Package {
  id: number;
  name: string;
  currency: string;
  frequency: 'monthly' | 'quarterly' | 'semiannual' | 'annual';
  status: 'active' | 'inactive';
  services: { id: number; name: string; price: Money }[];
  price: Money;
}

export async function findPackage(db: Db, name: string): Promise<Package> {
  const row = await db('packages').whereRaw('lower(name) = lower(?)', [name.trim()]).first();
  if (!row) throw new UnknownPackageError(`There is no package named "${name.trim()}".`);
  const services = await db('services').where('package_id', row.id).orderBy('id');
  const list = services.map((s: any) => ({ id: s.id, name: s.name, price: Money.exact(s.price, row.currency) }));
  return {
    id: row.id,
    name: row.name,
    currency: row.currency,
    frequency: row.frequency,
    status: row.status,
    services: list,
    price: list.reduce((acc, s) => acc.add(s.price), Money.zero(row.currency)),
  };
}

/** Creates a package with its services; a service's price must fit the currency exactly. */
export async function createPackage(db: Db, input: PackageInput): Promise<Package> {
  const data = parse(packageInputSchema, input);
  const prices = data.services.map((s) => Money.exact(s.price, data.currency));
  if (prices.some((p) => p.isNegative())) throw new InvalidInputError('A service price cannot be negative.');
  const names = new Set(data.services.map((s) => s.name.toLowerCase()));
  if (names.size !== data.services.length) throw new DuplicateNameError(`Package "${data.name}" names a service twice.`);
  return db.transaction(async (trx) => {
    const existing = await trx('packages').whereRaw('lower(name) = lower(?)', [data.name]).first('id');
    if (existing) throw new DuplicateNameError(`A package named "${data.name}" already exists.`);
    const [pkg] = await trx('packages')
      .insert({ name: data.name, currency: data.currency, frequency: data.frequency, status: data.status })
      .returning('id');
    await trx('services').insert(data.services.map((s, i) => ({ package_id: pkg.id, name: s.name, price: prices[i].toString() })));
    return findPackage(trx, data.name);
  });
}

export const accountPackageInputSchema = z.object({
  account: nameSchema,
  package: nameSchema,
  quantity: quantitySchema.default(1),
  status: accountPackageStatusSchema.default('active'),
  effectiveDate: isoDateSchema,
  nextBillDate: isoDateSchema.optional(),
  cancelDate: isoDateSchema.nullish(),
  priceOverrides: z.record(z.string(), z.string()).optional(),
});
export type AccountPackageInput = z.input<typeof accountPackageInputSchema>;

/** Puts a package on an account. Only an active package in the account's currency is allowed. */
export async function addAccountPackage(db: Db, input: AccountPackageInput): Promise<{ id: number }> {
  const data = parse(accountPackageInputSchema, input);
  return db.transaction(async (trx) => {
    const account = await findAccount(trx, data.account);
    const pkg = await findPackage(trx, data.package);
    if (pkg.status !== 'active') throw new InvalidInputError(`Package "${pkg.name}" is inactive and cannot be added to an account.`);
    if (pkg.currency !== account.currency) {
      throw new CurrencyMismatchError(
        `Package "${pkg.name}" is in ${pkg.currency} but account "${account.name}" uses ${account.currency}.`,
      );
    }
    const nextBillDate = data.nextBillDate ?? data.effectiveDate;
    if (nextBillDate < data.effectiveDate) {
      throw new InvalidInputError(`The next bill date ${nextBillDate} is before the effective date ${data.effectiveDate}.`);
    }
    const [row] = await trx('account_packages')
      .insert({
        account_id: account.id,
        package_id: pkg.id,
        quantity: data.quantity,
        status: data.status,
        effective_date: data.effectiveDate,
        cancel_date: data.cancelDate ?? null,
        next_bill_date: nextBillDate,
        anchor_day: dayOf(nextBillDate),
      })
      .returning('id');
    for (const [serviceName, price] of Object.entries(data.priceOverrides ?? {})) {
      const service = pkg.services.find((s) => s.name.toLowerCase() === serviceName.trim().toLowerCase());
      if (!service) throw new InvalidInputError(`Package "${pkg.name}" has no service named "${serviceName}".`);
      await trx('service_price_overrides').insert({
        account_package_id: row.id,
        service_id: service.id,
        price: Money.exact(price, pkg.currency).toString(),
      });
    }
    return { id: row.id };
  });
}

export interface AccountPackageView {
  id: number;
  account: string;
  package: string;
  quantity: number;
  status: string;
  effectiveDate: string;
  cancelDate: string | null;
  nextBillDate: string;
  frequency: string;
}

export async function listAccountPackages(db: Db, accountName: string): Promise<AccountPackageView[]> {
  const account = await findAccount(db, accountName);
  const rows = await db('account_packages as ap')
    .join('packages as p', 'p.id', 'ap.package_id')
    .where('ap.account_id', account.id)
    .orderBy('ap.id')
    .select('ap.*', 'p.name as package_name', 'p.frequency');
  return rows.map((r: any) => ({
    id: r.id,
    account: account.name,
    package: r.package_name,
    quantity: r.quantity,
    status: r.status,
    effectiveDate: r.effective_date,
    cancelDate: r.cancel_date,
    nextBillDate: r.next_bill_date,
    frequency: r.frequency,
  }));
}

/** Sets how invoice numbers look and which number the next invoice gets. */
export async function setInvoiceNumbering(db: Db, change: { prefix?: string; nextNumber?: number }): Promise<void> {
  const data = parse(
    z.object({
      prefix: z.string().max(20, 'An invoice prefix can be at most 20 characters.').optional(),
      nextNumber: z.number().int().min(1, 'The next invoice number must be at least 1.').optional(),
    }),
    change,
  );
  await db.transaction(async (trx) => {
    const current = await trx('settings').forUpdate().first();
    if (data.nextNumber !== undefined) {
      const highest = await trx('invoices').max('number as n').first();
      if (highest?.n && data.nextNumber <= Number(highest.n)) {
        throw new InvalidInputError(`The next invoice number must be above ${highest.n}, the highest issued so far.`);
      }
    }
    await trx('settings').update({
      invoice_prefix: data.prefix ?? current.invoice_prefix,
      next_invoice_number: data.nextNumber ?? current.next_invoice_number,
    });
  });
}

/** The prefix invoice numbers are shown with (settings), e.g. "INV-". */
export async function invoicePrefix(db: Db): Promise<string> {
  return (await db('settings').first('invoice_prefix')).invoice_prefix as string;
}

export function formatInvoiceNumber(prefix: string, number: number): string {
  return `${prefix}${String(number).padStart(6, '0')}`;
}
