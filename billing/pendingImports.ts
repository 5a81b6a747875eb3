import type { Knex } from 'knex';
import { z } from 'zod';
import { BillingError, InvalidInputError } from './errors';
import { firstIssue } from './schemas';
import type { Db } from './db';

/**
 * Setup files waiting for a decision: a file is checked (a dry run), its exact bytes are
 * held here, and someone then confirms (the held bytes are applied) or cancels. What the
 * bytes are and how they are applied is the caller's business (sheets/ reads them): this
 * module only keeps them, and makes each decision happen once.
 *
 * - The same file from the same source (`source` + SHA-256) is held once: a second
 *   delivery of an upload finds it already held.
 * - Confirming locks the row, applies the bytes inside the same transaction, and records
 *   the decision there too: two confirmations apply once (the second waits, then finds it
 *   decided), and a failure part way leaves it waiting, with nothing applied.
 * - The bytes are dropped once the file is decided, or when it has waited longer than its
 *   time to live.
 */

export type PendingImportStatus = 'checking' | 'previewed' | 'rejected' | 'applied' | 'failed' | 'cancelled';

export interface PendingImport {
  id: string;
  source: string;
  sha256: string;
  fileName: string;
  /** Who sent the file. */
  actor: string;
  status: PendingImportStatus;
  /** What the check or the decision found (the caller's summary). */
  summary: unknown;
  createdAt: Date;
  expiresAt: Date;
  /** True when it waits past its time to live (it can no longer be confirmed). */
  expired: boolean;
  decidedBy: string | null;
  decidedAt: Date | null;
}

/** A file that cannot be confirmed or cancelled (unknown, expired, already decided). */
export class PendingImportError extends BillingError {
  readonly code = 'pending_import';
}

const idSchema = z.string().uuid('A pending import is named by its id.');
const holdSchema = z.object({
  source: z.string().trim().min(1).max(200),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'A SHA-256 digest in hexadecimal is required.'),
  fileName: z
    .string()
    .transform((s) => s.replace(/\u0000/g, '').trim().slice(0, 300))
    .pipe(z.string().min(1, 'The file needs a name.')),
  actor: z.string().trim().min(1, 'Say who sent the file.').max(200),
  content: z.instanceof(Buffer),
  /** How long it may wait for a decision. */
  ttlMs: z.number().int().positive().max(30 * 24 * 3600 * 1000),
});
export type HoldInput = z.input<typeof holdSchema>;

function parse<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(firstIssue(result.error));
  return result.data;
}

/** A pending import read with these columns is a PendingImport as it is (camelCase aliases). */
const COLUMNS =
  'id, source, sha256, file_name AS "fileName", actor, status, summary, created_at AS "createdAt", expires_at AS "expiresAt", ' +
  'expires_at <= now() AS expired, decided_by AS "decidedBy", decided_at AS "decidedAt"';

type Row = PendingImport;

function view(row: Row & { content?: unknown }): PendingImport {
  const { content: _content, ...pending } = row;
  return pending;
}

/**
 * Holds a file's bytes while it is checked. `created` is false when the same file from the
 * same source is already held (or was decided): the caller should leave it alone. Also
 * drops the bytes of files decided or waiting past their time.
 */
export async function holdPendingImport(db: Db, input: HoldInput): Promise<{ pending: PendingImport; created: boolean }> {
  const i = parse(holdSchema, input);
  await db.raw(
    `UPDATE pending_imports SET content = NULL
      WHERE content IS NOT NULL AND (status NOT IN ('checking', 'previewed') OR expires_at <= now())`,
  );
  const inserted = await db.raw(
    `INSERT INTO pending_imports (source, sha256, file_name, actor, content, expires_at)
     VALUES (?, ?, ?, ?, ?, now() + ? * interval '1 millisecond')
     ON CONFLICT (source, sha256) DO NOTHING
     RETURNING ${COLUMNS}`,
    [i.source, i.sha256, i.fileName, i.actor, i.content, i.ttlMs],
  );
  if (inserted.rows.length) return { pending: view(inserted.rows[0]), created: true };
  const existing = await db.raw(`SELECT ${COLUMNS} FROM pending_imports WHERE source = ? AND sha256 = ?`, [i.source, i.sha256]);
  return { pending: view(existing.rows[0]), created: false };
}

/**
 * Records what the check found: `previewed` (it can be confirmed) or `rejected` (it cannot:
 * its bytes are dropped).
 */
