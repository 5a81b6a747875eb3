import { z } from 'zod';
import type { Billing } from '../../billing';
import { CommandSyntaxError } from './errors';
import type { Form, FormField, FormValues } from './formBuilders';
import { Command, ModalCommand, schemaOf, validateCommand } from './schema';
import { entryOf } from './table';

export type { FieldType, Form, FormField, FormValues } from './formBuilders';

/**
 * How a form's answers become a Command. Slack turns a Form into a modal; the shell asks its
 * fields one by one. The command table names each modal kind's form (formBuilders.ts).
 */

/** The form for a modal command, prefilled from what was typed and from the data. */
export async function buildForm(billing: Billing, modal: ModalCommand): Promise<Form> {
  const build = entryOf(modal).form;
  if (!build) throw new Error(`${modal.kind} has no form`);
  return build(billing, modal);
}

const YES = new Set(['yes', 'y', 'true', 'on', '1']);
const NO = new Set(['no', 'n', 'false', 'off', '0']);

/** Turns one answer into what the command schema expects; blank is null (or false). */
function toInput(f: FormField, value: FormValues[string]): unknown {
  if (value === undefined || value === null) {
    // A blank optional quantity means "the default", not "no quantity".
    return f.type === 'boolean' ? false : f.type === 'quantity' ? undefined : null;
  }
  if (typeof value !== 'string') return value;
  const text = value.trim();
  switch (f.type) {
    case 'boolean': {
      const lower = text.toLowerCase();
      if (text === '' || NO.has(lower)) return false;
      if (YES.has(lower)) return true;
      throw new CommandSyntaxError(`${f.label}: answer yes or no`, null, f.name);
    }
    case 'quantity':
      if (text === '') return undefined;
      return /^\d{1,9}$/.test(text) ? Number(text) : text;
    case 'invoices':
      return invoiceTargets(text);
    default:
      return text === '' ? null : text;
  }
}

/** Invoices as typed or chosen, in order: "INV-000018 19=40.00" (an amount after = pays that much of it). */
export function invoiceTargets(text: string): { invoice: string; amount: string | null }[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((word) => {
      const [invoice, amount] = word.split('=', 2);
      return { invoice, amount: amount === undefined ? null : amount };
    });
}

/**
 * Checks one answer on its own (the shell asks again at once); null when it is fine. Rules
 * that span fields (both ends of a period) are checked by commandFromForm.
 */
export function checkField(form: Form, name: string, value: FormValues[string]): string | null {
  const f = form.fields.find((x) => x.name === name);
  if (!f) return `${name} is not a field of this form.`;
  try {
    const input = toInput(f, value);
    const blank = input === null || input === undefined || (Array.isArray(input) && input.length === 0);
    if (blank && !f.optional) return `${f.label} is required.`;
    if (blank) return null;
    const parsed = (schemaOf(form.command).shape as Record<string, z.ZodType>)[name].safeParse(input);
    return parsed.success ? null : parsed.error.issues[0].message;
  } catch (e) {
    if (e instanceof CommandSyntaxError) return e.message;
    throw e;
  }
}

/** The command the answers make, validated; a CommandSyntaxError names the field at fault. */
export function commandFromForm(form: Form, values: FormValues): Command {
  const input: Record<string, unknown> = { kind: form.command };
  for (const f of form.fields) {
    const value = toInput(f, values[f.name]);
    if (value !== undefined) input[f.name] = value;
  }
  return validateCommand(input);
}
