import type { SlackDeps } from '../deps';
import { choiceId } from '../modals/choices';
import { paymentAddView } from '../modals/paymentAdd';
import { refillOnSelect } from './billConfiguration';

/** An account picked in the Record Payment form: the form is built again with its unpaid invoices to pick. */
export function paymentAccountAction(deps: SlackDeps) {
  return refillOnSelect(deps, 'payment.add.modal', 'payment', async (meta, _values, action) => {
    const id = choiceId('account', action.selected_option?.value);
    const account = id === null ? null : await deps.services.billing.accountNameById(id);
    return paymentAddView(deps.services.billing, { ...meta, modal: { kind: 'payment.add.modal', account }, version: meta.version + 1 });
  });
}
