import type { Billing } from '../../../billing';
import { buildForm } from '../../commands/forms';
import { initialAccount } from './choices';
import { formView } from './formView';
import { accountPicker, ModalMetadata, ModalView } from './kit';

/** The Add Credit modal (`/credit add` alone): the same fields as the text form. */
export const CREDIT_ADD_CALLBACK = 'credit_add';

export async function creditAddView(billing: Billing, meta: ModalMetadata): Promise<ModalView> {
  const form = await buildForm(billing, meta.modal);
  const account = form.fields.find((f) => f.name === 'account')?.initial ?? null;
  return formView(form, {
    callbackId: CREDIT_ADD_CALLBACK,
    meta,
    multiline: ['detail'],
    elements: {
      account: accountPicker(await initialAccount(billing, account)),
    },
  });
}
