import type { Knex } from 'knex';

/**
 * `n` new accounts (named prefix1..prefixN) written while the statistics say accounts has
 * none, as after an import rolled back and then analyzed: their ids. For the key checks'
 * plans (migrations 184 and 185); call it inside a transaction that is rolled back.
 */
export async function accountsUnknownToStatistics(trx: Knex.Transaction, prefix: string, n: number): Promise<string[]> {
  await trx.raw(`UPDATE pg_class SET reltuples = 0, relpages = 100 WHERE relname = 'accounts'`);
  const { rows } = await trx.raw(
    `INSERT INTO accounts (name, currency, status, bill_group_id, bill_day)
     SELECT ? || g, 'USD', 'active', (SELECT min(id) FROM bill_groups), 1 FROM generate_series(1, ?::int) g RETURNING id`,
    [prefix, n],
  );
  return rows.map((r: { id: string }) => r.id);
}
