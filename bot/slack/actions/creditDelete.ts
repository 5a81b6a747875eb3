import type { SlackDeps } from '../deps';
import { ButtonArgs, handleCreditButton } from './creditButton';

/** The confirmed "Delete CR-7" button. */
export function creditDeleteAction(deps: SlackDeps) {
  return (args: ButtonArgs): Promise<void> => handleCreditButton(deps, 'credit.delete', args);
}
