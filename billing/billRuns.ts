import type { Knex } from 'knex';
import { z } from 'zod';
import { findAccount, formatInvoiceNumber } from './accounts';
import { BillRunConfiguration, findConfiguration, periodFor } from './configurations';
import { isoDateSchema, Period, period as makePeriod, todayIn } from './dates';
import { describeSkip, SkipReason } from './eligibility';
import { AccountNotBillableError, BillingError, ConfigurationCannotBillError, InvalidInputError, UnknownBillRunError } from './errors';
import { disburseAutomatically } from './ledger';
import { Money } from './money';
import { firstIssue, nameSchema } from './schemas';

type Db = Knex | Knex.Transaction;

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
  /** Called after each batch commits. */
  onProgress?: (p: { runId: number; batchesDone: number; batchesTotal: number }) => void | Promise<void>;
}

export interface BilledPackage {
  account: string;
  package: string;
  periodStart: string;
  periodEnd: string;
  amount: string;
  currency: string;
  nextBillDate: string;
}

export interface SkippedPackage {
  account: string;
  package: string;
  reason: SkipReason;
  nextBillDate: string;
  message: string;
}

export interface InvoiceSummary {
  number: string;
  invoicer: string;
  currency: string;
  total: string;
  balance: string;
  status: string;
}

export interface BillRunReport {
  preview: boolean;
  run: {
    id: number;
    status: 'scheduled' | 'running' | 'completed' | 'failed';
    configuration: string;
    scope: 'account' | 'bill groups';
    account: string | null;
    periodStart: string;
    periodEnd: string;
    postingDate: string;
    invoiceDate: string;
    startedBy: string;
    error: string | null;
    createdAt: string;
    finishedAt: string | null;
    batchesDone: number;
    batchesTotal: number;
  };
  totals: {
    accountsBilled: number;
    packagesBilled: number;
    packagesSkipped: number;
    charges: number;
    invoicesCreated: number;
    invoicedByCurrency: Record<string, string>;
    creditsIssued: number;
    creditsDisbursed: number;
    reversalsApplied: number;
  };
  billed: BilledPackage[];
  skipped: SkippedPackage[];
  invoices: InvoiceSummary[];
  /** True when the lists above were cut to the detail limit (the totals are always whole). */
  truncated: boolean;
}

class PreviewRollback extends Error {}

function parseRequest(request: BillRequest) {
  const parsed = billRequestSchema.safeParse(request);
  if (!parsed.success) throw new InvalidInputError(firstIssue(parsed.error));
  return parsed.data;
}

/**
 * Records a bill run and plans its batches, in one transaction, before any billing.
 * A request key already used returns the run it started instead of a new one.
 */
export async function startBillRun(
  db: Db,
  request: BillRequest,
  options: RunOptions = {},
): Promise<{ runId: number; created: boolean }> {
  const req = parseRequest(request);
  const clock = options.clock ?? systemClock;
  try {
    return await recordBillRun(db, req, clock, options);
  } catch (error) {
    // The same request key sent twice at once (a double click): both callers found no run with
    // the key, and the unique index refused the second insert. That caller gets the first's run.
    if (req.requestKey && (error as { constraint?: string }).constraint === 'bill_runs_request_key') {
      const existing = await db('bill_runs').where('request_key', req.requestKey).first('id');
      if (existing) return { runId: existing.id, created: false };
    }
    throw error;
  }
}

