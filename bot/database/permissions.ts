/**
 * Running as root, the embedded server runs as the `postgres` OS user: that user must exist and
 * must be able to enter every folder above the data folder and the server's programs.
 */
import { execFile } from 'node:child_process';
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const POSTGRES_OS_USER = 'postgres';

/** Error thrown when the postgres OS user could not reach the data folder. */
export class DataDirNotReachableError extends Error {
  override name = 'DataDirNotReachableError';
}

export interface OsUser {
  uid: number;
  /** The user's groups, its primary group first. */
  gids: number[];
}

function canSearch(stat: Pick<Stats, 'mode' | 'uid' | 'gid'>, uid: number, gids: readonly number[]): boolean {
  if (uid === 0) return true;
  if (stat.uid === uid) return (stat.mode & 0o100) !== 0;
  if (gids.includes(stat.gid)) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/**
 * Throws a DataDirNotReachableError unless the user `uid` (in groups `gids`) can enter every
 * existing parent folder of `dataDir` (execute permission on each), which postgres needs when
 * it runs as another OS user than ours. Only plain mode bits are considered, not ACLs.
 */
export async function assertReadableByPostgresUser(
  dataDir: string,
  uid: number,
  gids: number | readonly number[],
  userName = POSTGRES_OS_USER,
): Promise<void> {
  const groups = typeof gids === 'number' ? [gids] : gids;
  let dir = path.dirname(path.resolve(dataDir));
  for (;;) {
    let stat: Stats | undefined;
    try {
      stat = await fs.stat(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (stat && !canSearch(stat, uid, groups)) {
      const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
      throw new DataDirNotReachableError(
        `Postgres runs as the OS user "${userName}" (uid ${uid}), which cannot enter ${dir} ` +
          `(mode ${mode}, owner uid ${stat.uid}), so it cannot use the data folder ` +
          `${path.resolve(dataDir)}: choose a data folder whose parent folders all allow others in ` +
          `(chmod o+x), e.g. under /tmp or the project folder, not inside a mktemp -d folder.`,
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * Makes sure the postgres OS user can reach the server binaries: every folder from / down to
 * their folder must let it in. Refuses with one sentence, or (grant) adds o+x where missing.
 */
export async function ensureBinariesReachable(
  user: OsUser,
  grant: boolean,
  log: (m: string) => void,
  binDir: string,
): Promise<void> {
  const blocked: string[] = [];
  for (let dir = binDir; ; dir = path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if (!canSearch(stat, user.uid, user.gids)) blocked.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  if (blocked.length === 0) return;
  if (!grant) {
    throw new DataDirNotReachableError(
      `Postgres runs as the OS user "${POSTGRES_OS_USER}", which cannot enter ${blocked.join(', ')} ` +
        `to reach its programs in ${binDir}: allow others in (chmod o+x ${blocked.join(' ')}) or put ` +
        `billbot in a folder that does, or set DATABASE_URL to use a PostgreSQL server of your own.`,
    );
  }
  for (const dir of blocked) {
    const { mode } = await fs.stat(dir);
    await fs.chmod(dir, (mode & 0o7777) | 0o001);
    log(`billbot: allowed the postgres OS user to enter ${dir} (o+x) to reach the embedded server's programs\n`);
  }
}

/** The user from /etc/passwd and /etc/group (no process started); undefined when not listed there. */
async function lookUpInFiles(name: string): Promise<OsUser | undefined> {
  const [passwd, group] = await Promise.all([
    fs.readFile('/etc/passwd', 'utf8').catch(() => ''),
    fs.readFile('/etc/group', 'utf8').catch(() => ''),
  ]);
  const entry = passwd.split('\n').map((l) => l.split(':')).find((f) => f[0] === name && f.length >= 4);
  if (!entry) return undefined;
  const uid = Number(entry[2]);
  const primary = Number(entry[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(primary)) return undefined;
  const others = group
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && (f[3] ?? '').split(',').includes(name))
    .map((f) => Number(f[2]))
    .filter((g) => Number.isInteger(g) && g !== primary);
  return { uid, gids: [primary, ...others] };
}

/** The user from the system's user database (NSS: LDAP and the like too), through `id`. */
async function lookUpWithId(name: string): Promise<OsUser | undefined> {
  try {
    const uid = Number((await execFileAsync('id', ['-u', name])).stdout.trim());
    const gids = (await execFileAsync('id', ['-G', name])).stdout.trim().split(/\s+/).map(Number);
    return Number.isInteger(uid) ? { uid, gids } : undefined;
  } catch {
    return undefined;
  }
}

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  return (await lookUpInFiles(name)) ?? lookUpWithId(name);
}

/** Running as root: postgres refuses that, so it runs as the OS user `postgres` (created if missing). */
export async function ensurePostgresOsUser(): Promise<OsUser> {
  const existing = await lookUpUser(POSTGRES_OS_USER);
  if (existing) return existing;
  try {
    try {
      await execFileAsync('getent', ['group', POSTGRES_OS_USER]);
    } catch {
      await execFileAsync('groupadd', ['--system', POSTGRES_OS_USER]);
    }
    await execFileAsync('useradd', [
      '--system',
      '--gid',
      POSTGRES_OS_USER,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      POSTGRES_OS_USER,
    ]);
  } catch (err) {
    throw new Error(
      `Running as root, postgres needs an OS user "${POSTGRES_OS_USER}" and creating it failed: ${(err as Error).message}`,
    );
  }
  const created = await lookUpUser(POSTGRES_OS_USER);
  if (!created) throw new Error(`The OS user "${POSTGRES_OS_USER}" was created but cannot be looked up.`);
  return created;
}
