import { Command as Program } from 'commander';
import type { Command, CommandInput } from '../commands/schema';
import type { Builder, CliIo, Job } from './io';
import { addPaymentCommands } from './paymentCommands';

/**
 * The billbot program (commander): each command's arguments become a checked Command (or
 * migrate, demo) handed to setJob. Only commander is loaded here: `billbot --help` and a usage
 * error never load zod, billing or the database (startup time).
 */

/** A mistake in the arguments: exit code 2. */
export class UsageError extends Error {}

/**
 * Checks the arguments with the commands' zod schemas. Loaded here, not at the top: `billbot
 * --help` and a usage error never load zod, billing or the database (startup time).
 */
function validate(input: CommandInput, usage: string): Command {
  const { validateCommand } = require('../commands/schema') as typeof import('../commands/schema');
  const { BillingError } = require('../../billing') as typeof import('../../billing');
  try {
    return validateCommand(input);
  } catch (e) {
    if (e instanceof BillingError) throw new UsageError(`${e.message.replace(/\.$/, '')}; usage: ${usage}`);
    throw e;
  }
}

function quantity(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  return /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : text;
}

export function buildProgram(io: CliIo, setJob: (job: Job, json: boolean) => void): Program {
  const program = new Program('billbot');
  program
    .description('Bill accounts, manage credits and payments, and move workbooks in and out from the terminal (the same commands as the Slack app).')
    .option('--json', 'print one JSON object instead of text')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined })
    .showSuggestionAfterError(true);

  const json = (cmd: Program) => Boolean(cmd.optsWithGlobals().json);
  const run = (cmd: Program, input: CommandInput, usage: string) => setJob({ kind: 'command', command: validate(input, usage) }, json(cmd));
  const b: Builder = { program, setJob, json, run };
  for (const add of [addSetupCommands, addRunCommands, addListCommands, addReceivableCommands, addCreditCommands, addPaymentCommands, addWorkbookCommands, addChartCommands]) add(b);
  return program;
}

/** migrate, demo. */
function addSetupCommands({ program, setJob, json }: Builder): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action((_opts, cmd: Program) => setJob({ kind: 'migrate' }, json(cmd)));

  program
    .command('demo')
    .description("load DOMAIN.md's worked example (Parent Co, Child Co) into an empty database")
    .action((_opts, cmd: Program) => setJob({ kind: 'demo' }, json(cmd)));
}

