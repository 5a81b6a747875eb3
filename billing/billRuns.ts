import type { Knex } from 'knex';
import { z } from 'zod';
import { findAccount, formatInvoiceNumber, invoicePrefix } from './accounts';
import { BillRunConfiguration, findConfiguration, periodFor } from './configurations';
import { isoDateSchema, Period, period as makePeriod, todayIn } from './dates';
import { describeSkip, SkipReason } from './eligibility';
import { AccountNotBillableError, BillingError, ConfigurationCannotBillError, InvalidInputError, UnknownBillRunError } from './errors';
import { disburseAutomatically } from './ledger';
import { Money } from './money';
import { firstIssue, nameSchema } from './schemas';
import type { Db } from './db';

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

/**
 * Batches billed at once by default: two, one per core of the machine billbot was measured on
 * (test/bench/RESULTS.md). A batch is mostly the database's work on one core, so a second
 * batch in flight uses the second; the outcome is the same, only the order in which batches
 * finish (and which invoicer gets which invoice number) can differ.
 */
export const DEFAULT_WORKERS = 2;

/** The foreign keys that refer to invoices from the rows a batch writes before its invoices. */
const INVOICE_KEYS = ['transactions_invoice_id_fkey', 'credits_issued_invoice_id_fkey', 'credits_reversal_invoice_id_fkey'];

/** A batch size that puts every invoicer family of a run in one batch. */
const WHOLE_RUN = 2 ** 31 - 1;

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

/**
 * One part of a run's invoicer families: in invoicer order, cut into `parts` runs of about as
 * many accounts each, the one counted `part` from 0. A preview bills its parts at once.
 */
interface Share {
  part: number;
  parts: number;
}

const WHOLE: Share = { part: 0, parts: 1 };

