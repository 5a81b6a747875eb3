import type { CommandOf } from '../../commands';
import type { SlackDeps } from '../deps';
import { checkAccountAmounts, runAndAnnounce } from './creditAdd';
import { handleSubmission, ViewArgs } from './submit';

type PaymentAdd = CommandOf<'payment.add'>;

/** The Record Payment form's submission: recorded once (anything refused is told to the person), and the channel told. */
export function paymentAddSubmission(deps: SlackDeps) {
  return (args: ViewArgs): Promise<void> =>
    handleSubmission<PaymentAdd>(deps, args, {
      modal: 'payment.add.modal',
      defaultField: 'amount',
      // The account exists and the amounts suit its currency.
      check: (command, d) => checkAccountAmounts(command, d, command.to.flatMap((t) => (t.amount ? [t.amount] : []))),
      act: runAndAnnounce,
    });
}
