import { findAccount, formatInvoiceNumber, invoicePrefix } from '../accounts';
import { InvalidInputError, UnknownCreditError } from '../errors';
import { DisbursementView, formatCreditId, toDisbursement } from '../invoices';
import { Money } from '../money';
import type { Db } from '../db';

/**
 * Credits as people see them: a credit with its disbursements, an account's credits, and a
 * credit's audit trail, amounts in the currency's minor unit and invoices by number.
 */

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

/** Amounts as stored (numeric text) shown in the currency's minor unit. */
export function amountText(value: string, currencyCode: string): string {
  return Money.exact(value, currencyCode).toString();
}

/** A credit row (joined with its account's name and its invoices' numbers) as people see it. */
export function toCredit(r: any, prefix: string, disbursements: DisbursementView[]): CreditView {
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
    list.push(toDisbursement(r, formatInvoiceNumber(prefix, Number(r.number)), r.currency));
    map.set(r.credit_id, list);
  }
  return map;
}

export async function getCredit(db: Db, creditText: string): Promise<CreditView> {
  const id = parseCreditId(creditText);
  const row = await creditQuery(db).where('c.id', id).first();
  if (!row) throw new UnknownCreditError(`There is no credit ${formatCreditId(id)}.`);
  const prefix = await invoicePrefix(db);
  return toCredit(row, prefix, (await disbursementsOf(db, [id], prefix)).get(id) ?? []);
}

/** An account's credits (deleted ones left out unless asked for), oldest first. */
export async function listCredits(db: Db, accountName: string, options: { includeDeleted?: boolean } = {}): Promise<CreditView[]> {
  const account = await findAccount(db, accountName);
  const q = creditQuery(db).where('c.account_id', account.id).orderBy('c.id');
  if (!options.includeDeleted) q.whereNot('c.status', 'deleted');
  const rows = await q;
  const prefix = await invoicePrefix(db);
  const ds = await disbursementsOf(db, rows.map((r: any) => r.id), prefix);
  return rows.map((r: any) => toCredit(r, prefix, ds.get(r.id) ?? []));
}

export interface CreditEventView {
  credit: string;
  action: string;
  actor: string;
  at: string;
  before: unknown;
  after: unknown;
}

const EVENT_AMOUNTS = new Set(['amount', 'amount_left', 'invoice_balance', 'disbursed', 'reversed_amount']);
const EVENT_INVOICES: Record<string, string> = {
  invoice_id: 'invoice',
  issued_invoice_id: 'issued_invoice',
  reversal_invoice_id: 'reversal_invoice',
};

/** An audit row's before/after for people: amounts in the currency's minor unit, invoices by number. */
function eventValues(value: unknown, currencyCode: string, numbers: Map<number, string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (EVENT_AMOUNTS.has(key) && (typeof v === 'string' || typeof v === 'number')) out[key] = amountText(String(v), currencyCode);
    else if (key in EVENT_INVOICES && v !== null) out[EVENT_INVOICES[key]] = numbers.get(Number(v)) ?? `#${String(v)}`;
    else out[key] = v;
  }
  return out;
}

/** The audit trail of one credit, in order: who did what when, with the values before and after. */
export async function creditHistory(db: Db, creditText: string): Promise<CreditEventView[]> {
  const id = parseCreditId(creditText);
  const credit = await db('credits').where('id', id).first('currency');
  if (!credit) throw new UnknownCreditError(`There is no credit ${formatCreditId(id)}.`);
  const rows = await db('credit_events').where('credit_id', id).orderBy('id');
  const invoiceIds = new Set<number>();
  for (const r of rows) {
    for (const side of [r.before, r.after]) {
      for (const key of Object.keys(EVENT_INVOICES)) if (side && side[key] != null) invoiceIds.add(Number(side[key]));
    }
  }
  const prefix = await invoicePrefix(db);
  const numbers = new Map<number, string>();
  if (invoiceIds.size) {
    for (const i of await db('invoices').whereIn('id', [...invoiceIds]).select('id', 'number')) {
      numbers.set(i.id, formatInvoiceNumber(prefix, Number(i.number)));
    }
  }
  return rows.map((r: any) => ({
    credit: formatCreditId(id),
    action: r.action,
    actor: r.actor,
    at: new Date(r.at).toISOString(),
    before: eventValues(r.before, credit.currency, numbers),
    after: eventValues(r.after, credit.currency, numbers),
  }));
}
