import type { SlackDeps } from '../deps';
import { ButtonArgs, handleCreditButton } from './creditButton';

/** The confirmed "Reverse CR-7" button. */
export function creditReverseAction(deps: SlackDeps) {
  return (args: ButtonArgs): Promise<void> => handleCreditButton(deps, 'credit.reverse', args);
}
