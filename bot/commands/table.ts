import type { z } from 'zod';
import type { Billing } from '../../billing';
import { billForm, creditAddForm, creditDisburseForm, paymentAddForm, type Form } from './formBuilders';
import { listPayments, recordPayment, reversePayment } from './payments';
import { addCredit, billNow, deleteCredit, disburseCredit, listCredits, listInvoices, reverseCredit } from './handlers';
import { changeDigest, changeSchedule, listSchedules, resumeRun, runNow, runStatus } from './schedules';
import { Command, CommandKind, CommandOf, ModalCommand, Role, schemaOf } from './schema';
import {
  ANSWERED,
  CommandContext,
  DocumentCommand,
  ExecutorServices,
  FaceName,
  FACES,
  OutcomeKind,
  Reply,
  ScheduleRuntime,
  WorkbookCommand,
  WorkbookRuntime,
} from './types';

/**
 * The command table: every command kind, declared once, for every face (Slack, the local
 * shell, the billbot CLI):
 *
 * - `schema`: its zod schema (schema.ts), which every face's input goes through;
 * - `role`: the role Slack asks for (viewer: look; operator: bill, credits, schedules; admin:
 *   access, imports);
 * - `faces`: the faces that offer it; elsewhere, and where what it needs is not plugged in
 *   (`ready`), the person is told `unavailable`;
 * - `run`: its handler, calling billing, the scheduler or sheets, and using the face's hooks
 *   (types.ts, Face) for what only a face can do; `gives`: the Outcomes it ends in.
 *
 * The executor (execute.ts) looks a command up here; nothing else dispatches on its kind.
 * A new command is a schema, a table entry and (for a new Outcome) its renderer.
 */

/** A refusal a face shows where the command is not offered. */
export interface Unavailable {
  code: 'not_available' | 'needs_form';
  message: string;
}

/** Runs another command on the same face and context (a form's answers). */
export type Perform = (command: Command) => Promise<Reply>;

export interface CommandEntry<K extends CommandKind> {
  kind: K;
  schema: z.ZodObject;
  role: Role | ((command: CommandOf<K>) => Role);
  faces: readonly FaceName[];
  unavailable?: Unavailable;
  /** Whether its handler can run with these services (a scheduler, a face's hook); default yes. */
  ready?: (services: ExecutorServices) => boolean;
  /** The Outcomes it ends in (besides an error). */
  gives: readonly OutcomeKind[];
  /** Slack: its success is shown to the whole channel (errors, previews and lists only to the requester). */
  announce?: true;
  /** The CLI: the command failed when the bill run it waited for failed. */
  failsWithRun?: true;
  /** It moves many rows (a configuration's run, an import, an export): the CLI's embedded server gets its full shared buffers. */
  bulk?: true;
  /** A modal kind: the form it opens (Slack's modal, the shell's questions). */
  form?: (billing: Billing, modal: CommandOf<K>) => Promise<Form>;
  run: (command: CommandOf<K>, ctx: CommandContext, services: ExecutorServices, perform: Perform) => Promise<Reply>;
}

const ALL = FACES;
const FORMS: readonly FaceName[] = ['slack', 'shell'];
const previewOrOperator = (c: { preview: boolean }): Role => (c.preview ? 'viewer' : 'operator');
const notHere = (message: string): Unavailable => ({ code: 'not_available', message });
const SCHEDULES = notHere('Schedules are not available here.');
const scheduling = (s: ExecutorServices) => s.handlers?.scheduling as ScheduleRuntime;
const hasScheduler = (s: ExecutorServices) => !!s.handlers?.scheduling;
const folder = (s: ExecutorServices) => s.handlers?.workbooks as WorkbookRuntime;
/** exceljs takes a quarter of a second to load: only the workbook commands load it. */
const workbooks = () => import('./workbooks');
/** pdfkit likewise: only the document commands load it. */
const documents = () => import('./documents');
/** The same for chart.js and Skia: only the chart command loads them. */
const charts = () => import('./charts');

/** A modal kind: the face fills its form; the answers run as their own command. */
function modal<K extends ModalCommand['kind']>(kind: K, role: Role, form: CommandEntry<K>['form']): CommandEntry<K> {
  return {
    kind,
    schema: schemaOf(kind),
    role,
    faces: FORMS,
    unavailable: {
      code: 'needs_form',
      message: 'This command opens a form; fill it in, or type the command with its arguments (see /billing help).',
    },
    ready: (s) => !!s.face?.fill,
    gives: [],
    form,
    run: async (command, ctx, s, perform) => {
      const filled = await s.face!.fill!(command, ctx);
      return filled === null || filled === ANSWERED ? ANSWERED : perform(filled);
    },
  };
}

