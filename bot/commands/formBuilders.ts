import { type Billing, Money, periodFor, todayIn } from '../../billing';
import type { CommandKind, CommandOf, ModalCommand } from './schema';

/**
 * The forms behind the modal commands (bare `/bill`, `/credit add`, `/credit disburse CR-7`):
 * which fields they ask for, with what labels and prefilled values. The command table names
 * each modal kind's form; forms.ts turns the answers into a Command. Field names are the
 * command's property names, so a CommandSyntaxError's `field` names the field to mark.
 */
export type FieldType = 'text' | 'date' | 'amount' | 'quantity' | 'boolean' | 'invoices';

/** One choice of an `invoices` field: an invoice number, and how it is shown. */
export interface FieldChoice {
  value: string;
  label: string;
}

export interface FormField {
  name: string;
  label: string;
  type: FieldType;
  optional: boolean;
  /** What leaving it blank means, or an example. */
  hint: string | null;
  /** Prefilled answer as text ("yes"/"no" for booleans); null for none. */
  initial: string | null;
  /** An `invoices` field: the invoices to choose from (several, in the order chosen). */
  choices?: FieldChoice[];
}

export interface Form {
  /** The modal command that opened it. */
  modal: ModalCommand['kind'];
  /** The command the answers make. */
  command: CommandKind;
  title: string;
  submit: string;
  fields: FormField[];
  /** Once this field is answered the form is built again with its answer (the choices of later fields depend on it). */
  rebuildOn?: string;
}

export type FormValues = Record<string, string | boolean | number | null | undefined>;

function field(name: string, label: string, type: FieldType, optional: boolean, hint: string | null = null, initial: string | null = null): FormField {
  return { name, label, type, optional, hint, initial };
}

function form(modal: ModalCommand['kind'], command: CommandKind, title: string, submit: string, fields: FormField[]): Form {
  return { modal, command, title, submit, fields };
}

/** Bare `/bill`: prefilled from the default configuration and its current period. */
export async function billForm(billing: Billing, modal: CommandOf<'bill.modal'>): Promise<Form> {
  const config = await billing.findConfiguration(null).catch(() => null);
  const period = config ? periodFor(config, todayIn(config.timeZone, billing.clock.now())) : null;
  return form('bill.modal', 'bill', 'Bill an account', 'Bill', [
    field('account', 'Account', 'text', false, 'the account to bill, e.g. Child Co', modal.account),
    field('configuration', 'Bill run configuration', 'text', true, 'blank: the default configuration', config?.name ?? null),
    field('from', 'Billing period from', 'date', true, "YYYY-MM-DD; blank: the configuration's period", period?.start ?? null),
    field('to', 'Billing period to', 'date', true, "YYYY-MM-DD; blank: the configuration's period", period?.end ?? null),
    field('posting', 'Posting date', 'date', true, 'YYYY-MM-DD; blank: the run date'),
    field('preview', 'Preview only (write nothing)', 'boolean', true, null, 'no'),
  ]);
}

/** `/credit add` alone. */
export async function creditAddForm(_billing: Billing, modal: CommandOf<'credit.add.modal'>): Promise<Form> {
  return form('credit.add.modal', 'credit.add', 'Add a credit', 'Add credit', [
    field('account', 'Account', 'text', false, 'the account to credit, e.g. Parent Co', modal.account),
    field('amount', 'Amount', 'amount', false, 'e.g. 50.00'),
    field('detail', 'Detail', 'text', false, 'the reason for the credit'),
    field('quantity', 'Quantity', 'quantity', true, 'the amount is multiplied by it', '1'),
    field('autoDisburse', 'Disburse automatically when issued', 'boolean', true, null, 'no'),
  ]);
}

/** `/credit disburse [CR-7]`: the invoice the credit was issued to, and what it has left. */
export async function creditDisburseForm(billing: Billing, modal: CommandOf<'credit.disburse.modal'>): Promise<Form> {
  const credit = modal.credit ? await billing.getCredit(modal.credit).catch(() => null) : null;
  return form('credit.disburse.modal', 'credit.disburse', 'Disburse a credit', 'Disburse', [
    field('credit', 'Credit', 'text', false, 'e.g. CR-7', modal.credit),
    field('invoice', 'Invoice', 'text', false, 'an unpaid invoice of the same invoicer, e.g. INV-000018', credit?.issuedInvoice ?? null),
    field(
      'amount',
      'Amount',
      'amount',
      true,
      credit ? `blank: the most allowed; ${credit.id} has ${Money.exact(credit.amountLeft, credit.currency).format()} left` : 'blank: the most allowed',
    ),
  ]);
}

/** `/payment add [<account>]`: once the account is known, its unpaid invoices to choose from (oldest due first). */
export async function paymentAddForm(billing: Billing, modal: CommandOf<'payment.add.modal'>): Promise<Form> {
  const unpaid = modal.account ? await billing.unpaidInvoices(modal.account, 100).catch(() => null) : null;
  const choices = (unpaid?.invoices ?? []).map((i) => ({
    value: i.number,
    label: `${i.number} · ${Money.exact(i.balance, i.currency).format()} of ${Money.exact(i.total, i.currency).format()} · due ${i.dueDate}${i.overdue ? ' (overdue)' : ''}`,
  }));
  const toHint = !unpaid
    ? 'invoice numbers in the order to pay, e.g. INV-000018 19; blank: the unpaid invoices, oldest due date first'
    : unpaid.count === 0
      ? `${unpaid.account} has no unpaid invoice; the payment stays unapplied and pays its next invoices`
      : `${unpaid.count} unpaid; pick them in the order to pay; blank: oldest due date first`;
  const built = form('payment.add.modal', 'payment.add', 'Record a payment', 'Record payment', [
    field('account', 'Account', 'text', false, 'the invoicer account that paid, e.g. Parent Co', modal.account),
    field('amount', 'Amount', 'amount', false, 'e.g. 60.00'),
    { ...field('to', 'Invoices to pay', 'invoices', true, toHint), choices },
    field('reference', 'Reference', 'text', true, 'e.g. the cheque or transfer number; recorded once per account'),
    field('receivedOn', 'Received on', 'date', true, 'YYYY-MM-DD; blank: today', todayIn('UTC', billing.clock.now())),
    field('method', 'Method', 'text', true, 'e.g. bank transfer, cheque, card'),
  ]);
  return modal.account ? built : { ...built, rebuildOn: 'account' };
}
