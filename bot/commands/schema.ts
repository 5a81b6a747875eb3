import { z } from 'zod';
import { formatCreditId, formatPaymentNumber, isoDateSchema, looksLikeAmount, parseCreditId, parseInvoiceNumber, parsePaymentNumber, quantitySchema, timeZoneSchema } from '../../billing';
import { CommandSyntaxError } from './errors';

/**
 * The commands every face (Slack, the local shell, the billbot CLI) understands, as one zod
 * discriminated union. The faces build these objects (from command text with parseCommand,
 * from CLI arguments, from a form) and hand them to executeCommand; each object is validated
 * here first, so every face refuses the same input with the same sentence.
 */

/** A name as people type it: trimmed, inner whitespace collapsed, 1-200 characters. */
function name(what: string) {
  return z
    .string({ error: `${what} is required.` })
    .transform((s) => s.trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, `${what} is required.`).max(200, `${what} can be at most 200 characters.`));
}

function optional<T extends z.ZodTypeAny>(schema: T) {
  return schema.nullable().default(null);
}

/** Turns a parse function that throws one sentence into a zod transform. */
function parsedBy<T>(parse: (text: string) => T, missing: string) {
  return z.string({ error: missing }).transform((value, ctx) => {
    try {
      return parse(value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });
}

export const creditIdSchema = parsedBy((text) => formatCreditId(parseCreditId(text)), 'A credit id like CR-7 is required.');
export const invoiceNumberSchema = parsedBy((text) => {
  parseInvoiceNumber(text);
  return text.trim();
}, 'An invoice number like INV-000018 or 18 is required.');

/** An amount as typed ("50", "$50.00", "1,234.56"); the currency's rules are checked by billing. */
export const amountSchema = z
  .string({ error: 'An amount is required.' })
  .trim()
  .min(1, 'An amount is required.')
  .refine(looksLikeAmount, {
    error: (issue) => `"${String(issue.input)}" is not an amount; expected an amount like 50, 50.00, $50 or 1,234.56.`,
  });

const dateField = optional(isoDateSchema);

/** Free text of a payment (a reference, a method, a reason): trimmed, 1-`max` characters. */
function paymentText(what: string, max: number) {
  return z
    .string({ error: `${what} is required.` })
    .trim()
    .min(1, `${what} is required.`)
    .max(max, `${what} can be at most ${max} characters.`)
    .refine((s) => !s.includes('\u0000'), `${what} cannot contain a NUL character.`);
}

export const paymentNumberSchema = parsedBy((text) => {
  const id = parsePaymentNumber(text);
  if (id === null) throw new Error(`"${text}" is not a payment number; use the form PM-000001.`);
  return formatPaymentNumber(id);
}, 'A payment number like PM-000001 is required.');

/** The invoices a payment names, in order, each with an amount or (null) as much as fits. */
export const paymentTargetsSchema = z
  .array(z.object({ invoice: invoiceNumberSchema, amount: optional(amountSchema) }), { error: 'Name invoices like INV-000018 or 18.' })
  .max(100, 'A payment can name at most 100 invoices.')
  .default([]);
const period = {
  from: dateField,
  to: dateField,
  posting: dateField,
  preview: z.boolean().default(false),
};
const bothEnds = {
  check: (c: { from: string | null; to: string | null }) => (c.from === null) === (c.to === null),
  message: 'Give both ends of the billing period (from YYYY-MM-DD to YYYY-MM-DD), or neither.',
};
const inOrder = {
  check: (c: { from: string | null; to: string | null }) => c.from === null || c.to === null || c.from <= c.to,
  message: 'The billing period starts after it ends; the "from" date must not be after the "to" date.',
};

export const runIdSchema = z
  .number({ error: 'A bill run number like 12 is required.' })
  .int('A bill run number is a whole number like 12.')
  .positive('A bill run number is a whole number like 12.');

export const roleSchema = z.enum(['viewer', 'operator', 'admin'], { error: 'A role is viewer, operator or admin.' });
export type Role = z.infer<typeof roleSchema>;

/**
 * A Slack channel an export or template is posted in, by id (`/billing ... in #channel`:
 * Slack sends the channel as <#C123|name>). Absent: the workbook goes to the person who asked,
 * in a direct message.
 */
export const slackChannelSchema = z
  .string({ error: 'Name the channel as Slack links it, like #billing.' })
  .regex(/^[CG][A-Z0-9]{2,}$/, 'Name the channel as Slack links it: type # and pick it from the list.');

const slackUserSchema = z
  .string({ error: 'Name the user as a Slack mention like @alice.' })
  .regex(/^[UW][A-Z0-9]{2,}$/, 'Name the user as a Slack mention like @alice.');

/** A file path as typed (the shell, the CLI). */
const fileSchema = z
  .string({ error: 'A file name is required.' })
  .trim()
  .min(1, 'A file name is required.')
  .max(1024, 'A file name can be at most 1,024 characters.')
  .refine((s) => !s.includes('\u0000'), 'A file name cannot contain a NUL character.');

export const EXPORTS = ['accounts', 'invoices', 'credits', 'payments', 'aging', 'statement'] as const;
export const CHARTS = ['runs'] as const;

/**
 * `accounts`: the setup workbook of everything stored (no filters); `invoices`: invoices and
 * their transactions; `credits`: credits, disbursements and reversals; `payments`: payments (by
 * received date) and their applications and reversals. An account also takes
 * in the accounts that invoice to it; dates are inclusive, either end may be left open.
 * `aging`: the aging report as of a day (default today); `statement`: an account's statement
 * from..to (receivables.ts).
 */
const billingExportSchema = z
  .object({
    kind: z.literal('billing.export'),
    what: z.enum(EXPORTS, { error: 'Say what to export: accounts, invoices, credits, payments, aging or statement.' }),
    account: optional(name('The account')),
    from: dateField,
    to: dateField,
    run: optional(runIdSchema),
    /** The aging export's day (absent or null: today). */
    asOf: isoDateSchema.nullish(),
    file: optional(fileSchema),
    channel: optional(slackChannelSchema),
  })
  .refine(inOrder.check, { message: 'The "from" date is after the "to" date; nothing could match.', path: ['from'] })
  .refine((c) => c.what !== 'accounts' || (c.account === null && c.from === null && c.to === null && c.run === null), {
    message: 'The accounts export is the whole setup; it takes no account, dates or bill run.',
    path: ['what'],
  })
  .refine((c) => c.run === null || c.what === 'invoices', { message: 'Only the invoices export can be limited to one bill run.', path: ['run'] })
  .refine((c) => c.asOf == null || c.what === 'aging', { message: 'Only the aging export takes "as of" a day.', path: ['asOf'] })
  .refine((c) => c.what !== 'aging' || (c.account === null && c.from === null && c.to === null), {
    message: 'The aging export covers every account as of one day: write /billing export aging [as of YYYY-MM-DD].',
    path: ['what'],
  })
  .refine((c) => c.what !== 'statement' || c.account !== null, { message: 'Name the account whose statement to export.', path: ['account'] });

/** `/billing aging [as of D]` and `/billing statement <account> [from D] [to D]`: receivables, for viewers. */
const receivableSchemas = [
  z.object({ kind: z.literal('billing.aging'), asOf: dateField }),
  z
    .object({ kind: z.literal('billing.statement'), account: name('The account whose statement to show'), from: dateField, to: dateField })
    .refine(inOrder.check, { message: 'The statement starts after it ends; the "from" date must not be after the "to" date.', path: ['from'] }),
  /** The statement as a PDF, handed over like invoice.pdf (the shell and the CLI write `file`; null: a fresh name). */
  z
    .object({ kind: z.literal('statement.pdf'), account: name('The account whose statement to show'), from: dateField, to: dateField, file: optional(fileSchema) })
    .refine(inOrder.check, { message: 'The statement starts after it ends; the "from" date must not be after the "to" date.', path: ['from'] }),
  /** `/billing schedule digest <channel> <cron> [<time zone>]`, or `... <channel> pause|resume`: the overdue digest of a channel. */
  z
    .object({
      kind: z.literal('billing.digest'),
      action: z.enum(['set', 'pause', 'resume'], { error: 'Say a cron schedule, pause or resume.' }),
      channel: z.string({ error: 'Name the channel, like #finance.' }).trim().min(1, 'Name the channel, like #finance.').max(100, 'A channel name can be at most 100 characters.'),
      schedule: optional(z.string().trim().min(1).max(200, 'A cron schedule can be at most 200 characters.')),
      timeZone: optional(timeZoneSchema),
    })
    .refine((c) => (c.action === 'set') === (c.schedule !== null), { message: 'Give the cron schedule (like 0 9 * * 1) to set a digest, and none to pause or resume it.', path: ['schedule'] }),
] as const;

const billSchema = z
  .object({
    kind: z.literal('bill'),
    account: name('The account to bill'),
    configuration: optional(name('A configuration name')),
    ...period,
  })
  .refine(bothEnds.check, { message: bothEnds.message, path: ['to'] })
  .refine(inOrder.check, { message: inOrder.message, path: ['from'] });

const billingRunSchema = z
  .object({
    kind: z.literal('billing.run'),
    configuration: name('The configuration to run'),
    ...period,
  })
  .refine(bothEnds.check, { message: bothEnds.message, path: ['to'] })
  .refine(inOrder.check, { message: inOrder.message, path: ['from'] });

export const commandSchema = z.discriminatedUnion('kind', [
  billSchema,
  z.object({ kind: z.literal('bill.modal'), account: optional(name('The account to bill')) }),
  z.object({ kind: z.literal('bill.status'), run: runIdSchema }),
  /** Bills what a failed run did not (its batches not done); nothing done is billed twice. */
  z.object({ kind: z.literal('bill.resume'), run: runIdSchema }),
  billingRunSchema,
  z.object({
    kind: z.literal('credit.add'),
    account: name('The account to credit'),
    amount: amountSchema,
    detail: z
      .string({ error: 'A detail (the reason for the credit) is required.' })
      .trim()
      .min(1, 'A detail (the reason for the credit) is required.')
      .max(500, 'A detail can be at most 500 characters.'),
    quantity: quantitySchema.default(1),
    autoDisburse: z.boolean().default(false),
  }),
  z.object({ kind: z.literal('credit.add.modal'), account: optional(name('The account to credit')) }),
  z.object({
    kind: z.literal('credit.disburse'),
    credit: creditIdSchema,
    invoice: invoiceNumberSchema,
    /** Absent: the most allowed (the smaller of the amount left and the invoice balance). */
    amount: optional(amountSchema),
  }),
  z.object({ kind: z.literal('credit.disburse.modal'), credit: optional(creditIdSchema) }),
  z.object({ kind: z.literal('credit.reverse'), credit: creditIdSchema }),
  z.object({ kind: z.literal('credit.delete'), credit: creditIdSchema }),
  z.object({ kind: z.literal('credit.list'), account: name('The account whose credits to list') }),
  z.object({
    kind: z.literal('payment.add'),
    account: name('The account that paid'),
    amount: amountSchema,
    reference: optional(paymentText('A reference', 200)),
    receivedOn: dateField,
    method: optional(paymentText('A method', 100)),
    to: paymentTargetsSchema,
  }),
  z.object({ kind: z.literal('payment.add.modal'), account: optional(name('The account that paid')) }),
  z.object({ kind: z.literal('payment.list'), account: name('The account whose payments to list') }),
  z.object({ kind: z.literal('payment.reverse'), payment: paymentNumberSchema, reason: paymentText('A reason for the reversal', 500) }),
  z.object({ kind: z.literal('invoice.list'), account: name('The account whose invoices to list') }),
  z.object({ kind: z.literal('invoice.show'), invoice: invoiceNumberSchema }),
  /** The invoice as a PDF: Slack uploads it to the person; the shell and the CLI write `file` (null: a fresh name). */
  z.object({ kind: z.literal('invoice.pdf'), invoice: invoiceNumberSchema, file: optional(fileSchema) }),
  /** A bill run's invoices as one zip of PDFs, handed over like invoice.pdf. */
  z.object({ kind: z.literal('billing.export.pdfs'), run: runIdSchema, file: optional(fileSchema) }),
  z.object({ kind: z.literal('billing.help'), topic: optional(z.enum(['bill', 'credit', 'payment', 'billing'])) }),
  z.object({
    kind: z.literal('billing.access'),
    action: z.enum(['grant', 'revoke'], { error: 'Say grant or revoke.' }),
    user: slackUserSchema,
    role: roleSchema,
  }),
  /** The empty setup workbook; `file` where a face writes it (the CLI's argument; null: the face picks a name). */
  z.object({ kind: z.literal('billing.template'), file: optional(fileSchema), channel: optional(slackChannelSchema) }),
  billingExportSchema,
  /** A setup workbook to check and apply (the shell and the CLI name a file; Slack takes an upload). */
  z.object({ kind: z.literal('billing.import'), file: optional(fileSchema), dryRun: z.boolean().default(false) }),
  ...receivableSchemas,
  z.object({ kind: z.literal('billing.schedules') }),
  z.object({
    kind: z.literal('billing.schedule'),
    action: z.enum(['pause', 'resume'], { error: 'Say pause or resume.' }),
    configuration: name('The configuration whose schedule to pause or resume'),
  }),
  /** A chart as a PNG: `runs`, a configuration's last completed bill runs (null: the default configuration). */
  z.object({
    kind: z.literal('billing.chart'),
    what: z.enum(CHARTS, { error: 'Say which chart: runs.' }),
    configuration: optional(name('The configuration')),
    /** Where the shell or the CLI writes the PNG (null: the shell picks a name). */
    file: optional(fileSchema.refine((f) => /\.png$/i.test(f), 'Name the chart file with the .png extension.')),
  }),
]);

export type Command = z.output<typeof commandSchema>;
export type CommandInput = z.input<typeof commandSchema>;
export type CommandKind = Command['kind'];
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;
/** The kinds that open a form (a Slack modal, or field-by-field questions in the shell). */
export type ModalCommand = CommandOf<'bill.modal' | 'credit.add.modal' | 'credit.disburse.modal' | 'payment.add.modal'>;

/** The zod schema of one kind (one option of the discriminated union). */
export function schemaOf(kind: CommandKind): z.ZodObject {
  const option = (commandSchema.options as readonly z.ZodObject[]).find((o) => (o.shape.kind as z.ZodLiteral<string>).value === kind);
  if (!option) throw new Error(`no command schema for ${kind}`);
  return option;
}

/** The first problem of a failed parse as one sentence, and the field it is in. */
function firstProblem(error: z.ZodError): { message: string; field: string | null } {
  const issue = error.issues[0];
  const field = typeof issue.path[0] === 'string' ? issue.path[0] : null;
  return { message: issue.message, field };
}

/**
 * Validates a command object built by a face. Throws a CommandSyntaxError naming the first
 * problem (and the right form, when the caller gives one).
 */
export function validateCommand(input: CommandInput | Record<string, unknown>, usage: string | null = null): Command {
  const parsed = commandSchema.safeParse(input);
  if (!parsed.success) {
    const { message, field } = firstProblem(parsed.error);
    throw new CommandSyntaxError(message, usage, field);
  }
  return parsed.data;
}

/** The text forms, as shown in error messages and help. */
export const USAGE = {
  bill: '/bill <account> [using <configuration>] [from YYYY-MM-DD to YYYY-MM-DD] [posting YYYY-MM-DD] [preview]',
  'bill.status': '/bill status <run>',
  'bill.resume': '/bill status <run> resume',
  'billing.run': '/billing run <configuration> [from YYYY-MM-DD to YYYY-MM-DD] [posting YYYY-MM-DD] [preview]',
  'credit.add': '/credit add <account> <amount> <detail...> [auto]',
  'credit.disburse': '/credit disburse <credit> <invoice> [amount]',
  'credit.reverse': '/credit reverse <credit>',
  'credit.delete': '/credit delete <credit>',
  'credit.list': '/credit list <account>',
  'payment.add': '/payment add <account> <amount> [ref <reference>] [on YYYY-MM-DD] [method <method>] [to <invoice>[=<amount>]...]',
  'payment.list': '/payment list <account>',
  'payment.reverse': '/payment reverse <payment> <reason...>',
  'invoice.list': '/billing invoices <account>',
  'invoice.show': '/billing invoice <number>',
  'invoice.pdf': '/billing invoice <number> pdf',
  'billing.export.pdfs': '/billing export pdfs run <run>',
  'billing.help': '/billing help',
  'billing.access': '/billing access grant|revoke <@user> viewer|operator|admin',
  'billing.template': '/billing template [in #channel]',
  'billing.export': '/billing export accounts|invoices|credits|payments [<account>] [from YYYY-MM-DD] [to YYYY-MM-DD] [run <run>] [in #channel]',
  'billing.aging': '/billing aging [as of YYYY-MM-DD]',
  'billing.statement': '/billing statement <account> [from YYYY-MM-DD] [to YYYY-MM-DD]',
  'statement.pdf': '/billing statement <account> [from YYYY-MM-DD] [to YYYY-MM-DD] pdf',
  'billing.digest': '/billing schedule digest <#channel> <cron, e.g. 0 9 * * 1> [<time zone>] | /billing schedule digest <#channel> pause|resume',
  'billing.export.receivables': '/billing export aging [as of YYYY-MM-DD] [in #channel] | /billing export statement <account> [from YYYY-MM-DD] [to YYYY-MM-DD] [in #channel]',
  'billing.import': '/billing import <file> [preview]',
  'billing.schedules': '/billing schedules',
  'billing.schedule': '/billing schedule pause|resume <configuration>',
  'billing.chart': '/billing chart runs [<configuration>]',
} as const;

export type HelpTopic = 'bill' | 'credit' | 'payment' | 'billing';
