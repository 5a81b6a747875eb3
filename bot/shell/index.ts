import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { CommandSyntaxError } from '../commands/errors';
import { errorOutcome, executeCommand, ExecutorServices, Outcome } from '../commands/execute';
import { loadWorkedExample } from '../commands/demo';
import { buildForm, checkField, commandFromForm, FormValues } from '../commands/forms';
import { parseCommand, SLASH_COMMANDS, SlashCommand } from '../commands/parse';
import { Command, CommandOf, isModal, ModalCommand, USAGE } from '../commands/schema';
import { configurationsChanged, importWorkbook, readWorkbookFile, workbookHandlers } from '../commands/workbooks';
import { importIsReady } from '../render';
import { blocksToText, renderBlocks } from '../render';
import { SHELL_CHANNEL, type RunReporter } from '../scheduler/reporter';
import type { Scheduling } from '../services';
import { TextRunReporter } from './runReporter';

/**
 * The local shell, in the manner of Hubot's shell adapter: each typed line is a slash
 * command from one configured user, and each reply is the Slack reply rendered as text.
 * A command that opens a modal in Slack (bare /bill, /credit add, /credit disburse CR-7)
 * asks the modal's fields one by one instead.
 */
export interface ShellOptions {
  input: Readable;
  output: Writable;
  services: ExecutorServices;
  /** Who the commands are run as. */
  user: string;
  prompt?: string;
  /** Line editing and history (a real terminal). Default: whether input is a TTY. */
  terminal?: boolean;
  /** Ends the shell (e.g. on SIGTERM). */
  signal?: AbortSignal;
  /** Scheduled bill runs, reported into this shell's output (none: the schedule commands are not available). */
  scheduling?: ShellScheduling;
  /** Where /billing template and /billing export write, and /billing import reads relative names (default: the working directory). */
  directory?: string;
}

export interface ShellScheduling {
  /** Builds the scheduler (and its command handlers) around the reporter that prints into the shell. */
  create: (reporter: RunReporter) => Scheduling;
  /**
   * Start it: fire the schedules, resume unfinished runs, post due reports (npm start does).
   * Default false: only the commands use it (no timers). Either way the shell stops it on exit,
   * after the runs it started have ended.
   */
  start?: boolean;
}

const HINT =
  'Type a command such as /bill Child Co from 2026-09-01 to 2026-09-30 or /credit list Parent Co; /billing help lists them all, demo loads the worked example, /exit quits.';