/** bill, status, run, schedules, schedule. */
function addRunCommands({ program, run }: Builder): void {
  const billUsage = 'billbot bill <account> [--config NAME] [--from YYYY-MM-DD --to YYYY-MM-DD] [--posting YYYY-MM-DD] [--preview]';
  program
    .command('bill')
    .description("bill an account (and the accounts that invoice to it); without an account, the configuration's bill groups")
    .argument('[account...]', 'the account to bill (quote it, or type it plainly)')
    .option('-c, --config <name>', 'bill run configuration (default: the default configuration)')
    .option('--from <date>', 'billing period start, YYYY-MM-DD')
    .option('--to <date>', 'billing period end, YYYY-MM-DD')
    .option('--posting <date>', 'posting date, YYYY-MM-DD (default: the run date)')
    .option('--preview', 'show what the run would do and write nothing')
    .action((words: string[], opts, cmd: Program) => {
      const account = words.join(' ').trim();
      const period = { from: opts.from ?? null, to: opts.to ?? null, posting: opts.posting ?? null, preview: Boolean(opts.preview) };
      if (account) {
        run(cmd, { kind: 'bill', account, configuration: opts.config ?? null, ...period }, billUsage);
      } else if (opts.config) {
        run(cmd, { kind: 'billing.run', configuration: opts.config, ...period }, billUsage);
      } else {
        throw new UsageError(`Name an account to bill, or a configuration (--config NAME) to bill its bill groups; usage: ${billUsage}`);
      }
    });

  const statusUsage = 'billbot status <run> [--resume]';
  program
    .command('status')
    .description("show a bill run: its status, period, batches done and totals; --resume finishes a failed run")
    .argument('<run>', 'bill run number')
    .option('--resume', 'resume a failed run (only what it did not bill yet is billed) and wait for it to end')
    .action((runText: string, opts, cmd: Program) => {
      const m = /^#?(\d{1,9})$/.exec(runText.trim());
      if (!m) throw new UsageError(`"${runText}" is not a bill run number; usage: ${statusUsage}`);
      run(cmd, { kind: opts.resume ? 'bill.resume' : 'bill.status', run: Number(m[1]) }, statusUsage);
    });

  const runUsage = 'billbot run <configuration> [--from YYYY-MM-DD --to YYYY-MM-DD] [--posting YYYY-MM-DD] [--preview]';
  program
    .command('run')
    .description("bill a configuration's bill groups now and wait for the run to end (reported in its Slack channel by the bot)")
    .argument('<configuration...>', 'the bill run configuration (quote it, or type it plainly)')
    .option('--from <date>', 'billing period start, YYYY-MM-DD (default: the configuration\'s period rule)')
    .option('--to <date>', 'billing period end, YYYY-MM-DD')
    .option('--posting <date>', 'posting date, YYYY-MM-DD (default: the run date)')
    .option('--preview', 'show what the run would do and write nothing')
    .action((words: string[], opts, cmd: Program) => {
      const period = { from: opts.from ?? null, to: opts.to ?? null, posting: opts.posting ?? null, preview: Boolean(opts.preview) };
      run(cmd, { kind: 'billing.run', configuration: words.join(' '), ...period }, runUsage);
    });

  program
    .command('schedules')
    .description('list the scheduled configurations: next run time, paused or not, last run and any problem')
    .action((_opts, cmd: Program) => run(cmd, { kind: 'billing.schedules' }, 'billbot schedules'));

  const scheduleUsage = 'billbot schedule pause|resume <configuration>';
  const digestUsage = "billbot schedule digest <channel> '<cron>' [--time-zone ZONE] | billbot schedule digest <channel> pause|resume";
  program
    .command('schedule')
    .description("pause a configuration's schedule, or resume it (runs missed while paused are not caught up); digest: a channel's overdue digest")
    .argument('<action>', 'pause, resume, or digest')
    .argument('<configuration...>', 'the bill run configuration (digest: the channel, then a cron schedule, or pause or resume)')
    .option('--time-zone <zone>', "digest: the cron schedule's time zone (default UTC)")
    .action((action: string, words: string[], opts, cmd: Program) => {
      const verb = action.trim().toLowerCase();
      if (verb === 'digest') {
        const [channel, ...rest] = words;
        const toggle = rest.length === 1 && /^(pause|resume)$/i.test(rest[0].trim()) ? rest[0].trim().toLowerCase() : null;
        const input = toggle
          ? { kind: 'billing.digest' as const, action: toggle as 'pause', channel }
          : { kind: 'billing.digest' as const, action: 'set' as const, channel, schedule: rest.join(' ') || null, timeZone: opts.timeZone ?? null };
        return run(cmd, input, digestUsage);
      }
      if (verb !== 'pause' && verb !== 'resume') throw new UsageError(`Say pause or resume, not "${action}"; usage: ${scheduleUsage}`);
      run(cmd, { kind: 'billing.schedule', action: verb, configuration: words.join(' ') }, scheduleUsage);
    });
}

