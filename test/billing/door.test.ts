import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { createBilling } from '../../billing';
import { useTestDatabase } from '../helpers/db';

// billing's door (billing/index.ts): the services bound to one handle, and what loading it costs.
describe("billing's door", () => {
  const t = useTestDatabase();
  const clock = { now: () => new Date('2026-10-02T12:00:00Z') };

  it('loads neither knex, pg nor exceljs until a database is opened', () => {
    const root = path.resolve(__dirname, '../..');
    const script = `require('./billing'); console.log(Object.keys(require.cache).filter((k) => /node_modules[\\\\/](knex|pg|exceljs)[\\\\/]/.test(k)).length)`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('0');
  });

  it('hands a step run in its own transaction a Billing bound to that transaction', async () => {
    const billing = createBilling(t.db, clock);
    const content = Buffer.from('workbook bytes');
    const sha256 = createHash('sha256').update(content).digest('hex');
    const { pending } = await billing.pendingImports.hold({ source: 'door:F1', sha256, fileName: 'setup.xlsx', actor: 'U0ADMIN', content, ttlMs: 60_000 });
    await billing.pendingImports.recordCheck(pending.id, { status: 'previewed', summary: null });
    const decided = await billing.pendingImports.confirm(pending.id, 'U0ADMIN', async (inside, bytes) => {
      expect(inside.db).not.toBe(t.db);
      expect(inside.clock).toBe(clock);
      await inside.createBillGroup('Door Group');
      return { applied: true, summary: null, value: bytes.toString() };
    });
    expect(decided).toMatchObject({ done: true, value: 'workbook bytes', pending: { status: 'applied' } });
    expect(await t.db('bill_groups').where('name', 'Door Group').first('name')).toEqual({ name: 'Door Group' });
  });

  it('reads an export in one snapshot through billing.exports', async () => {
    const billing = createBilling(t.db, clock);
    await billing.createAccount({ name: 'Door Co', currency: 'USD' });
    const names = await billing.exports.snapshot(async (reads) => {
      const found: string[] = [];
      for await (const page of reads.accounts()) found.push(...page.map((a) => a.name));
      return found;
    });
    expect(names).toContain('Door Co');
  });

  it('tells a watcher of configuration changes as they happen', async () => {
    const billing = createBilling(t.db, clock);
    let changes = 0;
    const stop = await billing.schedules.watchChanges(() => changes++);
    try {
      await billing.createConfiguration({ name: 'Door Run', billGroups: ['Default'] });
      const until = Date.now() + 5000;
      while (changes === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(changes).toBeGreaterThan(0);
    } finally {
      await stop();
    }
  });
});
