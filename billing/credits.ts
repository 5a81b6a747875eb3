import type { Knex } from 'knex';
import { z } from 'zod';
import { findAccount, formatInvoiceNumber } from './accounts';
import { isoDateSchema, todayIn } from './dates';
import { CreditStateError, DisbursementRefusedError, InvalidInputError, UnknownCreditError } from './errors';
import { DisbursementView, findInvoice, formatCreditId } from './invoices';
import { applyDisbursements } from './ledger';
import { Money, parseAmount } from './money';
import { firstIssue, nameSchema, quantitySchema } from './schemas';
import type { Clock } from './billRuns';

type Db = Knex | Knex.Transaction;

export type CreditStatus = 'unissued' | 'issued' | 'reversal pending' | 'reversed' | 'deleted';

export interface CreditView {
  id: string;
  account: string;
  currency: string;
  unitAmount: string;
  quantity: number;
  amount: string;
  amountLeft: string;
  date: string;
  detail: string;
  autoDisburse: boolean;
  status: CreditStatus;
  issuedInvoice: string | null;
  reversedAmount: string | null;
  reversalInvoice: string | null;
  createdBy: string;
  disbursements: DisbursementView[];
}

/** Reads a credit id as typed: "CR-7", "cr-7", "#7" or "7". */
export function parseCreditId(text: string): number {
  const m = /^(?:cr-?|#)?(\d{1,15})$/i.exec(text.trim());
  if (!m || Number(m[1]) < 1) throw new InvalidInputError(`"${text}" is not a credit id; use the form CR-7.`);
  return Number(m[1]);
}

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(firstIssue(result.error));
  return result.data;
}

export const addCreditSchema = z.object({
  account: nameSchema,
  /** As typed: "50", "$50", "1,234.56". */
  amount: z.string({ message: 'An amount is required.' }),
  quantity: quantitySchema.default(1),
  detail: z.string({ message: 'A detail (the reason for the credit) is required.' }).trim().min(1, 'A detail (the reason for the credit) is required.').max(500, 'A detail can be at most 500 characters.'),
  date: isoDateSchema.nullish(),
  autoDisburse: z.boolean().default(false),
  createdBy: z.string().trim().min(1),
  requestKey: z.string().trim().min(1).max(200).nullish(),
});
export type AddCreditInput = z.input<typeof addCreditSchema>;

async function creditRow(db: Db, id: number, forUpdate = false) {
  const q = db('credits').where('id', id);
  const row = forUpdate ? await q.forUpdate().first() : await q.first();
  if (!row) throw new UnknownCreditError(`There is no credit ${formatCreditId(id)}.`);
  return row;
}

/** The account that receives this account's invoices (its invoicer chain's end). */
async function invoicerOf(db: Db, accountId: number): Promise<number> {
  const { rows } = await db.raw(
    `WITH RECURSIVE up(cur, next, depth) AS (
       SELECT id, invoicer_id, 0 FROM accounts WHERE id = ?
       UNION ALL
       SELECT a.id, a.invoicer_id, up.depth + 1 FROM accounts a JOIN up ON a.id = up.next WHERE up.depth < 100
     ) SELECT cur FROM up WHERE next IS NULL`,
    [accountId],
  );
  return rows[0].cur;
}

async function event(trx: Knex.Transaction, creditId: number, action: string, actor: string, before: unknown, after: unknown) {
  await trx('credit_events').insert({
    credit_id: creditId,
    action,
    actor,
    before: before === null ? null : JSON.stringify(before),
    after: after === null ? null : JSON.stringify(after),
  });
}

