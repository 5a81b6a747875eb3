import { findAccount, formatInvoiceNumber, invoicePrefix } from './accounts';
import { getCredit, CreditView } from './credits';
import { Period } from './dates';
import { findInvoice } from './invoices';
import { Money } from './money';
import type { Db } from './db';

/**
 * Read-only look-ups the chat faces need to build forms quickly (pickers, pre-filled
 * amounts, early warnings). Nothing here changes data.
 */

/** Accounts whose name or display name contains the text (case-insensitive), best first. */
export async function searchAccounts(
  db: Db,
  text: string,
  limit = 20,
): Promise<{ name: string; displayName: string | null; currency: string; status: string }[]> {
  const needle = text.trim().toLowerCase().replace(/[%_\\]/g, '\\$&');
  const rows = await db('accounts')
    .whereNot('status', 'cancelled')
    .where((q) => q.whereRaw("lower(name) LIKE '%' || ? || '%'", [needle]).orWhereRaw("lower(display_name) LIKE '%' || ? || '%'", [needle]))
    .orderByRaw("CASE WHEN lower(name) LIKE ? || '%' THEN 0 ELSE 1 END, lower(name)", [needle])
    .limit(Math.min(Math.max(limit, 1), 100))
    .select('name', 'display_name', 'currency', 'status');
  return rows.map((r: any) => ({ name: r.name, displayName: r.display_name, currency: r.currency, status: r.status }));
}

export interface PackageDue {
  account: string;
  package: string;
  nextBillDate: string;
  inPeriod: boolean;
}

/**
 * The active packages a bill of this account would look at (the account and every active
 * account that invoices to it, at any depth), each with its next bill date and whether that
 * date falls inside the period (both ends inclusive).
 */
export async function packagesDue(db: Db, accountName: string, billing: Period): Promise<PackageDue[]> {
  const account = await findAccount(db, accountName);
  const { rows } = await db.raw(
    `WITH RECURSIVE scope(id, depth) AS (
       SELECT ?::bigint, 0
       UNION
       SELECT a.id, s.depth + 1 FROM accounts a JOIN scope s ON a.invoicer_id = s.id
       WHERE a.status <> 'cancelled' AND s.depth < 100
     )
     SELECT a.name AS account, p.name AS package, ap.next_bill_date,
            (ap.next_bill_date BETWEEN ?::date AND ?::date
             AND (ap.cancel_date IS NULL OR ap.next_bill_date < ap.cancel_date)) AS in_period
     FROM (SELECT DISTINCT id FROM scope) s
     JOIN accounts a ON a.id = s.id AND a.status = 'active'
     JOIN account_packages ap ON ap.account_id = a.id AND ap.status = 'active'
     JOIN packages p ON p.id = ap.package_id
     ORDER BY ap.next_bill_date, a.name, p.name
     LIMIT 200`,
    [account.id, billing.start, billing.end],
  );
  return rows.map((r: any) => ({ account: r.account, package: r.package, nextBillDate: r.next_bill_date, inPeriod: r.in_period }));
}

export interface DisbursementTarget {
  number: string;
  invoiceDate: string;
  total: string;
  balance: string;
  /** The most this credit can disburse to it: the smaller of the credit's amount left and the balance. */
  most: string;
}

/**
 * What a credit can be disbursed to: its invoicer's unpaid invoices (oldest first), each
 * with its balance and the most allowed. The credit view tells whether it is issued and
 * what it has left.
 */
export async function disbursementTargets(
  db: Db,
  creditText: string,
  limit = 100,
): Promise<{ credit: CreditView; invoicer: string | null; invoices: DisbursementTarget[] }> {
  const credit = await getCredit(db, creditText);
  if (!credit.issuedInvoice) return { credit, invoicer: null, invoices: [] };
  const issuedTo = await findInvoice(db, credit.issuedInvoice);
  const invoicer = await findAccount(db, issuedTo.invoicer);
  const prefix = await invoicePrefix(db);
  const rows = await db('invoices')
    .where({ account_id: invoicer.id, status: 'open' })
    .where('balance', '>', 0)
    .orderBy('number')
    .limit(Math.min(Math.max(limit, 1), 100))
    .select('number', 'invoice_date', 'total', 'balance', 'currency');
  const left = Money.exact(credit.amountLeft, credit.currency);
  return {
    credit,
    invoicer: invoicer.name,
    invoices: rows.map((r: any) => {
      const balance = Money.exact(r.balance, r.currency);
      return {
        number: formatInvoiceNumber(prefix, Number(r.number)),
        invoiceDate: r.invoice_date,
        total: Money.exact(r.total, r.currency).toString(),
        balance: balance.toString(),
        most: left.min(balance).toString(),
      };
    }),
  };
}
