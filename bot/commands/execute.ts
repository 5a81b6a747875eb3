import { randomBytes } from 'node:crypto';
import type { Billing, BillRunReport, CreditView, InvoiceView } from '../../billing';
import { BillingError } from '../../billing/errors';
import type { ScheduleView } from '../render/schedules';
import type { SetupImportResult } from '../../sheets';
import type { Logger } from '../services';
import { Command, CommandKind, CommandOf, HelpTopic, isModal } from './schema';

/**
 * Runs a Command against the billing services and says what happened as a typed Outcome,
 * which renderBlocks turns into a reply. Shared by Slack, the shell and the CLI.
 * Access control is the face's business (Slack checks roles before calling this).
 */

export type InvoiceDetail = Awaited<ReturnType<Billing['getInvoice']>>;

export type Outcome =
  | { kind: 'bill.report'; report: BillRunReport }
  | { kind: 'credit'; action: 'added' | 'deleted' | 'reversed'; credit: CreditView }
  | { kind: 'credit.disbursed'; credit: CreditView; disbursed: string; invoice: string; invoiceBalance: string }
  | { kind: 'credit.list'; account: string; credits: CreditView[] }
  | { kind: 'invoice'; invoice: InvoiceDetail }
  | { kind: 'invoice.list'; account: string; invoices: InvoiceView[] }
  /** `/billing schedules`: every configuration that has a schedule. */
  | { kind: 'schedule.list'; schedules: ScheduleView[] }
  /** A schedule paused or resumed (`changed` false: it already was). */
  | { kind: 'schedule.changed'; action: 'pause' | 'resume'; changed: boolean; schedule: ScheduleView }
  /**
   * A bill run recorded and started in the background (`created` false: the request had
   * already started it). `reportChannel`: where its report goes; `here`: that is where it was asked.
   */
  | { kind: 'bill.started'; runId: number; created: boolean; billing: string; reportChannel: string | null; here: boolean }
  /** A failed run being resumed in the background (reported like bill.started). */
  | { kind: 'bill.resuming'; runId: number; reportChannel: string | null; here: boolean }
  /**
   * `/bill status <run>` where runs can be resumed: the run with what it has not done yet;
   * `resumable` when it failed (`/bill status <run> resume`, or Slack's Resume button).
   */
  | {
      kind: 'bill.status';
      report: BillRunReport;
      remaining: { batches: number; accounts: number };
      resumable: boolean;
      /** How to resume it on this face (null when it cannot be resumed). */
      resumeWith: string | null;
    }
  | { kind: 'help'; topic: HelpTopic | null }
  /**
   * A workbook written to a file (the shell, the CLI): the empty setup template or an export,
   * with the rows written per sheet.
   */
  | { kind: 'workbook.written'; workbook: WorkbookKind; file: string; rows: Record<string, number> }
  /**
   * A setup workbook checked (`result.dryRun`: a preview, nothing written) or imported
   * (`result.applied`); `result.problems` lists what stopped it.
   */
  | { kind: 'workbook.import'; file: string; result: SetupImportResult }
  /** A plain message (e.g. from a plugged-in handler, or the worked example loaded). */
  | { kind: 'notice'; title: string | null; text: string }
  /** A refusal with one sentence; `reference` is set for unexpected failures (see the log). */
  | { kind: 'error'; code: string; message: string; reference: string | null };

export type OutcomeKind = Outcome['kind'];

/** The workbooks billbot writes: the empty setup template and the three exports. */
export type WorkbookKind = 'template' | 'accounts' | 'invoices' | 'credits';

export interface CommandContext {
  /** Who asks: a Slack user id, the shell user, the CLI user. Recorded as who did it. */
  actor: string;
  /** Where it was asked (a Slack channel id, "shell", "cli"); for the audit log line. */
  channel?: string;
  /** A stable key for the request: the same key never bills or credits twice. */
  requestKey?: string;
  /** Bill runs report each finished batch here. */
  onProgress?: (p: { runId: number; batchesDone: number; batchesTotal: number }) => void | Promise<void>;
}

/** Handlers other parts plug in for kinds this executor does not run itself (access, workbooks, schedules). */
export type CommandHandlers = {
  [K in CommandKind]?: (command: CommandOf<K>, ctx: CommandContext) => Promise<Outcome>;
};

export interface ExecutorServices {
  billing: Billing;
  log?: Logger;
  handlers?: CommandHandlers;
}

