import knexFactory, { Knex } from 'knex';
import { types } from 'pg';

// Dates are calendar dates in billing: keep them as 'YYYY-MM-DD' strings instead of
// letting pg turn them into JavaScript Dates at local midnight.
const DATE_OID = 1082;
types.setTypeParser(DATE_OID, (value: string) => value);
// numeric (1700) already arrives as a string; bigint (20) ids fit in a JS number for any
// realistic volume, so parse them as numbers.
const INT8_OID = 20;
types.setTypeParser(INT8_OID, (value: string) => Number(value));

/** A database handle billing works on: the pool, or a transaction of it. */
export type Db = Knex | Knex.Transaction;
export type Tx = Knex.Transaction;

export interface DbOptions {
  /** Most connections the pool opens. */
  poolMax?: number;
}

/** Opens a knex pool on a Postgres connection string. */
export function createDb(connectionString: string, options: DbOptions = {}): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString, application_name: 'billbot' },
    pool: { min: 0, max: options.poolMax ?? 10 },
  });
}

/** True when the database answers a trivial query (for health checks). */
export async function databaseAnswers(db: Knex): Promise<boolean> {
  await db.raw('SELECT 1');
  return true;
}
