import { z } from 'zod';
import type { Billing } from '../../billing';
import { periodFor } from '../../billing/configurations';
import { todayIn } from '../../billing/dates';
import { Money } from '../../billing/money';
import { CommandSyntaxError } from './errors';
import { Command, CommandKind, commandSchema, ModalCommand, validateCommand } from './schema';

/**
 * The forms behind the modal commands (bare `/bill`, `/credit add`, `/credit disburse CR-7`):
 * which fields they ask for, with what labels and prefilled values, and how the answers
 * become a Command. Slack turns a Form into a modal; the shell asks its fields one by one.
 * Field names are the command's property names, so a CommandSyntaxError's `field` names the
 * field to mark.
 */
export type FieldType = 'text' | 'date' | 'amount' | 'quantity' | 'boolean';

export interface FormField {
  name: string;
  label: string;
  type: FieldType;
  optional: boolean;
  /** What leaving it blank means, or an example. */
  hint: string | null;
  /** Prefilled answer as text ("yes"/"no" for booleans); null for none. */
  initial: string | null;
}

export interface Form {
  /** The modal command that opened it. */
  modal: ModalCommand['kind'];
  /** The command the answers make. */
  command: CommandKind;
  title: string;
  submit: string;
  fields: FormField[];
}

export type FormValues = Record<string, string | boolean | number | null | undefined>;

function field(name: string, label: string, type: FieldType, optional: boolean, hint: string | null = null, initial: string | null = null): FormField {
  return { name, label, type, optional, hint, initial };
}

/** The form for a modal command, prefilled from what was typed and from the data. */
export async function buildForm(billing: Billing, command: ModalCommand): Promise<Form> {
  switch (command.kind) {
    case 'bill.modal': {
      const config = await billing.findConfiguration(null).catch(() => null);
      const period = config ? periodFor(config, todayIn(config.timeZone, billing.clock.now())) : null;
      return {
        modal: command.kind,
        command: 'bill',
        title: 'Bill an account',
        submit: 'Bill',
        fields: [
          field('account', 'Account', 'text', false, 'the account to bill, e.g. Child Co', command.account),
          field('configuration', 'Bill run configuration', 'text', true, 'blank: the default configuration', config?.name ?? null),
          field('from', 'Billing period from', 'date', true, "YYYY-MM-DD; blank: the configuration's period", period?.start ?? null),
          field('to', 'Billing period to', 'date', true, "YYYY-MM-DD; blank: the configuration's period", period?.end ?? null),
          field('posting', 'Posting date', 'date', true, 'YYYY-MM-DD; blank: the run date'),
          field('preview', 'Preview only (write nothing)', 'boolean', true, null, 'no'),
        ],
      };
    }
    case 'credit.add.modal':
      return {
        modal: command.kind,
        command: 'credit.add',
        title: 'Add a credit',
        submit: 'Add credit',
        fields: [
          field('account', 'Account', 'text', false, 'the account to credit, e.g. Parent Co', command.account),
          field('amount', 'Amount', 'amount', false, 'e.g. 50.00'),
          field('detail', 'Detail', 'text', false, 'the reason for the credit'),
          field('quantity', 'Quantity', 'quantity', true, 'the amount is multiplied by it', '1'),
          field('autoDisburse', 'Disburse automatically when issued', 'boolean', true, null, 'no'),
        ],
      };
    case 'credit.disburse.modal': {
      const credit = command.credit ? await billing.getCredit(command.credit).catch(() => null) : null;
      return {
        modal: command.kind,
        command: 'credit.disburse',
        title: 'Disburse a credit',
        submit: 'Disburse',
        fields: [
          field('credit', 'Credit', 'text', false, 'e.g. CR-7', command.credit),
          field('invoice', 'Invoice', 'text', false, 'an unpaid invoice of the same invoicer, e.g. INV-000018', credit?.issuedInvoice ?? null),
          field(
            'amount',
            'Amount',
            'amount',
            true,
            credit ? `blank: the most allowed; ${credit.id} has ${Money.exact(credit.amountLeft, credit.currency).format()} left` : 'blank: the most allowed',
          ),
        ],
      };
    }
  }
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
    default:
      return text === '' ? null : text;
  }
}

function optionShape(kind: CommandKind): Record<string, z.ZodType> {
  const option = (commandSchema.options as readonly z.ZodObject[]).find(
    (o) => (o.shape.kind as z.ZodLiteral<string>).value === kind,
  );
  if (!option) throw new Error(`no command schema for ${kind}`);
  return option.shape as Record<string, z.ZodType>;
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
    if ((input === null || input === undefined) && !f.optional) return `${f.label} is required.`;
    if (input === null || input === undefined) return null;
    const parsed = optionShape(form.command)[name].safeParse(input);
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
