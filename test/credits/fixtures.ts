import type { Knex } from 'knex';
import { BillingError, createBilling, type Billing } from '../../billing';
import { monthOf } from '../../billing/dates';

/** The clock the credit tests run on (the worked example's "today"). */
export const clock = { now: () => new Date('2026-10-02T12:00:00Z') };

/**
 * The worked example's family (Parent Co, Child Co invoicing to it, a $140.00 monthly
 * package on Child Co due 2026-09-15, invoice numbering at 18) plus Other Co, a separate
 * invoicer with a $60.00 monthly package due 2026-09-01, and a configuration that bills
 * packages without generating invoices.
 */
export async function setUpFamily(db: Knex): Promise<Billing> {
  const billing = createBilling(db, clock);
  await billing.loadDemo();
  await billing.createAccount({ name: 'Other Co', currency: 'USD' });
  await billing.createPackage({
    name: 'Other Plan',
    currency: 'USD',
    frequency: 'monthly',
    services: [{ name: 'Hosting', price: '60.00' }],
  });
  await billing.addAccountPackage({ account: 'Other Co', package: 'Other Plan', effectiveDate: '2026-09-01', nextBillDate: '2026-09-01' });
  await billing.createConfiguration({ name: 'Charges Only', billPackages: true, generateInvoice: false, billGroups: ['Default'] });
  return billing;
}

/** Bills an account (and the accounts that invoice to it) for one calendar month, e.g. '2026-09'. */
export function billMonth(billing: Billing, account: string, month: string, configuration = 'Monthly Billing') {
  const p = monthOf(`${month}-01`);
  return billing.bill({ account, configuration, from: p.start, to: p.end, startedBy: 'U_BILLER' });
}

/** Runs fn, expects the database to refuse it, and returns the error (its code, message, constraint and detail). */
export async function pgError(fn: () => Promise<unknown>): Promise<{ code: string; message: string; constraint?: string; detail?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as { code: string; message: string; constraint?: string; detail?: string };
  }
  throw new Error('expected the database to refuse');
}

/** Runs fn, expects it to fail with a BillingError whose message is one sentence, and returns that error. */
export async function refusal(fn: () => Promise<unknown>): Promise<BillingError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof BillingError)) {
    throw new Error(`expected a BillingError, got ${caught === undefined ? 'success' : String(caught)}`);
  }
  // One sentence: a single line, ending once with a full stop or question mark.
  expect(caught.message).toMatch(/^[^\n]+[.?]$/);
  expect(caught.message.length).toBeLessThan(300);
  return caught;
}

/**
 * Everything a failed credit or payment operation must not touch, as text: the rows of credits,
 * disbursements, credit_events, invoices, transactions, payments and payment_applications.
 */
export async function ledgerSnapshot(db: Knex): Promise<string> {
  const [credits, disbursements, events, invoices, transactions, payments, applications] = await Promise.all([
    db('credits').orderBy('id'),
    db('disbursements').orderBy('id'),
    db('credit_events').orderBy('id'),
    db('invoices').orderBy('id'),
    db('transactions').orderBy('id'),
    db('payments').orderBy('id'),
    db('payment_applications').orderBy('id'),
  ]);
  return JSON.stringify({ credits, disbursements, events, invoices, transactions, payments, applications });
}

/**
 * Checks the ledger's invariants by SQL over the real tables and returns every violation
 * found (an empty list when the ledger is sound).
 */
