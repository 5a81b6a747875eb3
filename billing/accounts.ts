import { z } from 'zod';
import { ADDRESS_FIELDS, ADDRESS_MAX, type AddressKey } from './address';
import { dayOf, isoDateSchema } from './dates';
import { checkDependants, checkTree, checkTreeAfterMove } from './accountTree';
import {
  AccountCycleError,
  CurrencyMismatchError,
  DuplicateNameError,
  InvalidInputError,
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
  paymentTermsSchema,
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
  /** Days from an invoice's date to its due date for the invoices this account receives; null: the configuration's, else 30. */
  paymentTermsDays: number | null;
}

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(firstIssue(result.error));
  return result.data;
}

/** An account row read with these columns is an Account as it is (camelCase aliases). */
const accountColumns = [
  'a.id',
  'a.name',
  'a.display_name as displayName',
  'a.currency',
  'a.status',
  'g.name as billGroup',
  'a.bill_day as billDay',
  'a.parent_id as parentId',
  'a.invoicer_id as invoicerId',
  'a.payment_terms_days as paymentTermsDays',
];

/** Finds an account by its name (case-insensitive); an unknown name names close matches. */
export async function findAccount(db: Db, name: string): Promise<Account> {
  const clean = parse(nameSchema, name);
  const row = await db('accounts as a')
    .join('bill_groups as g', 'g.id', 'a.bill_group_id')
    .whereRaw('lower(a.name) = lower(?)', [clean])
    .first(accountColumns);
  if (row) return row as Account;
  throw new UnknownAccountError(clean, await similarAccountNames(db, clean));
}

export async function findAccountById(db: Db, id: number): Promise<Account> {
  const row = await db('accounts as a').join('bill_groups as g', 'g.id', 'a.bill_group_id').where('a.id', id).first(accountColumns);
  if (!row) throw new UnknownAccountError(`#${id}`);
  return row as Account;
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

/** The optional address fields (billing/address.ts): text of at most 200 characters; blank clears. */
function addressSchemas() {
  const text = z.string().trim().max(ADDRESS_MAX, `An address field can be at most ${ADDRESS_MAX} characters.`).transform((s) => s || null).nullish();
  return Object.fromEntries(ADDRESS_FIELDS.map((f) => [f.key, text])) as Record<AddressKey, typeof text>;
}

/** The address fields given in an input, as columns (a field not given is left out). */
function addressPatch(data: Partial<Record<AddressKey, string | null | undefined>>): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const f of ADDRESS_FIELDS) if (data[f.key] !== undefined) patch[f.column] = data[f.key] ?? null;
  return patch;
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
  ...addressSchemas(),
  paymentTermsDays: paymentTermsSchema.nullish(),
});
export type AccountInput = z.input<typeof accountInputSchema>;

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
        ...addressPatch(data),
        payment_terms_days: data.paymentTermsDays ?? null,
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
      ...addressPatch(data),
      currency,
      parent_id: parent?.id ?? null,
      invoicer_id: invoicer && invoicer.id !== account.id ? invoicer.id : null,
    };
    if (data.displayName !== undefined) patch.display_name = data.displayName ?? null;
    if (data.status !== undefined) patch.status = data.status;
    if (data.billDay !== undefined) patch.bill_day = data.billDay;
    if (data.paymentTermsDays !== undefined) patch.payment_terms_days = data.paymentTermsDays ?? null;
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