/** The template and the exports: handed over by the face (Slack), or written to a file. */
function workbookOut<K extends WorkbookCommand['kind']>(unavailable: string): Omit<CommandEntry<K>, 'kind' | 'schema' | 'faces'> {
  return {
    role: 'viewer',
    unavailable: notHere(unavailable),
    ready: (s) => !!(s.face?.deliverWorkbook || s.handlers?.workbooks),
    gives: ['workbook.written'],
    run: async (c, ctx, s) => (s.face?.deliverWorkbook ? s.face.deliverWorkbook(c, ctx) : (await workbooks()).writeWorkbookFile(folder(s), c)),
  };
}

/** An invoice's or a statement's PDF, a run's zip of PDFs: handed over by the face (Slack), or written to a file. */
function documentOut<K extends DocumentCommand['kind']>(): Omit<CommandEntry<K>, 'kind' | 'schema' | 'faces'> {
  return {
    role: 'viewer',
    gives: ['document.written'],
    run: async (c, ctx, s) =>
      s.face?.deliverDocument ? s.face.deliverDocument(c, ctx) : (await documents()).writeDocumentFile(s.billing, c, s.handlers?.documents),
  };
}

function entry<K extends CommandKind>(kind: K, spec: Omit<CommandEntry<K>, 'kind' | 'schema' | 'faces'> & { faces?: readonly FaceName[] }): CommandEntry<K> {
  return { kind, schema: schemaOf(kind), faces: ALL, ...spec };
}

