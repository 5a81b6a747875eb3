import { z } from 'zod';
import { FREQUENCIES } from './dates';
import { isCurrencyCode } from './money';

/** zod schemas for what crosses into billing/ from outside; each failure reads as one sentence. */

export const nameSchema = z
  .string()
  .transform((s) => s.trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(1, 'A name cannot be empty.')
      .max(200, 'A name can be at most 200 characters.')
      // PostgreSQL text cannot hold NUL: refused here with a sentence, not by the database.
      .refine((s) => !s.includes('\u0000'), 'A name cannot contain a NUL character.'),
  );

export const currencySchema = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .refine(isCurrencyCode, { message: 'Expected an ISO 4217 currency code such as USD, EUR or JPY.' });

export const accountStatusSchema = z.enum(['active', 'inactive', 'cancelled'], {
  message: 'An account status is active, inactive or cancelled.',
});
export type AccountStatus = z.infer<typeof accountStatusSchema>;

export const accountPackageStatusSchema = z.enum(['active', 'pending', 'suspended', 'cancelled'], {
  message: 'An account package status is active, pending, suspended or cancelled.',
});
export type AccountPackageStatus = z.infer<typeof accountPackageStatusSchema>;

export const frequencySchema = z.enum(FREQUENCIES as [string, ...string[]], {
  message: 'A frequency is monthly, quarterly, semiannual or annual.',
});

export const billDaySchema = z
  .number({ message: 'A bill day is a whole number from 1 to 28.' })
  .int('A bill day is a whole number from 1 to 28.')
  .min(1, 'A bill day is a whole number from 1 to 28.')
  .max(28, 'A bill day is a whole number from 1 to 28.');

export const quantitySchema = z
  .number({ message: 'A quantity is a whole number of at least 1.' })
  .int('A quantity is a whole number of at least 1.')
  .min(1, 'A quantity is a whole number of at least 1.')
  .max(1_000_000, 'A quantity can be at most 1,000,000.');

/** Payment terms: whole days from the invoice date to the due date (billing/payments/rules.ts). */
export const paymentTermsSchema = z
  .number({ message: 'Payment terms are a whole number of days from 0 to 3650.' })
  .int('Payment terms are a whole number of days from 0 to 3650.')
  .min(0, 'Payment terms are a whole number of days from 0 to 3650.')
  .max(3650, 'Payment terms are a whole number of days from 0 to 3650.');

export const periodRuleSchema = z.enum(['current month', 'previous month', 'explicit'], {
  message: 'A billing period rule is "current month", "previous month" or explicit dates.',
});
export type PeriodRule = z.infer<typeof periodRuleSchema>;

/** The first problem of a failed zod parse, as one sentence. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

export const timeZoneSchema = z
  .string()
  .trim()
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return tz.length > 0;
      } catch {
        return false;
      }
    },
    { message: 'Expected an IANA time zone such as UTC or America/New_York.' },
  );
