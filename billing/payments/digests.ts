import { todayIn, type IsoDate } from '../dates';
import { InvalidInputError } from '../errors';
import { NoScheduleError, scheduleProblem } from '../schedules';
import { agingReport, newlyOverdue, type AgingReport, type OverdueInvoice } from './aging';
import type { Db } from '../db';

/**
 * The overdue digest: per Slack channel, a cron schedule on which the aging summary and the
 * invoices that became overdue since the last digest are posted there. Each fire time is
 * claimed once in the database (digest_fires, as scheduled_fires claims a configuration's),
 * and what the digest says is built in the claiming transaction: its as-of day is the fire
 * time's date in the digest's time zone; "since the last digest" counts from the previous
 * digest's as-of day (kept in overdue_digests.last_as_of). The scheduler posts a claimed
 * digest and records the post; a digest claimed but not posted is posted by a later sweep.
 */

/** The most newly overdue invoices a digest lists (the count says how many there are in all). */
export const DIGEST_OVERDUE_LIMIT = 10;

export interface OverdueDigest {
  id: number;
  channel: string;
  schedule: string;
  timeZone: string;
  paused: boolean;
  /** Fire times before this were never due. */
  scheduleSince: Date;
  lastAsOf: IsoDate | null;
}

export interface DigestContent {
  asOf: IsoDate;
  /** The previous digest's as-of day (null: the first digest, which lists every overdue invoice). */
  since: IsoDate | null;
  aging: AgingReport;
  overdue: { count: number; invoices: OverdueInvoice[] };
}

export interface DigestFire {
  digestId: number;
  channel: string;
  scheduledFor: Date;
  content: DigestContent;
}

export type DigestClaim = { outcome: 'claimed'; fire: DigestFire } | { outcome: 'taken' } | { outcome: 'skipped'; reason: string };

const toDigest = (r: any): OverdueDigest => ({
  id: Number(r.id),
  channel: r.channel,
  schedule: r.schedule,
  timeZone: r.time_zone,
  paused: r.paused,
  scheduleSince: new Date(r.schedule_since),
  lastAsOf: r.last_as_of,
});

export async function listDigests(db: Db): Promise<OverdueDigest[]> {
  return (await db('overdue_digests').orderBy('id')).map(toDigest);
}

