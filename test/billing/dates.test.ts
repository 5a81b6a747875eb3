import fc from 'fast-check';
import {
  addDays,
  addFrequency,
  addMonths,
  daysInMonth,
  monthOf,
  parseIsoDate,
  period,
  previousMonthOf,
  todayIn,
} from '../../billing/dates';
import { InvalidDateError, InvalidPeriodError } from '../../billing/errors';
import { useTestDatabase } from '../helpers/db';

describe('parseIsoDate', () => {
  it.each(['2026-09-30', '2024-02-29', '2026-12-31', ' 2026-01-01 '])('accepts the real date %j', (text) => {
    expect(parseIsoDate(text)).toBe(text.trim());
  });

  it.each(['2026-02-30', '2025-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '1899-12-31'])(
    'refuses the impossible date %s with one sentence',
    (text) => {
      expect(() => parseIsoDate(text)).toThrow(InvalidDateError);
      expect(() => parseIsoDate(text)).toThrow(`"${text}" is not a real date; use YYYY-MM-DD, for example 2026-09-30.`);
    },
  );

  it.each(['30/09/2026', '2026-9-30', '2026/09/30', '20260930', 'tomorrow', '', '2026-09-30T00:00:00Z'])(
    'refuses the bad form %j',
    (text) => {
      expect(() => parseIsoDate(text)).toThrow(InvalidDateError);
      expect(() => parseIsoDate(text)).toThrow(/is not a date; use YYYY-MM-DD, for example 2026-09-30\.$/);
    },
  );
});

describe('addMonths', () => {
  it('clamps a day of 29-31 to the month end and keeps the anchor (31 Jan -> 28 Feb -> 31 Mar)', () => {
    const feb = addMonths('2026-01-31', 1);
    expect(feb).toBe('2026-02-28');
    expect(addMonths(feb, 1, 31)).toBe('2026-03-31');
    expect(addMonths('2026-01-31', 2)).toBe('2026-03-31');
    expect(addMonths('2026-03-31', 1)).toBe('2026-04-30');
    expect(addMonths('2024-01-30', 1)).toBe('2024-02-29');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2025-02-28', 12, 29)).toBe('2026-02-28');
    expect(addMonths('2027-02-28', 12, 29)).toBe('2028-02-29');
  });

  it('crosses years both ways', () => {
    expect(addMonths('2026-11-15', 3)).toBe('2027-02-15');
    expect(addMonths('2026-01-15', -1)).toBe('2025-12-15');
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
    expect(addMonths('2026-06-10', -18)).toBe('2024-12-10');
  });

  it('moves by each frequency', () => {
    expect(addFrequency('2026-09-15', 'monthly')).toBe('2026-10-15');
    expect(addFrequency('2026-09-15', 'quarterly')).toBe('2026-12-15');
    expect(addFrequency('2026-09-15', 'semiannual')).toBe('2027-03-15');
    expect(addFrequency('2026-09-15', 'annual')).toBe('2027-09-15');
    expect(addFrequency('2026-08-31', 'semiannual')).toBe('2027-02-28');
  });
});

describe('periods and days', () => {
  it('builds an inclusive period and refuses a start after the end', () => {
    expect(period('2026-09-01', '2026-09-30')).toEqual({ start: '2026-09-01', end: '2026-09-30' });
    expect(period('2026-09-30', '2026-09-30')).toEqual({ start: '2026-09-30', end: '2026-09-30' });
    expect(() => period('2026-10-01', '2026-09-30')).toThrow(InvalidPeriodError);
    expect(() => period('2026-10-01', '2026-09-30')).toThrow('The period start 2026-10-01 is after its end 2026-09-30.');
    expect(() => period('2026-02-30', '2026-03-30')).toThrow(InvalidDateError);
  });

  it('knows months, previous months and day arithmetic', () => {
    expect(monthOf('2024-02-10')).toEqual({ start: '2024-02-01', end: '2024-02-29' });
    expect(previousMonthOf('2026-01-15')).toEqual({ start: '2025-12-01', end: '2025-12-31' });
    expect(previousMonthOf('2026-03-31')).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(addDays('2026-10-15', -1)).toBe('2026-10-14');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
  });

  it("tells today's date in a time zone", () => {
    const now = new Date('2026-10-01T02:00:00Z');
    expect(todayIn('UTC', now)).toBe('2026-10-01');
    expect(todayIn('America/New_York', now)).toBe('2026-09-30');
    expect(todayIn('Asia/Tokyo', new Date('2026-09-30T20:00:00Z'))).toBe('2026-10-01');
  });
});

describe('billbot_add_months (migration 011) agrees with addMonths', () => {
  const t = useTestDatabase();

  // A date and an anchor day, the date's day being where the anchor lands in its month
  // (as it always is for an account package), or any day of the month.
  const dateArb = fc
    .record({ year: fc.integer({ min: 1990, max: 2100 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) })
    .map(({ year, month, day }) => `${year}-${String(month).padStart(2, '0')}-${String(Math.min(day, daysInMonth(year, month))).padStart(2, '0')}`);
  const caseArb = fc.record({
    date: dateArb,
    months: fc.integer({ min: -240, max: 240 }),
    anchor: fc.integer({ min: 1, max: 31 }),
  });

  /** Asks Postgres for many answers in one round trip. */
  async function sqlAnswers(db: typeof t.db, cases: { date: string; months: number; anchor: number }[]): Promise<string[]> {
    const { rows } = await db.raw(
      `SELECT billbot_add_months(c.d, c.m, c.a) AS moved
       FROM unnest(?::date[], ?::int[], ?::int[]) WITH ORDINALITY AS c(d, m, a, n) ORDER BY c.n`,
      [cases.map((c) => c.date), cases.map((c) => c.months), cases.map((c) => c.anchor)],
    );
    return rows.map((r: { moved: string }) => r.moved);
  }

  it('for random dates, month counts and anchor days', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: 50 }), async (cases) => {
        const answers = await sqlAnswers(t.db, cases);
        expect(answers).toEqual(cases.map((c) => addMonths(c.date, c.months, c.anchor)));
      }),
      { numRuns: 60 },
    );
  });

  it('for the month-end cases that matter most', async () => {
    const cases = [
      { date: '2026-01-31', months: 1, anchor: 31 },
      { date: '2026-02-28', months: 1, anchor: 31 },
      { date: '2026-02-28', months: 1, anchor: 30 },
      { date: '2024-01-29', months: 1, anchor: 29 },
      { date: '2023-01-29', months: 1, anchor: 29 },
      { date: '2026-12-31', months: 2, anchor: 31 },
      { date: '2026-08-31', months: 6, anchor: 31 },
    ];
    expect(await sqlAnswers(t.db, cases)).toEqual(['2026-02-28', '2026-03-31', '2026-03-30', '2024-02-29', '2023-02-28', '2027-02-28', '2027-02-28']);
    expect(await sqlAnswers(t.db, cases)).toEqual(cases.map((c) => addMonths(c.date, c.months, c.anchor)));
  });

  it('whatever the session time zone is, even one whose clocks skip midnight', async () => {
    // America/Asuncion and America/Havana moved their clocks at midnight, so some local
    // midnights never happened; date arithmetic must not depend on the session's zone.
    await t.db.transaction(async (trx) => {
      for (const zone of ['America/Asuncion', 'America/Havana', 'Pacific/Kiritimati', 'America/Adak']) {
        await trx.raw(`SELECT set_config('TimeZone', ?, true)`, [zone]);
        expect((await trx.raw(`SELECT current_setting('TimeZone') AS zone`)).rows[0].zone).toBe(zone);
        const cases = fc.sample(caseArb, { numRuns: 400, seed: 42 });
        // Every first of the month from 1990 to 2030, moved by 0, 1 and -1 months.
        for (let y = 1990; y <= 2030; y++) {
          for (let m = 1; m <= 12; m++) {
            const date = `${y}-${String(m).padStart(2, '0')}-01`;
            cases.push({ date, months: 0, anchor: 1 }, { date, months: 1, anchor: 1 }, { date, months: -1, anchor: 31 });
          }
        }
        expect({ zone, answers: await sqlAnswers(trx as never, cases) }).toEqual({
          zone,
          answers: cases.map((c) => addMonths(c.date, c.months, c.anchor)),
        });
      }
    });
  });
});
