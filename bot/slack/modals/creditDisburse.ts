import { type Billing, Money } from '../../../billing';
import { buildForm } from '../../commands/forms';
import { formView } from './formView';
import { messageView, ModalMetadata, ModalView, option, section } from './kit';

/**
 * The Disburse Credit modal. For `/credit disburse CR-7`: the invoicer's unpaid invoices with
 * their balances and the credit's amount left, the amount pre-filled with the most allowed
 * for the first invoice. For a bare `/credit disburse`: credit, invoice and amount typed.
 */
export const CREDIT_DISBURSE_CALLBACK = 'credit_disburse';

export async function creditDisburseView(billing: Billing, meta: ModalMetadata): Promise<ModalView> {
  const form = await buildForm(billing, meta.modal);
  const creditId = meta.modal.kind === 'credit.disburse.modal' ? meta.modal.credit : null;
  if (!creditId) return formView(form, { callbackId: CREDIT_DISBURSE_CALLBACK, meta });

  const { credit, invoicer, invoices } = await billing.disbursementTargets(creditId);
  const fmt = (amount: string) => Money.exact(amount, credit.currency).format();
  if (credit.status === 'unissued') {
    return messageView(
      'Disburse credit',
      `${credit.id} is not issued yet; it is issued onto the next invoice when ${credit.account} is billed, and can be disbursed after that.`,
    );
  }
  if (credit.status !== 'issued') return messageView('Disburse credit', `${credit.id} is ${credit.status} and cannot be disbursed.`);
  if (Money.exact(credit.amountLeft, credit.currency).isZero()) {
    return messageView('Disburse credit', `${credit.id} has nothing left to disburse (${fmt(credit.amount)} already disbursed).`);
  }
  if (!invoicer || invoices.length === 0) {
    return messageView('Disburse credit', `${invoicer ?? credit.account} has no unpaid invoice, so there is nothing to disburse ${credit.id} to.`);
  }
  const label = (i: (typeof invoices)[number]) => option(`${i.number}: balance ${fmt(i.balance)}`, i.number, `at most ${fmt(i.most)} from ${credit.id}`);
  const first = invoices[0];
  const prefilled = { ...form, fields: form.fields.map((f) => (f.name === 'amount' ? { ...f, initial: first.most } : f)) };
  return formView(prefilled, {
    callbackId: CREDIT_DISBURSE_CALLBACK,
    meta,
    hidden: ['credit'],
    intro: [
      section(
        `*${credit.id}* for *${credit.account}* (${credit.detail}): *${fmt(credit.amountLeft)}* left to disburse of ${fmt(credit.amount)}, ` +
          `issued to ${credit.issuedInvoice}.\nUnpaid invoices of *${invoicer}*:\n` +
          invoices
            .slice(0, 20)
            .map((i) => `• ${i.number} (${i.invoiceDate}): total ${fmt(i.total)}, balance *${fmt(i.balance)}*, at most *${fmt(i.most)}* from this credit`)
            .join('\n') +
          (invoices.length > 20 ? `\n…and ${invoices.length - 20} more in the list below.` : ''),
      ),
    ],
    elements: {
      invoice: { type: 'static_select', action_id: 'invoice', options: invoices.slice(0, 100).map(label), initial_option: label(first) },
    },
  });
}
