import type { Knex } from 'knex';
import { pgError } from '../credits/fixtures';
import { useTestDatabase } from '../helpers/db';
import { accountsUnknownToStatistics } from '../helpers/statistics';

// The keys of accounts and account packages, checked once per statement (migration 184): the
// foreign keys' error, constraint name and detail for a small statement (look-ups) and a big
// one (10,000 rows or more: one anti join); a row and the rows naming it in one statement; the
// referenced rows never removed.

const BIG = 10_000;
const MISSING = 999_999_999;

/** `n` new accounts named prefix1..prefixN with ids from the sequence, the last one's `column` set to `value`. */
function accountsInsert(db: Knex, prefix: string, n: number, column: string, value: number): Promise<unknown> {
  return db.raw(
    `INSERT INTO accounts (name, currency, status, bill_group_id, bill_day, ${column === 'bill_group_id' ? '' : `${column}, `}display_name)
     SELECT ? || g, 'USD', 'active', CASE WHEN g = ? AND ? = 'bill_group_id' THEN ? ELSE (SELECT min(id) FROM bill_groups) END, 1,
            ${column === 'bill_group_id' ? '' : 'CASE WHEN g = ? THEN ?::bigint END, '}NULL
     FROM generate_series(1, ?) g`,
    column === 'bill_group_id' ? [prefix, n, column, value, n] : [prefix, n, column, value, n, value, n],
  );
}

