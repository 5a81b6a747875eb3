import type { AgingReport, Billing, BillRunReport, CreditView, InvoiceView, OverdueDigest, PaymentView, Statement } from '../../billing';
import type { WorkbookImportResult } from '../../sheets';
import type { CompanyHeader } from '../../sheets/documents/company';
import type { Logger } from '../log';
import type { ScheduleView } from '../render/schedules';
import type { Scheduler } from '../scheduler/scheduler';
import type { Command, CommandOf, HelpTopic, ModalCommand } from './schema';

/**
 * What the command table's handlers take and give: the Outcome a command ends in (which the
 * renderer turns into a reply), who asked, what the process plugs in (its scheduler, its
 * workbook folder) and what only the face in front can do (Face).
 */

export type InvoiceDetail = Awaited<ReturnType<Billing['getInvoice']>>;

export type Outcome =
  | { kind: 'bill.report'; report: BillRunReport }
  | { kind: 'credit'; action: 'added' | 'deleted' | 'reversed'; credit: CreditView }
  | { kind: 'credit.disbursed'; credit: CreditView; disbursed: string; invoice: string; invoiceBalance: string }
  | { kind: 'credit.list'; account: string; credits: CreditView[] }
  /** A payment recorded (what it paid, balances after) or reversed (what went back onto which invoice). */
  | { kind: 'payment'; action: 'recorded' | 'reversed'; payment: PaymentView }
  | { kind: 'payment.list'; account: string; payments: PaymentView[] }
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
  /** `/billing aging [as of D]`: receivables by bucket, per currency, and the accounts that owe the most. */
  | { kind: 'receivables.aging'; report: AgingReport }
  /** `/billing statement <account> [from D] [to D]`. */
  | { kind: 'receivables.statement'; statement: Statement }
  /** A channel's overdue digest set, paused or resumed; `next`: its next post (null: paused). */
  | { kind: 'digest.changed'; action: 'set' | 'pause' | 'resume'; digest: OverdueDigest; next: Date | null }
  /**
   * A workbook written to a file (the shell, the CLI): the empty setup template or an export,
   * with the rows written per sheet.
   */
  | { kind: 'workbook.written'; workbook: WorkbookKind; file: string; rows: Record<string, number> }
  /**
   * A setup workbook checked (`result.dryRun`: a preview, nothing written) or imported
   * (`result.applied`); `result.problems` lists what stopped it.
   */
  | { kind: 'workbook.import'; file: string; result: WorkbookImportResult }
  /** Documents written to a file (the shell, the CLI): an invoice's PDF, or a run's invoices as a zip of PDFs. */
  | { kind: 'document.written'; document: DocumentKind; subject: string; file: string; invoices: number; bytes: number }
  /** A chart written to a PNG file (the shell, the CLI), with what it shows in words. */
  | { kind: 'chart.written'; chart: 'runs'; configuration: string; runs: number; file: string; width: number; height: number; altText: string }
  /** A plain message (e.g. from a plugged-in handler, or the worked example loaded). */
  | { kind: 'notice'; title: string | null; text: string }
  /** A refusal with one sentence; `reference` is set for unexpected failures (see the log). */
  | { kind: 'error'; code: string; message: string; reference: string | null };

export type OutcomeKind = Outcome['kind'];

/** The workbooks billbot writes: the empty setup template and the exports. */
export type WorkbookKind = 'template' | 'accounts' | 'invoices' | 'credits' | 'payments' | 'aging' | 'statement';

/** The documents billbot writes: one invoice's PDF, a bill run's invoices as a zip of PDFs. */
export type DocumentKind = 'invoice' | 'statement' | 'run invoices';

/** What the document commands need: the company on the documents, and where files go (the shell and the CLI). */
export interface DocumentRuntime {
  company: CompanyHeader;
  /** Where relative file names are written, and unnamed files go (default: the working directory). */
  directory?: string;
}

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

/**
 * The scheduler the schedule and run commands go through (none plugged in: they are not
 * available). Pause and resume go through the scheduler instance, so the running process
 * reschedules at once (the others see the change through the database).
 */
export interface ScheduleRuntime {
  scheduler: Scheduler;
  /** The billing services the run-status commands read through. */
  billing: Billing;
  /**
   * Where a run started (or resumed) from here is reported when its configuration has no
   * report channel; null: nowhere. Default: the channel the command came from.
   */
  reportChannel?: (ctx: CommandContext) => string | null;
  /**
   * Wait for a started or resumed run to end and show its report (the CLI, which exits after
   * one command). Default false: answer at once; the run is reported in its channel.
   */
  waitForRuns?: boolean;
  /** The command that resumes a run, as this face's users type it (default `/bill status <run> resume`). */
  resumeCommand?: (runId: number) => string;
}