export const COMMANDS: { [K in CommandKind]: CommandEntry<K> } = {
  bill: entry('bill', {
    role: previewOrOperator,
    gives: ['bill.report'],
    failsWithRun: true,
    run: (c, ctx, s) => (!c.preview && s.face?.startRun ? s.face.startRun(c, ctx) : billNow(s.billing, c, c.account, ctx)),
  }),
  'bill.modal': modal('bill.modal', 'viewer', billForm),
  'bill.status': entry('bill.status', {
    role: 'viewer',
    gives: ['bill.status', 'bill.report'],
    run: async (c, _ctx, s) =>
      hasScheduler(s) ? runStatus(scheduling(s), c.run) : { kind: 'bill.report', report: await s.billing.getBillRunReport(c.run) },
  }),
  'bill.resume': entry('bill.resume', {
    role: 'operator',
    ready: hasScheduler,
    unavailable: notHere('Resuming bill runs is not available here.'),
    gives: ['bill.resuming', 'bill.status'],
    failsWithRun: true,
    bulk: true,
    run: (c, ctx, s) => resumeRun(scheduling(s), c, ctx),
  }),
  'billing.run': entry('billing.run', {
    role: previewOrOperator,
    gives: ['bill.report', 'bill.started'],
    failsWithRun: true,
    bulk: true,
    // With a scheduler, a configuration's run goes through it (reported in its channel).
    run: (c, ctx, s) =>
      hasScheduler(s)
        ? runNow(scheduling(s), c, ctx)
        : !c.preview && s.face?.startRun
          ? s.face.startRun(c, ctx)
          : billNow(s.billing, c, null, ctx),
  }),
  'credit.add': entry('credit.add', { role: 'operator', gives: ['credit'], announce: true, run: (c, ctx, s) => addCredit(s.billing, c, ctx) }),
  'credit.add.modal': modal('credit.add.modal', 'operator', creditAddForm),
  'credit.disburse': entry('credit.disburse', {
    role: 'operator',
    gives: ['credit.disbursed'],
    announce: true,
    run: (c, ctx, s) => disburseCredit(s.billing, c, ctx),
  }),
  'credit.disburse.modal': modal('credit.disburse.modal', 'operator', creditDisburseForm),
  'credit.reverse': entry('credit.reverse', {
    role: 'operator',
    gives: ['credit'],
    announce: true,
    run: (c, ctx, s) => (s.face?.confirm ? s.face.confirm(c, ctx, 'reverse') : reverseCredit(s.billing, c, ctx)),
  }),
  'credit.delete': entry('credit.delete', {
    role: 'operator',
    gives: ['credit'],
    announce: true,
    run: (c, ctx, s) => (s.face?.confirm ? s.face.confirm(c, ctx, 'delete') : deleteCredit(s.billing, c, ctx)),
  }),
  'credit.list': entry('credit.list', { role: 'viewer', gives: ['credit.list'], run: (c, _ctx, s) => listCredits(s.billing, c) }),
  'payment.add': entry('payment.add', { role: 'operator', gives: ['payment'], announce: true, run: (c, ctx, s) => recordPayment(s.billing, c, ctx) }),
  'payment.add.modal': modal('payment.add.modal', 'operator', paymentAddForm),
  'payment.reverse': entry('payment.reverse', {
    role: 'operator',
    gives: ['payment'],
    announce: true,
    run: (c, ctx, s) => (s.face?.confirmPayment ? s.face.confirmPayment(c, ctx) : reversePayment(s.billing, c, ctx)),
  }),
  'payment.list': entry('payment.list', { role: 'viewer', gives: ['payment.list'], run: (c, _ctx, s) => listPayments(s.billing, c) }),
  'invoice.list': entry('invoice.list', { role: 'viewer', gives: ['invoice.list'], run: (c, _ctx, s) => listInvoices(s.billing, c) }),
  'invoice.show': entry('invoice.show', {
    role: 'viewer',
    gives: ['invoice'],
    run: async (c, _ctx, s) => ({ kind: 'invoice', invoice: await s.billing.getInvoice(c.invoice) }),
  }),
  'invoice.pdf': entry('invoice.pdf', documentOut()),
  'billing.export.pdfs': entry('billing.export.pdfs', { ...documentOut(), bulk: true }),
  'statement.pdf': entry('statement.pdf', documentOut()),
  'billing.aging': entry('billing.aging', {
    role: 'viewer',
    gives: ['receivables.aging'],
    bulk: true,
    run: async (c, _ctx, s) => ({ kind: 'receivables.aging', report: await s.billing.receivables.aging(c.asOf) }),
  }),
  'billing.statement': entry('billing.statement', {
    role: 'viewer',
    gives: ['receivables.statement'],
    run: async (c, _ctx, s) => ({ kind: 'receivables.statement', statement: await s.billing.receivables.statement(c.account, c) }),
  }),
  'billing.digest': entry('billing.digest', {
    role: 'operator',
    gives: ['digest.changed'],
    announce: true,
    run: (c, ctx, s) => changeDigest(s.billing, c, ctx, s.handlers?.scheduling?.scheduler ?? null),
  }),
  'billing.help': entry('billing.help', {
    role: 'viewer',
    faces: FORMS,
    unavailable: notHere('billbot --help lists the commands.'),
    gives: ['help'],
    run: async (c) => ({ kind: 'help', topic: c.topic }),
  }),
  'billing.access': entry('billing.access', {
    role: 'admin',
    faces: ['slack'],
    unavailable: notHere('Roles apply to the Slack app; /billing access works there.'),
    ready: (s) => !!s.face?.access,
    gives: [],
    run: (c, ctx, s) => s.face!.access!(c, ctx),
  }),
  'billing.template': entry('billing.template', workbookOut('Workbook templates are not available here.')),
  'billing.export': entry('billing.export', { ...workbookOut('Exports are not available here.'), bulk: true }),
  // A setup workbook changes accounts, packages and configurations at once: admins only.
  'billing.import': entry('billing.import', {
    role: 'admin',
    unavailable: notHere('Imports are not available here.'),
    ready: (s) => !!(s.face?.importWorkbook || s.handlers?.workbooks),
    gives: ['workbook.import'],
    bulk: true,
    run: async (c, ctx, s) => (s.face?.importWorkbook ? s.face.importWorkbook(c, ctx) : (await workbooks()).importWorkbookFile(folder(s), c, ctx)),
  }),
  'billing.schedules': entry('billing.schedules', {
    role: 'viewer',
    ready: hasScheduler,
    unavailable: SCHEDULES,
    gives: ['schedule.list'],
    run: (_c, _ctx, s) => listSchedules(scheduling(s)),
  }),
  'billing.schedule': entry('billing.schedule', {
    role: 'operator',
    ready: hasScheduler,
    unavailable: SCHEDULES,
    gives: ['schedule.changed'],
    announce: true,
    run: (c, _ctx, s) => changeSchedule(scheduling(s), c),
  }),
  // A PNG: handed over by the face (Slack uploads it), or written where the face keeps its files.
  'billing.chart': entry('billing.chart', {
    role: 'viewer',
    unavailable: notHere('Charts are not available here.'),
    ready: (s) => !!(s.face?.deliverChart || s.handlers?.workbooks),
    gives: ['chart.written'],
    run: async (c, ctx, s) => (s.face?.deliverChart ? s.face.deliverChart(c, ctx) : (await charts()).writeChartFile(folder(s), c)),
  }),
};

export type AnyEntry = CommandEntry<CommandKind>;

/** The table's entry for a command: the one place that dispatches on a command's kind. */
export function entryOf(command: Command): AnyEntry {
  return COMMANDS[command.kind] as unknown as AnyEntry;
}

/** The role a command needs (Slack checks it, and audits the decision). */
export function requiredRole(command: Command): Role {
  const { role } = entryOf(command);
  return typeof role === 'function' ? role(command) : role;
}

/** The kinds that open a form (a Slack modal, or field-by-field questions in the shell); `kind`: that one only. */
export function isModal(command: Command, kind?: ModalCommand['kind']): command is ModalCommand {
  const found = entryOf(command);
  return found.form !== undefined && (kind === undefined || found.kind === kind);
}
