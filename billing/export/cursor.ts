import type { Knex } from 'knex';
import type { Tx } from '../db';

/**
 * Reads for exports, streamed in batches through a server-side cursor, so that 100,000
 * invoices never sit in memory at once (the next batch is fetched while the caller works on
 * the current one). Every read of one export runs inside `withExportSnapshot`: one
 * read-only, repeatable-read transaction, so all batches and sheets show the same moment.
 *
 * Amounts are returned as the exact decimal text stored (numeric), dates as 'YYYY-MM-DD'
 * and moments as Date.
 */

export const DEFAULT_BATCH_SIZE = 2000;

/** Runs the reads of one export in one consistent, read-only snapshot. */
export async function withExportSnapshot<T>(db: Knex, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(
    async (trx) => {
      // Exports read every row of their cursors: plan for that, not for the first rows.
      await trx.raw('SET LOCAL cursor_tuple_fraction = 1.0');
      return fn(trx);
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

let cursors = 0;

/** The rows of a query, a batch at a time, through a cursor of the snapshot's transaction. */
async function* cursorBatches(trx: Tx, sql: string, bindings: Knex.RawBinding[] | Record<string, unknown>, batchSize: number): AsyncGenerator<any[]> {
  const size = Math.max(1, Math.floor(batchSize));
  const name = `billbot_export_${++cursors}`;
  await trx.raw(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, bindings as Knex.RawBinding[]);
  const fetch = async (): Promise<any[]> => (await trx.raw(`FETCH ${size} FROM ${name}`)).rows;
  let next: Promise<any[]> | null = fetch();
  try {
    while (next) {
      const rows: any[] = await next;
      next = rows.length === size ? fetch() : null;
      if (rows.length) yield rows;
    }
  } finally {
    if (next) await next.catch(() => []);
    await trx.raw(`CLOSE ${name}`).catch(() => undefined);
  }
}

async function* mapBatches<U>(source: AsyncGenerator<any[]>, map: (row: any) => U): AsyncGenerator<U[]> {
  for await (const batch of source) yield batch.map(map);
}

/** The rows of a query, a batch at a time, each row mapped. */
export function queryRows<U>(
  trx: Tx,
  sql: string,
  bindings: Knex.RawBinding[] | Record<string, unknown>,
  batchSize: number,
  map: (row: any) => U,
): AsyncGenerator<U[]> {
  return mapBatches(cursorBatches(trx, sql, bindings, batchSize), map);
}