function cleanChannel(channel: string): string {
  const clean = channel.trim();
  if (!/^(?:[CGD][A-Z0-9]{2,}|#?[a-z0-9][a-z0-9_-]{0,79})$/.test(clean)) {
    throw new InvalidInputError(`"${clean}" is not a Slack channel; name it like #finance (or by its id, C0123ABC).`);
  }
  return clean;
}

/** Creates or changes a channel's digest (its schedule counts from now). */
export async function setDigest(db: Db, input: { channel: string; schedule: string; timeZone?: string | null; actor: string }): Promise<OverdueDigest> {
  const channel = cleanChannel(input.channel);
  const schedule = input.schedule.trim().replace(/\s+/g, ' ');
  const timeZone = input.timeZone?.trim() || 'UTC';
  const problem = scheduleProblem(schedule, timeZone);
  if (problem) throw new InvalidInputError(`The digest cannot be scheduled: ${problem}`);
  const { rows } = await db.raw(
    `INSERT INTO overdue_digests (channel, schedule, time_zone, created_by) VALUES (?, ?, ?, ?)
     ON CONFLICT (lower(channel)) DO UPDATE SET schedule = EXCLUDED.schedule, time_zone = EXCLUDED.time_zone, paused = false, schedule_since = now()
     RETURNING *`,
    [channel, schedule, timeZone, input.actor],
  );
  return toDigest(rows[0]);
}

/** Pauses or resumes a channel's digest (resumed: fire times missed while paused are not caught up). */
export async function setDigestPaused(db: Db, channel: string, paused: boolean): Promise<OverdueDigest> {
  const clean = cleanChannel(channel);
  const [row] = await db('overdue_digests')
    .whereRaw('lower(channel) = lower(?)', [clean])
    .update(paused ? { paused } : { paused, schedule_since: db.fn.now() })
    .returning('*');
  if (!row) throw new NoScheduleError(`There is no overdue digest for ${clean}; set one with /billing schedule digest ${clean} <cron>.`);
  return toDigest(row);
}

/**
 * Claims a digest's fire time once across processes and builds what it says, in one
 * transaction: a second claimer gets `taken`; a paused or changed digest, or a time before
 * its schedule counts, `skipped`.
 */
export async function claimDigestFire(
  db: Db,
  fire: { digestId: number; scheduledFor: Date; schedule: string; timeZone: string; claimedBy: string },
  today: IsoDate,
): Promise<DigestClaim> {
  return db.transaction(async (trx) => {
    const row = await trx('overdue_digests').where('id', fire.digestId).forUpdate().first();
    if (!row) return { outcome: 'skipped', reason: 'the digest no longer exists' };
    const digest = toDigest(row);
    if (digest.paused) return { outcome: 'skipped', reason: 'the digest is paused' };
    if (digest.schedule !== fire.schedule || digest.timeZone !== fire.timeZone) return { outcome: 'skipped', reason: 'the schedule changed' };
    if (digest.scheduleSince.getTime() > fire.scheduledFor.getTime()) return { outcome: 'skipped', reason: 'the schedule counts from a later time' };
    const asOf = todayIn(digest.timeZone, fire.scheduledFor);
    const since = digest.lastAsOf;
    const aging = await agingReport(trx, asOf, today);
    const overdue = await newlyOverdue(trx, since, asOf, today, DIGEST_OVERDUE_LIMIT);
    const content: DigestContent = { asOf, since, aging, overdue };
    const claimed = await trx('digest_fires')
      .insert({ digest_id: digest.id, scheduled_for: fire.scheduledFor, as_of: asOf, since, content: JSON.stringify(content), claimed_by: fire.claimedBy })
      .onConflict(['digest_id', 'scheduled_for'])
      .ignore()
      .returning('digest_id');
    if (claimed.length === 0) return { outcome: 'taken' };
    await trx('overdue_digests').where('id', digest.id).update({ last_as_of: asOf });
    return { outcome: 'claimed', fire: { digestId: digest.id, channel: digest.channel, scheduledFor: fire.scheduledFor, content } };
  });
}

/** Digests claimed and not posted yet (a process stopped, or Slack failed), oldest first. */
export async function unpostedDigests(db: Db): Promise<DigestFire[]> {
  const rows = await db('digest_fires as f')
    .join('overdue_digests as d', 'd.id', 'f.digest_id')
    .whereNull('f.posted_at')
    .orderBy('f.scheduled_for')
    .select('f.digest_id', 'f.scheduled_for', 'f.content', 'd.channel');
  return rows.map((r: any) => ({ digestId: Number(r.digest_id), channel: r.channel, scheduledFor: new Date(r.scheduled_for), content: r.content }));
}

/**
 * Records a digest's post, once: false when it was recorded already (another process posted
 * it meanwhile). The post holds the row's lock, so two sweeps never post one digest twice.
 */
export async function postDigestOnce(
  db: Db,
  fire: { digestId: number; scheduledFor: Date },
  post: () => Promise<{ channelId: string; ts: string }>,
): Promise<boolean> {
  return db.transaction(async (trx) => {
    const row = await trx('digest_fires').where({ digest_id: fire.digestId, scheduled_for: fire.scheduledFor }).forUpdate().skipLocked().first('posted_at');
    if (!row || row.posted_at) return false;
    const posted = await post();
    await trx('digest_fires')
      .where({ digest_id: fire.digestId, scheduled_for: fire.scheduledFor })
      .update({ posted_at: trx.fn.now(), channel_id: posted.channelId, message_ts: posted.ts });
    return true;
  });
}