/** Adds a credit to an account (a child is allowed). It starts unissued. */
export async function addCredit(db: Db, input: AddCreditInput, clock: Clock = { now: () => new Date() }): Promise<CreditView> {
  const data = parse(addCreditSchema, input);
  const id = await db.transaction(async (trx) => {
    if (data.requestKey) {
      const existing = await trx('credits').where('request_key', data.requestKey).first('id');
      if (existing) return existing.id as number;
    }
    const account = await findAccount(trx, data.account);
    const unit = parseAmount(data.amount, account.currency);
    const amount = unit.times(data.quantity);
    const [row] = await trx('credits')
      .insert({
        account_id: account.id,
        unit_amount: unit.toString(),
        quantity: data.quantity,
        amount: amount.toString(),
        amount_left: amount.toString(),
        currency: account.currency,
        credit_date: data.date ?? todayIn('UTC', clock.now()),
        detail: data.detail,
        auto_disburse: data.autoDisburse,
        created_by: data.createdBy,
        request_key: data.requestKey ?? null,
      })
      .returning('id');
    await event(trx, row.id, 'added', data.createdBy, null, {
      status: 'unissued',
      account: account.name,
      amount: amount.toString(),
      quantity: data.quantity,
      auto_disburse: data.autoDisburse,
      detail: data.detail,
    });
    return row.id as number;
  });
  return getCredit(db, formatCreditId(id));
}

/** Deletes a credit; only an unissued one can be deleted (an issued one is reversed instead). */
export async function deleteCredit(db: Db, creditText: string, actor: string): Promise<CreditView> {
  const id = parseCreditId(creditText);
  await db.transaction(async (trx) => {
    const credit = await creditRow(trx, id, true);
    if (credit.status === 'deleted') throw new CreditStateError(`${formatCreditId(id)} is already deleted.`);
    if (credit.status !== 'unissued') {
      throw new CreditStateError(
        `${formatCreditId(id)} is ${credit.status} and can no longer be deleted` +
          (credit.status === 'issued' ? `; reverse it instead (credit reverse ${formatCreditId(id)}).` : '.'),
      );
    }
    await trx('credits').where('id', id).update({ status: 'deleted', amount_left: 0 });
    await event(trx, id, 'deleted', actor, { status: 'unissued' }, { status: 'deleted' });
  });
  return getCredit(db, formatCreditId(id));
}

export const disburseSchema = z.object({
  credit: z.string(),
  invoice: z.string(),
  /** As typed; absent means the most allowed. */
  amount: z.string().nullish(),
  actor: z.string().trim().min(1),
  requestKey: z.string().trim().min(1).max(200).nullish(),
});
export type DisburseInput = z.input<typeof disburseSchema>;

/**
 * Disburses an issued credit to one unpaid invoice of the same invoicer, for any amount
 * up to both the credit's amount left and the invoice's balance.
 */