export async function ledgerViolations(db: Knex): Promise<string[]> {
  const problems: string[] = [];
  const check = async (name: string, sql: string) => {
    const { rows } = await db.raw(sql);
    if (rows.length) problems.push(`${name}: ${JSON.stringify(rows)}`);
  };
  await check(
    'invoice total = sum of its transactions',
    `SELECT i.number, i.total, COALESCE(t.s, 0) AS transactions
     FROM invoices i LEFT JOIN (SELECT invoice_id, sum(amount) s FROM transactions GROUP BY invoice_id) t ON t.invoice_id = i.id
     WHERE i.total <> COALESCE(t.s, 0)`,
  );
  await check(
    'invoice balance = total - credits disbursed - payments applied + payments reversed, 0 <= balance <= total, paid exactly at zero',
    `SELECT i.number, i.total, i.balance, i.status, COALESCE(d.s, 0) AS disbursed, COALESCE(p.applied, 0) AS applied, COALESCE(p.given_back, 0) AS reversed
     FROM invoices i
     LEFT JOIN (SELECT invoice_id, sum(amount) s FROM disbursements GROUP BY invoice_id) d ON d.invoice_id = i.id
     LEFT JOIN (SELECT invoice_id, sum(amount) FILTER (WHERE kind = 'applied') AS applied, sum(amount) FILTER (WHERE kind = 'reversed') AS given_back
                FROM payment_applications GROUP BY invoice_id) p ON p.invoice_id = i.id
     WHERE i.balance <> i.total - COALESCE(d.s, 0) - COALESCE(p.applied, 0) + COALESCE(p.given_back, 0)
        OR i.balance < 0 OR i.balance > i.total OR (i.status = 'paid') <> (i.balance = 0)`,
  );
  await check(
    'payment applied + unapplied = amount (a reversed payment: everything given back, nothing unapplied), to its own invoices',
    `SELECT p.id, p.status, p.amount, p.unapplied, COALESCE(a.applied, 0) AS applied, COALESCE(a.given_back, 0) AS reversed, a.foreign_invoices
     FROM payments p
     LEFT JOIN (SELECT pa.payment_id, sum(pa.amount) FILTER (WHERE pa.kind = 'applied') AS applied,
                       sum(pa.amount) FILTER (WHERE pa.kind = 'reversed') AS given_back,
                       count(*) FILTER (WHERE i.account_id <> pp.account_id OR i.currency <> pp.currency) AS foreign_invoices
                FROM payment_applications pa JOIN invoices i ON i.id = pa.invoice_id JOIN payments pp ON pp.id = pa.payment_id
                GROUP BY pa.payment_id) a ON a.payment_id = p.id
     WHERE p.unapplied < 0 OR p.unapplied > p.amount OR COALESCE(a.foreign_invoices, 0) <> 0
        OR (p.status = 'recorded' AND (COALESCE(a.applied, 0) + p.unapplied <> p.amount OR COALESCE(a.given_back, 0) <> 0))
        OR (p.status = 'reversed' AND (COALESCE(a.applied, 0) <> COALESCE(a.given_back, 0) OR p.unapplied <> 0))`,
  );
  await check(
    'credit amount left = disbursable - disbursed, never negative',
    `SELECT c.id, c.status, c.amount, c.amount_left, c.reversed_amount, COALESCE(d.s, 0) AS disbursed
     FROM credits c LEFT JOIN (SELECT credit_id, sum(amount) s FROM disbursements GROUP BY credit_id) d ON d.credit_id = c.id
     WHERE c.amount_left < 0
        OR c.amount_left <> (CASE WHEN c.status IN ('unissued', 'issued') THEN c.amount
                                  WHEN c.status IN ('reversal pending', 'reversed') THEN COALESCE(d.s, 0)
                                  ELSE 0 END) - COALESCE(d.s, 0)
        OR (c.status IN ('reversal pending', 'reversed') AND c.reversed_amount <> COALESCE(d.s, 0))
        OR (c.status IN ('unissued', 'deleted') AND COALESCE(d.s, 0) <> 0)`,
  );
  await check(
    'a reversed credit has exactly one reversed credit transaction, of the reversed amount, on its reversal invoice',
    `SELECT c.id, c.status, c.reversed_amount, c.reversal_invoice_id, count(t.id) AS n, sum(t.amount) AS amount
     FROM credits c LEFT JOIN transactions t ON t.credit_id = c.id AND t.kind = 'reversed credit'
     GROUP BY c.id
     HAVING (c.status = 'reversed' AND (count(t.id) <> 1 OR sum(t.amount) <> c.reversed_amount
                                       OR bool_or(t.invoice_id IS DISTINCT FROM c.reversal_invoice_id)))
         OR (c.status <> 'reversed' AND count(t.id) FILTER (WHERE t.invoice_id IS NOT NULL) <> 0)`,
  );
  await check(
    'a disbursement goes from an issued credit to an invoice of the invoicer it was issued to',
    `SELECT d.id FROM disbursements d
     JOIN credits c ON c.id = d.credit_id
     JOIN invoices target ON target.id = d.invoice_id
     LEFT JOIN invoices issued ON issued.id = c.issued_invoice_id
     WHERE issued.id IS NULL OR issued.account_id <> target.account_id OR target.currency <> c.currency OR d.amount <= 0`,
  );
  await check(
    'invoice numbers are unique and gapless, and the counter is just past the last',
    `SELECT count(*) AS n, count(DISTINCT number) AS distinct_numbers, min(number) AS lo, max(number) AS hi,
            (SELECT next_invoice_number FROM settings) AS next
     FROM invoices
     HAVING count(*) > 0 AND (count(*) <> count(DISTINCT number) OR max(number) - min(number) + 1 <> count(*)
                              OR (SELECT next_invoice_number FROM settings) <> max(number) + 1)`,
  );
  await check(
    'each account package service is charged at most once per period',
    `SELECT a.account_package_id, a.service_id, a.period_start, b.period_start AS other_start
     FROM transactions a JOIN transactions b
       ON a.account_package_id = b.account_package_id AND a.service_id = b.service_id AND a.id < b.id
      AND a.period_start <= b.period_end AND b.period_start <= a.period_end
     WHERE a.kind = 'charge' AND b.kind = 'charge'`,
  );
  await check(
    'a credit_events row for every credit action',
    `SELECT c.id, c.status, e.added, e.issued, e.disbursed, e.deleted, e.requested, e.reversed, COALESCE(d.n, 0) AS disbursements
     FROM credits c
     LEFT JOIN (SELECT credit_id, count(*) n FROM disbursements GROUP BY credit_id) d ON d.credit_id = c.id
     LEFT JOIN (SELECT credit_id,
                       count(*) FILTER (WHERE action = 'added') AS added,
                       count(*) FILTER (WHERE action = 'issued') AS issued,
                       count(*) FILTER (WHERE action = 'disbursed') AS disbursed,
                       count(*) FILTER (WHERE action = 'deleted') AS deleted,
                       count(*) FILTER (WHERE action = 'reversal requested') AS requested,
                       count(*) FILTER (WHERE action = 'reversed') AS reversed
                FROM credit_events GROUP BY credit_id) e ON e.credit_id = c.id
     WHERE e.added IS DISTINCT FROM 1
        OR e.issued <> (CASE WHEN c.status IN ('issued', 'reversal pending', 'reversed') THEN 1 ELSE 0 END)
        OR e.disbursed <> COALESCE(d.n, 0)
        OR e.deleted <> (CASE WHEN c.status = 'deleted' THEN 1 ELSE 0 END)
        OR e.requested <> (CASE WHEN c.status IN ('reversal pending', 'reversed') THEN 1 ELSE 0 END)
        OR e.reversed <> (CASE WHEN c.status = 'reversed' THEN 1 ELSE 0 END)`,
  );
  return problems;
}
