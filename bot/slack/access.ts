import { roleIncludes, type Access, type Role } from '../../billing';
import type { Command } from '../commands/schema';
import { entryOf, requiredRole } from '../commands/table';

/** What the checks use of SlackDeps (only its access control). */
type AccessDeps = { access: Access };

/** The role each command needs is declared in the command table (viewer, operator, admin). */
export { requiredRole };

export interface AuditContext {
  /** The Slack user id. */
  user: string;
  channel?: string | null;
  /** What was invoked: "/credit", "view:bill_account", "button:credit_reverse". */
  command: string;
  /** What was typed or submitted. */
  input: string;
}

const WHAT: Record<Role, string> = {
  viewer: 'look at billing (lists, status, previews, exports)',
  operator: 'bill accounts, run and resume bill runs, pause schedules and manage credits',
  admin: 'manage access and imports',
};

/** A polite refusal naming the role that is needed and how to get it. */
export function refusal(user: string, needed: Role, held: Role | null): string {
  const has = held ? `You have the ${held} role, which does not include that.` : "You don't have access to billbot yet.";
  return (
    `Sorry <@${user}>, this needs the *${needed}* role (to ${WHAT[needed]}). ${has} ` +
    `An admin can give it to you with \`/billing access grant <@${user}> ${needed}\`.`
  );
}

/**
 * Checks that the user may run the command and writes the decision to the audit trail.
 * Returns the refusal text when refused, null when allowed.
 */
export async function authorize(
  deps: AccessDeps,
  audit: AuditContext,
  command: Command,
  needed: Role = requiredRole(command),
): Promise<string | null> {
  const held = await deps.access.roleOf(audit.user);
  const allowed = roleIncludes(held, needed);
  await deps.access.record({
    ...auditedRequest(audit),
    action: entryOf(command).kind,
    roleRequired: needed,
    decision: allowed ? 'allowed' : 'refused',
    detail: allowed ? null : held ? `holds ${held}` : 'holds no role',
  });
  return allowed ? null : refusal(audit.user, needed, held);
}

/** Who asked what, where, as the audit trail records every Slack request. */
function auditedRequest(audit: AuditContext) {
  return { actor: audit.user, source: 'slack' as const, channel: audit.channel ?? null, command: audit.command, input: audit.input };
}

/** Writes a command that could not be understood to the audit trail. */
export async function auditInvalid(deps: AccessDeps, audit: AuditContext, problem: string): Promise<void> {
  await deps.access.record({
    ...auditedRequest(audit),
    action: null,
    roleRequired: null,
    decision: 'invalid',
    detail: problem,
  });
}
