import { findAccount, formatInvoiceNumber, invoicePrefix } from '../accounts';
import { compareDates, parseIsoDate, type IsoDate } from '../dates';
import { InvalidPeriodError } from '../errors';
import { Money } from '../money';
import { madeOn } from './aging';
import { formatPaymentNumber } from './rules';
import type { Db } from '../db';

/**
 * An invoicer account's statement: what it owed at the start, each invoice, credit
 * disbursement, payment and payment reversal in the period with a running balance, and what it
 * owed at the end.
 *
 * The rules (README, "Billing decisions"):
 * - the balance is what the account owes net: its invoices' totals, less the credits disbursed
 *   to them, less the payments it made (whole amounts, applied or not yet), plus the payments
 *   reversed. So the closing balance is its invoices' balances less what its payments still
 *   have unapplied; below zero, the account is in credit.
 * - dated as the aging report dates them: an invoice by its invoice date, a payment by the day it
 *   was received, a disbursement and a reversal by the day they were made (UTC; never after
 *   today by billing's clock). On one day:
 *   invoices, then disbursements, then payments, then reversals, each in the order made.
 * - the period is inclusive at both ends; without a start, from the account's first line
 *   (opening balance 0); without an end, to today.
 */

export type StatementLineKind = 'invoice' | 'disbursement' | 'payment' | 'payment reversal';

export interface StatementLine {
  date: IsoDate;
  kind: StatementLineKind;
  /** The invoice, payment or credit it is, as people see them (INV-000018, PM-000001, CR-7). */
  reference: string;
  /** What else says what it was: the invoice a credit went to, a payment's method and reference, a reversal's reason. */
  detail: string;
  /** Signed: what it adds to what the account owes (an invoice +, a payment -). */
  amount: string;
  balance: string;
}

export interface Statement {
  account: string;
  currency: string;
  from: IsoDate | null;
  to: IsoDate;
  openingBalance: string;
  closingBalance: string;
  lines: StatementLine[];
  /** Sums of the period's lines by kind (signed like the lines). */
  totals: Record<StatementLineKind, string>;
}

const KIND_ORDER: StatementLineKind[] = ['invoice', 'disbursement', 'payment', 'payment reversal'];

/** Every line of the account's ledger up to the end of the period, and the sum before its start. */
const LINES_SQL = `
  WITH lines AS (
    SELECT i.invoice_date AS date, 0 AS kind, i.id AS id, i.number AS ref, NULL::bigint AS other, NULL::text AS detail, i.total AS amount
    FROM invoices i WHERE i.account_id = :account AND i.invoice_date <= :to::date
    UNION ALL
    SELECT ${madeOn('d.created_at')}, 1, d.id, d.credit_id, i.number, NULL, -d.amount
    FROM disbursements d JOIN invoices i ON i.id = d.invoice_id
    WHERE i.account_id = :account AND ${madeOn('d.created_at')} <= :to::date
    UNION ALL
    SELECT p.received_on, 2, p.id, p.id, NULL, concat_ws(', ', p.method, p.reference), -p.amount
    FROM payments p WHERE p.account_id = :account AND p.received_on <= :to::date
    UNION ALL
    SELECT ${madeOn('p.reversed_at')}, 3, p.id, p.id, NULL, p.reversal_reason, p.amount
    FROM payments p WHERE p.account_id = :account AND p.status = 'reversed' AND ${madeOn('p.reversed_at')} <= :to::date
  )
  SELECT 'opening' AS part, NULL::date AS date, NULL::int AS kind, NULL::bigint AS id, NULL::bigint AS ref, NULL::bigint AS other,
         NULL::text AS detail, COALESCE(sum(amount), 0)::text AS amount
  FROM lines WHERE :from::date IS NOT NULL AND date < :from::date
  UNION ALL
  (SELECT 'line', date, kind, id, ref, other, detail, amount::text FROM lines
   WHERE :from::date IS NULL OR date >= :from::date
   ORDER BY date, kind, id)`;

function describe(r: any, prefix: string): { reference: string; detail: string } {
  switch (Number(r.kind)) {
    case 0:
      return { reference: formatInvoiceNumber(prefix, Number(r.ref)), detail: '' };
    case 1:
      return { reference: `CR-${r.ref}`, detail: `to ${formatInvoiceNumber(prefix, Number(r.other))}` };
    case 2:
      return { reference: formatPaymentNumber(Number(r.ref)), detail: r.detail ?? '' };
    default:
      return { reference: formatPaymentNumber(Number(r.ref)), detail: r.detail ?? '' };
  }
}

/** The statement of an invoicer account for a period (`to` defaults to `today`). */
export async function accountStatement(
  db: Db,
  accountName: string,
  period: { from?: string | null; to?: string | null },
  today: IsoDate,
): Promise<Statement> {
  const from = period.from ? parseIsoDate(period.from) : null;
  const to = period.to ? parseIsoDate(period.to) : today;
  if (from && compareDates(from, to) > 0) throw new InvalidPeriodError(`The statement starts (${from}) after it ends (${to}).`);
  const account = await findAccount(db, accountName);
  const cur = account.currency;
  const { rows } = await db.raw(LINES_SQL, { account: account.id, from, to, today });
  const prefix = await invoicePrefix(db);
  const opening = Money.exact(rows.find((r: any) => r.part === 'opening')?.amount ?? '0', cur);
  const sums = new Map<StatementLineKind, Money>(KIND_ORDER.map((k) => [k, Money.zero(cur)]));
  let balance = opening;
  const lines: StatementLine[] = [];
  for (const r of rows) {
    if (r.part !== 'line') continue;
    const amount = Money.exact(r.amount, cur);
    const kind = KIND_ORDER[Number(r.kind)];
    balance = balance.add(amount);
    sums.set(kind, sums.get(kind)!.add(amount));
    lines.push({ date: r.date, kind, ...describe(r, prefix), amount: amount.toString(), balance: balance.toString() });
  }
  return {
    account: account.name,
    currency: cur,
    from,
    to,
    openingBalance: opening.toString(),
    closingBalance: balance.toString(),
    lines,
    totals: Object.fromEntries([...sums].map(([k, v]) => [k, v.toString()])) as Record<StatementLineKind, string>,
  };
}
