import type { SlackDeps } from '../deps';
import { handleSlashCommand, SlashArgs } from '../dispatch';

/** `/credit add|disburse|reverse|delete|list ...`; `/credit add` and `/credit disburse [CR-7]` alone open forms. */
export function creditCommand(deps: SlackDeps) {
  return (args: SlashArgs): Promise<void> => handleSlashCommand(deps, args);
}
