import type { SlackDeps } from '../deps';
import { handleSlashCommand, SlashArgs } from '../dispatch';

/** `/payment add|list|reverse ...`; `/payment add` alone (or with only an account) opens the form. */
export function paymentCommand(deps: SlackDeps) {
  return (args: SlashArgs): Promise<void> => handleSlashCommand(deps, args);
}