export async function disburseCredit(db: Db, input: DisburseInput): Promise<{ credit: CreditView; disbursed: string; invoice: string; invoiceBalance: string }> {
  const data = parse(disburseSchema, input);
  const id = parseCreditId(data.credit);
  const result = await db.transaction(async (trx) => {
    if (data.requestKey) {
      const existing = await trx('disbursements').where('request_key', data.requestKey).first();
      if (existing) return { invoiceId: existing.invoice_id as number, amount: existing.amount as string };
    }
    const peek = await creditRow(trx, id);
    const target = await findInvoice(trx, data.invoice);
    // Lock order everywhere: the invoicer's account row, then the credit, then the invoice.
    if (peek.issued_invoice_id) {
      const issuedTo = await trx('invoices').where('id', peek.issued_invoice_id).first('account_id');
      await trx('accounts').where('id', issuedTo.account_id).forUpdate().first('id');
    } else {
      await trx('accounts').where('id', await invoicerOf(trx, peek.account_id)).forUpdate().first('id');
    }
    const credit = await creditRow(trx, id, true);
    const cid = formatCreditId(id);
    if (credit.status === 'unissued') {
      throw new CreditStateError(`${cid} is not issued yet; it is issued onto the next invoice when its account is billed, and can be disbursed after that.`);
    }
    if (credit.status !== 'issued') throw new CreditStateError(`${cid} is ${credit.status} and cannot be disbursed.`);
    const issuedTo = await trx('invoices').where('id', credit.issued_invoice_id).first('account_id');
    const invoice = await trx('invoices').where('id', target.id).forUpdate().first();
    if (invoice.account_id !== issuedTo.account_id) {
      throw new DisbursementRefusedError(`${target.number} belongs to ${target.invoicer}, not to the invoicer of ${cid}; a credit is disbursed only to its own invoicer's invoices.`);
    }
    if (invoice.status === 'paid') throw new DisbursementRefusedError(`${target.number} is already paid.`);
    const left = Money.exact(credit.amount_left, credit.currency);
    const balance = Money.exact(invoice.balance, invoice.currency);
    const most = left.min(balance);
    if (left.isZero()) throw new DisbursementRefusedError(`${cid} has nothing left to disburse.`);
    const amount = data.amount ? parseAmount(data.amount, credit.currency) : most;
    if (amount.gt(left)) {
      throw new DisbursementRefusedError(`${cid} has only ${left.format()} left to disburse; ${amount.format()} is more than that.`);
    }
    if (amount.gt(balance)) {
      throw new DisbursementRefusedError(`${target.number} has a balance of ${balance.format()}; ${amount.format()} is more than that.`);
    }
    await applyDisbursements(trx, [{ creditId: id, invoiceId: invoice.id, amount: amount.toString() }], data.actor, {
      automatic: false,
      requestKey: data.requestKey,
    });
    return { invoiceId: invoice.id as number, amount: amount.toString() };
  });
  const invoice = await db('invoices').where('id', result.invoiceId).first();
  const prefix = (await db('settings').first('invoice_prefix')).invoice_prefix;
  return {
    credit: await getCredit(db, formatCreditId(id)),
    disbursed: Money.exact(result.amount, invoice.currency).toString(),
    invoice: formatInvoiceNumber(prefix, Number(invoice.number)),
    invoiceBalance: Money.exact(invoice.balance, invoice.currency).toString(),
  };
}

/**
 * Reverses an issued credit: it becomes "reversal pending" and the amount disbursed so far
 * goes back onto the next invoice as a "reversed credit" transaction. The part not yet
 * disbursed is simply no longer available. The invoice it was issued to is unchanged.
 */
export async function reverseCredit(db: Db, creditText: string, actor: string): Promise<CreditView> {
  const id = parseCreditId(creditText);
  await db.transaction(async (trx) => {
    const peek = await creditRow(trx, id);
    if (peek.issued_invoice_id) {
      const issuedTo = await trx('invoices').where('id', peek.issued_invoice_id).first('account_id');
      await trx('accounts').where('id', issuedTo.account_id).forUpdate().first('id');
    }
    const credit = await creditRow(trx, id, true);
    const cid = formatCreditId(id);
    if (credit.status === 'unissued') {
      throw new CreditStateError(`${cid} is not issued yet, so there is nothing to reverse; delete it instead (credit delete ${cid}).`);
    }
    if (credit.status === 'reversal pending' || credit.status === 'reversed') {
      throw new CreditStateError(`${cid} is already ${credit.status}.`);
    }
    if (credit.status !== 'issued') throw new CreditStateError(`${cid} is ${credit.status} and cannot be reversed.`);
    const amount = Money.exact(credit.amount, credit.currency);
    const left = Money.exact(credit.amount_left, credit.currency);
    const disbursed = amount.subtract(left);
    await trx('credits').where('id', id).update({ status: 'reversal pending', reversed_amount: disbursed.toString(), amount_left: 0 });
    await event(trx, id, 'reversal requested', actor, { status: 'issued', amount_left: left.toString() }, {
      status: 'reversal pending',
      amount_left: '0',
      reversed_amount: disbursed.toString(),
    });
  });
  return getCredit(db, formatCreditId(id));
}

