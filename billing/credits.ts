import type { Knex } from 'knex';
import { z } from 'zod';
import { findAccount, formatInvoiceNumber, invoicePrefix } from './accounts';
import { isoDateSchema, todayIn } from './dates';
import { AccountNotBillableError, CreditStateError, DisbursementRefusedError, InvalidInputError, UnknownCreditError } from './errors';
import { findInvoice, formatCreditId } from './invoices';
import { applyDisbursements } from './ledger';
import { Money, parseAmount } from './money';
import { firstIssue, nameSchema, quantitySchema } from './schemas';
import { amountText, getCredit, parseCreditId, type CreditView } from './credit/views';
import type { Clock } from './billRun/plan';
import type { Db } from './db';

/**
 * Changing credits: adding, deleting, disbursing and reversing them, each in one transaction
 * under the locks every writer of money takes in one order. How a credit is shown, listed and
 * audited is in credit/views.ts (re-exported here).
 */

export { creditHistory, getCredit, listCredits, parseCreditId, toCredit } from './credit/views';
export type { CreditEventView, CreditStatus, CreditView } from './credit/views';

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(firstIssue(result.error));
  return result.data;
}

/** Who does something to a credit (a Slack user id, "cli:<user>", "schedule"). */
function actorSchema(message: string) {
  return z.string({ message }).trim().min(1, message).max(200, 'A user name can be at most 200 characters.');
}
const requestKeySchema = z
  .string({ message: 'A request key is text.' })
  .trim()
  .min(1, 'A request key cannot be empty.')
  .max(200, 'A request key can be at most 200 characters.')
  .nullish();

export const addCreditSchema = z.object({
  account: nameSchema,
  /** As typed: "50", "$50", "1,234.56". */
  amount: z.string({ message: 'An amount is required.' }),
  quantity: quantitySchema.default(1),
  detail: z
    .string({ message: 'A detail (the reason for the credit) is required.' })
    .trim()
    .min(1, 'A detail (the reason for the credit) is required.')
    .max(500, 'A detail can be at most 500 characters.')
    .refine((s) => !s.includes('\u0000'), 'A detail cannot contain a NUL character.'),
  date: isoDateSchema.nullish(),
  autoDisburse: z.boolean({ message: 'Automatic disbursement is on or off (true or false).' }).default(false),
  createdBy: actorSchema('A credit must say who added it.'),
  requestKey: requestKeySchema,
});
export type AddCreditInput = z.input<typeof addCreditSchema>;

async function creditRow(db: Db, id: number, forUpdate = false) {
  const q = db('credits').where('id', id);
  const row = forUpdate ? await q.forUpdate().first() : await q.first();
  if (!row) throw new UnknownCreditError(`There is no credit ${formatCreditId(id)}.`);
  return row;
}

/** The credit changed between the unlocked look and the locked one: run again. */
class CreditMoved extends Error {}

/**
 * Runs `work` in a transaction holding, in the lock order every writer of money uses
 * (see billBatch in billRun/batch.ts), first the row lock of the invoicer the credit was issued
 * to (when it is issued), then the credit's row lock. Which invoicer that is can only change
 * once (when a bill run issues the credit); if it did in between, the work starts again.
 */
async function withLockedCredit<T>(
  db: Db,
  id: number,
  work: (trx: Knex.Transaction, credit: any) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (trx) => {
        const peek = await creditRow(trx, id);
        if (peek.issued_invoice_id) {
          const issuedTo = await trx('invoices').where('id', peek.issued_invoice_id).first('account_id');
          await trx('accounts').where('id', issuedTo.account_id).forUpdate().first('id');
        }
        const credit = await creditRow(trx, id, true);
        if (credit.issued_invoice_id !== peek.issued_invoice_id) throw new CreditMoved();
        return work(trx, credit);
      });
    } catch (e) {
      if (e instanceof CreditMoved && attempt < 5) continue;
      throw e;
    }
  }
}

