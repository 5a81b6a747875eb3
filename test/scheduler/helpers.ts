import type { Knex } from 'knex';
import ExcelJS from 'exceljs';
import nock from 'nock';
import { createBilling } from '../../billing';
import { ManualClock, Scheduler, SchedulerOptions, type SchedulerLogger } from '../../bot/scheduler';
import { SlackRunReporter } from '../../bot/slack/runReporter';
import { checkCall } from '../helpers/slackLimits';

export const SLACK_CHANNEL_ID = 'C0BILLING';

/**
 * A fault in the database itself: from now on it refuses to insert any transaction of the
 * account ("the ledger refused the charge"), so a bill run fails in that account's batch.
 * Returns the fix, which removes the fault.
 */
export async function refuseChargesOf(db: Knex, account: string): Promise<() => Promise<void>> {
  const row = await db('accounts').where('name', account).first('id');
  if (!row) throw new Error(`No account ${account} to refuse charges of.`);
  await db.raw(`
    CREATE FUNCTION test_refuse_charges() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.account_id = ${Number(row.id)} THEN
        RAISE EXCEPTION 'the ledger refused the charge';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_refuse_charges BEFORE INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION test_refuse_charges();
  `);
  return async () => {
    await db.raw('DROP TRIGGER test_refuse_charges ON transactions; DROP FUNCTION test_refuse_charges()');
  };
}

/** Families of accounts: "<prefix> NN" (the invoicer) and "<prefix> NN Child" invoicing to it, each child with a $140.00 monthly package. */
export async function createFamilies(
  db: Knex,
  options: { prefix: string; count: number; group?: string; nextBillDate: string; currency?: string; packageName?: string },
): Promise<string[]> {
  const billing = createBilling(db);
  const currency = options.currency ?? 'USD';
  const packageName = options.packageName ?? `${options.prefix} Plan`;
  await billing.createPackage({
    name: packageName,
    currency,
    frequency: 'monthly',
    services: [
      { name: 'Network Monitoring', price: currency === 'JPY' ? '10000' : '100.00' },
      { name: 'Support', price: currency === 'JPY' ? '4000' : '40.00' },
    ],
  });
  const names: string[] = [];
  for (let i = 1; i <= options.count; i++) {
    const parent = `${options.prefix} ${String(i).padStart(2, '0')}`;
    await billing.createAccount({ name: parent, currency, billGroup: options.group ?? 'Default' });
    await billing.createAccount({
      name: `${parent} Child`,
      currency,
      billGroup: options.group ?? 'Default',
      parent,
      invoiceTo: parent,
    });
    await billing.addAccountPackage({
      account: `${parent} Child`,
      package: packageName,
      effectiveDate: options.nextBillDate,
      nextBillDate: options.nextBillDate,
    });
    names.push(parent);
  }
  return names;
}

/** Fire times before `since` were never due: what a configuration created or resumed then would have. */
export async function scheduleCountsFrom(db: Knex, configuration: string, since: string): Promise<void> {
  await db('bill_run_configurations').whereRaw('lower(name) = lower(?)', [configuration]).update({ schedule_since: new Date(since) });
}

export interface SlackCall {
  method: string;
  body: Record<string, string>;
}

/**
 * A recording stand-in for Slack's Web API over nock: answers chat.postMessage, chat.update
 * and the three steps of a file upload, and keeps every call (with its form fields).
 */
