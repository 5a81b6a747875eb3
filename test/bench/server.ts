import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../bot/database';

/** The bench's database server: its own embedded Postgres in /tmp, or the one of DATABASE_URL. */

export interface Server {
  adminUrl: string;
  stop: () => Promise<void>;
}

export async function startServer(): Promise<Server> {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL, stop: async () => undefined };
  // Not mkdtemp: postgres may run as another OS user, which needs to enter the folder (0755).
  const folder = path.join(os.tmpdir(), `billbot-bench-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(folder, { mode: 0o755 });
  await fs.chmod(folder, 0o755);
  // Persistent (fsync on), as a real installation runs; the folder is removed at the end.
  const server = await startEmbeddedPostgres({ dataDir: path.join(folder, 'pg'), persistent: true });
  return {
    adminUrl: server.url,
    stop: async () => {
      try {
        await server.stop();
      } finally {
        await fs.rm(folder, { recursive: true, force: true });
      }
    },
  };
}