/** True for Postgres' unique violation of the named index (a request key used twice at once). */
function isUniqueViolation(e: unknown, constraint: string): boolean {
  const err = e as { code?: string; constraint?: string };
  return err?.code === '23505' && err.constraint === constraint;
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
  return (await addCreditOnce(db, input, clock)).credit;
}

/**
 * addCredit that also says whether this call added the credit (false: its request key had
 * already added it, and that credit is returned), so a repeated request is not announced again.
 */
export async function addCreditOnce(
  db: Db,
  input: AddCreditInput,
  clock: Clock = { now: () => new Date() },
): Promise<{ credit: CreditView; created: boolean }> {
  const data = parse(addCreditSchema, input);
  let created = false;
  const add = () =>
    db.transaction(async (trx) => {
      created = false;
      if (data.requestKey) {
        const existing = await trx('credits').where('request_key', data.requestKey).first('id');
        if (existing) return existing.id as number;
      }
      created = true;
      const account = await findAccount(trx, data.account);
      if (account.status === 'cancelled') {
        throw new AccountNotBillableError(
          `Account "${account.name}" is cancelled; a credit can only be added to an active or inactive account.`,
        );
      }
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
  let id: number;
  try {
    id = await add();
  } catch (e) {
    // The same request key arrived twice at once: the other one added the credit.
    if (!isUniqueViolation(e, 'credits_request_key')) throw e;
    id = await add();
  }
  return { credit: await getCredit(db, formatCreditId(id)), created };
}

/** Deletes a credit; only an unissued one can be deleted (an issued one is reversed instead). */
export async function deleteCredit(db: Db, creditText: string, actor: string): Promise<CreditView> {
  const id = parseCreditId(creditText);
  const by = parse(actorSchema('Say who is deleting the credit.'), actor);
  await withLockedCredit(db, id, async (trx, credit) => {
    const cid = formatCreditId(id);
    if (credit.status === 'deleted') throw new CreditStateError(`${cid} is already deleted.`);
    if (credit.status !== 'unissued') {
      throw new CreditStateError(
        `${cid} is ${credit.status} and can no longer be deleted` +
          (credit.status === 'issued' ? `; reverse it instead (credit reverse ${cid}).` : '.'),
      );
    }
    await trx('credits').where('id', id).update({ status: 'deleted', amount_left: 0 });
    await event(trx, id, 'deleted', by, { status: 'unissued', amount_left: credit.amount_left }, { status: 'deleted', amount_left: '0' });
  });
  return getCredit(db, formatCreditId(id));
}

export const disburseSchema = z.object({
  credit: z.string({ message: 'Name the credit to disburse, like CR-7.' }),
  invoice: z.string({ message: 'Name the invoice to disburse to, like INV-000018.' }),
  /** As typed; absent means the most allowed. */
  amount: z.string({ message: 'An amount is text like "50.00".' }).nullish(),
  actor: actorSchema('A disbursement must say who is disbursing it.'),
  requestKey: requestKeySchema,
});
export type DisburseInput = z.input<typeof disburseSchema>;

/**
 * Disburses an issued credit to one unpaid invoice of the same invoicer, for any amount
 * up to both the credit's amount left and the invoice's balance. The checks run under the
 * invoicer's lock, so two disbursements racing for one credit or one invoice take turns and
 * the second sees what the first left.
 */
export async function disburseCredit(db: Db, input: DisburseInput): Promise<{ credit: CreditView; disbursed: string; invoice: string; invoiceBalance: string }> {
  const { created: _created, ...result } = await disburseCreditOnce(db, input);
  return result;
}

/** disburseCredit that also says whether this call disbursed (false: its request key already had). */
export async function disburseCreditOnce(
  db: Db,
  input: DisburseInput,
): Promise<{ credit: CreditView; disbursed: string; invoice: string; invoiceBalance: string; created: boolean }> {
  const data = parse(disburseSchema, input);
  const id = parseCreditId(data.credit);
  let created = false;
  const disburse = () =>
    withLockedCredit(db, id, async (trx, credit) => {
      const cid = formatCreditId(id);
      created = false;
      if (data.requestKey) {
        const existing = await trx('disbursements').where('request_key', data.requestKey).first();
        if (existing) return { invoiceId: existing.invoice_id as number, amount: existing.amount as string };
      }
      created = true;
      const requested = data.amount ? parseAmount(data.amount, credit.currency) : null;
      const target = await findInvoice(trx, data.invoice);
      if (credit.status === 'unissued') {
        throw new CreditStateError(`${cid} is not issued yet; it is issued onto the next invoice when its account is billed, and can be disbursed after that.`);
      }
      if (credit.status !== 'issued') throw new CreditStateError(`${cid} is ${credit.status} and cannot be disbursed.`);
      const issuedTo = await trx('invoices').where('id', credit.issued_invoice_id).first('account_id');
      const owner = await trx('invoices').where('id', target.id).first('account_id');
      if (owner.account_id !== issuedTo.account_id) {
        throw new DisbursementRefusedError(`${target.number} belongs to ${target.invoicer}, not to the invoicer of ${cid}; a credit is disbursed only to its own invoicer's invoices.`);
      }
      // Held already through the invoicer's lock; FOR UPDATE states it and guards any other writer.
      const invoice = await trx('invoices').where('id', target.id).forUpdate().first();
      if (invoice.status === 'paid') throw new DisbursementRefusedError(`${target.number} is already paid.`);
      const left = Money.exact(credit.amount_left, credit.currency);
      const balance = Money.exact(invoice.balance, invoice.currency);
      if (left.isZero()) throw new DisbursementRefusedError(`${cid} has nothing left to disburse.`);
      const amount = requested ?? left.min(balance);
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
  let result: { invoiceId: number; amount: string };
  try {
    result = await disburse();
  } catch (e) {
    // The same request key arrived twice at once: the other one disbursed.
    if (!isUniqueViolation(e, 'disbursements_request_key')) throw e;
    result = await disburse();
  }
  const invoice = await db('invoices').where('id', result.invoiceId).first();
  const prefix = await invoicePrefix(db);
  return {
    credit: await getCredit(db, formatCreditId(id)),
    disbursed: amountText(result.amount, invoice.currency),
    invoice: formatInvoiceNumber(prefix, Number(invoice.number)),
    invoiceBalance: amountText(invoice.balance, invoice.currency),
    created,
  };
}

/**
 * Reverses an issued credit: it becomes "reversal pending" and the amount disbursed so far
 * goes back onto the next invoice as a "reversed credit" transaction. The part not yet
 * disbursed is simply no longer available. The invoice it was issued to is unchanged.
 */
export async function reverseCredit(db: Db, creditText: string, actor: string): Promise<CreditView> {
  const id = parseCreditId(creditText);
  const by = parse(actorSchema('Say who is reversing the credit.'), actor);
  await withLockedCredit(db, id, async (trx, credit) => {
    const cid = formatCreditId(id);
    if (credit.status === 'unissued') {
      throw new CreditStateError(`${cid} is not issued yet, so there is nothing to reverse; delete it instead (credit delete ${cid}).`);
    }
    if (credit.status === 'reversal pending') {
      throw new CreditStateError(`${cid} is already reversal pending; a credit is reversed only once.`);
    }
    if (credit.status === 'reversed') throw new CreditStateError(`${cid} is already reversed; a credit is reversed only once.`);
    if (credit.status !== 'issued') throw new CreditStateError(`${cid} is ${credit.status} and cannot be reversed.`);
    const { rows } = await trx.raw('SELECT COALESCE(sum(amount), 0)::text AS disbursed FROM disbursements WHERE credit_id = ?', [id]);
    const disbursed = rows[0].disbursed as string;
    await trx('credits').where('id', id).update({ status: 'reversal pending', reversed_amount: disbursed, amount_left: 0 });
    await event(trx, id, 'reversal requested', by, { status: 'issued', amount_left: credit.amount_left }, {
      status: 'reversal pending',
      amount_left: '0',
      reversed_amount: disbursed,
    });
  });
  return getCredit(db, formatCreditId(id));
}
