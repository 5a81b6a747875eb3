import { formatInvoiceNumber, invoicePrefix } from '../accounts';
import { formatPaymentNumber } from '../payments/rules';
import type { Tx } from '../db';
import type { ResolvedFilter } from '../exports';
import { DEFAULT_BATCH_SIZE, queryRows } from './cursor';

/**
 * The rows of the payments export: the payments of an account (or of all), received in the
 * date range (inclusive), and every application and reversal of those payments.
 */

const PAYMENT_MATCH = `(:accountId::bigint IS NULL OR p.account_id = :accountId::bigint)
  AND (:from::date IS NULL OR p.received_on >= :from::date)
  AND (:to::date IS NULL OR p.received_on <= :to::date)`;

export interface PaymentExportRow {
  payment: string;
  account: string;
  receivedOn: string;
  currency: string;
  amount: string;
  applied: string;
  unapplied: string;
  method: string | null;
  reference: string | null;
  status: string;
  reversalReason: string | null;
  reversedAt: Date | null;
  createdBy: string;
  createdAt: Date;
}

export function paymentExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<PaymentExportRow[]> {
  return queryRows(
    trx,
    `SELECT p.id, a.name AS account, p.received_on, p.currency, p.amount, p.unapplied, p.method, p.reference, p.status,
            p.reversal_reason, p.reversed_at, p.created_by, p.created_at,
            coalesce((SELECT sum(CASE WHEN x.kind = 'applied' THEN x.amount ELSE -x.amount END)
                      FROM payment_applications x WHERE x.payment_id = p.id), 0) AS applied
     FROM payments p JOIN accounts a ON a.id = p.account_id
     WHERE ${PAYMENT_MATCH}
     ORDER BY p.received_on, p.id`,
    { ...filter },
    batchSize,
    (r) => ({
      payment: formatPaymentNumber(Number(r.id)),
      account: r.account,
      receivedOn: r.received_on,
      currency: r.currency.trim(),
      amount: r.amount,
      applied: r.applied,
      unapplied: r.unapplied,
      method: r.method,
      reference: r.reference,
      status: r.status,
      reversalReason: r.reversal_reason,
      reversedAt: r.reversed_at,
      createdBy: r.created_by,
      createdAt: r.created_at,
    }),
  );
}

export interface PaymentApplicationExportRow {
  payment: string;
  account: string;
  invoice: string;
  currency: string;
  /** applied, or reversed (an application given back). */
  kind: string;
  amount: string;
  automatic: boolean;
  by: string;
  at: Date;
}

export async function* paymentApplicationExportRows(trx: Tx, filter: ResolvedFilter, batchSize = DEFAULT_BATCH_SIZE): AsyncGenerator<PaymentApplicationExportRow[]> {
  const prefix = await invoicePrefix(trx);
  yield* queryRows(
    trx,
    `SELECT pa.payment_id, a.name AS account, i.number, p.currency, pa.kind, pa.amount, pa.automatic, pa.created_by, pa.created_at
     FROM payment_applications pa JOIN payments p ON p.id = pa.payment_id
     JOIN accounts a ON a.id = p.account_id JOIN invoices i ON i.id = pa.invoice_id
     WHERE ${PAYMENT_MATCH}
     ORDER BY p.received_on, p.id, pa.id`,
    { ...filter },
    batchSize,
    (r) => ({
      payment: formatPaymentNumber(Number(r.payment_id)),
      account: r.account,
      invoice: formatInvoiceNumber(prefix, Number(r.number)),
      currency: r.currency.trim(),
      kind: r.kind,
      amount: r.amount,
      automatic: r.automatic,
      by: r.created_by,
      at: r.created_at,
    }),
  );
}
