import { promises as fs } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

/**
 * npm ci refuses a package-lock.json that lacks an optional package a dependency declares
 * ("Missing: @swc/core-darwin-arm64@1.16.22 from lock file"), even one built for another
 * platform that is never installed here. This test fails as soon as the lock file lacks one,
 * so a dependency bump cannot bring that back silently: regenerate the lock with npm install.
 */

const ROOT = path.resolve(__dirname, '../..');

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
  link?: boolean;
}
type LockPackages = Record<string, LockEntry>;

/** Where node would find `name` from the package installed at `from` (a lock key such as node_modules/a/node_modules/b). */
function resolveInLock(packages: LockPackages, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/** Every optional dependency declared by `declared` (by lock key) that the lock file lacks or pins outside its range. */
function missingOptionalPackages(packages: LockPackages, declared: Record<string, Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [key, optional] of Object.entries(declared)) {
    for (const [name, range] of Object.entries(optional)) {
      const found = resolveInLock(packages, key, name);
      const version = found ? packages[found]?.version : undefined;
      if (!found || !version) problems.push(`${name}@${range} (declared by ${key || 'package.json'}) is not in the lock file`);
      else if (semver.validRange(range) && !semver.satisfies(version, range)) {
        problems.push(`${name}@${range} (declared by ${key || 'package.json'}) is locked at ${version}`);
      }
    }
  }
  return problems;
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

describe('package-lock.json', () => {
  let packages: LockPackages;
  beforeAll(async () => {
    const lock = await readJson<{ lockfileVersion: number; packages: LockPackages }>(path.join(ROOT, 'package-lock.json'));
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    packages = lock.packages;
  });

  it('holds every optional package that an installed dependency declares in its own package.json', async () => {
    const declared: Record<string, Record<string, string>> = {};
    for (const key of Object.keys(packages)) {
      if (!key.startsWith('node_modules/') || packages[key]?.link) continue;
      const manifest = await readJson<{ optionalDependencies?: Record<string, string> }>(path.join(ROOT, key, 'package.json')).catch(
        () => null, // an optional package of another platform: not installed here
      );
      if (manifest?.optionalDependencies) declared[key] = manifest.optionalDependencies;
    }
    // The project depends on packages that have platform builds (@swc/core): the check has work to do.
    expect(Object.keys(declared)).toContain('node_modules/@swc/core');
    expect(missingOptionalPackages(packages, declared)).toEqual([]);
  });

  it("holds every optional package that the lock file's own entries declare", () => {
    const declared = Object.fromEntries(
      Object.entries(packages)
        .filter(([, entry]) => entry.optionalDependencies)
        .map(([key, entry]) => [key, entry.optionalDependencies as Record<string, string>]),
    );
    expect(missingOptionalPackages(packages, declared)).toEqual([]);
  });

  it('is told apart from a lock file that lacks another platform build, as npm ci tells it', () => {
    const swc = packages['node_modules/@swc/core'];
    const declared = { 'node_modules/@swc/core': swc?.optionalDependencies ?? {} };
    const others = Object.keys(declared['node_modules/@swc/core']);
    expect(others).toContain('@swc/core-darwin-arm64');
    const without = { ...packages };
    delete without['node_modules/@swc/core-darwin-arm64'];
    expect(missingOptionalPackages(without, declared)).toEqual([
      `@swc/core-darwin-arm64@${declared['node_modules/@swc/core']['@swc/core-darwin-arm64']} (declared by node_modules/@swc/core) is not in the lock file`,
    ]);
    const older = { ...packages, 'node_modules/@swc/core-darwin-arm64': { version: '0.0.1' } };
    expect(missingOptionalPackages(older, declared)).toHaveLength(1);
  });
});
