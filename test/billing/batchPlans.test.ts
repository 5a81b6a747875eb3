import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Client } from 'pg';
import { createBilling } from '../../billing';
import { importSetupWorkbook } from '../../sheets';
import { ALL_GROUPS_CONFIGURATION, SETUP_PERIOD, writeSetupWorkbook } from '../bench/workbook';
import { useTestDatabase } from '../helpers/db';

jest.setTimeout(60_000);

/**
 * A bill run's batches read every table by key, whatever the statistics say
 * (billing/billRun/batch.ts). A new user's first preview writes charges and invoices and rolls
 * them back; a VACUUM after it (autovacuum's, a few minutes later) truncates the transactions
 * table to nothing and records it as empty. The first batch of each worker of the run that
 * follows was then planned with a sequential scan of transactions inside a loop (the
 * exactly-once check, once per charge): while the other worker filled the table, one batch of
 * a 400,000-account run took 57 s instead of 0.5 s. Every batch statement's plan is read here
 * (auto_explain, sent to the client as a notice) and none may scan transactions whole.
 */
describe("a bill run's batch plans", () => {
  const t = useTestDatabase();
  let file: string;
  beforeAll(async () => {
    file = path.join(os.tmpdir(), `billbot-plans-${randomBytes(6).toString('hex')}.xlsx`);
    await writeSetupWorkbook(file, 600, { allGroups: true });
  });
  afterAll(async () => {
    await fs.rm(file, { force: true });
  });

  /** A pool whose sessions send the plan of every statement as a notice, kept in `plans`. */
  function explained(url: string, plans: string[]): Knex {
    return knexFactory({
      client: 'pg',
      connection: { connectionString: url },
      pool: {
        min: 0,
        max: 4,
        afterCreate: (conn: Client, done: (e: Error | null, c: Client) => void) => {
          conn.on('notice', (n) => {
            if (n.message?.includes('Query Text')) plans.push(n.message);
          });
          conn.query(
            `LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_level = 'notice';
             SET auto_explain.log_nested_statements = on; SET client_min_messages = 'notice'`,
            (e) => done(e, conn),
          );
        },
      },
    });
  }

  it('use the indexes of transactions after a preview and a VACUUM that left the table empty', async () => {
    const billing = createBilling(t.db);
    const imported = await importSetupWorkbook(billing, file, { actor: 'U_FIN' });
    expect(imported).toMatchObject({ applied: true, problems: [] });
    const request = { configuration: ALL_GROUPS_CONFIGURATION, from: SETUP_PERIOD.start, to: SETUP_PERIOD.end, startedBy: 'U_FIN' };
    const preview = await billing.previewBill(request, { workers: 2, familiesPerBatch: 100 });
    expect(preview.totals.invoicesCreated).toBe(400);
    await t.db.raw('VACUUM transactions, invoices, account_packages');
    const { rows: [table] } = await t.db.raw(
      `SELECT pg_relation_size('transactions') AS bytes, reltuples FROM pg_class WHERE oid = 'transactions'::regclass`,
    );
    // The state the plans went wrong in: no pages, and statistics that say so.
    expect({ bytes: Number(table.bytes), reltuples: Number(table.reltuples) }).toEqual({ bytes: 0, reltuples: 0 });

    const plans: string[] = [];
    const db = explained(t.url, plans);
    try {
      const run = await createBilling(db).bill(request, { workers: 2, familiesPerBatch: 100 });
      expect(run.totals.invoicesCreated).toBe(400);
    } finally {
      await db.destroy();
    }
    const batches = plans.filter((p) => p.includes('Insert on transactions'));
    expect(batches.length).toBe(4);
    const scanned = batches.filter((p) => /Seq Scan on transactions/.test(p));
    expect(scanned).toEqual([]);
    // The exactly-once check of each charge looks up the unique index.
    for (const p of batches) expect(p).toMatch(/Index Only Scan using transactions_charge_once/);
  });
});
