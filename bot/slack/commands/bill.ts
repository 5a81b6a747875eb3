import type { SlackDeps } from '../deps';
import { handleSlashCommand, SlashArgs } from '../dispatch';

/** `/bill`: bare, the Bill Account form; `/bill <account> [...]`, a bill run; `/bill status <run>`. */
export function billCommand(deps: SlackDeps) {
  return (args: SlashArgs): Promise<void> => handleSlashCommand(deps, args);
}