async function recordBillRun(
  db: Db,
  req: ReturnType<typeof parseRequest>,
  clock: Clock,
  options: RunOptions,
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
    await planBatches(trx, run.id, config, account?.id ?? null, options.familiesPerBatch ?? 1000);
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

/** Splits the run's accounts into batches of whole invoicer families (a family is billed in one transaction). */
async function planBatches(
  trx: Knex.Transaction,
  runId: number,
  config: BillRunConfiguration,
  accountId: number | null,
  familiesPerBatch: number,
): Promise<number> {
  const scope = accountId
    ? `SELECT ?::bigint AS id
       UNION
       SELECT a.id FROM accounts a JOIN scope s ON a.invoicer_id = s.id WHERE a.status <> 'cancelled'`
    : `SELECT a.id FROM accounts a
       JOIN bill_run_configuration_groups cg ON cg.bill_group_id = a.bill_group_id
       WHERE cg.configuration_id = ? AND a.status <> 'cancelled'`;
  const { rowCount } = await trx.raw(
    `WITH RECURSIVE scope(id) AS (${scope}),
     up(account_id, cur, next, depth) AS (
       SELECT s.id, s.id, a.invoicer_id, 0 FROM scope s JOIN accounts a ON a.id = s.id
       UNION ALL
       SELECT up.account_id, i.id, i.invoicer_id, up.depth + 1 FROM up JOIN accounts i ON i.id = up.next WHERE up.depth < 100
     ),
     families AS (
       SELECT account_id, cur AS bill_to, (dense_rank() OVER (ORDER BY cur) - 1) / ? AS batch_no
       FROM up WHERE next IS NULL
     )
     INSERT INTO bill_run_batches (bill_run_id, batch_no, account_ids)
     SELECT ?, batch_no, array_agg(account_id ORDER BY account_id) FROM families GROUP BY batch_no`,
    [accountId ?? config.id, familiesPerBatch, runId],
  );
  return rowCount ?? 0;
}

interface RunRow {
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

/**
 * Bills one batch of accounts inside the caller's transaction: charges, skips, then
 * (with invoice generation) one invoice per invoicer with its credits and reversals.
 */
async function billBatch(trx: Knex.Transaction, run: RunRow, accountIds: number[]): Promise<void> {
  // Who each account invoices to, following invoicer links to the end.
  const { rows: family } = await trx.raw(
    `WITH RECURSIVE up(account_id, cur, next, depth) AS (
       SELECT a.id, a.id, a.invoicer_id, 0 FROM unnest(?::bigint[]) AS u(id) JOIN accounts a ON a.id = u.id
       UNION ALL
       SELECT up.account_id, i.id, i.invoicer_id, up.depth + 1 FROM up JOIN accounts i ON i.id = up.next WHERE up.depth < 100
     ) SELECT account_id, cur AS bill_to FROM up WHERE next IS NULL`,
    [accountIds],
  );
  const ids: number[] = family.map((r: any) => r.account_id);
  const invoicers = [...new Set<number>(family.map((r: any) => r.bill_to))].sort((a, b) => a - b);
  // Every write that touches an invoicer's money takes the invoicer's row lock first, in id
  // order: two runs (or a run and a disbursement) for one family wait for each other.
  await trx.raw(
    'SELECT a.id FROM unnest(?::bigint[]) AS u(id) JOIN accounts a ON a.id = u.id ORDER BY a.id FOR UPDATE OF a',
    [invoicers],
  );

  const params = { run: run.id, ps: run.period_start, pe: run.period_end, posting: run.posting_date };
  if (run.bill_packages) {
    await trx.raw(
      `WITH due AS MATERIALIZED (
         SELECT ap.id, ap.account_id, ap.package_id, ap.quantity, ap.next_bill_date, ap.anchor_day, ap.cancel_date,
                CASE p.frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 WHEN 'semiannual' THEN 6 ELSE 12 END AS months
         FROM unnest(:ids::bigint[]) AS u(id)
         JOIN accounts a ON a.id = u.id
         JOIN account_packages ap ON ap.account_id = a.id
         JOIN packages p ON p.id = ap.package_id
         WHERE ap.status = 'active' AND a.status = 'active'
           AND ap.next_bill_date BETWEEN :ps::date AND :pe::date
           AND (ap.cancel_date IS NULL OR ap.next_bill_date < ap.cancel_date)
       ),
       periods AS (
         SELECT due.*,
                billbot_add_months(due.next_bill_date, k * due.months, due.anchor_day) AS period_start,
                billbot_add_months(due.next_bill_date, (k + 1) * due.months, due.anchor_day) AS next_date
         FROM due CROSS JOIN LATERAL generate_series(0,
           ((extract(year FROM :pe::date) - extract(year FROM due.next_bill_date)) * 12
             + extract(month FROM :pe::date) - extract(month FROM due.next_bill_date))::int / due.months) AS k
       ),
       billable AS MATERIALIZED (
         SELECT * FROM periods
         WHERE period_start <= :pe::date AND (cancel_date IS NULL OR period_start < cancel_date)
       ),
       charged AS (
         INSERT INTO transactions (kind, account_id, account_package_id, service_id, period_start, period_end,
                                   quantity, amount, posting_date, bill_run_id)
         SELECT 'charge', b.account_id, b.id, s.id, b.period_start, b.next_date - 1,
                b.quantity, COALESCE(o.price, s.price) * b.quantity, :posting::date, :run
         FROM billable b
         JOIN services s ON s.package_id = b.package_id
         LEFT JOIN service_price_overrides o ON o.account_package_id = b.id AND o.service_id = s.id
         ON CONFLICT DO NOTHING
         RETURNING id
       ),
       moved AS (
         UPDATE account_packages ap SET next_bill_date = x.next_date
         FROM (SELECT id, max(next_date) AS next_date FROM billable GROUP BY id) x
         WHERE ap.id = x.id
       )
       -- Every other package of these accounts is reported as skipped, with its reason. The
       -- statement sees the snapshot from before its own updates, so next_bill_date is as found.
       INSERT INTO bill_run_skips (bill_run_id, account_package_id, reason, next_bill_date)
       SELECT :run, ap.id,
         CASE
           WHEN a.status <> 'active' THEN 'account ' || a.status
           WHEN ap.status <> 'active' THEN 'package ' || ap.status
           WHEN EXISTS (SELECT 1 FROM transactions t WHERE t.account_package_id = ap.id AND t.kind = 'charge'
                          AND t.period_start BETWEEN :ps::date AND :pe::date) THEN 'already billed'
           WHEN ap.cancel_date IS NOT NULL AND ap.next_bill_date >= ap.cancel_date THEN 'ended'
           WHEN ap.next_bill_date > :pe::date THEN 'not due'
           ELSE 'before period'
         END,
         ap.next_bill_date
       FROM unnest(:ids::bigint[]) AS u(id)
       JOIN accounts a ON a.id = u.id
       JOIN account_packages ap ON ap.account_id = a.id
       WHERE ap.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM billable b WHERE b.id = ap.id)
       ON CONFLICT DO NOTHING`,
      { ...params, ids },
    );
  }
  if (!run.generate_invoice) return;

  // Accounts whose transactions and credits this batch may invoice, with their invoicer:
  // the billed accounts, and each invoicer itself (its credits go on its own invoice).
  // `billed` says whether the account's charges belong on the invoice (an invoicer that was
  // not itself billed in this run contributes only its credits and reversals).
  const pairs = new Map<number, { billTo: number; billed: boolean }>();
  for (const r of family) pairs.set(r.account_id, { billTo: r.bill_to, billed: true });
  for (const i of invoicers) if (!pairs.has(i)) pairs.set(i, { billTo: i, billed: false });
  const pairAccounts = [...pairs.keys()];
  const pairBillTos = pairAccounts.map((a) => pairs.get(a)!.billTo);
  const pairBilled = pairAccounts.map((a) => pairs.get(a)!.billed);

  await trx.raw(
    `INSERT INTO transactions (kind, account_id, credit_id, quantity, amount, posting_date, bill_run_id)
     SELECT 'reversed credit', c.account_id, c.id, 1, c.reversed_amount, :posting::date, :run
     FROM unnest(:accounts::bigint[]) AS u(id)
     JOIN credits c ON c.account_id = u.id
     WHERE c.status = 'reversal pending'
     ON CONFLICT DO NOTHING`,
    { ...params, accounts: pairAccounts },
  );

  const mapping = `unnest(:accounts::bigint[], :billTos::bigint[], :billed::boolean[]) AS m(account_id, bill_to, billed)`;
  const waiting = `t.invoice_id IS NULL AND (m.billed OR t.kind = 'reversed credit')`;
  const { rows: groups } = await trx.raw(
    `SELECT m.bill_to, sum(t.amount) AS total
     FROM transactions t JOIN ${mapping} ON m.account_id = t.account_id
     WHERE ${waiting}
     GROUP BY m.bill_to ORDER BY m.bill_to`,
    { accounts: pairAccounts, billTos: pairBillTos, billed: pairBilled },
  );
  if (groups.length === 0) return;

  // Gapless numbers: the counter row is updated inside this transaction, so a rollback gives the numbers back.
  const { rows: numbering } = await trx.raw(
    `UPDATE settings SET next_invoice_number = next_invoice_number + ? RETURNING next_invoice_number - ? AS first`,
    [groups.length, groups.length],
  );
  const first = Number(numbering[0].first);
  const { rows: invoices } = await trx.raw(
    `INSERT INTO invoices (number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end,
                           currency, total, balance, status)
     SELECT g.number, g.bill_to, :run, :invoiceDate::date, :posting::date, :ps::date, :pe::date, a.currency,
            g.total, g.total, CASE WHEN g.total = 0 THEN 'paid' ELSE 'open' END
     FROM unnest(:billTos::bigint[], :numbers::bigint[], :totals::numeric[]) AS g(bill_to, number, total)
     JOIN accounts a ON a.id = g.bill_to
     RETURNING id, account_id`,
    {
      ...params,
      invoiceDate: run.invoice_date,
      billTos: groups.map((g: any) => g.bill_to),
      numbers: groups.map((_: unknown, i: number) => first + i),
      totals: groups.map((g: any) => g.total),
    },
  );
  const invoiceIds = invoices.map((i: any) => i.id);
  const invoiceOf = `unnest(:invoicers::bigint[], :invoiceIds::bigint[]) AS inv(account_id, invoice_id)`;
  const invParams = {
    accounts: pairAccounts,
    billTos: pairBillTos,
    billed: pairBilled,
    invoicers: invoices.map((i: any) => i.account_id),
    invoiceIds,
    actor: run.started_by,
  };
  await trx.raw(
    `UPDATE transactions t SET invoice_id = inv.invoice_id
     FROM ${mapping} JOIN ${invoiceOf} ON inv.account_id = m.bill_to
     WHERE m.account_id = t.account_id AND ${waiting}`,
    invParams,
  );

  // Issue every unissued credit of these accounts and their invoicers onto the new invoice.
  const { rows: issued } = await trx.raw(
    `WITH issued AS (
       UPDATE credits c SET status = 'issued', issued_invoice_id = inv.invoice_id, amount_left = c.amount
       FROM ${mapping} JOIN ${invoiceOf} ON inv.account_id = m.bill_to
       WHERE c.account_id = m.account_id AND c.status = 'unissued'
       RETURNING c.id, c.auto_disburse, c.amount, inv.invoice_id
     ),
     ev AS (
       INSERT INTO credit_events (credit_id, action, actor, before, after)
       SELECT id, 'issued', :actor, jsonb_build_object('status', 'unissued'),
              jsonb_build_object('status', 'issued', 'issued_invoice_id', invoice_id, 'amount_left', amount::text)
       FROM issued
     )
     SELECT id, auto_disburse FROM issued`,
    invParams,
  );
  await trx.raw(
    `WITH reversed AS (
       UPDATE credits c SET status = 'reversed', reversal_invoice_id = t.invoice_id
       FROM unnest(:invoiceIds::bigint[]) AS n(id) JOIN transactions t ON t.invoice_id = n.id
       WHERE t.credit_id = c.id AND t.kind = 'reversed credit'
         AND c.status = 'reversal pending'
       RETURNING c.id, c.reversed_amount, t.invoice_id
     )
     INSERT INTO credit_events (credit_id, action, actor, before, after)
     SELECT id, 'reversed', :actor, jsonb_build_object('status', 'reversal pending'),
            jsonb_build_object('status', 'reversed', 'reversal_invoice_id', invoice_id, 'reversed_amount', reversed_amount::text)
     FROM reversed`,
    invParams,
  );
  await disburseAutomatically(
    trx,
    issued.filter((c: any) => c.auto_disburse).map((c: any) => c.id),
    run.started_by,
  );
}

async function loadRun(db: Db, runId: number): Promise<RunRow> {
  const run = await db('bill_runs').where('id', runId).first();
  if (!run) throw new UnknownBillRunError(`There is no bill run #${runId}.`);
  return run;
}

/**
 * Works through a run's pending batches: each batch is claimed (FOR UPDATE SKIP LOCKED, so
 * several processes share one run), billed and marked done in one transaction. The last
 * worker to finish completes the run. A failure marks the run failed; running it again
 * resumes with the batches not yet done.
 */
export async function executeBillRun(db: Db, runId: number, options: RunOptions = {}): Promise<BillRunReport> {
  const run = await loadRun(db, runId);
  if (run.status === 'completed') return getBillRunReport(db, runId);
  await db('bill_runs')
    .where('id', runId)
    .whereIn('status', ['scheduled', 'failed', 'running'])
    .update({ status: 'running', error: null, started_at: db.raw('COALESCE(started_at, now())') });
  const total = Number((await db('bill_run_batches').where('bill_run_id', runId).count('* as n').first())?.n ?? 0);
  try {
    for (;;) {
      const claimed = await db.transaction(async (trx) => {
        const batch = await trx('bill_run_batches')
          .where({ bill_run_id: runId, done: false })
          .orderBy('batch_no')
          .forUpdate()
          .skipLocked()
          .first('batch_no', 'account_ids');
        if (!batch) return false;
        await billBatch(trx, run, batch.account_ids.map(Number));
        await trx('bill_run_batches')
          .where({ bill_run_id: runId, batch_no: batch.batch_no })
          .update({ done: true, done_at: trx.fn.now() });
        return true;
      });
      if (!claimed) break;
      if (options.onProgress) {
        const done = Number((await db('bill_run_batches').where({ bill_run_id: runId, done: true }).count('* as n').first())?.n ?? 0);
        await options.onProgress({ runId, batchesDone: done, batchesTotal: total });
      }
    }
  } catch (error) {
    const message = failureReason(error);
    await db('bill_runs')
      .where({ id: runId, status: 'running' })
      .update({ status: 'failed', error: message, finished_at: db.fn.now() })
      .catch(() => undefined);
    throw error;
  }
  await db.transaction(async (trx) => {
    const pending = await trx('bill_run_batches').where({ bill_run_id: runId, done: false }).first('batch_no');
    if (pending) return; // another process is still billing a batch; it completes the run
    const locked = await trx('bill_runs').where({ id: runId, status: 'running' }).forUpdate().first('id');
    if (!locked) return;
    const report = await buildReport(trx, runId, 0);
    await trx('bill_runs')
      .where('id', runId)
      .update({ status: 'completed', finished_at: trx.fn.now(), summary: JSON.stringify(report.totals) });
  });
  return getBillRunReport(db, runId);
}

/**
 * Why a run failed, as stored and shown to people: a billing refusal's own sentence, or a
 * database error's message without the SQL that knex puts in front of it ("<sql> - <reason>").
 */
export function failureReason(error: unknown): string {
  if (error instanceof BillingError) return error.message;
  const raw = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  const isDatabaseError = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  const text = isDatabaseError ? (raw.split(' - ').pop() as string) : raw;
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}

/** Records and bills a run at once, returning its report. */
export async function bill(db: Db, request: BillRequest, options: RunOptions = {}): Promise<BillRunReport> {
  const { runId } = await startBillRun(db, request, options);
  let report = await executeBillRun(db, runId, options);
  // Another caller shares the run (the same request key sent twice at once, or a process
  // resuming it) and is still billing a batch this caller could not claim. Wait for that batch
  // to commit (FOR SHARE waits on its lock), then help finish the run, so that every caller
  // reports the finished run.
  for (let i = 0; report.run.status === 'running' && i < 100; i++) {
    await db.transaction(async (trx) => {
      await trx('bill_run_batches').where({ bill_run_id: runId, done: false }).forShare().select('batch_no');
    });
    report = await executeBillRun(db, runId, options);
  }
  return report;
}

/**
 * A dry run: performs exactly what `bill` would, inside a transaction that is rolled back,
 * so it reports the real outcome and leaves nothing behind (no run, no invoice number used).
 */
export async function previewBill(db: Knex, request: BillRequest, options: RunOptions = {}): Promise<BillRunReport> {
  let report: BillRunReport | undefined;
  try {
    await db.transaction(async (trx) => {
      const { runId } = await startBillRun(trx, { ...request, requestKey: null }, options);
      await executeBillRun(trx, runId, { ...options, onProgress: undefined });
      report = await getBillRunReport(trx, runId);
      throw new PreviewRollback();
    });
  } catch (e) {
    if (!(e instanceof PreviewRollback)) throw e;
  }
  if (!report) throw new Error('preview produced no report');
  return { ...report, preview: true };
}

/**
 * Runs that were started and not finished because a process stopped part way (status
 * scheduled or running). Failed runs are not listed: they wait for a person to run them again.
 */
export async function unfinishedBillRuns(db: Db): Promise<{ id: number; status: string }[]> {
  return db('bill_runs').whereIn('status', ['scheduled', 'running']).orderBy('id').select('id', 'status');
}

export async function getBillRunReport(db: Db, runId: number, detailLimit = 200): Promise<BillRunReport> {
  return buildReport(db, runId, detailLimit);
}

async function buildReport(db: Db, runId: number, detailLimit: number): Promise<BillRunReport> {
  const run = await db('bill_runs as r')
    .join('bill_run_configurations as c', 'c.id', 'r.configuration_id')
    .leftJoin('accounts as a', 'a.id', 'r.account_id')
    .where('r.id', runId)
    .first('r.*', 'c.name as configuration', 'a.name as account');
  if (!run) throw new UnknownBillRunError(`There is no bill run #${runId}.`);
  const prefix = (await db('settings').first('invoice_prefix')).invoice_prefix as string;
  const billingPeriod = { start: run.period_start, end: run.period_end };

  const { rows: [t] } = await db.raw(
    `SELECT
       (SELECT count(DISTINCT account_id) FROM transactions WHERE bill_run_id = :id AND kind = 'charge') AS accounts_billed,
       (SELECT count(DISTINCT account_package_id) FROM transactions WHERE bill_run_id = :id AND kind = 'charge') AS packages_billed,
       (SELECT count(*) FROM transactions WHERE bill_run_id = :id AND kind = 'charge') AS charges,
       (SELECT count(*) FROM bill_run_skips WHERE bill_run_id = :id) AS packages_skipped,
       (SELECT count(*) FROM invoices WHERE bill_run_id = :id) AS invoices_created,
       (SELECT count(*) FROM transactions WHERE bill_run_id = :id AND kind = 'reversed credit') AS reversals_applied,
       (SELECT count(*) FROM credits c JOIN invoices i ON i.id = c.issued_invoice_id WHERE i.bill_run_id = :id) AS credits_issued,
       (SELECT count(*) FROM disbursements d JOIN credits c ON c.id = d.credit_id JOIN invoices i ON i.id = c.issued_invoice_id
          WHERE i.bill_run_id = :id AND d.automatic) AS credits_disbursed,
       (SELECT count(*) FROM bill_run_batches WHERE bill_run_id = :id) AS batches_total,
       (SELECT count(*) FROM bill_run_batches WHERE bill_run_id = :id AND done) AS batches_done`,
    { id: runId },
  );
  const byCurrency = await db('invoices').where('bill_run_id', runId).groupBy('currency').select('currency', db.raw('sum(total) AS total'));
  const invoicedByCurrency: Record<string, string> = {};
  for (const r of byCurrency) invoicedByCurrency[r.currency] = Money.exact(r.total, r.currency).toString();

  const limit = detailLimit > 0 ? detailLimit : 0;
  const billedRows = limit
    ? await db.raw(
        `SELECT a.name AS account, p.name AS package, t.period_start, t.period_end, sum(t.amount) AS amount,
                a.currency, ap.next_bill_date
         FROM transactions t
         JOIN accounts a ON a.id = t.account_id
         JOIN account_packages ap ON ap.id = t.account_package_id
         JOIN packages p ON p.id = ap.package_id
         WHERE t.bill_run_id = ? AND t.kind = 'charge'
         GROUP BY a.name, p.name, t.period_start, t.period_end, a.currency, ap.next_bill_date, ap.id
         ORDER BY a.name, p.name, t.period_start
         LIMIT ?`,
        [runId, limit + 1],
      )
    : { rows: [] };
  const skippedRows = limit
    ? await db.raw(
        `SELECT a.name AS account, p.name AS package, s.reason, s.next_bill_date,
                prior.period_start AS billed_start, prior.period_end AS billed_end, prior.number AS billed_invoice
         FROM bill_run_skips s
         JOIN account_packages ap ON ap.id = s.account_package_id
         JOIN accounts a ON a.id = ap.account_id
         JOIN packages p ON p.id = ap.package_id
         LEFT JOIN LATERAL (
           SELECT t.period_start, t.period_end, i.number FROM transactions t LEFT JOIN invoices i ON i.id = t.invoice_id
           WHERE t.account_package_id = ap.id AND t.kind = 'charge' AND t.period_start BETWEEN ? AND ?
           ORDER BY t.period_start DESC LIMIT 1
         ) prior ON s.reason = 'already billed'
         WHERE s.bill_run_id = ?
         ORDER BY a.name, p.name
         LIMIT ?`,
        [run.period_start, run.period_end, runId, limit + 1],
      )
    : { rows: [] };
  const invoiceRows = limit
    ? await db('invoices as i')
        .join('accounts as a', 'a.id', 'i.account_id')
        .where('i.bill_run_id', runId)
        .orderBy('i.number')
        .limit(limit + 1)
        .select('i.number', 'a.name as invoicer', 'i.currency', 'i.total', 'i.balance', 'i.status')
    : [];

  const truncated = billedRows.rows.length > limit || skippedRows.rows.length > limit || invoiceRows.length > limit;
  return {
    preview: false,
    run: {
      id: run.id,
      status: run.status,
      configuration: run.configuration,
      scope: run.scope,
      account: run.account ?? null,
      periodStart: run.period_start,
      periodEnd: run.period_end,
      postingDate: run.posting_date,
      invoiceDate: run.invoice_date,
      startedBy: run.started_by,
      error: run.error,
      createdAt: new Date(run.created_at).toISOString(),
      finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null,
      batchesDone: Number(t.batches_done),
      batchesTotal: Number(t.batches_total),
    },
    totals: {
      accountsBilled: Number(t.accounts_billed),
      packagesBilled: Number(t.packages_billed),
      packagesSkipped: Number(t.packages_skipped),
      charges: Number(t.charges),
      invoicesCreated: Number(t.invoices_created),
      invoicedByCurrency,
      creditsIssued: Number(t.credits_issued),
      creditsDisbursed: Number(t.credits_disbursed),
      reversalsApplied: Number(t.reversals_applied),
    },
    billed: billedRows.rows.slice(0, limit).map((r: any) => ({
      account: r.account,
      package: r.package,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      amount: Money.exact(r.amount, r.currency).toString(),
      currency: r.currency,
      nextBillDate: r.next_bill_date,
    })),
    skipped: skippedRows.rows.slice(0, limit).map((r: any) => ({
      account: r.account,
      package: r.package,
      reason: r.reason,
      nextBillDate: r.next_bill_date,
      message: describeSkip({
        reason: r.reason,
        nextBillDate: r.next_bill_date,
        period: billingPeriod,
        alreadyBilled: r.billed_start
          ? {
              periodStart: r.billed_start,
              periodEnd: r.billed_end,
              invoice: r.billed_invoice ? formatInvoiceNumber(prefix, Number(r.billed_invoice)) : null,
            }
          : null,
      }),
    })),
    invoices: invoiceRows.slice(0, limit).map((r: any) => ({
      number: formatInvoiceNumber(prefix, Number(r.number)),
      invoicer: r.invoicer,
      currency: r.currency,
      total: Money.exact(r.total, r.currency).toString(),
      balance: Money.exact(r.balance, r.currency).toString(),
      status: r.status,
    })),
    truncated,
  };
}
