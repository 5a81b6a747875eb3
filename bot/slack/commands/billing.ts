import type { SlackDeps } from '../deps';
import { handleSlashCommand, SlashArgs } from '../dispatch';

/** `/billing help|run|invoices|invoice|access|export|...`. */
export function billingCommand(deps: SlackDeps) {
  return (args: SlashArgs): Promise<void> => handleSlashCommand(deps, args);
}
