import { z } from 'zod';
import { InvalidDateError, InvalidPeriodError } from './errors';

/** A calendar date, 'YYYY-MM-DD'. Billing never needs a time of day. */
export type IsoDate = string;

export type Frequency = 'monthly' | 'quarterly' | 'semiannual' | 'annual';
export const FREQUENCIES: readonly Frequency[] = ['monthly', 'quarterly', 'semiannual', 'annual'];

export const FREQUENCY_MONTHS: Record<Frequency, number> = {
  monthly: 1,
  quarterly: 3,
  semiannual: 6,
  annual: 12,
};

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(date: IsoDate): [number, number, number] {
  const m = ISO_PATTERN.exec(date);
  if (!m) throw new InvalidDateError(`"${date}" is not a date; use YYYY-MM-DD, for example 2026-09-30.`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function format(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Checks a typed date strictly: the form YYYY-MM-DD and a day that exists (no 2026-02-30). */
export function parseIsoDate(text: string): IsoDate {
  const trimmed = text.trim();
  const [y, m, d] = parts(trimmed);
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) || y < 1900 || y > 9999) {
    throw new InvalidDateError(`"${trimmed}" is not a real date; use YYYY-MM-DD, for example 2026-09-30.`);
  }
  return trimmed;
}

export const isoDateSchema = z.string().transform((value, ctx) => {
  try {
    return parseIsoDate(value);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export function dayOf(date: IsoDate): number {
  return parts(date)[2];
}

/**
 * Moves a date by whole months, anchored to a day of the month: a day past the target
 * month's end clamps to its last day, and the anchor keeps 31 Jan -> 28 Feb -> 31 Mar.
 */
export function addMonths(date: IsoDate, months: number, anchorDay: number = dayOf(date)): IsoDate {
  const [y, m] = parts(date);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return format(year, month, Math.min(anchorDay, daysInMonth(year, month)));
}

export function addFrequency(date: IsoDate, frequency: Frequency, anchorDay?: number): IsoDate {
  return addMonths(date, FREQUENCY_MONTHS[frequency], anchorDay);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const [y, m, d] = parts(date);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return format(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

export function compareDates(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Period {
  start: IsoDate;
  end: IsoDate;
}

/** A billing period; both ends inclusive. */
export function period(start: IsoDate, end: IsoDate): Period {
  const s = parseIsoDate(start);
  const e = parseIsoDate(end);
  if (s > e) throw new InvalidPeriodError(`The period start ${s} is after its end ${e}.`);
  return { start: s, end: e };
}

export function monthOf(date: IsoDate): Period {
  const [y, m] = parts(date);
  return { start: format(y, m, 1), end: format(y, m, daysInMonth(y, m)) };
}

export function previousMonthOf(date: IsoDate): Period {
  return monthOf(addMonths(monthOf(date).start, -1, 1));
}

export function isWithin(date: IsoDate, p: Period): boolean {
  return date >= p.start && date <= p.end;
}

/** Today's calendar date in a time zone. */
export function todayIn(timeZone: string, now: Date): IsoDate {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return f.format(now);
}
