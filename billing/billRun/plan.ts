import type { Knex } from 'knex';
import { z } from 'zod';
import { findAccount } from '../accounts';
import { BillRunConfiguration, findConfiguration, periodFor } from '../configurations';
import { isoDateSchema, Period, period as makePeriod, todayIn } from '../dates';
import { AccountNotBillableError, ConfigurationCannotBillError, InvalidInputError, UnknownBillRunError } from '../errors';
import { firstIssue, nameSchema } from '../schemas';
import type { Db } from '../db';

/**
 * Planning a bill run: what it bills. The request is checked, the run recorded with its
 * configuration, period and posting date, and its accounts (an account and those that invoice
 * to it, or the configuration's bill groups) cut into batches of whole invoicer families, all
 * in one transaction before any billing.
 */

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export const billRequestSchema = z
  .object({
    /** Bill this account (and the accounts that invoice to it); absent: the configuration's bill groups. */
    account: nameSchema.nullish(),
    configuration: nameSchema.nullish(),
    from: isoDateSchema.nullish(),
    to: isoDateSchema.nullish(),
    posting: isoDateSchema.nullish(),
    startedBy: z.string().trim().min(1, 'A bill run must say who started it.'),
    /** A stable key for the request (a Slack view id, a button's request id): the same key never bills twice. */
    requestKey: z.string().trim().min(1).max(200).nullish(),
  })
  .refine((r) => (r.from == null) === (r.to == null), {
    message: 'Give both ends of the billing period (from YYYY-MM-DD to YYYY-MM-DD), or neither.',
  });
export type BillRequest = z.input<typeof billRequestSchema>;

export interface RunOptions {
  clock?: Clock;
  /** Invoicer families per batch (each batch is one transaction). */
  familiesPerBatch?: number;
  /**
   * Batches billed at the same time by this call, each in its own transaction on its own
   * connection (default DEFAULT_WORKERS). Inside a caller's transaction (a preview) there is one.
   */
  workers?: number;
  /** Called after each batch commits (never twice at the same time). */
  onProgress?: (p: { runId: number; batchesDone: number; batchesTotal: number }) => void | Promise<void>;
}

/**
 * One part of a run's invoicer families: the run's batches (in invoicer order) dealt out in
 * turn to `parts` parts, the one counted `part` from 0 (batch_no % parts = part). A preview
 * bills its parts at once.
 */
export interface Share {
  part: number;
  parts: number;
}

export const WHOLE: Share = { part: 0, parts: 1 };

export function parseRequest(request: BillRequest) {
  const parsed = billRequestSchema.safeParse(request);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  return parsed.data;
}

/** Records a run (or a preview's share of one) and plans its batches, in one transaction. */
export async function recordBillRun(
  db: Db,
  req: ReturnType<typeof parseRequest>,
  clock: Clock,
  options: RunOptions,
  share: Share = WHOLE,
): Promise<{ runId: number; created: boolean }> {
  return db.transaction(async (trx) => {
    if (req.requestKey) {
      const existing = await trx('bill_runs').where('request_key', req.requestKey).first('id');
      if (existing) return { runId: existing.id, created: false };
    }
    const config = await findConfiguration(trx, req.configuration);
    if (!config.billPackages && !config.generateInvoice) {
      throw new ConfigurationCannotBillError(
        `Configuration "${config.name}" neither bills packages nor generates invoices, so a run would do nothing.`,
      );
    }
    const account = req.account ? await findAccount(trx, req.account) : null;
    if (account) {
      // Lock order (README, "Locks"): an invoicer's row first. The run's row refers to its
      // account (a key-share lock); when that account is an invoicer, lock it first, or two
      // previews of it (each one transaction) deadlock.
      await trx('accounts').where('id', account.id).whereNull('invoicer_id').forUpdate().first('id');
    }
    if (account && account.status !== 'active') {
      throw new AccountNotBillableError(`Account "${account.name}" is ${account.status}; only active accounts can be billed.`);
    }
    if (!account && config.billGroups.length === 0) {
      throw new ConfigurationCannotBillError(`Configuration "${config.name}" targets no bill group; name an account to bill.`);
    }
    const runDate = todayIn(config.timeZone, clock.now());
    const billing: Period = req.from && req.to ? makePeriod(req.from, req.to) : periodFor(config, runDate);
    const posting = req.posting ?? runDate;
    const [run] = await trx('bill_runs')
      .insert({
        configuration_id: config.id,
        scope: account ? 'account' : 'bill groups',
        account_id: account?.id ?? null,
        period_start: billing.start,
        period_end: billing.end,
        posting_date: posting,
        invoice_date: runDate,
        bill_packages: config.billPackages,
        generate_invoice: config.generateInvoice,
        started_by: req.startedBy,
        request_key: req.requestKey ?? null,
        status: 'scheduled',
      })
      .returning('id');
    await planBatches(trx, run.id, config, account?.id ?? null, options.familiesPerBatch ?? 5000, share);
    if (account && config.billPackages) {
      // Billable means an active package on an active account (an inactive child's packages are not).
      const billable = await trx('bill_run_batches as b')
        .joinRaw('JOIN account_packages ap ON ap.account_id = ANY(b.account_ids)')
        .join('accounts as a', 'a.id', 'ap.account_id')
        .where('b.bill_run_id', run.id)
        .where('ap.status', 'active')
        .where('a.status', 'active')
        .first('ap.id');
      if (!billable) {
        throw new AccountNotBillableError(
          `Account "${account.name}" has no active package to bill (nor has any account that invoices to it).`,
        );
      }
    }
    return { runId: run.id, created: true };
  });
}

