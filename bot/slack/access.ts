import { roleIncludes, type Role } from '../../billing/access';
import type { Command } from '../commands/schema';
import type { SlackDeps } from './deps';

/**
 * Which role each command needs: viewer (list, status, schedules, preview, export), operator
 * (bill, run now, pause or resume a schedule, resume a run, credits), admin (access, imports).
 * A kind not listed here needs admin: a new command is closed until someone decides who may use it.
 */
const ROLE_BY_KIND: Partial<Record<Command['kind'], Role>> = {
  'bill.status': 'viewer',
  // The bill form can preview; its submission is checked again (operator unless preview).
  'bill.modal': 'viewer',
  'credit.list': 'viewer',
  'invoice.list': 'viewer',
  'invoice.show': 'viewer',
  'billing.help': 'viewer',
  'billing.template': 'viewer',
  'billing.export': 'viewer',
  'billing.schedules': 'viewer',
  'credit.add': 'operator',
  'credit.add.modal': 'operator',
  'credit.disburse': 'operator',
  'credit.disburse.modal': 'operator',
  'credit.reverse': 'operator',
  'credit.delete': 'operator',
  'billing.schedule': 'operator',
  'bill.resume': 'operator',
  'billing.access': 'admin',
  // A setup workbook changes accounts, packages and configurations at once; sent files and their Confirm/Cancel too.
  'billing.import': 'admin',
};

export function requiredRole(command: Command): Role {
  if ((command.kind === 'bill' || command.kind === 'billing.run') && command.preview) return 'viewer';
  if (command.kind === 'bill' || command.kind === 'billing.run') return 'operator';
  return ROLE_BY_KIND[command.kind] ?? 'admin';
}

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
  deps: Pick<SlackDeps, 'access'>,
  audit: AuditContext,
  command: Command,
  needed: Role = requiredRole(command),
): Promise<string | null> {
  const held = await deps.access.roleOf(audit.user);
  const allowed = roleIncludes(held, needed);
  await deps.access.record({
    ...auditedRequest(audit),
    action: command.kind,
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
export async function auditInvalid(deps: Pick<SlackDeps, 'access'>, audit: AuditContext, problem: string): Promise<void> {
  await deps.access.record({
    ...auditedRequest(audit),
    action: null,
    roleRequired: null,
    decision: 'invalid',
    detail: problem,
  });
}