describe('the keys of accounts and account packages, checked per statement (migration 184)', () => {
  const t = useTestDatabase();

  async function packageAndAccount(name: string): Promise<{ account: number; pkg: number }> {
    const { rows: [p] } = await t.db.raw(`INSERT INTO packages (name, currency, frequency, status) VALUES (?, 'USD', 'monthly', 'active') RETURNING id`, [name]);
    const { rows: [a] } = await t.db.raw(
      `INSERT INTO accounts (name, currency, status, bill_group_id, bill_day) SELECT ?, 'USD', 'active', min(id), 1 FROM bill_groups RETURNING id`,
      [name],
    );
    return { account: Number(a.id), pkg: Number(p.id) };
  }

  it('are no longer foreign keys', async () => {
    const { rows } = await t.db.raw(
      `SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('accounts'::regclass, 'account_packages'::regclass)`,
    );
    expect(rows).toEqual([]);
  });

  it.each([
    ['bill_group_id', 'bill_groups'],
    ['invoicer_id', 'accounts'],
    ['parent_id', 'accounts'],
  ])('refuses accounts whose %s names no row, in a small statement and a big one, as the foreign key did', async (column, table) => {
    for (const n of [1, BIG]) {
      const bad = await pgError(() => accountsInsert(t.db, `K ${column} ${n} `, n, column, MISSING));
      expect(bad).toMatchObject({ code: '23503', constraint: `accounts_${column}_fkey` });
      expect(bad.detail).toBe(`Key (${column})=(${MISSING}) is not present in table "${table}".`);
      expect(bad.message).toMatch(new RegExp(`insert or update on table "accounts" violates foreign key constraint "accounts_${column}_fkey"$`));
    }
    expect(Number((await t.db('accounts').whereLike('name', 'K %').count({ n: '*' }).first())?.n)).toBe(0);
  });

  it.each([
    ['account_id', 'accounts'],
    ['package_id', 'packages'],
  ])('refuses account packages whose %s names no row, in a small statement and a big one', async (column, table) => {
    const { account, pkg } = await packageAndAccount(`AP ${column}`);
    for (const n of [1, BIG]) {
      const bad = await pgError(() => t.db.raw(
        `INSERT INTO account_packages (account_id, package_id, quantity, status, effective_date, next_bill_date, anchor_day)
         SELECT CASE WHEN g = :n AND :column::text = 'account_id' THEN :missing::bigint ELSE :account::bigint END,
                CASE WHEN g = :n AND :column::text = 'package_id' THEN :missing::bigint ELSE :pkg::bigint END,
                1, 'cancelled', '2026-01-01', '2026-02-01', 1
         FROM generate_series(1, :n::int) g`,
        { n, column, missing: MISSING, account, pkg },
      ));
      expect(bad).toMatchObject({ code: '23503', constraint: `account_packages_${column}_fkey` });
      expect(bad.detail).toBe(`Key (${column})=(${MISSING}) is not present in table "${table}".`);
    }
    expect(Number((await t.db('account_packages').where('account_id', account).count({ n: '*' }).first())?.n)).toBe(0);
  });

  it('refuses an update that changes a key to a row that does not exist, and checks no unchanged key', async () => {
    const { account, pkg } = await packageAndAccount('Updated');
    const [ap] = await t.db('account_packages')
      .insert({ account_id: account, package_id: pkg, quantity: 1, status: 'active', effective_date: '2026-01-01', next_bill_date: '2026-02-01', anchor_day: 1 })
      .returning('id');
    for (const [table, id, column] of [
      ['accounts', account, 'bill_group_id'], ['accounts', account, 'invoicer_id'], ['accounts', account, 'parent_id'],
      ['account_packages', ap.id, 'account_id'], ['account_packages', ap.id, 'package_id'],
    ] as const) {
      const bad = await pgError(() => t.db(table).where('id', id).update({ [column]: MISSING }));
      expect(bad).toMatchObject({ code: '23503', constraint: `${table}_${column}_fkey` });
      expect(bad.detail).toMatch(new RegExp(`^Key \\(${column}\\)=\\(${MISSING}\\) is not present in table "\\w+"\\.$`));
    }
    await t.db('account_packages').where('id', ap.id).update({ quantity: 2, account_id: account });
    expect(await t.db('account_packages').where('id', ap.id).first('quantity')).toEqual({ quantity: 2 });
  });

  it('passes accounts that name each other in one statement, the child written before its parent, small and big', async () => {
    for (const n of [2, BIG]) {
      // Each even account's parent and invoicer is the odd one after it, written later in the statement.
      await t.db.raw(
        `WITH ids AS (SELECT nextval(pg_get_serial_sequence('accounts', 'id')) AS id, g FROM generate_series(1, ?) g)
         INSERT INTO accounts (id, name, currency, status, bill_group_id, bill_day, parent_id, invoicer_id)
         SELECT i.id, 'Tree ' || ? || ' ' || i.g, 'USD', 'active', (SELECT min(id) FROM bill_groups), 1,
                CASE WHEN i.g % 2 = 1 THEN i.id + 1 END, CASE WHEN i.g % 2 = 1 THEN i.id + 1 END
         FROM (SELECT * FROM ids ORDER BY g) i`,
        [n, n],
      );
      const { rows: [c] } = await t.db.raw(
        `SELECT count(*) AS n FROM accounts a JOIN accounts p ON p.id = a.parent_id WHERE a.name LIKE 'Tree ' || ? || ' %'`,
        [n],
      );
      expect(Number(c.n)).toBe(n / 2);
    }
  });

  it('checks a big statement by a hash or merge anti join when the accounts it names are unknown to the statistics', async () => {
    // Accounts written in bulk by the same transaction while the statistics say the table is
    // empty (as after an import rolled back): a nested loop anti join would read every account
    // for each package row (5.7 s at 20,000 rows, growing with the square); refused to the plan.
    const n = 25_000;
    await t.db.transaction(async (trx) => {
      const { rows: [p] } = await trx.raw(`INSERT INTO packages (name, currency, frequency, status) VALUES ('Stale', 'USD', 'monthly', 'active') RETURNING id`);
      const ids = await accountsUnknownToStatistics(trx, 'Stale ', n);
      await trx.raw(`SET LOCAL statement_timeout = '3s'`);
      await trx.raw(
        `INSERT INTO account_packages (account_id, package_id, quantity, status, effective_date, next_bill_date, anchor_day)
         SELECT id, ?::bigint, 1, 'active', '2026-01-01', '2026-02-01', 1 FROM unnest(?::bigint[]) id`,
        [p.id, ids],
      );
    }).catch((e: { code?: string }) => {
      throw new Error(`the check did not finish in 3 s (${e.code})`);
    });
  });

  it('refuses removing, or changing the id of, a bill group or a package', async () => {
    const { pkg } = await packageAndAccount('Kept');
    const { rows: [g] } = await t.db.raw(`INSERT INTO bill_groups (name) VALUES ('Unused group') RETURNING id`);
    const { rows: [p] } = await t.db.raw(`INSERT INTO packages (name, currency, frequency, status) VALUES ('Unused package', 'USD', 'monthly', 'active') RETURNING id`);
    for (const statement of [
      t.db('bill_groups').where('id', g.id).del(),
      t.db('packages').where('id', p.id).del(),
      t.db('packages').where('id', pkg).del(),
      t.db.raw('TRUNCATE bill_groups CASCADE'),
      t.db.raw('TRUNCATE packages CASCADE'),
      t.db('bill_groups').where('id', g.id).update({ id: Number(g.id) + 1000 }),
      t.db('packages').where('id', p.id).update({ id: Number(p.id) + 1000 }),
    ]) {
      const refused = await pgError(() => statement);
      expect(refused.code).toBe('23001');
      expect(refused.message).toMatch(/never removed and keep their ids/);
    }
    expect(Number((await t.db('packages').whereIn('id', [p.id, pkg]).count({ n: '*' }).first())?.n)).toBe(2);
  });
});
