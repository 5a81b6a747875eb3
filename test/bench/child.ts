/**
 * The child process of one measured step of the benchmark (started by fork.ts): runs the task
 * from BENCH_TASK on the database in BENCH_DATABASE_URL and sends back what it measured.
 */
import { appendFileSync } from 'node:fs';
import type { Knex } from 'knex';
import { createBilling } from '../../billing';
import type { BillRunReport } from '../../billing';
import { createDb } from '../../billing/db';
import { BENCH_CLOCK } from './data';
import type { BillResult, ChildTask, Measured, SlackChildMessage } from './fork';


const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

function summary(report: BillRunReport): BillResult {
  return { runId: report.run.id, status: report.run.status, preview: report.preview, batches: report.run.batchesTotal, totals: report.totals };
}

async function timed<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMb: peakMb(), result };
}

async function runTask(db: Knex, task: ChildTask): Promise<Measured<unknown>> {
  const billing = createBilling(db, BENCH_CLOCK);
  switch (task.kind) {
    case 'bill': {
      // A running bot's connections are open already: opening them (password hashing included) is not part of a run.
      await Promise.all(Array.from({ length: 3 }, () => db.raw('SELECT 1')));
      const request = { configuration: task.configuration, from: task.from, to: task.to, startedBy: 'bench' };
      const options = { familiesPerBatch: task.familiesPerBatch, workers: task.workers };
      return timed(async () => summary(task.preview ? await billing.previewBill(request, options) : await billing.bill(request, options)));
    }
    case 'import': {
      // Loaded only by the steps that use them, so that the others run whatever state they are in.
      const { importSetupWorkbook } = await import('../../sheets');
      return timed(async () => {
        const r = await importSetupWorkbook(createBilling(db), task.file, { actor: 'bench' });
        return { applied: r.applied, accounts: r.accounts, accountPackages: r.accountPackages, totalProblems: r.totalProblems, problems: r.problems.slice(0, 3) };
      });
    }
    case 'payments': {
      const { importPaymentsWorkbook } = await import('../../sheets');
      return timed(async () => {
        const r = await importPaymentsWorkbook(createBilling(db, BENCH_CLOCK), task.file, { actor: 'bench' });
        return { applied: r.applied, payments: r.payments, applications: r.applications, totalProblems: r.totalProblems, problems: r.problems.slice(0, 3) };
      });
    }
    case 'export': {
      const { exportInvoices } = await import('../../sheets');
      return timed(() => exportInvoices(createBilling(db), task.file));
    }
    case 'pdfs': {
      const { DEFAULT_COMPANY, writeRunInvoicesZip } = await import('../../sheets/documents');
      const { createWriteStream, statSync } = await import('node:fs');
      return timed(async () => {
        const cpu = process.cpuUsage();
        const { invoices } = await writeRunInvoicesZip(billing, task.run, DEFAULT_COMPANY, createWriteStream(task.file));
        const used = process.cpuUsage(cpu);
        const cpuSeconds = (used.user + used.system) / 1e6;
        const { zipEntries } = await import('../documents/zip');
        const entries = (await zipEntries(task.file)).filter((e) => e.data.subarray(0, 5).toString() === '%PDF-').length;
        return { invoices, bytes: statSync(task.file).size, entries, cpuSeconds };
      });
    }
    case 'slack':
      throw new Error('the slack task is run by slackTask');
  }
}

/**
 * The Bolt app (HTTP receiver, signatures checked) on a free port, its Web API pointed at the
 * parent's fake Slack; with a run in the task, on "go" it starts the bill run in this same
 * process, as the app does when someone runs one from Slack, and reports when it started and
 * finished. Without one it only answers (a bill run goes on in another process).
 */
async function slackTask(db: Knex, task: Extract<ChildTask, { kind: 'slack' }>): Promise<void> {
  const send = (m: SlackChildMessage) => process.send?.(m);
  const { createSlackApp } = await import('../../bot/slack/app');
  const billing = createBilling(db, BENCH_CLOCK);
  const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'error' as never, setName() {} };
  const slack = createSlackApp(
    { billing },
    {
      botToken: 'xoxb-bench-token',
      signingSecret: task.signingSecret,
      apiUrl: task.apiUrl,
      port: 0,
      admins: ['U0BENCH'],
      logger: quiet,
      clientOptions: { retryConfig: { retries: 0 } },
      familiesPerBatch: task.familiesPerBatch,
    },
  );
  const port = await slack.start();
  const go = new Promise<void>((resolve) => process.on('message', (m: any) => m?.type === 'go' && resolve()));
  const stop = new Promise<void>((resolve) => process.on('message', (m: any) => m?.type === 'stop' && resolve()));
  send({ type: 'ready', port });
  if (task.run) {
    await go;
    send({ type: 'started', at: Date.now() });
    const request = { ...task.run, startedBy: 'bench' };
    const run = await timed(() => billing.bill(request, { familiesPerBatch: task.familiesPerBatch, workers: task.workers }));
    send({ type: 'done', at: Date.now(), seconds: run.seconds, result: summary(run.result) });
  }
  await stop;
  await slack.stop();
}

/**
 * BENCH_TRACE=<file>: appends to the file each statement of the step that took 100 ms or more,
 * with when it ended (ms since the first statement) and its first 140 characters: where a
 * step's time goes, without changing what it runs.
 */
function trace(db: Knex, file: string): void {
  const started = new Map<string, [number, string]>();
  let first = 0;
  db.on('query', (q: { __knexQueryUid: string; sql: string }) => {
    first ||= Date.now();
    started.set(q.__knexQueryUid, [Date.now(), q.sql]);
  });
  const done = (q: { __knexQueryUid: string }) => {
    const s = started.get(q.__knexQueryUid);
    started.delete(q.__knexQueryUid);
    const ms = s ? Date.now() - s[0] : 0;
    if (s && ms >= 100) appendFileSync(file, `@${Date.now() - first} ${ms} ms: ${s[1].replace(/\s+/g, ' ').trim().slice(0, 140)}\n`);
  };
  db.on('query-response', (_r: unknown, q: { __knexQueryUid: string }) => done(q));
  db.on('query-error', (_e: unknown, q: { __knexQueryUid: string }) => done(q));
}

async function main(): Promise<void> {
  const task = JSON.parse(process.env.BENCH_TASK ?? 'null') as ChildTask | null;
  const url = process.env.BENCH_DATABASE_URL;
  if (!task || !url) throw new Error('child.ts runs as a child of run.ts (BENCH_TASK and BENCH_DATABASE_URL are not set).');
  const db = createDb(url);
  if (process.env.BENCH_TRACE) trace(db, process.env.BENCH_TRACE);
  try {
    if (task.kind === 'slack') await slackTask(db, task);
    else process.send?.({ type: 'result', ...(await runTask(db, task)) });
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
