import { validateCommand } from '../../commands';
import { PAYMENT_REVERSE_ACTION, readPaymentButton } from '../confirm';
import type { SlackDeps } from '../deps';
import { ButtonArgs, answerConfirmedClick } from './creditButton';

export { PAYMENT_REVERSE_ACTION };

/** The confirmed "Reverse PM-000001" button: reversed once (a second click finds it reversed and billing refuses). */
export function paymentReverseAction(deps: SlackDeps) {
  return (args: ButtonArgs): Promise<void> =>
    answerConfirmedClick(deps, args, {
      read: readPaymentButton,
      command: (value) => validateCommand({ kind: 'payment.reverse', payment: value.payment, reason: value.reason }),
    });
}
