/** Times and durations as people read them in messages. */

/** "2026-10-01 00:05" in the time zone. */
export function formatLocalTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/**
 * A time as Slack shows it to each reader in their own time zone:
 * `<!date^UNIX^{date_short} {time}|fallback>`. The fallback (what a client that cannot read the
 * token shows, and what the terminal renderer prints) is the time in `timeZone`, named
 * ("2026-10-01 00:05 (Europe/Paris)") unless the text names the zone already (`named: false`).
 * A time zone is an IANA name (no `|`, `<`, `>` or `&`).
 */
export function slackTime(at: Date, timeZone: string, named = true): string {
  const unix = Math.floor(at.getTime() / 1000);
  const local = formatLocalTime(at, timeZone);
  const fallback = (named ? `${local} (${timeZone})` : local).replace(/[|<>&]/g, '');
  return `<!date^${unix}^{date_short} {time}|${fallback}>`;
}

/** "3 h 10 min", "2 d 4 h", "45 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return h ? `${d} d ${h} h` : `${d} d`;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  if (m) return `${m} min`;
  return `${s} s`;
}
