import { z } from 'zod';
import { formatCreditId, isoDateSchema, looksLikeAmount, parseCreditId, parseInvoiceNumber, quantitySchema } from '../../billing';
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

export const EXPORTS = ['accounts', 'invoices', 'credits', 'payments'] as const;

/**
 * `accounts`: the setup workbook of everything stored (no filters); `invoices`: invoices and
 * their transactions; `credits`: credits, disbursements and reversals; `payments`: payments (by
 * received date) and their applications and reversals. An account also takes
 * in the accounts that invoice to it; dates are inclusive, either end may be left open.
 */
const billingExportSchema = z
  .object({
    kind: z.literal('billing.export'),
    what: z.enum(EXPORTS, { error: 'Say what to export: accounts, invoices, credits or payments.' }),
    account: optional(name('The account')),
    from: dateField,
    to: dateField,
    run: optional(runIdSchema),
    file: optional(fileSchema),
  })
  .refine(inOrder.check, { message: 'The "from" date is after the "to" date; nothing could match.', path: ['from'] })
  .refine((c) => c.what !== 'accounts' || (c.account === null && c.from === null && c.to === null && c.run === null), {
    message: 'The accounts export is the whole setup; it takes no account, dates or bill run.',
    path: ['what'],
  })
  .refine((c) => c.run === null || c.what === 'invoices', { message: 'Only the invoices export can be limited to one bill run.', path: ['run'] });

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
  z.object({ kind: z.literal('invoice.list'), account: name('The account whose invoices to list') }),
  z.object({ kind: z.literal('invoice.show'), invoice: invoiceNumberSchema }),
  z.object({ kind: z.literal('billing.help'), topic: optional(z.enum(['bill', 'credit', 'billing'])) }),
  z.object({
    kind: z.literal('billing.access'),
    action: z.enum(['grant', 'revoke'], { error: 'Say grant or revoke.' }),
    user: slackUserSchema,
    role: roleSchema,
  }),
  /** The empty setup workbook; `file` where a face writes it (the CLI's argument; null: the face picks a name). */
  z.object({ kind: z.literal('billing.template'), file: optional(fileSchema) }),
  billingExportSchema,
  /** A setup workbook to check and apply (the shell and the CLI name a file; Slack takes an upload). */
  z.object({ kind: z.literal('billing.import'), file: optional(fileSchema), dryRun: z.boolean().default(false) }),
  z.object({ kind: z.literal('billing.schedules') }),
  z.object({
    kind: z.literal('billing.schedule'),
    action: z.enum(['pause', 'resume'], { error: 'Say pause or resume.' }),
    configuration: name('The configuration whose schedule to pause or resume'),
  }),
]);

export type Command = z.output<typeof commandSchema>;
export type CommandInput = z.input<typeof commandSchema>;
export type CommandKind = Command['kind'];
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;
/** The kinds that open a form (a Slack modal, or field-by-field questions in the shell). */
export type ModalCommand = CommandOf<'bill.modal' | 'credit.add.modal' | 'credit.disburse.modal'>;

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
  'invoice.list': '/billing invoices <account>',
  'invoice.show': '/billing invoice <number>',
  'billing.help': '/billing help',
  'billing.access': '/billing access grant|revoke <@user> viewer|operator|admin',
  'billing.template': '/billing template',
  'billing.export': '/billing export accounts|invoices|credits|payments [<account>] [from YYYY-MM-DD] [to YYYY-MM-DD] [run <run>]',
  'billing.import': '/billing import <file> [preview]',
  'billing.schedules': '/billing schedules',
  'billing.schedule': '/billing schedule pause|resume <configuration>',
} as const;

export type HelpTopic = 'bill' | 'credit' | 'billing';

export interface HelpEntry {
  topic: HelpTopic;
  usage: string;
  description: string;
}

export const HELP: HelpEntry[] = [
  { topic: 'bill', usage: '/bill', description: 'Open the bill form.' },
  {
    topic: 'bill',
    usage: USAGE.bill,
    description:
      'Bill an account now (and the accounts that invoice to it). Without dates the configuration\'s period is used; "preview" shows what would happen and writes nothing. Quote names that contain a keyword: /bill "From Scratch Ltd".',
  },
  { topic: 'bill', usage: USAGE['bill.status'], description: 'Show a bill run\'s report.' },
  {
    topic: 'bill',
    usage: USAGE['bill.resume'],
    description: 'Resume a failed bill run: only what it did not bill yet is billed; nothing done is billed twice.',
  },
  { topic: 'credit', usage: '/credit add', description: 'Open the credit form.' },
  {
    topic: 'credit',
    usage: USAGE['credit.add'],
    description:
      'Add a credit. The amount is the first word that reads as money (quote an account name that contains a number); a final "auto" disburses it automatically when it is issued.',
  },
  {
    topic: 'credit',
    usage: USAGE['credit.disburse'],
    description: 'Disburse an issued credit to an unpaid invoice of the same invoicer; without an amount, the most allowed.',
  },
  { topic: 'credit', usage: USAGE['credit.reverse'], description: 'Reverse an issued credit; what was disbursed goes onto the next invoice.' },
  { topic: 'credit', usage: USAGE['credit.delete'], description: 'Delete a credit that is not issued yet.' },
  { topic: 'credit', usage: USAGE['credit.list'], description: 'List an account\'s credits.' },
  {
    topic: 'billing',
    usage: USAGE['billing.run'],
    description:
      "Bill the bill groups of a configuration now; it is reported in the configuration's report channel (or here). \"preview\" shows what it would do and writes nothing.",
  },
  {
    topic: 'billing',
    usage: USAGE['billing.schedules'],
    description: 'List the scheduled configurations: next run time, paused or not, last run and any problem.',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.schedule'],
    description: "Pause a configuration's schedule, or resume it (the runs missed while paused are not caught up).",
  },
  {
    topic: 'billing',
    usage: USAGE['billing.template'],
    description: 'Get an empty setup workbook (Accounts, Packages, Account Packages, Bill Runs) with a sheet that explains each column.',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.export'],
    description:
      'Get a workbook: accounts is the whole setup (fill it in and import it back); invoices, credits and payments can be limited to an account (with the accounts that invoice to it), dates and, for invoices, a bill run.',
  },
  {
    topic: 'billing',
    usage: USAGE['billing.import'],
    description:
      'Import a setup workbook (admins): it is checked first and nothing changes until you confirm; any problem means nothing is applied. In Slack, upload the .xlsx to billbot in a direct message (or in a channel, mentioning @billbot).',
  },
  { topic: 'billing', usage: USAGE['invoice.list'], description: 'List the invoices an account has received.' },
  { topic: 'billing', usage: USAGE['invoice.show'], description: 'Show an invoice with its transactions and disbursements.' },
  { topic: 'billing', usage: USAGE['billing.access'], description: 'Grant or revoke a role (Slack only).' },
  { topic: 'billing', usage: USAGE['billing.help'], description: 'Show this help.' },
];