/** A repeated request's answer, only to the requester: what the first one did. */
function alreadyDone(message: string): Outcome {
  return { kind: 'error', code: 'already_done', message, reference: null };
}

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

const NOT_HERE: Partial<Record<CommandKind, string>> = {
  'billing.access': 'Roles apply to the Slack app; /billing access works there.',
  'billing.template': 'Workbook templates are not available here.',
  'billing.export': 'Exports are not available here.',
  'billing.import': 'Imports are not available here.',
  'billing.schedules': 'Schedules are not available here.',
  'billing.schedule': 'Schedules are not available here.',
  'bill.resume': 'Resuming bill runs is not available here.',
};

export async function executeCommand(services: ExecutorServices, command: Command, ctx: CommandContext): Promise<Outcome> {
  const { billing, log } = services;
  log?.debug(`command ${command.kind} by ${ctx.actor}${ctx.channel ? ` in ${ctx.channel}` : ''}`);
  try {
    const handler = services.handlers?.[command.kind] as
      | ((c: Command, x: CommandContext) => Promise<Outcome>)
      | undefined;
    if (handler) return await handler(command, ctx);
    if (isModal(command)) {
      return {
        kind: 'error',
        code: 'needs_form',
        message: 'This command opens a form; fill it in, or type the command with its arguments (see /billing help).',
        reference: null,
      };
    }
    return await run(billing, command, ctx);
  } catch (error) {
    return errorOutcome(error, log);
  }
}

async function run(billing: Billing, command: Exclude<Command, { kind: `${string}.modal` }>, ctx: CommandContext): Promise<Outcome> {
  switch (command.kind) {
    case 'bill':
    case 'billing.run': {
      const request = {
        account: command.kind === 'bill' ? command.account : null,
        configuration: command.configuration,
        from: command.from,
        to: command.to,
        posting: command.posting,
        startedBy: ctx.actor,
        requestKey: ctx.requestKey ?? null,
      };
      const report = command.preview
        ? await billing.previewBill(request)
        : await billing.bill(request, { onProgress: ctx.onProgress });
      return { kind: 'bill.report', report };
    }
    case 'bill.status':
      return { kind: 'bill.report', report: await billing.getBillRunReport(command.run) };
    case 'credit.add': {
      const { credit, created } = await billing.addCreditOnce({
        account: command.account,
        amount: command.amount,
        detail: command.detail,
        quantity: command.quantity,
        autoDisburse: command.autoDisburse,
        createdBy: ctx.actor,
        requestKey: ctx.requestKey ?? null,
      });
      // A repeated request (a retry on another process): done once, announced once.
      if (!created) return alreadyDone(`This request already added ${credit.id} to ${credit.account}, so it is not added again.`);
      return { kind: 'credit', action: 'added', credit };
    }
    case 'credit.disburse': {
      const { created, ...result } = await billing.disburseCreditOnce({
        credit: command.credit,
        invoice: command.invoice,
        amount: command.amount,
        actor: ctx.actor,
        requestKey: ctx.requestKey ?? null,
      });
      if (!created) return alreadyDone(`This request already disbursed ${result.disbursed} of ${result.credit.id} to ${result.invoice}, so it is not disbursed again.`);
      return { kind: 'credit.disbursed', ...result };
    }
    case 'credit.reverse':
      return { kind: 'credit', action: 'reversed', credit: await billing.reverseCredit(command.credit, ctx.actor) };
    case 'credit.delete':
      return { kind: 'credit', action: 'deleted', credit: await billing.deleteCredit(command.credit, ctx.actor) };
    case 'credit.list': {
      const account = await billing.findAccount(command.account);
      return { kind: 'credit.list', account: account.name, credits: await billing.listCredits(account.name) };
    }
    case 'invoice.list': {
      const account = await billing.findAccount(command.account);
      return { kind: 'invoice.list', account: account.name, invoices: await billing.listInvoices(account.name) };
    }
    case 'invoice.show':
      return { kind: 'invoice', invoice: await billing.getInvoice(command.invoice) };
    case 'billing.help':
      return { kind: 'help', topic: command.topic };
    case 'billing.access':
    case 'billing.template':
    case 'billing.export':
    case 'billing.import':
    case 'billing.schedules':
    case 'billing.schedule':
    case 'bill.resume':
      return { kind: 'error', code: 'not_available', message: NOT_HERE[command.kind] as string, reference: null };
  }
}