/** invoices, invoice, credits. */
function addListCommands({ program, run }: Builder): void {
  program
    .command('invoices')
    .description('list the invoices an account has received')
    .argument('<account...>')
    .action((words: string[], _opts, cmd: Program) => run(cmd, { kind: 'invoice.list', account: words.join(' ') }, 'billbot invoices <account>'));

  program
    .command('invoice')
    .description('show an invoice with its transactions and disbursements; --pdf writes it as a PDF')
    .argument('<number>', 'INV-000018, 18 or #18')
    .option('--pdf <file>', 'write the invoice as a PDF to this .pdf file')
    .action((invoice: string, opts: { pdf?: string }, cmd: Program) =>
      opts.pdf === undefined
        ? run(cmd, { kind: 'invoice.show', invoice }, 'billbot invoice <number> [--pdf <file>]')
        : run(cmd, { kind: 'invoice.pdf', invoice, file: opts.pdf }, 'billbot invoice <number> --pdf <file>'));

  program
    .command('credits')
    .description("list an account's credits")
    .argument('<account...>')
    .action((words: string[], _opts, cmd: Program) => run(cmd, { kind: 'credit.list', account: words.join(' ') }, 'billbot credits <account>'));
}

/** aging, statement. */
function addReceivableCommands({ program, run }: Builder): void {
  program
    .command('aging')
    .description('receivables by account in the buckets current, 1-30, 31-60, 61-90 and over 90 days past due, per currency')
    .option('--as-of <date>', 'the balances of this day, YYYY-MM-DD (default: today)')
    .action((opts, cmd: Program) => run(cmd, { kind: 'billing.aging', asOf: opts.asOf ?? null }, 'billbot aging [--as-of YYYY-MM-DD]'));

  program
    .command('statement')
    .description("an account's statement: opening balance, invoices, disbursements, payments and reversals with a running balance, closing balance")
    .argument('<account...>')
    .option('--from <date>', 'from this date, YYYY-MM-DD (default: the first line)')
    .option('--to <date>', 'to this date, YYYY-MM-DD (default: today)')
    .option('--pdf <file>', 'write the statement as a PDF to this file (.pdf)')
    .action((words: string[], opts, cmd: Program) => {
      const period = { account: words.join(' '), from: opts.from ?? null, to: opts.to ?? null };
      const usage = 'billbot statement <account> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--pdf <file>]';
      return opts.pdf === undefined ? run(cmd, { kind: 'billing.statement', ...period }, usage) : run(cmd, { kind: 'statement.pdf', ...period, file: opts.pdf }, usage);
    });
}

/** credit add, delete, disburse, reverse. */
function addCreditCommands({ program, run }: Builder): void {
  const credit = program.command('credit').description('add, delete, disburse or reverse a credit');
  const addUsage = 'billbot credit add <account> <amount> --detail TEXT [--quantity N] [--auto]';
  credit
    .command('add')
    .description('add a credit (it starts unissued)')
    .argument('<account>', 'the account (quote a name with spaces)')
    .argument('<amount>', 'e.g. 50, 50.00, $50 or 1,234.56')
    .requiredOption('--detail <text>', 'the reason for the credit')
    .option('--quantity <n>', 'multiplies the amount', undefined)
    .option('--auto', 'disburse automatically when it is issued')
    .action((account: string, amount: string, opts, cmd: Program) =>
      run(
        cmd,
        { kind: 'credit.add', account, amount, detail: opts.detail, quantity: quantity(opts.quantity) as number | undefined, autoDisburse: Boolean(opts.auto) },
        addUsage,
      ),
    );
  credit
    .command('delete')
    .description('delete a credit that is not issued yet')
    .argument('<id>', 'e.g. CR-7')
    .action((id: string, _opts, cmd: Program) => run(cmd, { kind: 'credit.delete', credit: id }, 'billbot credit delete <id>'));
  credit
    .command('disburse')
    .description('disburse an issued credit to an unpaid invoice (without an amount: the most allowed)')
    .argument('<id>', 'e.g. CR-7')
    .argument('<invoice>', 'e.g. INV-000018 or 18')
    .argument('[amount]', 'e.g. 50.00')
    .action((id: string, invoice: string, amount: string | undefined, _opts, cmd: Program) =>
      run(cmd, { kind: 'credit.disburse', credit: id, invoice, amount: amount ?? null }, 'billbot credit disburse <id> <invoice> [amount]'),
    );
  credit
    .command('reverse')
    .description('reverse an issued credit')
    .argument('<id>', 'e.g. CR-7')
    .action((id: string, _opts, cmd: Program) => run(cmd, { kind: 'credit.reverse', credit: id }, 'billbot credit reverse <id>'));
}

