import type { Knex } from 'knex';
import type { ConfigurationChange } from './configurationsSheet';

/**
 * Payment terms from the Bill Runs sheet's Payment Terms column: the days after the invoice
 * date an invoice is due (billing/payments/rules.ts). Written by a statement of its own once
 * the configurations are: a blank cell clears the terms (30 days apply). The Accounts sheet's
 * terms are written with the accounts (./writeSql.ts): a row without the column keeps what is
 * stored, a blank cell clears them (the configuration's, else 30 days, apply).
 */
export async function writePaymentTerms(trx: Knex.Transaction, configurations: ConfigurationChange[]): Promise<void> {
  // Blank entries are nulls in the arrays (pg sends each array as one value).
  const days = (values: (number | null)[]) => values as unknown as Knex.Value;
  if (!configurations.length) return;
  await trx.raw(
    `UPDATE bill_run_configurations c SET payment_terms_days = x.days
     FROM unnest(?::text[], ?::integer[]) AS x(name, days) WHERE lower(c.name) = lower(x.name)`,
    [configurations.map((c) => c.name), days(configurations.map((c) => c.paymentTermsDays))],
  );
}
