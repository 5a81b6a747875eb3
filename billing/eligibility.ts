import { addDays, addMonths, Frequency, FREQUENCY_MONTHS, IsoDate, monthOf, Period } from './dates';

/**
 * The pure billing rules for one account package (DOMAIN.md, "Billing an account").
 * The bill run applies the same rules in set-based SQL; test/billing/eligibility.test.ts
 * checks that the two agree.
 */

export interface PackageSchedule {
  nextBillDate: IsoDate;
  frequency: Frequency;
  /** Day of month billing is anchored to (29-31 clamp to the month's last day). */
  anchorDay: number;
  cancelDate?: IsoDate | null;
}

export interface ChargePeriod {
  start: IsoDate;
  /** Inclusive: the day before the next bill date. */
  end: IsoDate;
}

/**
 * The charge periods a package bills in a billing period (both ends inclusive), and its
 * next bill date afterwards. Catch-up: while the moved next bill date is still inside the
 * period, it bills again, one charge period each time.
 */
export function chargePeriods(schedule: PackageSchedule, billing: Period): { periods: ChargePeriod[]; nextBillDate: IsoDate } {
  const months = FREQUENCY_MONTHS[schedule.frequency];
  const periods: ChargePeriod[] = [];
  let next = schedule.nextBillDate;
  if (next < billing.start) return { periods, nextBillDate: next };
  let k = 0;
  while (next <= billing.end && (!schedule.cancelDate || next < schedule.cancelDate)) {
    const following = addMonths(schedule.nextBillDate, (k + 1) * months, schedule.anchorDay);
    periods.push({ start: next, end: addDays(following, -1) });
    next = following;
    k++;
  }
  return { periods, nextBillDate: next };
}

export type SkipReason =
  | 'not due'
  | 'before period'
  | 'already billed'
  | 'ended'
  | 'account inactive'
  | 'account cancelled'
  | 'package pending'
  | 'package suspended';

export interface SkipFacts {
  reason: SkipReason;
  nextBillDate: IsoDate;
  period: Period;
  alreadyBilled?: { periodStart: IsoDate; periodEnd: IsoDate; invoice: string | null } | null;
}

/** One sentence a person can act on, for a package a run did not bill. */
export function describeSkip(f: SkipFacts): string {
  const including = monthOf(f.nextBillDate);
  switch (f.reason) {
    case 'not due':
      return `next bill date ${f.nextBillDate} is after the period end ${f.period.end}; a period from ${including.start} to ${including.end} would include it`;
    case 'before period':
      return `next bill date ${f.nextBillDate} is before the period start ${f.period.start}; a period from ${including.start} to ${including.end} would include it`;
    case 'already billed': {
      const b = f.alreadyBilled;
      return b
        ? `already billed for ${b.periodStart} to ${b.periodEnd}${b.invoice ? ` on ${b.invoice}` : ' (not yet invoiced)'}; next bill date is ${f.nextBillDate}`
        : `already billed in this period; next bill date is ${f.nextBillDate}`;
    }
    case 'ended':
      return `the package has ended (cancel date reached); next bill date was ${f.nextBillDate}`;
    case 'account inactive':
    case 'account cancelled':
      return `the account is ${f.reason.split(' ')[1]}, so its recurring charges are not billed`;
    case 'package pending':
    case 'package suspended':
      return `the package is ${f.reason.split(' ')[1]}; only active packages are billed`;
  }
}