export async function runShell(options: ShellOptions): Promise<void> {
  const { input, output, user } = options;
  const prompt = options.prompt ?? 'billbot> ';
  const terminal = options.terminal ?? Boolean((input as Readable & { isTTY?: boolean }).isTTY);
  const rl = readline.createInterface({ input, output: terminal ? output : undefined, terminal });
  const lines = rl[Symbol.asyncIterator]();
  rl.on('SIGINT', () => rl.close());
  const onAbort = () => rl.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const write = (text: string) => {
    output.write(`${text}\n`);
  };
  const scheduling = options.scheduling?.create(new TextRunReporter(write)) ?? null;
  const directory = path.resolve(options.directory ?? process.cwd());
  // A started scheduler times schedules changed by an import at once (it also LISTENs for them).
  const reloadSchedules = scheduling && options.scheduling?.start ? () => scheduling.scheduler.reload() : undefined;
  const workbooks = workbookHandlers({ db: options.services.billing.db, directory, onConfigurationsChanged: reloadSchedules });
  const services: ExecutorServices = {
    ...options.services,
    handlers: { ...workbooks, ...options.services.handlers, ...scheduling?.handlers },
  };
  const show = (outcome: Outcome) => write(blocksToText(renderBlocks(outcome).blocks));
  const ask = async (question: string): Promise<string | null> => {
    if (terminal) {
      rl.setPrompt(question);
      rl.prompt();
    } else {
      output.write(question);
    }
    const next = await lines.next();
    return next.done ? null : next.value;
  };

  /** Asks a form's fields one by one; null when cancelled or the input ended. */
  const fill = async (modal: ModalCommand): Promise<Command | null> => {
    const form = await buildForm(services.billing, modal);
    write(`${form.title}: answer each field. Enter keeps the value in [brackets], - leaves it blank, /cancel stops.`);
    const values: FormValues = {};
    const askField = async (name: string): Promise<boolean> => {
      const f = form.fields.find((x) => x.name === name);
      if (!f) return false;
      for (;;) {
        const answer = await ask(`${f.label}${f.hint ? ` (${f.hint})` : ''}${f.initial ? ` [${f.initial}]` : ''}: `);
        if (answer === null) return false;
        const text = answer.trim();
        if (/^\/cancel$/i.test(text)) {
          write('Cancelled; nothing was done.');
          return false;
        }
        const value = text === '-' ? '' : text === '' ? (f.initial ?? '') : text;
        const problem = checkField(form, f.name, value);
        if (problem) {
          write(problem);
          continue;
        }
        values[f.name] = value;
        return true;
      }
    };
    for (const f of form.fields) if (!(await askField(f.name))) return null;
    // Rules across fields (both ends of a period): ask again for the field at fault.
    for (let attempt = 0; ; attempt++) {
      try {
        return commandFromForm(form, values);
      } catch (e) {
        if (!(e instanceof CommandSyntaxError) || !e.field || attempt >= 5) throw e;
        write(e.message);
        if (!(await askField(e.field))) return null;
      }
    }
  };

  /**
   * `/billing import <file>`: the file is read once and checked (nothing written), the
   * preview shown, and only a "yes" applies those same bytes, all or nothing.
   */
  const importAsked = async (command: CommandOf<'billing.import'>): Promise<void> => {
    if (!command.file) throw new CommandSyntaxError('Name the workbook file to import', USAGE['billing.import']);
    const db = services.billing.db;
    const file = await readWorkbookFile(path.resolve(directory, command.file));
    const preview = await importWorkbook(db, file, { actor: user, dryRun: true });
    show(preview);
    if (!importIsReady(preview.result)) return;
    for (;;) {
      const answer = await ask('Apply it? (yes/no) ');
      const word = answer?.trim().toLowerCase() ?? null;
      if (word === 'yes' || word === 'y') break;
      if (word === null || word === 'no' || word === 'n' || word === '') {
        write(`Cancelled: nothing was imported from ${file.name}.`);
        return;
      }
      write('Answer yes or no.');
    }
    const outcome = await importWorkbook(db, file, { actor: user, dryRun: false });
    show(outcome);
    if (configurationsChanged(outcome.result)) await reloadSchedules?.();
  };

  const run = async (line: string): Promise<boolean> => {
    const text = line.trim();
    if (!text) return true;
    if (/^\/(exit|quit)$/i.test(text)) return false;
    if (/^\/?(billing\s+)?demo$/i.test(text)) {
      show(await loadWorkedExample(services.billing, services.log));
      return true;
    }
    if (/^\/?help$/i.test(text)) {
      show({ kind: 'help', topic: null });
      return true;
    }
    const m = /^(\/\S+)\s*([\s\S]*)$/.exec(text);
    const slash = m?.[1].toLowerCase() as SlashCommand | undefined;
    if (!m || !slash || !SLASH_COMMANDS.includes(slash)) {
      write(HINT);
      return true;
    }
    try {
      let command: Command | null = parseCommand(slash, m[2]);
      if (isModal(command)) command = await fill(command);
      if (!command) return true;
      if (command.kind === 'billing.import' && !command.dryRun) {
        await importAsked(command);
        return true;
      }
      const outcome = await executeCommand(services, command, {
        actor: user,
        channel: SHELL_CHANNEL,
        onProgress: ({ runId, batchesDone, batchesTotal }) => write(`… bill run #${runId}: ${batchesDone} of ${batchesTotal} batches billed`),
      });
      show(outcome);
    } catch (e) {
      show(errorOutcome(e, services.log));
    }
    return true;
  };

  try {
    if (scheduling && options.scheduling?.start) await scheduling.scheduler.start();
    write(`billbot shell: you are ${user}. ${HINT}`);
    const configurations = await services.billing.listConfigurations().catch(() => null);
    if (configurations && configurations.length === 0) {
      write('The database is empty: type demo to load the worked example of DOMAIN.md.');
    }
    for (;;) {
      const line = await ask(prompt);
      if (line === null || !(await run(line))) break;
    }
    // Runs started here end (and are reported) before the shell says goodbye and the database stops.
    await scheduling?.scheduler.stop({ wait: true });
    write('Bye.');
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    rl.close();
    await scheduling?.scheduler.stop({ wait: true });
  }
}