export function fakeSlackApi() {
  const calls: SlackCall[] = [];
  const uploads: Buffer[] = [];
  const unmatched: string[] = [];
  let next = 0;
  nock.disableNetConnect();
  const onNoMatch = (req: { method?: string; path?: string; href?: string }) => {
    unmatched.push(`${req.method} ${req.href ?? req.path}`);
  };
  nock.emitter.on('no match', onNoMatch);
  nock('https://slack.com')
    .persist()
    .post(/^\/api\/(chat\.postMessage|chat\.update|files\.getUploadURLExternal|files\.completeUploadExternal)$/)
    .reply(200, (uri: string, body: unknown) => {
      const method = uri.replace('/api/', '');
      const fields: Record<string, string> =
        typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : (body as Record<string, string>);
      calls.push({ method, body: fields });
      const refusal = checkCall(method, fields);
      if (refusal) return { ok: false, error: refusal.error };
      switch (method) {
        case 'chat.postMessage':
          next += 1;
          return { ok: true, channel: SLACK_CHANNEL_ID, ts: `1790000000.${String(next).padStart(6, '0')}` };
        case 'chat.update':
          return { ok: true, channel: fields.channel, ts: fields.ts };
        case 'files.getUploadURLExternal':
          return { ok: true, upload_url: `https://files.slack.com/upload/v1/F${calls.length}`, file_id: `F${calls.length}` };
        default:
          return { ok: true, files: JSON.parse(fields.files ?? '[]') };
      }
    });
  nock('https://files.slack.com')
    .persist()
    .post(/^\/upload\/v1\//)
    .reply(200, (_uri: string, body: unknown) => {
      // nock hands over a binary body hex-encoded.
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      uploads.push(/^(?:[0-9a-f]{2})+$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'utf8'));
      return 'OK';
    });
  return {
    calls,
    uploads,
    unmatched,
    of: (method: string) => calls.filter((c) => c.method === method),
    reporter: () => SlackRunReporter.withToken('xoxb-test-token', { retryConfig: { retries: 0 } }),
    done: () => {
      nock.emitter.removeListener('no match', onNoMatch);
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

/** The file inside a multipart/form-data upload body. */
export function uploadedFile(body: Buffer): Buffer {
  const boundary = body.subarray(0, body.indexOf('\r\n')).toString();
  const start = body.indexOf('\r\n\r\n') + 4;
  const end = body.indexOf(`\r\n${boundary}`, start);
  return body.subarray(start, end);
}

/** The rows of a workbook's sheet, as their shown values (header first). */
export async function sheetRows(file: Buffer, sheet: string): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(file as unknown as ArrayBuffer);
  const rows: unknown[][] = [];
  workbook.getWorksheet(sheet)?.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

/** Captures the scheduler's log lines. */
export function memoryLogger(): SchedulerLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

const created: Scheduler[] = [];

/** Stops every scheduler testScheduler made (use in afterEach, so a failed test leaves no connection behind). */
export async function stopSchedulers(): Promise<void> {
  await Promise.all(created.splice(0).map((s) => s.stop()));
}

/** A scheduler on a manual clock, without real timers (no polling, no sweeps, no LISTEN unless asked). */
export function testScheduler(db: Knex, clock: ManualClock, options: Partial<SchedulerOptions> = {}): Scheduler {
  const scheduler = new Scheduler({
    billing: createBilling(db),
    clock,
    reporter: null,
    logger: memoryLogger(),
    pollIntervalMs: 0,
    sweepIntervalMs: 0,
    progressIntervalMs: 0,
    listen: false,
    ...options,
  });
  created.push(scheduler);
  return scheduler;
}

/** Charges per (account package, service, period start): the schema's one-charge rule, counted. */
export async function chargeCounts(db: Knex): Promise<{ account: string; period_start: string; n: number }[]> {
  const { rows } = await db.raw(
    `SELECT a.name AS account, t.period_start::text AS period_start, count(*)::int AS n
     FROM transactions t JOIN accounts a ON a.id = t.account_id
     WHERE t.kind = 'charge'
     GROUP BY a.name, t.account_package_id, t.service_id, t.period_start
     ORDER BY a.name`,
  );
  return rows;
}

/** A run report's blocks as its lines, headline first: the details its one-line `text` leaves out. */
export function reportBlocks(message: { blocks?: unknown }): string {
  const blocks: { text?: { text?: string } }[] = typeof message.blocks === 'string' ? JSON.parse(message.blocks) : ((message.blocks as []) ?? []);
  return blocks
    .map((b) => b.text?.text ?? '')
    .filter(Boolean)
    .join('\n');
}