/**
 * Splits the run's accounts (or the share of them given) into batches of whole invoicer
 * families (a family is billed in one transaction).
 */
async function planBatches(
  trx: Knex.Transaction,
  runId: number,
  config: BillRunConfiguration,
  accountId: number | null,
  familiesPerBatch: number,
  share: Share,
): Promise<number> {
  const scope = accountId
    ? `SELECT a.id, a.invoicer_id FROM accounts a WHERE a.id = :scope::bigint
       UNION
       SELECT a.id, a.invoicer_id FROM accounts a JOIN scope s ON a.invoicer_id = s.id WHERE a.status <> 'cancelled'`
    : `SELECT a.id, a.invoicer_id FROM accounts a
       JOIN bill_run_configuration_groups cg ON cg.bill_group_id = a.bill_group_id
       WHERE cg.configuration_id = :scope AND a.status <> 'cancelled'`;
  // It sorts every account of the run twice (by invoicer, then by batch): with the default 4 MB
  // of work memory, 100,000 accounts spilled to disk (0.3 s of the 0.55 s this statement took).
  await trx.raw(`SET LOCAL work_mem = '64MB'`);
  const { rowCount } = await trx.raw(
    `WITH RECURSIVE scope(id, invoicer_id) AS (${scope}),
     -- Who each account that invoices to another invoices to in the end: its invoicer links
     -- followed by look-ups by id (LIMIT 1 for each step up; hashing every account for the
     -- join cost more, 0.25 s against 0.16 s at 100,000 accounts). An invoicer is its own root.
     up(account_id, cur, next, depth) AS (
       SELECT s.id, s.invoicer_id, i.invoicer_id, 1 FROM scope s
       CROSS JOIN LATERAL (SELECT i.invoicer_id FROM accounts i WHERE i.id = s.invoicer_id LIMIT 1) i
       WHERE s.invoicer_id IS NOT NULL
       UNION ALL
       SELECT up.account_id, i.id, i.invoicer_id, up.depth + 1
       FROM up CROSS JOIN LATERAL (SELECT i.id, i.invoicer_id FROM accounts i WHERE i.id = up.next LIMIT 1) i
       WHERE up.depth < 100
     ),
     roots(account_id, cur) AS (
       SELECT id, id FROM scope WHERE invoicer_id IS NULL
       UNION ALL
       SELECT account_id, cur FROM up WHERE next IS NULL
     ),
     -- Each account's batch: the families in invoicer order, cut into batches of perBatch families.
     -- A preview's part has every \`parts\`-th batch: the parts have as many batches, and their
     -- accounts are spread over the invoicer order (and so over the names, where those follow
     -- it), not one part the first half and the other the second (Share).
     families AS (
       SELECT account_id, (dense_rank() OVER w - 1) / :perBatch::bigint AS batch_no
       FROM roots
       WINDOW w AS (ORDER BY cur)
     )
     INSERT INTO bill_run_batches (bill_run_id, batch_no, account_ids)
     SELECT :run, batch_no, array_agg(account_id ORDER BY account_id) FROM families
     WHERE batch_no % :parts::bigint = :part GROUP BY batch_no`,
    { scope: accountId ?? config.id, perBatch: familiesPerBatch, parts: share.parts, run: runId, part: share.part },
  );
  return rowCount ?? 0;
}

/** A recorded run (its bill_runs row) as its batches read it. */
export interface RunRow {
  id: number;
  period_start: string;
  period_end: string;
  posting_date: string;
  invoice_date: string;
  bill_packages: boolean;
  generate_invoice: boolean;
  started_by: string;
  status: string;
}

export async function loadRun(db: Db, runId: number): Promise<RunRow> {
  const run = await db('bill_runs').where('id', runId).first();
  if (!run) throw new UnknownBillRunError(`There is no bill run #${runId}.`);
  return run;
}