/** template, import, export. */
function addWorkbookCommands({ program, run }: Builder): void {
  program
    .command('template')
    .description('write the empty setup workbook (Accounts, Packages, Account Packages, Bill Runs, and a Read Me sheet)')
    .argument('<file>', 'the .xlsx file to write')
    .action((file: string, _opts, cmd: Program) => run(cmd, { kind: 'billing.template', file }, 'billbot template <file>'));

  const importUsage = 'billbot import <file> [--dry-run]';
  program
    .command('import')
    .description('check a setup or payments workbook and apply it, all or nothing (any problem: nothing changes, exit code 1)')
    .argument('<file>', 'the .xlsx setup workbook, or a payments workbook (a Payments sheet)')
    .option('--dry-run', 'check and count what would change, and write nothing')
    .action((file: string, opts, cmd: Program) => run(cmd, { kind: 'billing.import', file, dryRun: Boolean(opts.dryRun) }, importUsage));

  const exportUsage =
    'billbot export accounts|invoices|credits|payments|aging|statement <file> [--account NAME] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--run N] [--as-of YYYY-MM-DD]';
  program
    .command('export')
    .description('write a workbook: accounts (the whole setup, to edit and import back), invoices, credits, payments, aging or statement (of --account); or pdfs: a bill run\'s invoices as a zip of PDFs')
    .argument('<what>', 'accounts, invoices, credits, payments, aging, statement or pdfs')
    .argument('<file>', 'the .xlsx file to write (pdfs: the .zip file, with --run)')
    .option('--account <name>', 'only this account and the accounts that invoice to it')
    .option('--from <date>', 'from this date, YYYY-MM-DD (inclusive)')
    .option('--to <date>', 'to this date, YYYY-MM-DD (inclusive)')
    .option('--run <n>', 'invoices: only those of this bill run')
    .option('--as-of <date>', 'aging: the balances of this day, YYYY-MM-DD (default: today)')
    .action((what: string, file: string, opts, cmd: Program) => {
      let runId: number | null = null;
      if (opts.run !== undefined) {
        const m = /^#?(\d{1,9})$/.exec(String(opts.run).trim());
        if (!m) throw new UsageError(`"${opts.run}" is not a bill run number; usage: ${exportUsage}`);
        runId = Number(m[1]);
      }
      if (/^pdfs?$/i.test(what.trim())) {
        if (opts.account !== undefined || opts.from !== undefined || opts.to !== undefined) {
          throw new UsageError(`The PDFs export is one bill run's invoices; give only --run N; usage: billbot export pdfs <file> --run N`);
        }
        return run(cmd, { kind: 'billing.export.pdfs', run: runId as number, file }, 'billbot export pdfs <file> --run N');
      }
      run(
        cmd,
        {
          kind: 'billing.export',
          what: what.trim().toLowerCase() as 'accounts',
          file,
          account: opts.account ?? null,
          from: opts.from ?? null,
          to: opts.to ?? null,
          run: runId,
          asOf: opts.asOf,
        },
        exportUsage,
      );
    });
}

/** chart. */
function addChartCommands({ program, run }: Builder): void {
  const usage = 'billbot chart runs [<configuration>] --out <file>';
  program
    .command('chart')
    .description("draw a chart as a PNG file: runs, a configuration's last 12 completed bill runs (invoices and amount per run)")
    .argument('<what>', 'runs')
    .argument('[configuration...]', 'the bill run configuration (default: the default configuration)')
    .requiredOption('-o, --out <file>', 'the .png file to write')
    .action((what: string, words: string[], opts, cmd: Program) => {
      if (what.trim().toLowerCase() !== 'runs') throw new UsageError(`"${what}" is not a chart; say runs; usage: ${usage}`);
      const configuration = words.join(' ').trim() || null;
      run(cmd, { kind: 'billing.chart', what: 'runs', configuration, file: opts.out }, usage);
    });
}
