import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDb } from '../../billing/db';
import { migrateLatest } from '../../billing/migrate';
import { isAlive, startEmbeddedPostgres, withDatabase } from '../../bot/database';
import globalTeardown from './globalTeardown';
import { buildIfStale } from './build';
import { ADMIN_URL_ENV, TEMPLATE_DATABASE, setTestServerState } from './shared';

/**
 * Where the throwaway cluster lives: /dev/shm (tmpfs) when it is roomy, since cloning a
 * database there takes ~10 ms against ~100 ms on a disk even with fsync off; else os.tmpdir().
 * Containers often have a 64 MB /dev/shm, which is too small, hence the 1 GiB floor.
 */
async function scratchRoot(): Promise<string> {
  const shm = '/dev/shm';
  try {
    const stat = await fs.stat(shm);
    const space = await fs.statfs(shm);
    await fs.access(shm, fsConstants.W_OK);
    if (stat.isDirectory() && (stat.mode & 0o001) !== 0 && space.bavail * space.bsize >= 2 ** 30) return shm;
  } catch {
    // no usable /dev/shm
  }
  return os.tmpdir();
}

const FOLDER_PREFIX = 'billbot-test-';

/**
 * An interrupted run (Ctrl-C) leaves its folder behind, in RAM when it is on /dev/shm.
 * Removes those older than an hour whose postgres is not running.
 */
async function removeAbandonedFolders(root: string): Promise<void> {
  const entries = await fs.readdir(root).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(FOLDER_PREFIX))) {
    const folder = path.join(root, entry);
    try {
      const stat = await fs.stat(folder);
      if (!stat.isDirectory() || Date.now() - stat.mtimeMs < 60 * 60 * 1000) continue;
      const pidFile = await fs.readFile(path.join(folder, 'pg', 'postmaster.pid'), 'utf8').catch(() => '');
      const pid = Number(pidFile.split('\n')[0]);
      if (pid > 0 && isAlive(pid)) continue;
      await fs.rm(folder, { recursive: true, force: true });
    } catch {
      // someone else's folder or already gone
    }
  }
}

/**
 * Without DATABASE_URL: starts a throwaway embedded Postgres in billbot-test-<random> under
 * /dev/shm or os.tmpdir() (see scratchRoot).
 * Either way: (re)creates the migrated template database and hands the admin connection
 * string to the workers through BILLBOT_TEST_ADMIN_URL.
 */
export default async function globalSetup(): Promise<void> {
  await buildIfStale();
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    // Not mkdtemp: its 0700 folder would keep out the postgres OS user when running as root.
    const root = await scratchRoot();
    await removeAbandonedFolders(root);
    const folder = path.join(root, `${FOLDER_PREFIX}${randomBytes(6).toString('hex')}`);
    await fs.mkdir(folder, { mode: 0o755 });
    await fs.chmod(folder, 0o755);
    try {
      const server = await startEmbeddedPostgres({
        dataDir: path.join(folder, 'pg'),
        persistent: false,
        // A checkout inside a 0700 folder (mktemp -d, /root) would keep the postgres OS user
        // from the server's programs: the harness lets it through (o+x) instead of failing.
        grantBinaryAccess: true,
        onLog: process.env.BILLBOT_TEST_PG_LOG ? (m) => process.stderr.write(m) : undefined,
      });
      setTestServerState({ stop: server.stop, folder });
      adminUrl = server.url;
    } catch (err) {
      await fs.rm(folder, { recursive: true, force: true });
      throw err;
    }
  }

  try {
    await createTemplate(adminUrl);
  } catch (err) {
    // Jest skips global teardown when global setup fails.
    await globalTeardown();
    throw err;
  }
  process.env[ADMIN_URL_ENV] = adminUrl;
}

/** (Re)creates billbot_template and migrates it. */
async function createTemplate(adminUrl: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const name = admin.escapeIdentifier(TEMPLATE_DATABASE);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }

  const template = createDb(withDatabase(adminUrl, TEMPLATE_DATABASE), { poolMax: 1 });
  try {
    await migrateLatest(template);
  } finally {
    // Nothing may stay connected to a template while it is cloned.
    await template.destroy();
  }
}
