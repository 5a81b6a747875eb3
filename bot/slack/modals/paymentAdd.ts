import type { Billing } from '../../../billing';
import { buildForm } from '../../commands/forms';
import { initialAccount } from './choices';
import { formView } from './formView';
import { accountPicker, InputElement, ModalMetadata, ModalView, option, plain } from './kit';
import type { FormField } from '../../commands/forms';

/**
 * The Record Payment modal (`/payment add [<account>]` alone): the text form's fields; once the
 * account is chosen (typed with the command, or picked here, which rebuilds the form), its
 * unpaid invoices are a menu to pick in the order to pay.
 */
export const PAYMENT_ADD_CALLBACK = 'payment_add';

function invoiceMenu(f: FormField | undefined): InputElement | undefined {
  if (!f?.choices?.length) return undefined;
  return {
    type: 'multi_static_select',
    action_id: f.name,
    placeholder: plain('Pick them in the order to pay', 150),
    options: f.choices.map((c) => option(c.label, c.value)),
  };
}

export async function paymentAddView(billing: Billing, meta: ModalMetadata): Promise<ModalView> {
  const form = await buildForm(billing, meta.modal);
  const field = (name: string) => form.fields.find((f) => f.name === name);
  const menu = invoiceMenu(field('to'));
  return formView(form, {
    callbackId: PAYMENT_ADD_CALLBACK,
    meta,
    versioned: ['to'],
    dispatch: ['account'],
    elements: {
      account: accountPicker(await initialAccount(billing, field('account')?.initial ?? null)),
      ...(menu ? { to: menu } : {}),
    },
  });
}