async function recordBillRun(
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
     -- Each account's batch, and its family's share: the families in invoicer order, cut into
     -- \`parts\` runs of about as many accounts each (a family's accounts share its place).
     families AS (
       SELECT account_id, (dense_rank() OVER w - 1) / ? AS batch_no, (count(*) OVER w - 1) * ? / count(*) OVER () AS part
       FROM up WHERE next IS NULL
       WINDOW w AS (ORDER BY cur)
     )
     INSERT INTO bill_run_batches (bill_run_id, batch_no, account_ids)
     SELECT ?, batch_no, array_agg(account_id ORDER BY account_id) FROM families WHERE part = ? GROUP BY batch_no`,
    [accountId ?? config.id, familiesPerBatch, share.parts, runId, share.part],
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
async function billBatch(trx: Knex.Transaction, run: RunRow, accountIds: number[], numbering: InvoiceNumbering): Promise<void> {
  // For this transaction: a batch sorts and hashes tens of thousands of rows, which the default
  // 4 MB of work memory would spill to disk; and what it reads is cached, so that an index
  // look-up costs about what a sequential read does.
  await trx.raw(`SET LOCAL work_mem = '64MB'; SET LOCAL random_page_cost = 1.1`);
  // Who each account invoices to (following invoicer links to the end), with the account's
  // status and the invoicer's currency, so that the statement below need not read accounts.
  const { rows: family } = await trx.raw(
    // Look-ups by id (= ANY, and LIMIT 1 for each step up), so that the cost follows the batch
    // and not the number of accounts: a hash join would read every account for every batch.
    `WITH RECURSIVE up(account_id, status, cur, next, currency, depth) AS (
       SELECT a.id, a.status, a.id, a.invoicer_id, a.currency, 0 FROM accounts a WHERE a.id = ANY(?::bigint[])
       UNION ALL
       SELECT up.account_id, up.status, i.id, i.invoicer_id, i.currency, up.depth + 1
       FROM up CROSS JOIN LATERAL (SELECT i.id, i.invoicer_id, i.currency FROM accounts i WHERE i.id = up.next LIMIT 1) i
       WHERE up.depth < 100
     ) SELECT account_id, status, cur AS bill_to, currency FROM up WHERE next IS NULL`,
    [accountIds],
  );
  const invoicers = [...new Set<number>(family.map((r: any) => r.bill_to))].sort((a, b) => a - b);
  // Every write that touches an invoicer's money takes the invoicer's row lock first, in id
  // order: two runs (or a run and a disbursement) for one family wait for each other.
  await trx.raw('SELECT a.id FROM accounts a WHERE a.id = ANY(?::bigint[]) ORDER BY a.id FOR UPDATE OF a', [invoicers]);

  // The accounts this batch bills (`billed`), and each invoicer not billed itself, whose credits
  // and pending reversals still go on its own invoice; with the invoicer of each.
  const pairs = new Map<number, { billTo: number; billed: boolean; status: string | null; currency: string }>();
  const currencyOf = new Map<number, string>();
  for (const r of family) {
    pairs.set(r.account_id, { billTo: r.bill_to, billed: true, status: r.status, currency: r.currency });
    currencyOf.set(r.bill_to, r.currency);
  }
  for (const i of invoicers) if (!pairs.has(i)) pairs.set(i, { billTo: i, billed: false, status: null, currency: currencyOf.get(i)! });
  const accounts = [...pairs.keys()];

  // One statement does the batch, so that each row is written once and in its final form:
  // the charges (and reversed credits) are inserted already on their invoice. Invoice ids are
  // drawn from the sequence first (one per invoicer with anything to invoice); the statement
  // returns each id that received a line, with the sum of its lines, and insertInvoices then
  // numbers and inserts those invoices. So the keys that refer to invoices are checked at the
  // commit (they are DEFERRABLE, migration 090), when the invoices exist.
  // Every part sees the snapshot from before the statement: the skips see next_bill_date as
  // found, and the earlier uninvoiced transactions picked up are only those from before.
  await trx.raw(`SET CONSTRAINTS ${INVOICE_KEYS.join(', ')} DEFERRED`);
  const { rows: output } = await trx.raw(
    `WITH m AS MATERIALIZED (
       SELECT * FROM unnest(:accounts::bigint[], :billTos::bigint[], :billed::boolean[], :statuses::text[], :currencies::text[])
         AS m(account_id, bill_to, billed, status, currency)
     ),
     due AS MATERIALIZED (
       SELECT ap.id, ap.account_id, m.bill_to, m.currency, ap.package_id, ap.quantity, ap.next_bill_date, ap.anchor_day,
              ap.cancel_date, f.months,
              -- the last period (counting from 0) that can start by the end of the billing period
              ((extract(year FROM :pe::date) - extract(year FROM ap.next_bill_date)) * 12
                + extract(month FROM :pe::date) - extract(month FROM ap.next_bill_date))::int / f.months AS last_k
       FROM m
       JOIN account_packages ap ON ap.account_id = m.account_id
       JOIN packages p ON p.id = ap.package_id
       CROSS JOIN LATERAL (
         SELECT CASE p.frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 WHEN 'semiannual' THEN 6 ELSE 12 END AS months
       ) f
       WHERE :billPackages AND m.billed AND ap.status = 'active' AND m.status = 'active'
         AND ap.next_bill_date BETWEEN :ps::date AND :pe::date
         AND (ap.cancel_date IS NULL OR ap.next_bill_date < ap.cancel_date)
     ),
     -- Each due package's first period and, when catching up, the missed periods after it (a
     -- series is generated only for those).
     periods AS (
       SELECT due.*, 0 AS k FROM due
       UNION ALL
       SELECT due.*, k FROM due CROSS JOIN LATERAL generate_series(1, due.last_k) AS k WHERE due.last_k >= 1
     ),
     billable AS MATERIALIZED (
       SELECT periods.*, d.period_start, d.next_date
       FROM periods
       CROSS JOIN LATERAL (
         SELECT billbot_add_months(periods.next_bill_date, periods.k * periods.months, periods.anchor_day) AS period_start,
                billbot_add_months(periods.next_bill_date, (periods.k + 1) * periods.months, periods.anchor_day) AS next_date
       ) d
       WHERE d.period_start <= :pe::date AND (periods.cancel_date IS NULL OR d.period_start < periods.cancel_date)
     ),
     -- One charge per service and period. A period charged already (its next bill date was
     -- moved back by hand) is not charged again: found by an index look-up per charge
     -- (transactions_charge_once, which also refuses any duplicate outright).
     lines AS MATERIALIZED (
       SELECT b.account_id, b.bill_to, b.currency, b.id AS account_package_id, s.id AS service_id, b.period_start, b.next_date - 1 AS period_end,
              b.quantity, COALESCE(o.price, s.price) * b.quantity AS amount
       FROM billable b
       JOIN services s ON s.package_id = b.package_id
       LEFT JOIN service_price_overrides o ON o.account_package_id = b.id AND o.service_id = s.id
       LEFT JOIN LATERAL (
         SELECT true AS found FROM transactions t
         WHERE t.account_package_id = b.id AND t.service_id = s.id AND t.period_start = b.period_start AND t.kind = 'charge'
         LIMIT 1
       ) charged_before ON true
       WHERE charged_before.found IS NULL
     ),
     reversing AS MATERIALIZED (
       SELECT c.id AS credit_id, c.account_id, m.bill_to, m.currency, c.reversed_amount AS amount
       FROM m JOIN credits c ON c.account_id = m.account_id
       WHERE :generateInvoice AND c.status = 'reversal pending'
         AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.credit_id = c.id AND t.kind = 'reversed credit')
     ),
     waiting AS MATERIALIZED (
       SELECT t.id, m.bill_to, m.currency
       FROM m JOIN transactions t ON t.account_id = m.account_id
       WHERE :generateInvoice AND t.invoice_id IS NULL AND (m.billed OR t.kind = 'reversed credit')
     ),
     new_invoices AS MATERIALIZED (
       SELECT bill_to, currency, nextval('invoices_id_seq') AS invoice_id
       FROM (SELECT bill_to, currency FROM lines UNION SELECT bill_to, currency FROM reversing UNION SELECT bill_to, currency FROM waiting) x
       WHERE :generateInvoice
     ),
     -- The charges and the reversed credits, in one insert, in no particular order (readers
     -- sort lines with LINE_ORDER, invoices.ts). Every line is inserted, or the statement fails.
     inserted AS (
       INSERT INTO transactions (kind, account_id, account_package_id, service_id, credit_id, period_start, period_end,
                                 quantity, amount, posting_date, bill_run_id, invoice_id)
       SELECT x.kind, x.account_id, x.account_package_id, x.service_id, x.credit_id, x.period_start, x.period_end,
              x.quantity, x.amount, :posting::date, :run, x.invoice_id
       FROM (
         SELECT 'charge' AS kind, l.account_id, l.account_package_id, l.service_id, NULL::bigint AS credit_id,
                l.period_start, l.period_end, l.quantity, l.amount, i.invoice_id
         FROM lines l LEFT JOIN new_invoices i ON i.bill_to = l.bill_to
         UNION ALL
         SELECT 'reversed credit', r.account_id, NULL, NULL, r.credit_id, NULL, NULL, 1, r.amount, i.invoice_id
         FROM reversing r JOIN new_invoices i ON i.bill_to = r.bill_to
       ) x
     ),
     picked_up AS (
       UPDATE transactions t SET invoice_id = i.invoice_id
       FROM waiting w JOIN new_invoices i ON i.bill_to = w.bill_to
       WHERE t.id = w.id AND t.invoice_id IS NULL
       RETURNING t.invoice_id, t.amount, CASE WHEN t.kind = 'reversed credit' THEN t.credit_id END AS credit_id
     ),
     -- Each new invoice's total: its charges and reversed credits (all inserted above) and the
     -- earlier transactions it picked up. An invoice id that got no line is not used.
     totals AS MATERIALIZED (
       SELECT i.invoice_id, i.bill_to, i.currency, x.total, row_number() OVER (ORDER BY i.bill_to) AS k
       FROM (
         SELECT invoice_id, sum(amount) AS total
         FROM (
           SELECT i.invoice_id, c.amount
           FROM (
             SELECT bill_to, sum(amount) AS amount
             FROM (SELECT bill_to, amount FROM lines UNION ALL SELECT bill_to, amount FROM reversing) l
             GROUP BY bill_to
           ) c
           JOIN new_invoices i ON i.bill_to = c.bill_to
           UNION ALL SELECT invoice_id, amount FROM picked_up
         ) y
         GROUP BY invoice_id
       ) x
       JOIN new_invoices i ON i.invoice_id = x.invoice_id
     ),
     moved AS (
       UPDATE account_packages ap SET next_bill_date = x.next_date
       FROM (SELECT id, max(next_date) AS next_date FROM billable GROUP BY id) x
       WHERE ap.id = x.id
     ),
     -- Every other package of the billed accounts is reported as skipped, with its reason.
     skipped AS (
       INSERT INTO bill_run_skips (bill_run_id, account_package_id, reason, next_bill_date)
       SELECT :run, ap.id,
         CASE
           WHEN m.status <> 'active' THEN 'account ' || m.status
           WHEN ap.status <> 'active' THEN 'package ' || ap.status
           WHEN earlier.billed THEN 'already billed'
           WHEN ap.cancel_date IS NOT NULL AND ap.next_bill_date >= ap.cancel_date THEN 'ended'
           WHEN ap.next_bill_date > :pe::date THEN 'not due'
           ELSE 'before period'
         END,
         ap.next_bill_date
       FROM m
       JOIN account_packages ap ON ap.account_id = m.account_id
       -- A look-up per skipped package (transactions_charge_once), not a scan of every charge of the period.
       LEFT JOIN LATERAL (
         SELECT true AS billed FROM transactions t
         WHERE t.account_package_id = ap.id AND t.kind = 'charge' AND t.period_start BETWEEN :ps::date AND :pe::date
         LIMIT 1
       ) earlier ON true
       WHERE :billPackages AND m.billed AND ap.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM billable b WHERE b.id = ap.id)
       ON CONFLICT DO NOTHING
     ),
     -- Each unissued credit of these accounts and their invoicers goes on the invoicer's new invoice.
     issued AS (
       UPDATE credits c SET status = 'issued', issued_invoice_id = t.invoice_id, amount_left = c.amount
       FROM m JOIN totals t ON t.bill_to = m.bill_to
       WHERE c.account_id = m.account_id AND c.status = 'unissued'
       RETURNING c.id, c.auto_disburse, c.amount, t.invoice_id
     ),
     issued_events AS (
       INSERT INTO credit_events (credit_id, action, actor, before, after)
       SELECT id, 'issued', :actor, jsonb_build_object('status', 'unissued'),
              jsonb_build_object('status', 'issued', 'issued_invoice_id', invoice_id, 'amount_left', amount::text)
       FROM issued
     ),
     -- A pending reversal whose line is on a new invoice is now reversed.
     reversal_done AS (
       UPDATE credits c SET status = 'reversed', reversal_invoice_id = l.invoice_id
       FROM (
         SELECT r.credit_id, i.invoice_id FROM reversing r JOIN new_invoices i ON i.bill_to = r.bill_to
         UNION ALL SELECT credit_id, invoice_id FROM picked_up
       ) l
       WHERE l.credit_id = c.id AND c.status = 'reversal pending'
       RETURNING c.id, c.reversed_amount, l.invoice_id
     ),
     reversal_events AS (
       INSERT INTO credit_events (credit_id, action, actor, before, after)
       SELECT id, 'reversed', :actor, jsonb_build_object('status', 'reversal pending'),
              jsonb_build_object('status', 'reversed', 'reversal_invoice_id', invoice_id, 'reversed_amount', reversed_amount::text)
       FROM reversal_done
     )
     SELECT 'invoice' AS what, invoice_id AS id, bill_to, currency, total, k FROM totals
     UNION ALL
     SELECT 'credit', id, NULL, NULL, NULL, NULL FROM issued WHERE auto_disburse`,
    {
      accounts,
      billTos: accounts.map((a) => pairs.get(a)!.billTo),
      billed: accounts.map((a) => pairs.get(a)!.billed),
      statuses: accounts.map((a) => pairs.get(a)!.status),
      currencies: accounts.map((a) => pairs.get(a)!.currency),
      billPackages: run.bill_packages,
      generateInvoice: run.generate_invoice,
      run: run.id,
      ps: run.period_start,
      pe: run.period_end,
      posting: run.posting_date,
      invoiceDate: run.invoice_date,
      actor: run.started_by,
    },
  );
  const invoices = output.filter((r: any) => r.what === 'invoice').sort((a: any, b: any) => Number(a.k) - Number(b.k));
  await insertInvoices(trx, run, invoices, numbering);
  // Automatic disbursement reads the invoicers' unpaid invoices, the new ones included.
  await disburseAutomatically(
    trx,
    output
      .filter((r: any) => r.what === 'credit')
      .map((r: any) => Number(r.id))
      .sort((a: number, b: number) => a - b),
    run.started_by,
  );
}

/**
 * How a batch numbers its invoices: it takes the next numbers from the counter (a run, and the
 * first part of a preview), or, in the other parts of a preview, which are rolled back like the
 * first, it numbers them from `offset` above the next number without taking any, so that it
 * need not wait for the first part's counter row (previewBill renumbers them in its report).
 */
type InvoiceNumbering = { take: true } | { take: false; offset: number };

const TAKE_NUMBERS: InvoiceNumbering = { take: true };

/** Where a preview's part numbers its invoices: far above any number a run takes. */
const PREVIEW_PART_NUMBERS = 2 ** 40;

/**
 * Numbers and inserts a batch's new invoices, last thing before its automatic disbursement
 * and commit. Gapless numbers come from the counter row in \`settings\`, updated in the
 * batch's transaction (a rollback gives them back), so a batch holds that row from here to
 * its commit and batches billed at once wait for each other only for this short end.
 */
async function insertInvoices(
  trx: Knex.Transaction,
  run: RunRow,
  invoices: { id: number; bill_to: number; currency: string; total: string }[],
  numbering: InvoiceNumbering,
): Promise<void> {
  if (invoices.length === 0) return;
  const first = numbering.take
    ? `UPDATE settings SET next_invoice_number = next_invoice_number + :count
       RETURNING next_invoice_number - :count AS first`
    : `SELECT next_invoice_number + :offset AS first FROM settings`;
  await trx.raw(
    `WITH t AS (
       SELECT * FROM unnest(:ids::bigint[], :billTos::bigint[], :currencies::text[], :totals::numeric[]) WITH ORDINALITY
         AS t(invoice_id, bill_to, currency, total, k)
     ),
     numbering AS (${first})
     INSERT INTO invoices (id, number, account_id, bill_run_id, invoice_date, posting_date, period_start, period_end,
                           currency, total, balance, status)
     SELECT t.invoice_id, n.first + t.k - 1, t.bill_to, :run, :invoiceDate::date, :posting::date, :ps::date, :pe::date,
            t.currency, t.total, t.total, CASE WHEN t.total = 0 THEN 'paid' ELSE 'open' END
     FROM t CROSS JOIN numbering n
     ORDER BY t.k`,
    {
      ids: invoices.map((i) => i.id),
      billTos: invoices.map((i) => i.bill_to),
      currencies: invoices.map((i) => i.currency),
      totals: invoices.map((i) => i.total),
      count: invoices.length,
      offset: numbering.take ? 0 : numbering.offset,
      run: run.id,
      ps: run.period_start,
      pe: run.period_end,
      posting: run.posting_date,
      invoiceDate: run.invoice_date,
    },
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
  await billPendingBatches(db, runId, options);
  return getBillRunReport(db, runId);
}

async function billPendingBatches(db: Db, runId: number, options: RunOptions, numbering: InvoiceNumbering = TAKE_NUMBERS): Promise<void> {
  const run = await loadRun(db, runId);
  if (run.status === 'completed') return;
  await db('bill_runs')
    .where('id', runId)
    .whereIn('status', ['scheduled', 'failed', 'running'])
    .update({ status: 'running', error: null, started_at: db.raw('COALESCE(started_at, now())') });
  const counts = await db('bill_run_batches')
    .where('bill_run_id', runId)
    .first(db.raw('count(*) AS total'), db.raw('count(*) FILTER (WHERE done) AS done'));
  const total = Number(counts?.total ?? 0);
  // Progress is reported in the order batches finish, one report at a time, each with one more
  // batch done than the last (the batches done before this call, and each one it finished).
  let finished = Number(counts?.done ?? 0);
  let progress: Promise<void> = Promise.resolve();
  const reportProgress = (): Promise<void> => {
    const done = Math.min(++finished, total);
    return (progress = progress.then(() => options.onProgress?.({ runId, batchesDone: done, batchesTotal: total })));
  };
  let stopped = false;
  const work = async (): Promise<void> => {
    while (!stopped) {
      const claimed = await db.transaction(async (trx) => {
        const batch = await trx('bill_run_batches')
          .where({ bill_run_id: runId, done: false })
          .orderBy('batch_no')
          .forUpdate()
          .skipLocked()
          .first('batch_no', 'account_ids');
        if (!batch) return false;
        await billBatch(trx, run, batch.account_ids.map(Number), numbering);
        await trx('bill_run_batches')
          .where({ bill_run_id: runId, batch_no: batch.batch_no })
          .update({ done: true, done_at: trx.fn.now() });
        return true;
      });
      if (!claimed) break;
      if (options.onProgress) await reportProgress();
    }
  };
  const workers = (db as Knex.Transaction).isTransaction ? 1 : Math.max(1, Math.floor(options.workers ?? DEFAULT_WORKERS));
  // A failing worker stops the others from claiming more batches; the batches they hold finish.
  const outcomes = await Promise.allSettled(
    Array.from({ length: workers }, () =>
      work().catch((error: unknown) => {
        stopped = true;
        throw error;
      }),
    ),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) {
    const error = failure.reason;
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
    const totals = await countTotals(trx, runId);
    await trx('bill_runs').where('id', runId).update({ status: 'completed', finished_at: trx.fn.now(), summary: JSON.stringify(totals) });
  });
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
 * A dry run: performs exactly what `bill` would, in transactions that are rolled back, so it
 * reports the real outcome and leaves nothing behind (no run, no invoice number used).
 *
 * A run of bill groups is previewed in parts billed at once (as many as a run's workers), each
 * one transaction on its own connection with its share of the invoicer families; their reports
 * are merged. A family's outcome depends only on its own rows, so the parts add up to the run.
 * The first part takes invoice numbers as a run does; the others number theirs in ranges of
 * their own without taking any (InvoiceNumbering). The merged report numbers all the invoices
 * from the next invoice number in invoicer order, as a run does within a batch.
 */
export async function previewBill(db: Knex, request: BillRequest, options: RunOptions = {}): Promise<BillRunReport> {
  const req = { ...parseRequest(request), requestKey: null };
  const clock = options.clock ?? systemClock;
  // Batches bound a real run's transactions and locks; a preview part is one transaction
  // anyway, so it bills its share as one batch (the outcome does not depend on batches).
  const whole = { ...options, familiesPerBatch: WHOLE_RUN, onProgress: undefined };
  // One account's run is one family; inside a caller's transaction there is one connection.
  const parts =
    req.account || (db as Knex.Transaction).isTransaction ? 1 : Math.max(1, Math.floor(options.workers ?? DEFAULT_WORKERS));
  const outcomes = await Promise.allSettled(
    Array.from({ length: parts }, (_, part) => previewPart(db, req, clock, whole, { part, parts })),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
  const rows = outcomes.map((o) => (o as PromiseFulfilledResult<PreviewPart>).value);
  return { ...shapeReport(await mergeReportRows(db, rows)), preview: true };
}

async function previewPart(
  db: Knex,
  req: ReturnType<typeof parseRequest>,
  clock: Clock,
  options: RunOptions,
  share: Share,
): Promise<PreviewPart> {
  let rows: PreviewPart | undefined;
  try {
    await db.transaction(async (trx) => {
      // What the rollback discards need not be checked: the foreign keys of the rows the run
      // writes are deferred to it (migration 062 explains why that cannot hide a failure).
      await trx.raw('SET CONSTRAINTS ALL DEFERRED');
      const { next_invoice_number: nextNumber } = await trx('settings').first('next_invoice_number');
      const { runId } = await recordBillRun(trx, req, clock, options, share);
      const numbering: InvoiceNumbering =
        share.part === 0 ? TAKE_NUMBERS : { take: false, offset: share.part * PREVIEW_PART_NUMBERS };
      await billPendingBatches(trx, runId, options, numbering);
      rows = { ...(await readReport(trx, runId, DETAIL_LIMIT)), nextNumber: Number(nextNumber) };
      throw new PreviewRollback();
    });
  } catch (e) {
    if (!(e instanceof PreviewRollback)) throw e;
  }
  if (!rows) throw new Error('preview produced no report');
  return rows;
}

/** A preview part's report rows, with the next invoice number as the part found it. */
type PreviewPart = ReportRows & { nextNumber: number };

/** The report rows of a preview's parts (disjoint invoicer families) as those of one run. */
async function mergeReportRows(db: Db, parts: PreviewPart[]): Promise<ReportRows> {
  if (parts.length === 1) return parts[0];
  const cut = parts[0].limit + 1;
  // Each part's invoices are its first in number order, which is invoicer order: the first
  // `cut` of all, in invoicer order, are among them.
  const invoices = parts
    .flatMap((p) => p.invoices)
    .sort((a, b) => Number(a.invoicer_id) - Number(b.invoicer_id))
    .slice(0, cut);
  const firstNumber = parts[0].nextNumber;
  return {
    run: parts[0].run,
    prefix: parts[0].prefix,
    batches: { done: sum(parts.map((p) => p.batches.done)), total: sum(parts.map((p) => p.batches.total)) },
    totals: parts.map((p) => p.totals).reduce(addTotals),
    limit: parts[0].limit,
    billed: (await inDatabaseOrder(db, parts.flatMap((p) => p.billed), (r) => [r.account, r.package, r.period_start])).slice(0, cut),
    skipped: (await inDatabaseOrder(db, parts.flatMap((p) => p.skipped), (r) => [r.account, r.package, ''])).slice(0, cut),
    invoices: invoices.map((i, k) => ({ ...i, number: firstNumber + k })),
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function addTotals(a: BillRunReport['totals'], b: BillRunReport['totals']): BillRunReport['totals'] {
  const invoicedByCurrency = { ...a.invoicedByCurrency };
  for (const [code, amount] of Object.entries(b.invoicedByCurrency)) {
    const before = invoicedByCurrency[code];
    invoicedByCurrency[code] = before ? Money.exact(before, code).add(Money.exact(amount, code)).toString() : amount;
  }
  return {
    accountsBilled: a.accountsBilled + b.accountsBilled,
    packagesBilled: a.packagesBilled + b.packagesBilled,
    packagesSkipped: a.packagesSkipped + b.packagesSkipped,
    charges: a.charges + b.charges,
    invoicesCreated: a.invoicesCreated + b.invoicesCreated,
    invoicedByCurrency,
    creditsIssued: a.creditsIssued + b.creditsIssued,
    creditsDisbursed: a.creditsDisbursed + b.creditsDisbursed,
    reversalsApplied: a.reversalsApplied + b.reversalsApplied,
  };
}

/**
 * Rows in the order the database sorts their keys (its collation, as the report's own ORDER BY
 * names), ties kept in the order given.
 */
async function inDatabaseOrder<T>(db: Db, rows: T[], key: (row: T) => [string, string, string]): Promise<T[]> {
  if (rows.length < 2) return rows;
  const keys = rows.map(key);
  const { rows: order } = await db.raw(
    `SELECT k FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS x(a, b, c, k) ORDER BY a, b, c, k`,
    [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
  );
  return order.map((o: { k: number | string }) => rows[Number(o.k) - 1]);
}

/**
 * Runs that were started and not finished because a process stopped part way (status
 * scheduled or running). Failed runs are not listed: they wait for a person to run them again.
 */
export async function unfinishedBillRuns(db: Db): Promise<{ id: number; status: string }[]> {
  return db('bill_runs').whereIn('status', ['scheduled', 'running']).orderBy('id').select('id', 'status');
}

/** How many of each list (invoices, packages billed, packages skipped) a report shows by default. */
const DETAIL_LIMIT = 200;

export async function getBillRunReport(db: Db, runId: number, detailLimit = DETAIL_LIMIT): Promise<BillRunReport> {
  return buildReport(db, runId, detailLimit);
}

async function buildReport(db: Db, runId: number, detailLimit: number): Promise<BillRunReport> {
  return shapeReport(await readReport(db, runId, detailLimit));
}

/** A report as read from the database, before it is shaped for people (a preview merges its parts' rows). */
interface ReportRows {
  run: any;
  prefix: string;
  batches: { done: number; total: number };
  totals: BillRunReport['totals'];
  /** The detail limit; each list below has at most one row more, which says it was cut. */
  limit: number;
  billed: any[];
  skipped: any[];
  /** In number order, with the invoicer's id (invoicer_id) and the number as a number. */
  invoices: any[];
}

async function readReport(db: Db, runId: number, detailLimit: number): Promise<ReportRows> {
  const run = await db('bill_runs as r')
    .join('bill_run_configurations as c', 'c.id', 'r.configuration_id')
    .leftJoin('accounts as a', 'a.id', 'r.account_id')
    .where('r.id', runId)
    .first('r.*', 'c.name as configuration', 'a.name as account');
  if (!run) throw new UnknownBillRunError(`There is no bill run #${runId}.`);
  const prefix = await invoicePrefix(db);

  const { rows: [batches] } = await db.raw(
    'SELECT count(*) AS total, count(*) FILTER (WHERE done) AS done FROM bill_run_batches WHERE bill_run_id = ?',
    [runId],
  );
  // A completed run's totals were counted as it completed, in the transaction that completed
  // it (executeBillRun), and nothing changes them afterwards; counting them again would read
  // every transaction of the run.
  const totals: BillRunReport['totals'] =
    run.status === 'completed' && run.summary ? (run.summary as BillRunReport['totals']) : await countTotals(db, runId);

  const limit = detailLimit > 0 ? detailLimit : 0;
  const billedRows = limit
    ? await db.raw(
        // Every account billed has at least one row, so the first rows in name order are those
        // of the first accounts in name order: only their charges are grouped and sorted.
        `WITH first_accounts AS MATERIALIZED (
           SELECT a.id, a.name, a.currency FROM accounts a
           WHERE a.id IN (SELECT account_id FROM transactions WHERE bill_run_id = :run AND kind = 'charge')
           ORDER BY a.name
           LIMIT :limit
         )
         SELECT a.name AS account, p.name AS package, t.period_start, t.period_end, sum(t.amount) AS amount,
                a.currency, ap.next_bill_date
         FROM first_accounts a
         JOIN account_packages ap ON ap.account_id = a.id
         JOIN packages p ON p.id = ap.package_id
         -- Each package's charges of the billing period, looked up through transactions_charge_once;
         -- OFFSET 0 keeps the run's id out of the look-up, where the planner, whose statistics
         -- predate the run, would expect one row for it and scan the whole run per package.
         CROSS JOIN LATERAL (
           SELECT t.period_start, t.period_end, t.amount, t.bill_run_id FROM transactions t
           WHERE t.account_package_id = ap.id AND t.kind = 'charge' AND t.period_start BETWEEN :ps AND :pe
           OFFSET 0
         ) t
         WHERE t.bill_run_id = :run
         GROUP BY a.name, p.name, t.period_start, t.period_end, a.currency, ap.next_bill_date, ap.id
         ORDER BY a.name, p.name, t.period_start
         LIMIT :limit`,
        { run: runId, limit: limit + 1, ps: run.period_start, pe: run.period_end },
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
        .select('i.number', 'i.account_id as invoicer_id', 'a.name as invoicer', 'i.currency', 'i.total', 'i.balance', 'i.status')
    : [];
  return {
    run,
    prefix,
    batches: { done: Number(batches.done), total: Number(batches.total) },
    totals,
    limit,
    billed: billedRows.rows,
    skipped: skippedRows.rows,
    invoices: invoiceRows,
  };
}

function shapeReport({ run, prefix, batches, totals, limit, billed, skipped, invoices }: ReportRows): BillRunReport {
  const billingPeriod = { start: run.period_start, end: run.period_end };
  const truncated = billed.length > limit || skipped.length > limit || invoices.length > limit;
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
      batchesDone: batches.done,
      batchesTotal: batches.total,
    },
    totals,
    billed: billed.slice(0, limit).map((r: any) => ({
      account: r.account,
      package: r.package,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      amount: Money.exact(r.amount, r.currency).toString(),
      currency: r.currency,
      nextBillDate: r.next_bill_date,
    })),
    skipped: skipped.slice(0, limit).map((r: any) => ({
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
    invoices: invoices.slice(0, limit).map((r: any) => ({
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

/** What a run has done so far, counted from what it wrote. */
async function countTotals(db: Db, runId: number): Promise<BillRunReport['totals']> {
  const { rows: [t] } = await db.raw(
    `WITH lines AS (
       SELECT count(DISTINCT account_id) FILTER (WHERE kind = 'charge') AS accounts_billed,
              count(DISTINCT account_package_id) FILTER (WHERE kind = 'charge') AS packages_billed,
              count(*) FILTER (WHERE kind = 'charge') AS charges,
              count(*) FILTER (WHERE kind = 'reversed credit') AS reversals_applied
       FROM transactions WHERE bill_run_id = :id
     )
     SELECT lines.*,
       (SELECT count(*) FROM bill_run_skips WHERE bill_run_id = :id) AS packages_skipped,
       (SELECT count(*) FROM invoices WHERE bill_run_id = :id) AS invoices_created,
       (SELECT count(*) FROM credits c JOIN invoices i ON i.id = c.issued_invoice_id WHERE i.bill_run_id = :id) AS credits_issued,
       (SELECT count(*) FROM disbursements d JOIN credits c ON c.id = d.credit_id JOIN invoices i ON i.id = c.issued_invoice_id
          WHERE i.bill_run_id = :id AND d.automatic) AS credits_disbursed
     FROM lines`,
    { id: runId },
  );
  const byCurrency = await db('invoices').where('bill_run_id', runId).groupBy('currency').select('currency', db.raw('sum(total) AS total'));
  const invoicedByCurrency: Record<string, string> = {};
  for (const r of byCurrency) invoicedByCurrency[r.currency] = Money.exact(r.total, r.currency).toString();
  return {
    accountsBilled: Number(t.accounts_billed),
    packagesBilled: Number(t.packages_billed),
    packagesSkipped: Number(t.packages_skipped),
    charges: Number(t.charges),
    invoicesCreated: Number(t.invoices_created),
    invoicedByCurrency,
    creditsIssued: Number(t.credits_issued),
    creditsDisbursed: Number(t.credits_disbursed),
    reversalsApplied: Number(t.reversals_applied),
  };
}
