import type { Knex } from 'knex';
import type { AccountsCheck } from './accountsSheet';
import type { ConfigurationChange } from './configurationsSheet';

/**
 * Payment terms from the setup rows (the Accounts and Bill Runs sheets' Payment Terms column):
 * the days after the invoice date an invoice is due (billing/payments/rules.ts). Written by
 * statements of their own once the rows they belong to are: a row without the column keeps
 * what is stored; a blank cell clears the terms (the configuration's, else 30 days, apply).
 */
export async function writePaymentTerms<R>(
  trx: Knex.Transaction,
  accounts: AccountsCheck<R>,
  idByKey: Map<string, number>,
  configurations: ConfigurationChange[],
): Promise<void> {
  // New accounts start with none; a stored one is written only when its terms change.
  const changed = [
    ...accounts.inserts.filter((n) => n.item?.paymentTermsDays != null),
    ...accounts.updates.filter((n) => n.item?.paymentTermsDays !== undefined && n.item.paymentTermsDays !== (n.stored?.payment_terms_days ?? null)),
  ];
  // Blank entries are nulls in the arrays (pg sends each array as one value).
  const days = (values: (number | null)[]) => values as unknown as Knex.Value;
  if (changed.length) {
    await trx.raw(
      `UPDATE accounts a SET payment_terms_days = x.days FROM unnest(?::bigint[], ?::integer[]) AS x(id, days) WHERE a.id = x.id`,
      [changed.map((n) => idByKey.get(n.key)!), days(changed.map((n) => n.item!.paymentTermsDays ?? null))],
    );
  }
  if (!configurations.length) return;
  await trx.raw(
    `UPDATE bill_run_configurations c SET payment_terms_days = x.days
     FROM unnest(?::text[], ?::integer[]) AS x(name, days) WHERE lower(c.name) = lower(x.name)`,
    [configurations.map((c) => c.name), days(configurations.map((c) => c.paymentTermsDays))],
  );
}
