import type { Billing } from '../../../billing';
import { buildForm } from '../../commands/forms';
import { ACCOUNT_ACTION } from './billAccount';
import { formView } from './formView';
import { ModalMetadata, ModalView, option } from './kit';

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
      account: {
        type: 'external_select',
        action_id: ACCOUNT_ACTION,
        min_query_length: 1,
        placeholder: { type: 'plain_text', text: 'Type part of the name' },
        ...(account ? { initial_option: option(account, account) } : {}),
      },
    },
  });
}
