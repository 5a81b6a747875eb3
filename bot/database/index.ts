/**
 * The application's database: DATABASE_URL when given, otherwise an embedded PostgreSQL in a
 * local data folder (./embedded.ts runs it; ./permissions.ts and ./process.ts keep it reachable
 * and alone on its folder).
 */
import path from 'node:path';
import { Client } from 'pg';
import { SMALL_SHARED_BUFFERS_MB, startEmbeddedPostgres } from './embedded';

export { embeddedSharedBuffersMb, startEmbeddedPostgres } from './embedded';
export type { EmbeddedPostgresHandle, EmbeddedPostgresOptions } from './embedded';
export { assertReadableByPostgresUser, DataDirNotReachableError, ensureBinariesReachable } from './permissions';
export type { OsUser } from './permissions';
export { findFreePort, isAlive } from './process';

export interface DatabaseHandle {
  /** Connection string. Contains the password: do not log it. */
  url: string;
  /** True when an embedded server was started for it. */
  embedded: boolean;
  stop: () => Promise<void>;
}

/** The database openDatabase creates on the embedded server. */
export const EMBEDDED_DATABASE_NAME = 'billbot';

/** Creates database `name` through the admin connection string unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database ${client.escapeIdentifier(name)}`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
      }
    }
  } finally {
    await client.end();
  }
}

/** Replaces the database name in a postgres connection string. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Connects to `url` once; creates its database (through `adminUrl`) when it does not exist yet. */
async function ensureReachable(url: string, adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // invalid_catalog_name: not created yet
    await ensureDatabase(adminUrl, name);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The application's database: DATABASE_URL when set (returned untouched, stop() does nothing),
 * otherwise an embedded persistent Postgres in BILLBOT_DATA_DIR or <cwd>/.billbot/pg with a
 * `billbot` database. The caller registers stop() on SIGINT/SIGTERM.
 */
export async function openDatabase(
  env: { DATABASE_URL?: string; BILLBOT_DATA_DIR?: string },
  cwd: string = process.cwd(),
  options: { brief?: boolean } = {},
): Promise<DatabaseHandle> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  const dataDir = path.resolve(cwd, env.BILLBOT_DATA_DIR || path.join('.billbot', 'pg'));
  // A brief process (a CLI command that reads or changes a few rows) starts the server with
  // PostgreSQL's default shared buffers: it starts and stops in half the time (about 70 ms
  // against 150 ms for 1 GB), and such a command reads a few pages.
  const server = await startEmbeddedPostgres({
    dataDir,
    persistent: true,
    sharedBuffersMb: options.brief ? SMALL_SHARED_BUFFERS_MB : undefined,
  });
  const url = withDatabase(server.url, EMBEDDED_DATABASE_NAME);
  try {
    await ensureReachable(url, server.url, EMBEDDED_DATABASE_NAME);
  } catch (err) {
    await server.stop().catch(() => undefined);
    throw err;
  }
  return { url, embedded: true, stop: server.stop };
}
