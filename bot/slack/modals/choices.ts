import type { Billing, ConfigurationChoice } from '../../../billing';
import { CommandSyntaxError, FormValues } from '../../commands';
import { option, PlainTextOption } from './kit';

/**
 * What a menu option stands for. Option values are ids ("a:17" an account, "c:3" a
 * configuration), never names: a name may be longer than an option value may be (150
 * characters) and may change while the form is open. A submission reads the id back and
 * resolves it to the thing's current name. Invoices are chosen by their number (their id).
 */
export type ChoiceKind = 'account' | 'configuration';
const PREFIX: Record<ChoiceKind, string> = { account: 'a:', configuration: 'c:' };

export function choiceValue(kind: ChoiceKind, id: number): string {
  return `${PREFIX[kind]}${id}`;
}

/** The id a menu value stands for, or null when the value is not one (e.g. a view built before ids). */
export function choiceId(kind: ChoiceKind, value: string | null | undefined): number | null {
  const match = value && value.startsWith(PREFIX[kind]) ? /^\d{1,15}$/.exec(value.slice(PREFIX[kind].length)) : null;
  return match ? Number(match[0]) : null;
}

/** Text of at most `max` characters; a longer one keeps its start and end ("Northwind … Subsidiary 02999"). */
export function shortText(text: string, max = 75): string {
  if (text.length <= max) return text;
  const tail = Math.floor((max - 1) * 0.4);
  return `${text.slice(0, max - 1 - tail).trimEnd()}…${text.slice(text.length - tail).trimStart()}`;
}

export function accountOption(account: { id: number; name: string }, description?: string): PlainTextOption {
  return option(shortText(account.name), choiceValue('account', account.id), description);
}

export function describeConfiguration(c: Pick<ConfigurationChoice, 'periodRule' | 'periodStart' | 'periodEnd'>): string {
  return c.periodRule === 'explicit' ? `${c.periodStart} to ${c.periodEnd}` : `period: ${c.periodRule}`;
}

export function configurationOption(c: Pick<ConfigurationChoice, 'id' | 'name' | 'periodRule' | 'periodStart' | 'periodEnd'>): PlainTextOption {
  return option(shortText(c.name), choiceValue('configuration', c.id), describeConfiguration(c));
}

/** The account a form starts with (a name typed with the command, or a menu value), as an option; null when unknown. */
export async function initialAccount(billing: Billing, chosen: string | null | undefined): Promise<PlainTextOption | null> {
  if (!chosen) return null;
  const id = choiceId('account', chosen);
  if (id !== null) {
    const name = await billing.accountNameById(id);
    return name === null ? null : accountOption({ id, name });
  }
  const account = await billing.findAccount(chosen).catch(() => null);
  return account ? accountOption(account) : null;
}

/**
 * A submission's menu answers as the shared form expects them: each id resolved to the
 * current name (an account renamed meanwhile is still the one chosen). A value that is not an
 * id (a view opened before ids) is left as it is and read as a name.
 */
export async function resolveChoices(billing: Billing, answers: FormValues): Promise<FormValues> {
  const out = { ...answers };
  const lookups: Record<ChoiceKind, (id: number) => Promise<string | null>> = {
    account: (id) => billing.accountNameById(id),
    configuration: (id) => billing.configurationNameById(id),
  };
  for (const kind of Object.keys(lookups) as ChoiceKind[]) {
    const value = out[kind];
    const id = typeof value === 'string' ? choiceId(kind, value) : null;
    if (id === null) continue;
    const name = await lookups[kind](id);
    if (name === null) throw new CommandSyntaxError(`The ${kind} chosen no longer exists; choose another.`, null, kind);
    out[kind] = name;
  }
  return out;
}
