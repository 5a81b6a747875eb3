import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrations } from '../../migrations';
import {
  DataDirNotReachableError,
  assertReadableByPostgresUser,
  embeddedSharedBuffersMb,
  ensureBinariesReachable,
  openDatabase,
  startEmbeddedPostgres,
  withDatabase,
} from '../../bot/database';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '../helpers/db';

describe('test databases', () => {
  const t = useTestDatabase();

  it('answers select 1', async () => {
    const result = await t.db.raw('select 1 as one');
    expect(result.rows).toEqual([{ one: 1 }]);
  });

  it('is a copy of the migrated template', async () => {
    const applied = await t.db('knex_migrations').orderBy('id').pluck('name');
    expect(applied).toEqual(migrations.map((m) => m.name));
  });

  it('is isolated from another test database', async () => {
    let other: TestDatabase | undefined;
    try {
      other = await createTestDatabase();
      expect(other.url).not.toEqual(t.url);

      await t.db.schema.createTable('isolation_probe', (table) => table.text('value'));
      await t.db('isolation_probe').insert({ value: 'written in the first database' });
      expect(await t.db('isolation_probe').pluck('value')).toEqual(['written in the first database']);

      const seen = await other.db.raw(`select to_regclass('isolation_probe') as found`);
      expect(seen.rows).toEqual([{ found: null }]);

      await other.db.schema.createTable('isolation_probe', (table) => table.text('value'));
      expect(await other.db('isolation_probe').pluck('value')).toEqual([]);
    } finally {
      await other?.drop();
    }
  });

  it('gives the embedded server a quarter of the memory for shared buffers, from 128 MB up to 1 GB', async () => {
    const GB = 2 ** 30;
    expect([0.25, 2, 3, 24].map((gb) => embeddedSharedBuffersMb(gb * GB))).toEqual([128, 512, 768, 1024]);
    // The suite's own server is an embedded one unless DATABASE_URL names another server.
    const { rows } = await t.db.raw(`SELECT setting::int * 8 / 1024 AS mb FROM pg_settings WHERE name = 'shared_buffers'`);
    if (!process.env.DATABASE_URL) expect(rows[0].mb).toBe(embeddedSharedBuffersMb());
    else expect(rows[0].mb).toBeGreaterThan(0);
  });

  it('is dropped by drop()', async () => {
    const temporary = await createTestDatabase();
    const name = new URL(temporary.url).pathname.slice(1);
    await temporary.drop();
    const found = await t.db.raw('select 1 from pg_database where datname = ?', [name]);
    expect(found.rows).toEqual([]);
  });
});

describe('data folder permissions', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-perm-')); // mode 0700, like mktemp -d
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
  });

  // Some uid/gid other than ours, standing for the postgres OS user.
  const me = os.userInfo();
  const otherUid = me.uid + 4242;
  const otherGid = me.gid + 4242;

  it('refuses a data folder whose parent the postgres user cannot enter', async () => {
    const check = assertReadableByPostgresUser(path.join(folder, 'pg'), otherUid, otherGid);
    await expect(check).rejects.toBeInstanceOf(DataDirNotReachableError);
    await expect(check).rejects.toThrow(`cannot enter ${folder} (mode 700`);
  });

  it('accepts the same folder once others may enter it', async () => {
    await fs.chmod(folder, 0o755);
    await expect(assertReadableByPostgresUser(path.join(folder, 'pg'), otherUid, otherGid)).resolves.toBeUndefined();
  });

  it('looks at every parent, not only the nearest one', async () => {
    const nested = path.join(folder, 'a', 'b');
    await fs.mkdir(nested, { recursive: true, mode: 0o755 });
    await fs.chmod(path.join(folder, 'a'), 0o755);
    await fs.chmod(nested, 0o755);
    await expect(assertReadableByPostgresUser(path.join(nested, 'pg'), otherUid, otherGid)).rejects.toThrow(
      `cannot enter ${folder} `,
    );
  });

  it('lets the owner in through the owner bits and group members through the group bits', async () => {
    await fs.chmod(folder, 0o710);
    const dataDir = path.join(folder, 'pg');
    await expect(assertReadableByPostgresUser(dataDir, me.uid, otherGid)).resolves.toBeUndefined();
    await expect(assertReadableByPostgresUser(dataDir, otherUid, [otherGid, me.gid])).resolves.toBeUndefined();
    await expect(assertReadableByPostgresUser(dataDir, otherUid, otherGid)).rejects.toThrow(DataDirNotReachableError);
  });

  it('refuses server programs behind a folder the postgres user cannot enter, or lets it in when asked', async () => {
    const binDir = path.join(folder, 'checkout', 'node_modules', 'bin');
    await fs.mkdir(binDir, { recursive: true, mode: 0o755 });
    await fs.chmod(path.join(folder, 'checkout'), 0o755);
    const user = { uid: otherUid, gids: [otherGid] };
    const logged: string[] = [];

    await expect(ensureBinariesReachable(user, false, (m) => logged.push(m), binDir)).rejects.toThrow(
      `cannot enter ${folder} to reach its programs in ${binDir}: allow others in (chmod o+x ${folder})`,
    );
    expect(((await fs.stat(folder)).mode & 0o777).toString(8)).toBe('700');

    await ensureBinariesReachable(user, true, (m) => logged.push(m), binDir);
    expect(((await fs.stat(folder)).mode & 0o777).toString(8)).toBe('701');
    expect(logged.join('')).toContain(`enter ${folder} (o+x)`);
    await expect(ensureBinariesReachable(user, false, () => undefined, binDir)).resolves.toBeUndefined();
  });

  (process.getuid?.() === 0 ? it : it.skip)('startEmbeddedPostgres refuses such a folder when running as root', async () => {
    await expect(startEmbeddedPostgres({ dataDir: path.join(folder, 'pg') })).rejects.toThrow(
      /OS user "postgres" .* cannot enter .* \(mode 700/,
    );
  });
});

describe('openDatabase', () => {
  it('returns DATABASE_URL untouched and starts nothing', async () => {
    const cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'billbot-open-'));
    try {
      const url = 'postgres://someone:s3cret@db.example.test:6543/billing?sslmode=require';
      const handle = await openDatabase({ DATABASE_URL: url, BILLBOT_DATA_DIR: path.join(cwd, 'pg') }, cwd);
      expect(handle.url).toBe(url);
      expect(handle.embedded).toBe(false);
      await expect(handle.stop()).resolves.toBeUndefined();
      expect(await fs.readdir(cwd)).toEqual([]);
    } finally {
      await fs.rm(cwd, { recursive: true, force: true });
    }
  });
});

describe('withDatabase', () => {
  it('replaces only the database name', () => {
    expect(withDatabase('postgres://postgres:a%2Fb@127.0.0.1:5433/postgres?x=1', 't_1')).toBe(
      'postgres://postgres:a%2Fb@127.0.0.1:5433/t_1?x=1',
    );
  });
});
