/**
 * The embedded server's process as the operating system sees it: free ports, live pids, and a
 * postmaster left behind by a process that died.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Written into the data folder while a billbot process owns the server running on it. */
export const OWNER_FILE = 'billbot-owner.pid';

/** True when the file (or folder) exists. */
export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
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

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
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
export async function clearLeftoverPostmaster(dataDir: string, log: (m: string) => void): Promise<void> {
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

