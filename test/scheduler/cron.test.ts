import { latestFireAtOrBefore, nextFireAfter, scheduleProblem } from '../../billing';

describe('cron schedules of configurations', () => {
  it('accepts five fields (or six with seconds) in an IANA time zone, and says in one sentence what is wrong otherwise', () => {
    expect(scheduleProblem('5 0 1 * *', 'America/New_York')).toBeNull();
    expect(scheduleProblem('0 0 6 * * 1-5', 'UTC')).toBeNull();
    expect(scheduleProblem('61 * * * *', 'UTC')).toMatch(/^"61 \* \* \* \*" is not a cron schedule in UTC \(expected five fields such as "5 0 1 \* \*": .*minute.*\)\.$/);
    expect(scheduleProblem('every day', 'UTC')).toMatch(/^"every day" is not a cron schedule in UTC/);
    expect(scheduleProblem('5 0 1 * *', 'Mars/Olympus')).toMatch(/is not a cron schedule in Mars\/Olympus/);
    expect(scheduleProblem('0 0 30 2 *', 'UTC')).toBe('The schedule "0 0 30 2 *" never fires.');
  });

  it('gives fire times in the time zone, before and after a moment, across daylight saving changes', () => {
    const at = (iso: string) => new Date(iso);
    expect(nextFireAfter('5 0 1 * *', 'America/New_York', at('2026-09-30T23:00:00Z'))).toEqual(at('2026-10-01T04:05:00Z'));
    // A fire exactly at the moment is "at or before" it, not "after" it.
    expect(nextFireAfter('5 0 1 * *', 'America/New_York', at('2026-10-01T04:05:00Z'))).toEqual(at('2026-11-01T04:05:00Z'));
    expect(latestFireAtOrBefore('5 0 1 * *', 'America/New_York', at('2026-10-01T04:05:00Z'))).toEqual(at('2026-10-01T04:05:00Z'));
    expect(latestFireAtOrBefore('5 0 1 * *', 'America/New_York', at('2026-10-01T04:04:59Z'))).toEqual(at('2026-09-01T04:05:00Z'));
    // Winter time: 00:05 EST is 05:05 UTC.
    expect(nextFireAfter('5 0 1 * *', 'America/New_York', at('2026-11-02T00:00:00Z'))).toEqual(at('2026-12-01T05:05:00Z'));
    // 02:30 does not exist on 8 March 2026 in New York: the daily run happens once, just after the gap.
    expect(nextFireAfter('30 2 * * *', 'America/New_York', at('2026-03-08T05:00:00Z'))).toEqual(at('2026-03-08T07:00:00Z'));
    // 01:30 happens twice on 1 November 2026: the daily run happens once.
    const first = nextFireAfter('30 1 * * *', 'America/New_York', at('2026-11-01T04:00:00Z'));
    expect(first).toEqual(at('2026-11-01T05:30:00Z'));
    expect(nextFireAfter('30 1 * * *', 'America/New_York', first!)).toEqual(at('2026-11-02T06:30:00Z'));
  });
});
