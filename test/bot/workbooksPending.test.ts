import { randomUUID } from 'node:crypto';
import {
  cancelPendingImport,
  confirmPendingImport,
  holdPendingImport,
  PendingImportError,
  recordPendingCheck,
} from '../../billing/pendingImports';
import { sha256Of } from '../../bot/commands/workbooks';
import { useTestDatabase } from '../helpers/db';

// The files held between a workbook's preview and its Confirm (billing/pendingImports.ts).
describe('pending imports', () => {
  const t = useTestDatabase();
  const DAY = 24 * 3600 * 1000;

  async function held(content = Buffer.from(`workbook ${randomUUID()}`), ttlMs = DAY) {
    const source = `slack:F${randomUUID().slice(0, 8).toUpperCase()}`;
    const { pending, created } = await holdPendingImport(t.db, { source, sha256: sha256Of(content), fileName: 'setup.xlsx', actor: 'U0ADMIN', content, ttlMs });
    expect(created).toBe(true);
    return { pending, source, content };
  }

  it('holds one file once per source and bytes', async () => {
    const { pending, source, content } = await held();
    expect(pending).toMatchObject({ status: 'checking', fileName: 'setup.xlsx', actor: 'U0ADMIN', expired: false, decidedBy: null });
    const again = await holdPendingImport(t.db, { source, sha256: sha256Of(content), fileName: 'setup.xlsx', actor: 'U0ADMIN', content, ttlMs: DAY });
    expect(again).toMatchObject({ created: false, pending: { id: pending.id } });
    // Other bytes under the same file id (a file edited in Slack) are another file.
    const edited = Buffer.concat([content, Buffer.from('!')]);
    const other = await holdPendingImport(t.db, { source, sha256: sha256Of(edited), fileName: 'setup.xlsx', actor: 'U0ADMIN', content: edited, ttlMs: DAY });
    expect(other.created).toBe(true);
    expect(await t.db('pending_imports').where({ source }).count('* as n').first()).toEqual({ n: 2 });
  });

  it('applies a confirmed file once, even when confirmed twice at the same time', async () => {
    const { pending, content } = await held();
    await recordPendingCheck(t.db, pending.id, { status: 'previewed', summary: { accounts: 2 } });
    const seen: Buffer[] = [];
    const apply = async (trx: unknown, bytes: Buffer) => {
      seen.push(bytes);
      await new Promise((r) => setTimeout(r, 50));
      return { applied: true, summary: { applied: true }, value: 'done' };
    };
    const [a, b] = await Promise.all([
      confirmPendingImport(t.db, pending.id, 'U0ADMIN', apply),
      confirmPendingImport(t.db, pending.id, 'U0OTHER', apply),
    ]);
    expect(seen).toEqual([content]);
    const decisions = [a, b].sort((x) => (x.done ? -1 : 1));
    expect(decisions[0]).toMatchObject({ done: true, value: 'done', pending: { status: 'applied', summary: { applied: true } } });
    expect(decisions[1]).toMatchObject({ done: false, pending: { status: 'applied' } });
    const row = await t.db('pending_imports').where({ id: pending.id }).first();
    expect(row.content).toBeNull();
    expect(['U0ADMIN', 'U0OTHER']).toContain(row.decided_by);
  });

  it('leaves a file waiting when applying it fails part way, and records a file that no longer fits as failed', async () => {
    const { pending } = await held();
    await recordPendingCheck(t.db, pending.id, { status: 'previewed', summary: null });
    await expect(
      confirmPendingImport(t.db, pending.id, 'U0ADMIN', async (trx) => {
        await trx('bill_groups').insert({ name: 'Half Way' });
        throw new Error('connection lost');
      }),
    ).rejects.toThrow('connection lost');
    expect(await t.db('bill_groups').where({ name: 'Half Way' }).first()).toBeUndefined();
    expect(await t.db('pending_imports').where({ id: pending.id }).first('status')).toEqual({ status: 'previewed' });

    const failed = await confirmPendingImport(t.db, pending.id, 'U0ADMIN', async () => ({ applied: false, summary: { totalProblems: 1 }, value: null }));
    expect(failed).toMatchObject({ done: true, pending: { status: 'failed', decidedBy: 'U0ADMIN' } });
  });

  it('cancels once, and refuses to apply what was cancelled, rejected, expired or never held', async () => {
    const apply = jest.fn(async () => ({ applied: true, summary: null, value: null }));
    const cancelled = await held();
    await recordPendingCheck(t.db, cancelled.pending.id, { status: 'previewed', summary: null });
    expect(await cancelPendingImport(t.db, cancelled.pending.id, 'U0ADMIN')).toMatchObject({ done: true, pending: { status: 'cancelled' } });
    expect(await cancelPendingImport(t.db, cancelled.pending.id, 'U0ADMIN')).toMatchObject({ done: false, pending: { status: 'cancelled' } });
    expect(await confirmPendingImport(t.db, cancelled.pending.id, 'U0ADMIN', apply)).toMatchObject({ done: false, pending: { status: 'cancelled' } });

    const rejected = await held();
    await recordPendingCheck(t.db, rejected.pending.id, { status: 'rejected', summary: { totalProblems: 3 } });
    expect((await t.db('pending_imports').where({ id: rejected.pending.id }).first()).content).toBeNull();
    await expect(confirmPendingImport(t.db, rejected.pending.id, 'U0ADMIN', apply)).rejects.toThrow('setup.xlsx had problems, so it cannot be applied');

    const expired = await held(undefined, 1);
    await recordPendingCheck(t.db, expired.pending.id, { status: 'previewed', summary: null });
    await new Promise((r) => setTimeout(r, 20));
    await expect(confirmPendingImport(t.db, expired.pending.id, 'U0ADMIN', apply)).rejects.toThrow(
      'The check of setup.xlsx has expired, so it can no longer be applied; send the file again.',
    );

    await expect(confirmPendingImport(t.db, randomUUID(), 'U0ADMIN', apply)).rejects.toBeInstanceOf(PendingImportError);
    await expect(confirmPendingImport(t.db, 'not-an-id', 'U0ADMIN', apply)).rejects.toThrow('A pending import is named by its id.');
    expect(apply).not.toHaveBeenCalled();

    // Holding the next file drops the bytes of files decided or expired.
    await held();
    expect((await t.db('pending_imports').where({ id: expired.pending.id }).first()).content).toBeNull();
  });
});