function toView(r: any, prefix: string, disbursements: DisbursementView[]): CreditView {
  const m = (v: string | null) => (v === null ? null : Money.exact(v, r.currency).toString());
  return {
    id: formatCreditId(r.id),
    account: r.account,
    currency: r.currency,
    unitAmount: Money.exact(r.unit_amount, r.currency).toString(),
    quantity: r.quantity,
    amount: Money.exact(r.amount, r.currency).toString(),
    amountLeft: Money.exact(r.amount_left, r.currency).toString(),
    date: r.credit_date,
    detail: r.detail,
    autoDisburse: r.auto_disburse,
    status: r.status,
    issuedInvoice: r.issued_number ? formatInvoiceNumber(prefix, Number(r.issued_number)) : null,
    reversedAmount: m(r.reversed_amount),
    reversalInvoice: r.reversal_number ? formatInvoiceNumber(prefix, Number(r.reversal_number)) : null,
    createdBy: r.created_by,
    disbursements,
  };
}

function creditQuery(db: Db) {
  return db('credits as c')
    .join('accounts as a', 'a.id', 'c.account_id')
    .leftJoin('invoices as ii', 'ii.id', 'c.issued_invoice_id')
    .leftJoin('invoices as ri', 'ri.id', 'c.reversal_invoice_id')
    .select('c.*', 'a.name as account', 'ii.number as issued_number', 'ri.number as reversal_number');
}

async function disbursementsOf(db: Db, creditIds: number[], prefix: string): Promise<Map<number, DisbursementView[]>> {
  const rows = creditIds.length
    ? await db('disbursements as d')
        .join('invoices as i', 'i.id', 'd.invoice_id')
        .whereIn('d.credit_id', creditIds)
        .orderBy('d.id')
        .select('d.*', 'i.number', 'i.currency')
    : [];
  const map = new Map<number, DisbursementView[]>();
  for (const r of rows) {
    const list = map.get(r.credit_id) ?? [];
    list.push({
      id: r.id,
      credit: formatCreditId(r.credit_id),
      invoice: formatInvoiceNumber(prefix, Number(r.number)),
      amount: Money.exact(r.amount, r.currency).toString(),
      automatic: r.automatic,
      by: r.created_by,
      at: new Date(r.created_at).toISOString(),
    });
    map.set(r.credit_id, list);
  }
  return map;
}

export async function getCredit(db: Db, creditText: string): Promise<CreditView> {
  const id = parseCreditId(creditText);
  const row = await creditQuery(db).where('c.id', id).first();
  if (!row) throw new UnknownCreditError(`There is no credit ${formatCreditId(id)}.`);
  const prefix = (await db('settings').first('invoice_prefix')).invoice_prefix;
  return toView(row, prefix, (await disbursementsOf(db, [id], prefix)).get(id) ?? []);
}

/** An account's credits (deleted ones left out unless asked for), oldest first. */
export async function listCredits(db: Db, accountName: string, options: { includeDeleted?: boolean } = {}): Promise<CreditView[]> {
  const account = await findAccount(db, accountName);
  const q = creditQuery(db).where('c.account_id', account.id).orderBy('c.id');
  if (!options.includeDeleted) q.whereNot('c.status', 'deleted');
  const rows = await q;
  const prefix = (await db('settings').first('invoice_prefix')).invoice_prefix;
  const ds = await disbursementsOf(db, rows.map((r: any) => r.id), prefix);
  return rows.map((r: any) => toView(r, prefix, ds.get(r.id) ?? []));
}

export interface CreditEventView {
  credit: string;
  action: string;
  actor: string;
  at: string;
  before: unknown;
  after: unknown;
}

/** The audit trail of one credit, in order. */
export async function creditHistory(db: Db, creditText: string): Promise<CreditEventView[]> {
  const id = parseCreditId(creditText);
  const rows = await db('credit_events').where('credit_id', id).orderBy('id');
  return rows.map((r: any) => ({ credit: formatCreditId(id), action: r.action, actor: r.actor, at: new Date(r.at).toISOString(), before: r.before, after: r.after }));
}
