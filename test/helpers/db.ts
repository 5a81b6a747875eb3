import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { Client } from 'pg';
import { createDb } from '../../billing/db';
import { withDatabase } from '../../bot/database';
import { ADMIN_URL_ENV, TEMPLATE_DATABASE } from '../setup/shared';

export interface TestDatabase {
  db: Knex;
  /** Connection string of the test database (contains a password: never print it). */
  url: string;
  /** Closes the pool and drops the database. */
  drop: () => Promise<void>;
}

function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) {
    throw new Error(`${ADMIN_URL_ENV} is not set: run the tests through jest (test/setup/globalSetup.ts sets it).`);
  }
  return url;
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh, migrated database: a copy of billbot_template (tens of milliseconds). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(8).toString('hex')}`;
  await withAdmin(async (client) => {
    const sql = `create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(TEMPLATE_DATABASE)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (err) {
        // 55006: "source database is being accessed by other users" - only briefly, while
        // something else still holds a connection to the template.
        if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
        await sleep(100);
      }
    }
  });
  const url = withDatabase(adminUrl(), name);
  const db = createDb(url, { poolMax: 4 });
  let dropped = false;
  return {
    db,
    url,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await db.destroy();
      await withAdmin((client) => client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`));
    },
  };
}

/**
 * One test database for the current test file (or describe block): created in beforeAll,
 * dropped in afterAll; with `{ each: true }`, a fresh one for every test (beforeEach/afterEach).
 *
 *   const t = useTestDatabase();
 *   it('...', async () => { await t.db('accounts').insert(...); });
 */
export function useTestDatabase(options: { each?: boolean } = {}): { readonly db: Knex; readonly url: string } {
  let current: TestDatabase | undefined;
  (options.each ? beforeEach : beforeAll)(async () => {
    current = await createTestDatabase();
  });
  (options.each ? afterEach : afterAll)(async () => {
    await current?.drop();
    current = undefined;
  });
  const get = (): TestDatabase => {
    if (!current) throw new Error('The test database exists only inside tests and hooks.');
    return current;
  };
  return {
    get db() {
      return get().db;
    },
    get url() {
      return get().url;
    },
  };
}