/** Where the workbook commands read and write files (the shell and the CLI). */
export interface WorkbookRuntime {
  /** The billing services the workbooks are read from and written to. */
  billing: Billing;
  /** Where relative file names are read and written, and where unnamed workbooks go (default: the working directory). */
  directory?: string;
  /**
   * Called after an applied import that created or changed bill run configurations: a
   * started scheduler's reload(), so that new schedules are timed at once. (Schedulers also
   * LISTEN for the configurations' NOTIFY and poll, so another process catches up by itself.)
   */
  onConfigurationsChanged?: () => Promise<void>;
  /** Today's date for file names (default: the UTC date). */
  today?: () => string;
}

/** What a process plugs in for the table's handlers (services.ts: createScheduling, workbookHandlers). */
export interface CommandHandlers {
  scheduling?: ScheduleRuntime;
  workbooks?: WorkbookRuntime;
  /** The company settings of documents (absent: the defaults, files in the working directory). */
  documents?: DocumentRuntime;
}

/** The faces billbot has; the command table says which of them offers each command. */
export const FACES = ['slack', 'shell', 'cli'] as const;
export type FaceName = (typeof FACES)[number];

/** A face's hook answered the person itself (a modal opened, a message posted): nothing to render. */
export const ANSWERED = Symbol('answered');
export type Answered = typeof ANSWERED;
export type Reply = Outcome | Answered;

export type RunCommand = CommandOf<'bill'> | CommandOf<'billing.run'>;
export type CreditChange = CommandOf<'credit.reverse'> | CommandOf<'credit.delete'>;
/** The changes asked about first where the face can ask (Slack: a button behind a confirmation dialog). */
export type ConfirmedChange = CreditChange;
export type WorkbookCommand = CommandOf<'billing.template'> | CommandOf<'billing.export'>;
export type DocumentCommand = CommandOf<'invoice.pdf'> | CommandOf<'statement.pdf'> | CommandOf<'billing.export.pdfs'>;

/**
 * What only a face can do. The table's handler of a kind uses its hook when the face has one
 * (a hook's failure is the face's to report: it is thrown on, not turned into an Outcome).
 */
export interface Face {
  name: FaceName;
  /** A form command: Slack opens its modal; the shell asks its fields and gives the command they make (null: cancelled). */
  fill?: (modal: ModalCommand, ctx: CommandContext) => Promise<Command | Answered | null>;
  /** Before reversing or deleting a credit, or reversing a payment (Slack: a button behind a confirmation dialog). */
  confirm?: (command: ConfirmedChange, ctx: CommandContext, action: 'reverse' | 'delete') => Promise<Reply>;
  /** Before reversing a payment, the same. */
  confirmPayment?: (command: CommandOf<'payment.reverse'>, ctx: CommandContext) => Promise<Reply>;
  /** The template and exports handed over by the face (Slack: uploaded to the channel) instead of written to a file. */
  deliverWorkbook?: (command: WorkbookCommand, ctx: CommandContext) => Promise<Reply>;
  /** A document handed over by the face (Slack: uploaded to the person) instead of written to a file. */
  deliverDocument?: (command: DocumentCommand, ctx: CommandContext) => Promise<Reply>;
  /** A chart handed over by the face (Slack: uploaded to the person) instead of written to a file. */
  deliverChart?: (command: CommandOf<'billing.chart'>, ctx: CommandContext) => Promise<Reply>;
  /** A workbook import as the face does it (Slack: explains uploads; the shell: previews and asks before applying). */
  importWorkbook?: (command: CommandOf<'billing.import'>, ctx: CommandContext) => Promise<Reply>;
  /** Roles (Slack's). */
  access?: (command: CommandOf<'billing.access'>, ctx: CommandContext) => Promise<Reply>;
  /** A bill run started in the background and reported by the face (Slack: progress, then a notice in the channel). */
  startRun?: (command: RunCommand, ctx: CommandContext) => Promise<Reply>;
}

export interface ExecutorServices {
  billing: Billing;
  log?: Logger;
  handlers?: CommandHandlers;
  /** The face in front (none: a plain run, e.g. a Slack button's confirmed click). */
  face?: Face;
}
