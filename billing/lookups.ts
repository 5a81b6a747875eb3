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

/** LIKE pattern text for what a person typed (lower case, wildcards escaped). */
function needleOf(text: string): string {
  return text.trim().toLowerCase().replace(/[%_\\]/g, '\\$&');
}

/** At most 100 (a Slack menu's limit), at least 1. */
function menuLimit(limit: number): number {
  return Math.min(Math.max(limit, 1), 100);
}

/** Best matches first: the whole name, then names starting with the text, then shorter names. */
const BEST_FIRST = "CASE WHEN lower(name) = ? THEN 0 WHEN lower(name) LIKE ? || '%' THEN 1 ELSE 2 END, length(name), lower(name)";

/** The tables a menu searches by name and names by id. */
export type NamedTable = 'accounts' | 'bill_run_configurations';

/** Rows whose name (or the `also` column) contains the text, case-insensitive, best matches first, at most `limit` (≤ 100). */
function searchByName(db: Db, table: NamedTable, text: string, limit: number, columns: string[], also?: string) {
  const needle = needleOf(text);
  return db(table)
    .where((q) => {
      q.whereRaw("lower(name) LIKE '%' || ? || '%'", [needle]);
      if (also) q.orWhereRaw("lower(??) LIKE '%' || ? || '%'", [also, needle]);
    })
    .orderByRaw(BEST_FIRST, [needle, needle])
    .limit(menuLimit(limit))
    .select(columns);
}

/** The current name of the row with this id (a menu's value), or null when there is none. */
export async function nameById(db: Db, table: NamedTable, id: number): Promise<string | null> {
  const row = await db(table).where({ id }).first('name');
  return row ? (row.name as string) : null;
}

/** Accounts whose name or display name contains the text (case-insensitive), best first, with their ids. */
export async function searchAccounts(
  db: Db,
  text: string,
  limit = 20,
): Promise<{ id: number; name: string; displayName: string | null; currency: string; status: string }[]> {
  const rows = await searchByName(db, 'accounts', text, limit, ['id', 'name', 'display_name', 'currency', 'status'], 'display_name').whereNot(
    'status',
    'cancelled',
  );
  return rows.map((r: any) => ({ id: Number(r.id), name: r.name, displayName: r.display_name, currency: r.currency, status: r.status }));
}

export interface ConfigurationChoice {
  id: number;
  name: string;
  periodRule: string;
  periodStart: string | null;
  periodEnd: string | null;
}

/** Bill run configurations whose name contains the text (blank: all), best first, at most 100. */
export async function searchConfigurations(db: Db, text: string, limit = 100): Promise<ConfigurationChoice[]> {
  const rows = await searchByName(db, 'bill_run_configurations', text, limit, ['id', 'name', 'period_rule', 'period_start', 'period_end']);
  return rows.map((r: any) => ({ id: Number(r.id), name: r.name, periodRule: r.period_rule, periodStart: r.period_start, periodEnd: r.period_end }));
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

export interface DisbursementTargets {
  credit: CreditView;
  invoicer: string | null;
  /** How many unpaid invoices the invoicer has in all (the list holds at most `limit`). */
  count: number;
  invoices: DisbursementTarget[];
}

export interface TargetQuery {
  /** At most this many invoices (1-100); default 100. */
  limit?: number;
  /** Only invoices whose number contains these digits ("400", "INV-000400"). */
  search?: string;
  /** Only this invoice (by its number, as shown). */
  invoice?: string;
}

/**
 * What a credit can be disbursed to: its invoicer's unpaid invoices (oldest first, or those
 * whose number contains the typed digits), each with its balance and the most allowed, and
 * how many there are in all. The credit view tells whether it is issued and what it has left.
 */
export async function disbursementTargets(db: Db, creditText: string, query: TargetQuery = {}): Promise<DisbursementTargets> {
  const credit = await getCredit(db, creditText);
  if (!credit.issuedInvoice) return { credit, invoicer: null, count: 0, invoices: [] };
  const issuedTo = await findInvoice(db, credit.issuedInvoice);
  const invoicer = await findAccount(db, issuedTo.invoicer);
  const prefix = await invoicePrefix(db);
  const unpaid = () => db('invoices').where({ account_id: invoicer.id, status: 'open' }).where('balance', '>', 0);
  const counted = await unpaid().count('* as n').first();
  const listed = unpaid();
  const digits = (query.search ?? '').replace(/\D/g, '').replace(/^0+(?=\d)/, '');
  if (digits) listed.whereRaw("number::text LIKE '%' || ? || '%'", [digits]);
  if (query.invoice !== undefined) {
    const wanted = query.invoice.trim().toLowerCase();
    const number = wanted.startsWith(prefix.toLowerCase()) ? wanted.slice(prefix.length) : wanted;
    listed.where('number', /^\d{1,15}$/.test(number) ? Number(number) : -1);
  }
  const rows = await listed
    .orderBy('number')
    .limit(menuLimit(query.limit ?? 100))
    .select('number', 'invoice_date', 'total', 'balance', 'currency');
  const left = Money.exact(credit.amountLeft, credit.currency);
  return {
    credit,
    invoicer: invoicer.name,
    count: Number(counted?.n ?? 0),
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
