import { z } from 'zod';
import { parseIsoDate, parseInvoiceNumber } from '../billing';
import type { ReadKind } from './layout';
import type { ColumnKind, ColumnSpec } from './xlsx';

/**
 * The payments workbook: one sheet, "Payments", one row per payment, headed by these columns
 * (case and spacing forgiven). A payment that pays several invoices is written on several
 * rows, one per invoice, with the same Account and Reference (and the same Date and Method):
 * each row's Amount is what goes to its invoice, and the payment is their sum.
 */

export interface PaymentColumn {
  header: string;
  field: PaymentField;
  read: ReadKind;
  write: ColumnKind;
  width: number;
  required: boolean;
}

export type PaymentField = 'receivedOn' | 'account' | 'amount' | 'method' | 'reference' | 'invoice';

export const PAYMENTS_SHEET = { name: 'Payments', aliases: ['Payment', 'Payments Received'] };

export const PAYMENT_COLUMNS: PaymentColumn[] = [
  { header: 'Date', field: 'receivedOn', read: 'date', write: 'date', width: 12, required: true },
  { header: 'Account', field: 'account', read: 'text', write: 'text', width: 28, required: true },
  { header: 'Amount', field: 'amount', read: 'amount', write: 'money', width: 14, required: true },
  { header: 'Method', field: 'method', read: 'text', write: 'text', width: 16, required: false },
  { header: 'Reference', field: 'reference', read: 'text', write: 'text', width: 24, required: true },
  { header: 'Invoice', field: 'invoice', read: 'text', write: 'text', width: 14, required: false },
];

/** billing's names for the fields, in problems. */
export const BILLING_FIELD: Record<PaymentField, 'date' | 'account' | 'amount' | 'method' | 'reference' | 'invoice'> = {
  receivedOn: 'date',
  account: 'account',
  amount: 'amount',
  method: 'method',
  reference: 'reference',
  invoice: 'invoice',
};

/** The payments export (sheets/exports.ts): the Payments sheet, then each application and reversal. */
const columns = (list: [string, number, ColumnKind][]): ColumnSpec[] => list.map(([header, width, kind]) => ({ header, width, kind }));

export const PAYMENT_EXPORT_COLUMNS = columns([
  ['Payment', 11, 'text'], ['Date', 12, 'date'], ['Account', 28, 'text'], ['Currency', 10, 'text'],
  ['Amount', 14, 'money'], ['Applied', 14, 'money'], ['Unapplied', 14, 'money'], ['Method', 16, 'text'], ['Reference', 24, 'text'],
  ['Status', 10, 'text'], ['Reversal Reason', 32, 'text'], ['Reversed At', 20, 'datetime'], ['Created By', 16, 'text'], ['Created At', 20, 'datetime'],
]);

export const PAYMENT_APPLICATION_COLUMNS = columns([
  ['Payment', 11, 'text'], ['Account', 28, 'text'], ['Invoice', 14, 'text'], ['Currency', 10, 'text'], ['Kind', 10, 'text'],
  ['Amount', 14, 'money'], ['Automatic', 10, 'yesno'], ['By', 16, 'text'], ['At', 20, 'datetime'],
]);

/** Cell text passed on as read; nothing at all is refused with one sentence. */
const requiredText = (what: string, max: number) =>
  z
    .string({ message: `${what} is required.` })
    .transform((s) => s.trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, `${what} is required.`).max(max, `${what} can be at most ${max} characters.`))
    .refine((s) => !s.includes('\u0000'), `${what} cannot contain a NUL character.`);

const dateSchema = z.string({ message: 'A date such as 2026-10-15: a date cell, or text in the form YYYY-MM-DD.' }).transform((value, ctx) => {
  try {
    return parseIsoDate(value.trim());
  } catch {
    ctx.addIssue({ code: 'custom', message: 'A date such as 2026-10-15: a date cell, or text in the form YYYY-MM-DD (a real calendar day).' });
    return z.NEVER;
  }
});

const amountSchema = z
  .string({ message: 'An amount above zero, such as 60.00.' })
  .trim()
  .regex(/^\d{1,14}(\.\d+)?$/, 'An amount above zero, such as 60.00 (at most 14 digits before the point).')
  .refine((s) => /[1-9]/.test(s), 'An amount above zero, such as 60.00.');

const invoiceSchema = z.string().transform((value, ctx) => {
  try {
    return parseInvoiceNumber(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'An invoice number such as INV-000018 or 18, or blank.' });
    return z.NEVER;
  }
});

/** One row of the Payments sheet, as its cells read (sheets/cells.ts): the form of each field. */
export const paymentRowSchema = z.object({
  receivedOn: dateSchema,
  account: requiredText('An account name', 200),
  amount: amountSchema,
  method: z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().max(100, 'A method can be at most 100 characters.'))
    .transform((s) => (s === '' ? null : s))
    .nullish()
    .transform((s) => s ?? null),
  reference: requiredText('A reference', 200),
  invoice: invoiceSchema.nullish().transform((n) => n ?? null),
});
export type PaymentRowValues = z.output<typeof paymentRowSchema>;