export async function recordPendingCheck(db: Db, id: string, check: { status: 'previewed' | 'rejected'; summary: unknown }): Promise<PendingImport> {
  const pendingId = parse(idSchema, id);
  const result = await db.raw(
    `UPDATE pending_imports
        SET status = ?, summary = ?::jsonb, content = CASE WHEN ? = 'rejected' THEN NULL ELSE content END
      WHERE id = ? AND status = 'checking'
      RETURNING ${COLUMNS}`,
    [check.status, JSON.stringify(check.summary ?? null), check.status, pendingId],
  );
  if (!result.rows.length) throw new PendingImportError('That file is not waiting for its check any more.');
  return view(result.rows[0]);
}

export async function getPendingImport(db: Db, id: string): Promise<PendingImport> {
  const pendingId = parse(idSchema, id);
  const result = await db.raw(`SELECT ${COLUMNS} FROM pending_imports WHERE id = ?`, [pendingId]);
  if (!result.rows.length) throw new PendingImportError('That file is not known (it may have been sent to another billbot).');
  return view(result.rows[0]);
}

/** The outcome of a decision: done now, or what had been decided before. */
export type Decision<T> =
  | { done: true; pending: PendingImport; value: T }
  | { done: false; pending: PendingImport };

function refusedFor(pending: PendingImport): string | null {
  if (pending.status === 'previewed' && pending.expired) return 'expired';
  if (pending.status === 'checking') return 'checking';
  if (pending.status === 'rejected') return 'rejected';
  return null;
}

/** Why a file cannot be decided now, as one sentence (null when it can, or was already decided). */
export function undecidable(pending: PendingImport): string | null {
  switch (refusedFor(pending)) {
    case 'expired':
      return `The check of ${pending.fileName} has expired, so it can no longer be applied; send the file again.`;
    case 'checking':
      return `${pending.fileName} is still being checked.`;
    case 'rejected':
      return `${pending.fileName} had problems, so it cannot be applied; fix them and send the file again.`;
    default:
      return null;
  }
}

/**
 * Confirms a held file: under a lock on its row, `apply` gets the exact bytes that were
 * checked and runs in the same transaction as the decision; `applied: false` (the file no
 * longer fits what is stored) records it as failed, with nothing applied. A file already
 * decided is not applied again (`done: false`). Throws a PendingImportError when it cannot
 * be decided (unknown, expired, rejected).
 */
export async function confirmPendingImport<T>(
  db: Knex,
  id: string,
  actor: string,
  apply: (trx: Knex.Transaction, content: Buffer, pending: PendingImport) => Promise<{ applied: boolean; summary: unknown; value: T }>,
): Promise<Decision<T>> {
  const pendingId = parse(idSchema, id);
  const who = parse(z.string().trim().min(1, 'Say who confirms the file.').max(200), actor);
  return db.transaction(async (trx) => {
    const locked = await trx.raw(`SELECT ${COLUMNS}, content FROM pending_imports WHERE id = ? FOR UPDATE`, [pendingId]);
    if (!locked.rows.length) throw new PendingImportError('That file is not known (it may have been sent to another billbot).');
    const row = locked.rows[0] as Row & { content: Buffer | null };
    const pending = view(row);
    const why = undecidable(pending);
    if (why) throw new PendingImportError(why);
    if (pending.status !== 'previewed' || !row.content) return { done: false, pending };
    const result = await apply(trx, row.content, pending);
    const updated = await trx.raw(
      `UPDATE pending_imports
          SET status = ?, summary = ?::jsonb, content = NULL, decided_by = ?, decided_at = now()
        WHERE id = ?
        RETURNING ${COLUMNS}`,
      [result.applied ? 'applied' : 'failed', JSON.stringify(result.summary ?? null), who, pendingId],
    );
    return { done: true, pending: view(updated.rows[0]), value: result.value };
  });
}

/** Cancels a held file: its bytes are dropped. A file already decided stays as it was (`done: false`). */
export async function cancelPendingImport(db: Db, id: string, actor: string): Promise<Decision<null>> {
  const pendingId = parse(idSchema, id);
  const who = parse(z.string().trim().min(1, 'Say who cancels the file.').max(200), actor);
  const updated = await db.raw(
    `UPDATE pending_imports
        SET status = 'cancelled', content = NULL, decided_by = ?, decided_at = now()
      WHERE id = ? AND status IN ('checking', 'previewed')
      RETURNING ${COLUMNS}`,
    [who, pendingId],
  );
  if (updated.rows.length) return { done: true, pending: view(updated.rows[0]), value: null };
  return { done: false, pending: await getPendingImport(db, pendingId) };
}
