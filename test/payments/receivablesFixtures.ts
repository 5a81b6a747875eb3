import type { Knex } from 'knex';
import { createBilling, type Billing } from '../../billing';
import { clock } from '../credits/fixtures';

/**
 * Receivables at size, written straight into the tables (no transactions behind the invoices;
 * a bill run must exist): `count` invoices of `total` for an account, numbered from `firstNumber`,
 * one a day with due dates going back from `lastDue`; and accounts in several currencies with
 * long names, each owing one invoice.
 */
export async function manyInvoices(
  db: Knex,
  account: string,
  count: number,
  o: { firstNumber: number; lastDue: string; total?: string },
): Promise<void> {
  await db.raw(
    `INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end, currency, total, balance, status, due_date)
     SELECT :first::bigint + g, a.id, (SELECT min(id) FROM bill_runs), d - 30, d - 30, d - 60, d - 31, a.currency, :total, :total, 'open', d
     FROM accounts a, generate_series(0, :count - 1) g, LATERAL (SELECT :last::date - (:count - 1 - g)::int AS d) due
     WHERE a.name = :account`,
    { first: o.firstNumber, total: o.total ?? '10.00', count, last: o.lastDue, account },
  );
}

export const CURRENCIES = ['AUD', 'CAD', 'CHF', 'EUR', 'GBP', 'JPY', 'KWD', 'NZD', 'SEK', 'USD'];

/** A 200-character name that starts with `start` and ends with markup that must stay literal. */
export const longName = (start: string) => `${start} ${'x'.repeat(200 - start.length - 14)} <!channel> &`;

/** For each currency, `perCurrency` accounts with 200-character names owing one invoice each (due `due`). */
export async function accountsInCurrencies(db: Knex, perCurrency: number, due: string, firstNumber: number): Promise<Billing> {
  const billing = createBilling(db, clock);
  let n = firstNumber;
  for (const currency of CURRENCIES) {
    for (let i = 0; i < perCurrency; i++) {
      const name = longName(`${currency} owner ${i}`);
      await billing.createAccount({ name, currency });
      await manyInvoices(db, name, 1, { firstNumber: n++, lastDue: due, total: currency === 'JPY' ? '1000' : '100.000' });
    }
  }
  return billing;
}
