import type { Knex } from 'knex';

/**
 * The one place money moves from credits to invoices. A disbursement lowers the
 * invoice's balance and the credit's amount left in the same statement as it is
 * recorded; the database's checks (balance >= 0, amount left >= 0) refuse any
 * disbursement that would take either below zero, so a race can never overdraw, and its
 * deferred constraint triggers (migration 030) refuse any commit where a balance is not the
 * total less the disbursements or an amount left is not the disbursable amount less them.
 * Callers hold the lock of the invoicer the credits were issued to (see billRun/batch.ts,
 * credits.ts), so the checks they make before calling here still hold when it runs.
 */
/**
 * The statement every payer of invoices (a disbursement, a payment) lowers balances with: each
 * invoice of the CTE \`input\` (invoice_id, amount) by the sum of its amounts there, paid at zero;
 * it returns each invoice's id and balance after.
 */
export const LOWER_INVOICE_BALANCES = `
       UPDATE invoices i SET balance = i.balance - x.amount,
              status = CASE WHEN i.balance - x.amount = 0 THEN 'paid' ELSE 'open' END
       FROM (SELECT invoice_id, sum(amount) AS amount FROM input GROUP BY invoice_id) x
       WHERE i.id = x.invoice_id
       RETURNING i.id, i.balance`;

export interface DisbursementRow {
  creditId: number;
  invoiceId: number;
  /** Exact decimal text. */
  amount: string;
}

export async function applyDisbursements(
  trx: Knex.Transaction,
  rows: DisbursementRow[],
  actor: string,
  options: { automatic: boolean; requestKey?: string | null },
): Promise<{ id: number; creditId: number; invoiceId: number; amount: string }[]> {
  if (rows.length === 0) return [];
  // The audit row of each disbursement carries the amount left and the invoice balance just
  // before and just after it: the UPDATEs return the final values, and a running sum over the
  // later disbursements of the same credit (or invoice) in this call steps back from there.
  // Amounts go into the audit trail as text so that no reader ever turns them into floats.
  const { rows: inserted } = await trx.raw(
    `WITH input AS (
       SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::numeric[]) WITH ORDINALITY AS x(credit_id, invoice_id, amount, ord)
     ),
     ins AS (
       INSERT INTO disbursements (credit_id, invoice_id, amount, automatic, created_by, request_key)
       SELECT credit_id, invoice_id, amount, ?, ?, ? FROM input ORDER BY ord
       RETURNING id, credit_id, invoice_id, amount
     ),
     inv AS (${LOWER_INVOICE_BALANCES}),
     cr AS (
       UPDATE credits c SET amount_left = c.amount_left - x.amount
       FROM (SELECT credit_id, sum(amount) AS amount FROM input GROUP BY credit_id) x
       WHERE c.id = x.credit_id
       RETURNING c.id, c.amount_left
     ),
     steps AS (
       SELECT ins.id, ins.credit_id, ins.invoice_id, ins.amount,
              cr.amount_left + sum(ins.amount) OVER (PARTITION BY ins.credit_id ORDER BY ins.id DESC) AS left_before,
              inv.balance + sum(ins.amount) OVER (PARTITION BY ins.invoice_id ORDER BY ins.id DESC) AS balance_before
       FROM ins JOIN cr ON cr.id = ins.credit_id JOIN inv ON inv.id = ins.invoice_id
     ),
     ev AS (
       INSERT INTO credit_events (credit_id, action, actor, before, after)
       SELECT credit_id, 'disbursed', ?,
              jsonb_build_object('amount_left', left_before::text, 'invoice_balance', balance_before::text),
              jsonb_build_object('amount_left', (left_before - amount)::text, 'invoice_balance', (balance_before - amount)::text,
                                 'invoice_id', invoice_id, 'disbursed', amount::text, 'automatic', ?::boolean)
       FROM steps ORDER BY id
     )
     SELECT id, credit_id, invoice_id, amount FROM ins ORDER BY id`,
    [
      rows.map((r) => r.creditId),
      rows.map((r) => r.invoiceId),
      rows.map((r) => r.amount),
      options.automatic,
      actor,
      options.requestKey ?? null,
      actor,
      options.automatic,
    ],
  );
  return inserted.map((r: any) => ({ id: r.id, creditId: r.credit_id, invoiceId: r.invoice_id, amount: r.amount }));
}

/**
 * Automatic disbursement: each credit goes to its invoicer's unpaid invoices, oldest
 * first, up to each balance (credits in the order they were added). Set-based: the
 * overlap of each credit's and each invoice's slice of a running total.
 */
export async function disburseAutomatically(trx: Knex.Transaction, creditIds: number[], actor: string): Promise<number> {
  if (creditIds.length === 0) return 0;
  // Each credit meets its invoicer's unpaid invoices through an index look-up (invoices_account_idx,
  // in number order), however many credits there are: joining two running totals computed
  // beforehand left the join to the planner's estimate of the credits just issued, which can
  // be one row when it is thousands, and the nested loop it then chose compared every credit
  // with every invoice.
  const { rows } = await trx.raw(
    `WITH cr AS (
       SELECT c.id, i.account_id AS invoicer, c.amount_left,
              sum(c.amount_left) OVER (PARTITION BY i.account_id ORDER BY c.id) - c.amount_left AS lo
       FROM credits c JOIN invoices i ON i.id = c.issued_invoice_id
       WHERE c.id = ANY(?::bigint[]) AND c.status = 'issued' AND c.amount_left > 0
     )
     SELECT cr.id AS credit_id, iv.id AS invoice_id,
            LEAST(cr.lo + cr.amount_left, iv.lo + iv.balance) - GREATEST(cr.lo, iv.lo) AS amount
     FROM cr
     CROSS JOIN LATERAL (
       SELECT i.id, i.balance, sum(i.balance) OVER (ORDER BY i.number) - i.balance AS lo
       FROM invoices i
       WHERE i.account_id = cr.invoicer AND i.balance > 0
     ) iv
     WHERE LEAST(cr.lo + cr.amount_left, iv.lo + iv.balance) > GREATEST(cr.lo, iv.lo)
     ORDER BY cr.id, iv.lo`,
    [creditIds],
  );
  const applied = await applyDisbursements(
    trx,
    rows.map((r: any) => ({ creditId: r.credit_id, invoiceId: r.invoice_id, amount: r.amount })),
    actor,
    { automatic: true },
  );
  return applied.length;
}
