import { randomBytes } from 'node:crypto';
import { BillingError } from '../../billing';
import type { Logger } from '../log';
import type { Command } from './schema';
import { entryOf, type AnyEntry } from './table';
import { ANSWERED, type CommandContext, type ExecutorServices, type Face, type Outcome, type Reply } from './types';

/**
 * The executor: runs a Command through its entry in the command table (table.ts) and says
 * what happened as a typed Outcome, which renderBlocks turns into a reply. Shared by Slack,
 * the shell and the CLI. Access control is the face's business (Slack checks roles first).
 */

export type {
  CommandContext,
  CommandHandlers,
  ExecutorServices,
  Face,
  FaceName,
  InvoiceDetail,
  Outcome,
  OutcomeKind,
  Reply,
  WorkbookKind,
} from './types';
export { ANSWERED } from './types';

/** Maps a thrown error to an outcome: a BillingError's own sentence, anything else a reference to the log. */
export function errorOutcome(error: unknown, log?: Logger): Outcome {
  if (error instanceof BillingError) return { kind: 'error', code: error.code, message: error.message, reference: null };
  const reference = randomBytes(4).toString('hex');
  log?.error(`billbot: unexpected failure (reference ${reference}): ${describeError(error)}`);
  return {
    kind: 'error',
    code: 'internal',
    message: `Something went wrong (reference ${reference}); nothing was changed by the part that failed. Tell whoever runs billbot the reference.`,
    reference,
  };
}

/** The error's class, code, message and stack: no request bodies or connection strings. */
function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code ? ` [${String(code)}]` : ''}: ${error.message}\n${error.stack ?? ''}`;
  }
  return String(error);
}

/** A face hook's failure: the face reports it its own way, so it passes the executor untouched. */
class FaceFailure {
  constructor(readonly cause: unknown) {}
}

function guarded(face: Face): Face {
  const out: Record<string, unknown> = { name: face.name };
  for (const [key, hook] of Object.entries(face)) {
    if (typeof hook !== 'function') continue;
    out[key] = (...args: unknown[]) =>
      (hook as (...a: unknown[]) => Promise<unknown>)(...args).catch((error: unknown) => {
        throw new FaceFailure(error);
      });
  }
  return out as unknown as Face;
}

function offered(entry: AnyEntry, services: ExecutorServices): boolean {
  if (services.face && !entry.faces.includes(services.face.name)) return false;
  return entry.ready ? entry.ready(services) : true;
}

/**
 * Runs a command on a face: its Outcome, or ANSWERED when one of the face's hooks answered
 * the person itself. A hook's failure is thrown on; any other failure is an error Outcome.
 */
export async function performCommand(services: ExecutorServices, command: Command, ctx: CommandContext): Promise<Reply> {
  const entry = entryOf(command);
  services.log?.debug(`command ${entry.kind} by ${ctx.actor}${ctx.channel ? ` in ${ctx.channel}` : ''}`);
  if (!offered(entry, services)) {
    const { code, message } = entry.unavailable ?? { code: 'not_available', message: 'This command is not available here.' };
    return { kind: 'error', code, message, reference: null };
  }
  const face = services.face && guarded(services.face);
  try {
    return await entry.run(command, ctx, { ...services, face }, (next) => performCommand(services, next, ctx));
  } catch (error) {
    if (error instanceof FaceFailure) throw error.cause;
    return errorOutcome(error, services.log);
  }
}

/** Runs a command where no face hook answers by itself (the CLI, tests, a Slack button's click). */
export async function executeCommand(services: ExecutorServices, command: Command, ctx: CommandContext): Promise<Outcome> {
  const reply = await performCommand(services, command, ctx);
  if (reply === ANSWERED) throw new Error(`the face answered ${entryOf(command).kind} itself: run it with performCommand`);
  return reply;
}
