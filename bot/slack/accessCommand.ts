import type { CommandOf } from '../commands';
import type { SlackDeps } from './deps';
import type { Message } from './reply';

/**
 * `/billing access grant|revoke <@user> viewer|operator|admin`: roles belong to the Slack app
 * (the shared executor leaves them to it). The reply mentions both people.
 */
export async function changeAccess(deps: SlackDeps, command: CommandOf<'billing.access'>, actor: string): Promise<{ message: Message; changed: boolean }> {
  const who = `<@${command.user}>`;
  if (command.action === 'grant') {
    const r = await deps.access.grant({ principal: command.user, role: command.role, grantedBy: actor });
    const text = r.changed
      ? `<@${actor}> granted ${who} the *${r.role}* role.` + (r.effective !== r.role ? ` They already had ${r.effective}, which counts.` : '')
      : `${who} already has the *${r.role}* role; nothing changed.`;
    return { message: { text }, changed: r.changed };
  }
  const r = await deps.access.revoke({ principal: command.user, role: command.role, revokedBy: actor });
  const left = r.effective ? ` They still have the *${r.effective}* role.` : ' They have no billbot role now.';
  const text = r.changed ? `<@${actor}> revoked the *${r.role}* role from ${who}.${left}` : `${who} did not have the *${r.role}* role; nothing changed.${left}`;
  return { message: { text }, changed: r.changed };
}
