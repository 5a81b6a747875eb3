import type { Knex } from 'knex';
import { z } from 'zod';
import { BillingError, InvalidInputError } from './errors';
import { firstIssue } from './schemas';
import type { Db } from './db';

/**
 * Who may do what. A person (a principal: for the Slack bot, a Slack user id) holds roles;
 * each role includes the ones below it: viewer (list, status, preview, export) < operator
 * (bill, credits) < admin (access, imports). Admins configured at start-up hold admin
 * without a stored grant and cannot be revoked here.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const roleSchema = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(ROLES, { message: 'A role is viewer, operator or admin.' }));

const principalSchema = z
  .string({ message: 'Say whose access it is.' })
  .trim()
  .min(1, 'Say whose access it is.')
  .max(100, 'A user id can be at most 100 characters.');

export class AccessChangeError extends BillingError {
  readonly code = 'access_change';
}

/** True when someone holding `held` may do what needs `needed`. */
export function roleIncludes(held: Role | null | undefined, needed: Role): boolean {
  if (!held) return false;
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

function highest(roles: Role[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) if (!best || ROLES.indexOf(r) > ROLES.indexOf(best)) best = r;
  return best;
}

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(firstIssue(result.error));
  return result.data;
}

export interface Grant {
  principal: string;
  role: Role;
  grantedBy: string;
  /** ISO timestamp; null for an admin configured at start-up. */
  grantedAt: string | null;
  /** True for an admin configured at start-up (not stored, not revocable here). */
  configured: boolean;
}

export const auditEntrySchema = z.object({
  actor: principalSchema,
  source: z.string().trim().min(1).max(50),
  channel: z.string().trim().max(100).nullish(),
  /** What was invoked: "/credit", "view:bill_account", "button:credit_reverse". */
  command: z.string().trim().min(1).max(200),
  /** The text as given (cut to 2,000 characters). */
  input: z.string().default('').transform((s) => storable(s).slice(0, 2000)),
  /** What it was understood as (the command kind); absent when it could not be understood. */
  action: z.string().trim().max(100).nullish(),
  roleRequired: z.enum(ROLES).nullish(),
  decision: z.enum(['allowed', 'refused', 'invalid']),
  detail: z
    .string()
    .nullish()
    .transform((s) => (s == null ? null : storable(s).slice(0, 2000))),
});

/** Text as given, with NUL (which PostgreSQL text cannot hold) shown as U+FFFD: the audit trail records even unstorable input. */
function storable(s: string): string {
  return s.replace(/\u0000/g, '\uFFFD');
}
export type AuditEntryInput = z.input<typeof auditEntrySchema>;

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  source: string;
  channel: string | null;
  command: string;
  input: string;
  action: string | null;
  roleRequired: Role | null;
  decision: 'allowed' | 'refused' | 'invalid';
  detail: string | null;
}

/** The role a principal holds (the highest), counting the configured admins; null for none. */
export async function roleOf(db: Db, principal: string, admins: readonly string[] = []): Promise<Role | null> {
  const who = parse(principalSchema, principal);
  if (admins.includes(who)) return 'admin';
  const roles: Role[] = await db('access_grants').where('principal', who).pluck('role');
  return highest(roles);
}

/** Grants a role. Granting a role already held changes nothing and says so. */
export async function grantRole(
  db: Db,
  input: { principal: string; role: string; grantedBy: string },
  admins: readonly string[] = [],
): Promise<{ principal: string; role: Role; changed: boolean; effective: Role }> {
  const principal = parse(principalSchema, input.principal);
  const role = parse(roleSchema, input.role);
  const grantedBy = parse(principalSchema, input.grantedBy);
  const inserted = await db('access_grants')
    .insert({ principal, role, granted_by: grantedBy })
    .onConflict(['principal', 'role'])
    .ignore()
    .returning('role');
  const effective = (await roleOf(db, principal, admins)) as Role;
  return { principal, role, changed: inserted.length > 0, effective };
}

/**
 * Revokes one role. What remains (a higher or lower role still held) is returned. An admin
 * configured at start-up cannot lose admin here.
 */
export async function revokeRole(
  db: Db,
  input: { principal: string; role: string; revokedBy: string },
  admins: readonly string[] = [],
): Promise<{ principal: string; role: Role; changed: boolean; effective: Role | null }> {
  const principal = parse(principalSchema, input.principal);
  const role = parse(roleSchema, input.role);
  parse(principalSchema, input.revokedBy);
  if (admins.includes(principal) && role === 'admin') {
    throw new AccessChangeError(
      `${principal} is an admin from the BILLING_ADMINS setting; remove them there (and restart) to take admin away.`,
    );
  }
  const removed = await db('access_grants').where({ principal, role }).delete();
  return { principal, role, changed: removed > 0, effective: await roleOf(db, principal, admins) };
}

/** Everyone with a role: configured admins first, then stored grants by principal. */
export async function listGrants(db: Db, admins: readonly string[] = []): Promise<Grant[]> {
  const rows = await db('access_grants').orderBy(['principal', 'role']).select('*');
  const configured: Grant[] = admins.map((principal) => ({
    principal,
    role: 'admin',
    grantedBy: 'BILLING_ADMINS',
    grantedAt: null,
    configured: true,
  }));
  return [
    ...configured,
    ...rows.map((r: any) => ({
      principal: r.principal,
      role: r.role,
      grantedBy: r.granted_by,
      grantedAt: new Date(r.granted_at).toISOString(),
      configured: false,
    })),
  ];
}

/** Appends one entry to the audit trail (the table refuses updates and deletes). */
export async function recordAudit(db: Db, entry: AuditEntryInput): Promise<number> {
  const e = parse(auditEntrySchema, entry);
  const [row] = await db('audit_log')
    .insert({
      actor: e.actor,
      source: e.source,
      channel: e.channel ?? null,
      command: e.command,
      input: e.input,
      action: e.action ?? null,
      role_required: e.roleRequired ?? null,
      decision: e.decision,
      detail: e.detail,
    })
    .returning('id');
  return row.id;
}

/** The audit trail, newest first, optionally for one actor. */
export async function auditTrail(db: Db, options: { actor?: string; limit?: number } = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 1000);
  const q = db('audit_log').orderBy('id', 'desc').limit(limit);
  if (options.actor) q.where('actor', options.actor);
  const rows = await q;
  return rows.map((r: any) => ({
    id: r.id,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    source: r.source,
    channel: r.channel,
    command: r.command,
    input: r.input,
    action: r.action,
    roleRequired: r.role_required,
    decision: r.decision,
    detail: r.detail,
  }));
}

/** The access services bound to one database and the admins configured at start-up. */
export function createAccess(db: Knex, options: { admins?: readonly string[] } = {}) {
  const admins = Object.freeze([...new Set((options.admins ?? []).map((a) => a.trim()).filter(Boolean))]);
  return {
    admins,
    roleOf: (principal: string) => roleOf(db, principal, admins),
    can: async (principal: string, needed: Role) => roleIncludes(await roleOf(db, principal, admins), needed),
    grant: (input: { principal: string; role: string; grantedBy: string }) => grantRole(db, input, admins),
    revoke: (input: { principal: string; role: string; revokedBy: string }) => revokeRole(db, input, admins),
    listGrants: () => listGrants(db, admins),
    record: (entry: AuditEntryInput) => recordAudit(db, entry),
    auditTrail: (options?: { actor?: string; limit?: number }) => auditTrail(db, options),
  };
}

export type Access = ReturnType<typeof createAccess>;
