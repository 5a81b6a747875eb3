import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_COMPANY } from '../../sheets/documents/company';
import { loadWorkedExample } from '../commands/demo';
import { ANSWERED, errorOutcome, ExecutorServices, Outcome, performCommand } from '../commands/execute';
import { parseCommand, SLASH_COMMANDS, SlashCommand } from '../commands/parse';
import { blocksToText, renderBlocks } from '../render';
import { SHELL_CHANNEL, type RunReporter } from '../scheduler/reporter';
import type { Scheduling } from '../services';
import { shellFace, ShellTalk } from './face';
import { TextRunReporter } from './runReporter';

/**
 * The local shell, in the manner of Hubot's shell adapter: each typed line is a slash
 * command from one configured user, and each reply is the Slack reply rendered as text.
 * A command that opens a modal in Slack (bare /bill, /credit add, /credit disburse CR-7)
 * asks the modal's fields one by one instead (face.ts).
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
  /** Builds the scheduler (and what plugs it into the commands) around the reporter that prints into the shell. */
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

interface Session extends ShellTalk {
  rl: readline.Interface;
  user: string;
  services: ExecutorServices;
}

/** The terminal: readline over input and output, closed by Ctrl-C or the signal. */
function openTerminal(options: ShellOptions): Omit<Session, 'user' | 'services'> & { detach: () => void } {
  const { input, output } = options;
  const terminal = options.terminal ?? Boolean((input as Readable & { isTTY?: boolean }).isTTY);
  const rl = readline.createInterface({ input, output: terminal ? output : undefined, terminal });
  const lines = rl[Symbol.asyncIterator]();
  rl.on('SIGINT', () => rl.close());
  const onAbort = () => rl.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const write = (text: string) => {
    output.write(`${text}\n`);
  };
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
  const show = (outcome: Outcome) => write(blocksToText(renderBlocks(outcome).blocks));
  return { rl, write, ask, show, detach: () => options.signal?.removeEventListener('abort', onAbort) };
}

/** A typed line as a slash command and its text; null when it is not one of billbot's. */
export function slashLine(text: string): { slash: SlashCommand; rest: string } | null {
  const m = /^(\/\S+)\s*([\s\S]*)$/.exec(text.trim());
  const slash = m?.[1].toLowerCase() as SlashCommand | undefined;
  return m && slash && SLASH_COMMANDS.includes(slash) ? { slash, rest: m[2] } : null;
}

/** One typed line; false when the shell should end. */
async function runLine(session: Session, line: string): Promise<boolean> {
  const { services, write, show } = session;
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
  const typed = slashLine(text);
  if (!typed) {
    write(HINT);
    return true;
  }
  try {
    const reply = await performCommand(services, parseCommand(typed.slash, typed.rest), {
      actor: session.user,
      channel: SHELL_CHANNEL,
      onProgress: ({ runId, batchesDone, batchesTotal }) => write(`… bill run #${runId}: ${batchesDone} of ${batchesTotal} batches billed`),
    });
    if (reply !== ANSWERED) show(reply);
  } catch (e) {
    show(errorOutcome(e, services.log));
  }
  return true;
}

export async function runShell(options: ShellOptions): Promise<void> {
  const terminal = openTerminal(options);
  const scheduling = options.scheduling?.create(new TextRunReporter(terminal.write)) ?? null;
  const directory = path.resolve(options.directory ?? process.cwd());
  // A started scheduler times schedules changed by an import at once (it also LISTENs for them).
  const reloadSchedules = scheduling && options.scheduling?.start ? () => scheduling.scheduler.reload() : undefined;
  const services: ExecutorServices = {
    ...options.services,
    handlers: {
      workbooks: { billing: options.services.billing, directory, onConfigurationsChanged: reloadSchedules },
      ...options.services.handlers,
      // Documents are written where the workbooks are, with the company of the settings.
      documents: { company: options.services.handlers?.documents?.company ?? DEFAULT_COMPANY, directory },
      ...scheduling?.handlers,
    },
  };
  services.face = shellFace(terminal, services);
  const session: Session = { ...terminal, user: options.user, services };
  try {
    if (scheduling && options.scheduling?.start) await scheduling.scheduler.start();
    terminal.write(`billbot shell: you are ${options.user}. ${HINT}`);
    const configurations = await services.billing.listConfigurations().catch(() => null);
    if (configurations && configurations.length === 0) {
      terminal.write('The database is empty: type demo to load the worked example of DOMAIN.md.');
    }
    for (;;) {
      const line = await terminal.ask(options.prompt ?? 'billbot> ');
      if (line === null || !(await runLine(session, line))) break;
    }
    // Runs started here end (and are reported) before the shell says goodbye and the database stops.
    await scheduling?.scheduler.stop({ wait: true });
    terminal.write('Bye.');
  } finally {
    terminal.detach();
    terminal.rl.close();
    await scheduling?.scheduler.stop({ wait: true });
  }
}
