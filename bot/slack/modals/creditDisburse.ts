import { type Billing, type DisbursementTarget, type DisbursementTargets, Money } from '../../../billing';
import { buildForm } from '../../commands/forms';
import { escapeMrkdwn as esc } from '../../render';
import { formView } from './formView';
import { InputElement, messageView, ModalMetadata, ModalView, option, plain, PlainTextOption, section } from './kit';

/**
 * The Disburse Credit modal. For `/credit disburse CR-7`: the invoicer's unpaid invoices with
 * their balances and the credit's amount left, the amount pre-filled with the most allowed
 * for the first invoice. For a bare `/credit disburse`: credit, invoice and amount typed.
 */
export const CREDIT_DISBURSE_CALLBACK = 'credit_disburse';
/** The invoice menu when there are more than 100 unpaid invoices (options/invoices.ts searches them by number). */
export const DISBURSE_INVOICE_ACTION = 'disburse_invoice';

/** An invoice in the menu: its number is its value. */
export function invoiceOption(credit: DisbursementTargets['credit'], i: DisbursementTarget): PlainTextOption {
  const fmt = (amount: string) => Money.exact(amount, credit.currency).format();
  return option(`${i.number}: balance ${fmt(i.balance)}`, i.number, `at most ${fmt(i.most)} from ${credit.id}`);
}

/** Every unpaid invoice in a static menu when there are 100 or fewer; otherwise a menu that searches by number. */
function invoiceMenu(targets: DisbursementTargets): InputElement {
  const initial = invoiceOption(targets.credit, targets.invoices[0]);
  if (targets.count <= targets.invoices.length) {
    return { type: 'static_select', action_id: 'invoice', options: targets.invoices.map((i) => invoiceOption(targets.credit, i)), initial_option: initial };
  }
  return {
    type: 'external_select',
    action_id: DISBURSE_INVOICE_ACTION,
    min_query_length: 0,
    placeholder: plain(`Type digits of the number (${targets.count.toLocaleString('en-US')} unpaid)`, 150),
    initial_option: initial,
  };
}

export async function creditDisburseView(billing: Billing, meta: ModalMetadata): Promise<ModalView> {
  const form = await buildForm(billing, meta.modal);
  const creditId = meta.modal.kind === 'credit.disburse.modal' ? meta.modal.credit : null;
  if (!creditId) return formView(form, { callbackId: CREDIT_DISBURSE_CALLBACK, meta });

  const targets = await billing.disbursementTargets(creditId);
  const { credit, invoicer, invoices, count } = targets;
  const fmt = (amount: string) => Money.exact(amount, credit.currency).format();
  if (credit.status === 'unissued') {
    return messageView(
      'Disburse credit',
      `${credit.id} is not issued yet; it is issued onto the next invoice when ${esc(credit.account)} is billed, and can be disbursed after that.`,
    );
  }
  if (credit.status !== 'issued') return messageView('Disburse credit', `${credit.id} is ${credit.status} and cannot be disbursed.`);
  if (Money.exact(credit.amountLeft, credit.currency).isZero()) {
    return messageView('Disburse credit', `${credit.id} has nothing left to disburse (${fmt(credit.amount)} already disbursed).`);
  }
  if (!invoicer || invoices.length === 0) {
    return messageView('Disburse credit', `${esc(invoicer ?? credit.account)} has no unpaid invoice, so there is nothing to disburse ${credit.id} to.`);
  }
  const first = invoices[0];
  const prefilled = { ...form, fields: form.fields.map((f) => (f.name === 'amount' ? { ...f, initial: first.most } : f)) };
  return formView(prefilled, {
    callbackId: CREDIT_DISBURSE_CALLBACK,
    meta,
    hidden: ['credit'],
    intro: [
      section(
        `*${credit.id}* for *${esc(credit.account)}* (${esc(credit.detail)}): *${fmt(credit.amountLeft)}* left to disburse of ${fmt(credit.amount)}, ` +
          `issued to ${credit.issuedInvoice}.\nUnpaid invoices of *${esc(invoicer)}* (${count.toLocaleString('en-US')}):\n` +
          invoices
            .slice(0, 20)
            .map((i) => `• ${i.number} (${i.invoiceDate}): total ${fmt(i.total)}, balance *${fmt(i.balance)}*, at most *${fmt(i.most)}* from this credit`)
            .join('\n') +
          (count > 20 ? `\n…and ${(count - 20).toLocaleString('en-US')} more ${count > invoices.length ? 'to find in the menu below: type digits of an invoice number' : 'in the menu below'}.` : ''),
      ),
    ],
    elements: {
      invoice: invoiceMenu(targets),
    },
  });
}
