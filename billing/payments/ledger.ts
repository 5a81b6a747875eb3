import type { Knex } from 'knex';
import { LOWER_INVOICE_BALANCES } from '../ledger';
import { Money } from '../money';

/**
 * The one place money moves between payments and invoices. An application lowers the
 * invoice's balance and the payment's unapplied amount in the same statement as it is
 * recorded; a reversal adds, for each application of the payment, a row giving it back and
 * raises the invoice's balance by as much. The database's checks (0 <= balance <= total,
 * 0 <= unapplied) refuse any step that would overdraw, and its deferred check (migration 170:
 * once per transaction, over the rows it touched) refuses any commit where a balance is not
 * the total less disbursements less payments applied plus payments reversed, or a payment's
 * applications and unapplied amount do not add up to its amount. Callers hold the invoicer's row lock first, then the payment's,
 * then the invoices' (the order every writer of money uses), so what they checked still holds.
 */
export interface ApplicationRow {
  paymentId: number;
  invoiceId: number;
  /** Exact decimal text. */
  amount: string;
}

export interface AppliedRow extends ApplicationRow {
  id: number;
  /** The invoice's balance once this call's rows are all applied. */
  invoiceBalance: string;
}

export async function applyPayments(
  trx: Knex.Transaction,
  rows: ApplicationRow[],
  actor: string,
  options: { automatic: boolean },
): Promise<AppliedRow[]> {
  if (rows.length === 0) return [];
  const { rows: inserted } = await trx.raw(
    `WITH input AS (SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::numeric[]) WITH ORDINALITY AS x(payment_id, invoice_id, amount, ord)),
     ins AS (INSERT INTO payment_applications (payment_id, invoice_id, kind, amount, automatic, created_by)
             SELECT payment_id, invoice_id, 'applied', amount, ?, ? FROM input ORDER BY ord
             RETURNING id, payment_id, invoice_id, amount),
     inv AS (${LOWER_INVOICE_BALANCES}),
     pay AS (
       UPDATE payments p SET unapplied = p.unapplied - x.amount
       FROM (SELECT payment_id, sum(amount) AS amount FROM input GROUP BY payment_id) x
       WHERE p.id = x.payment_id
       RETURNING p.id
     )
     SELECT ins.id, ins.payment_id, ins.invoice_id, ins.amount::text, inv.balance::text AS invoice_balance,
            (SELECT count(*) FROM pay) AS payments
     FROM ins JOIN inv ON inv.id = ins.invoice_id
     ORDER BY ins.id`,
    [rows.map((r) => r.paymentId), rows.map((r) => r.invoiceId), rows.map((r) => r.amount), options.automatic, actor],
  );
  return inserted.map((r: any) => ({
    id: r.id,
    paymentId: r.payment_id,
    invoiceId: r.invoice_id,
    amount: r.amount,
    invoiceBalance: r.invoice_balance,
  }));
}

/**
 * Gives back every application of a payment (the caller holds its locks and has checked it is
 * recorded) and marks it reversed with the reason: nothing is left unapplied, nothing deleted.
 */
export async function reversePaymentRows(trx: Knex.Transaction, paymentId: number, reason: string, actor: string): Promise<void> {
  await trx.raw(
    `WITH applied AS (
       SELECT id, invoice_id, amount FROM payment_applications WHERE payment_id = ? AND kind = 'applied'
     ),
     ins AS (
       INSERT INTO payment_applications (payment_id, invoice_id, kind, amount, reverses_id, created_by)
       SELECT ?, invoice_id, 'reversed', amount, id, ? FROM applied ORDER BY id
     ),
     inv AS (
       UPDATE invoices i SET balance = i.balance + x.amount, status = 'open'
       FROM (SELECT invoice_id, sum(amount) AS amount FROM applied GROUP BY invoice_id) x
       WHERE i.id = x.invoice_id
     )
     UPDATE payments SET status = 'reversed', unapplied = 0, reversal_reason = ?, reversed_by = ?, reversed_at = now()
     WHERE id = ?`,
    [paymentId, paymentId, actor, reason, actor, paymentId],
  );
}

/**
 * A bill run's step after a batch's invoices are made: each invoicer's recorded payments with
 * something unapplied go, oldest received first, onto its new invoices, oldest due date first,
 * each up to its balance. Set-based: the overlap of each payment's and each invoice's slice of
 * a running total per invoicer. The batch holds the invoicers' row locks, which every writer of
 * a payment takes before the payment's, so no payment read here changes before the commit. Returns what was
 * applied, per currency (exact decimal text), and how many applications.
 */
export async function applyUnappliedPayments(
  trx: Knex.Transaction,
  newInvoices: { id: number; invoicer: number }[],
  actor: string,
): Promise<{ applications: number; applied: { currency: string; amount: string }[] }> {
  if (newInvoices.length === 0) return { applications: 0, applied: [] };
  // Most invoicers have nothing unapplied: a look-up in the partial index of payments that do
  // keeps a large run from ranking all its invoices for none.
  const waiting: number[] = await trx('payments')
    .where('status', 'recorded')
    .where('unapplied', '>', 0)
    .whereRaw('account_id = ANY(?::bigint[])', [[...new Set(newInvoices.map((i) => i.invoicer))]])
    .distinct()
    .pluck('account_id');
  if (waiting.length === 0) return { applications: 0, applied: [] };
  const paying = new Set(waiting.map(Number));
  const invoiceIds = newInvoices.filter((i) => paying.has(i.invoicer)).map((i) => i.id);
  const { rows } = await trx.raw(
    `WITH inv AS (
       SELECT i.id, i.account_id, i.currency, i.balance,
              sum(i.balance) OVER (PARTITION BY i.account_id ORDER BY i.due_date, i.number) - i.balance AS lo
       FROM invoices i WHERE i.id = ANY(:ids::bigint[]) AND i.balance > 0
     ),
     pay AS (
       SELECT p.id, p.account_id, p.currency, p.unapplied,
              sum(p.unapplied) OVER (PARTITION BY p.account_id ORDER BY p.received_on, p.id) - p.unapplied AS lo
       FROM payments p
       WHERE p.account_id IN (SELECT DISTINCT account_id FROM inv) AND p.status = 'recorded' AND p.unapplied > 0
     )
     SELECT pay.id AS payment_id, inv.id AS invoice_id, inv.currency,
            (LEAST(pay.lo + pay.unapplied, inv.lo + inv.balance) - GREATEST(pay.lo, inv.lo))::text AS amount
     FROM pay JOIN inv ON inv.account_id = pay.account_id AND inv.currency = pay.currency
     WHERE LEAST(pay.lo + pay.unapplied, inv.lo + inv.balance) > GREATEST(pay.lo, inv.lo)
     ORDER BY pay.account_id, pay.lo, inv.lo`,
    { ids: invoiceIds },
  );
  const applied = await applyPayments(
    trx,
    rows.map((r: any) => ({ paymentId: r.payment_id, invoiceId: r.invoice_id, amount: r.amount })),
    actor,
    { automatic: true },
  );
  const totals = new Map<string, Money>();
  for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? Money.zero(r.currency)).add(Money.exact(r.amount, r.currency)));
  return { applications: applied.length, applied: [...totals].map(([currency, amount]) => ({ currency, amount: amount.toString() })) };
}
