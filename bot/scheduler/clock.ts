import type { Clock } from '../../billing';

/** A timer set on a SchedulerClock. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The scheduler's sense of time: what time it is, and "call me back at this time". The
 * system clock uses real timers; the ManualClock lets tests (and the shell) move time on
 * without waiting.
 */
export interface SchedulerClock extends Clock {
  now(): Date;
  /** Calls `callback` once the clock has reached `when` (soon, if it already has). */
  at(when: Date, callback: () => void | Promise<void>): TimerHandle;
}

/** setTimeout cannot wait longer than about 24.8 days; longer waits are done in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface SystemClockOptions {
  /** Let the process exit while only these timers are left (default false). */
  unref?: boolean;
}

/** Real time. A timer that wakes early (long waits, clock changes) sets itself again. */
export function systemSchedulerClock(options: SystemClockOptions = {}): SchedulerClock {
  return {
    now: () => new Date(),
    at(when, callback) {
      let timer: NodeJS.Timeout | undefined;
      let cancelled = false;
      const arm = (): void => {
        if (cancelled) return;
        const wait = when.getTime() - Date.now();
        if (wait <= 0) {
          timer = undefined;
          void Promise.resolve()
            .then(callback)
            .catch(() => undefined); // the callback reports its own errors
          return;
        }
        timer = setTimeout(arm, Math.min(wait, MAX_TIMEOUT_MS));
        if (options.unref) timer.unref();
      };
      arm();
      return {
        cancel() {
          cancelled = true;
          if (timer) clearTimeout(timer);
        },
      };
    },
  };
}

interface ManualTimer {
  at: number;
  seq: number;
  callback: () => void | Promise<void>;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. `advanceTo` runs every timer that falls due on the way,
 * in time order, with the clock reading each timer's own time while it runs, and waits for
 * what each callback returns.
 */
export class ManualClock implements SchedulerClock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
    if (Number.isNaN(this.current)) throw new Error(`ManualClock: "${String(start)}" is not a time.`);
  }

  now(): Date {
    return new Date(this.current);
  }

  at(when: Date, callback: () => void | Promise<void>): TimerHandle {
    const timer: ManualTimer = { at: when.getTime(), seq: this.seq++, callback, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** When the timers still set will fire, earliest first. */
  pending(): Date[] {
    return this.timers
      .filter((t) => !t.cancelled)
      .sort((a, b) => a.at - b.at || a.seq - b.seq)
      .map((t) => new Date(t.at));
  }

  /** Moves the clock to `to`, running the timers due by then (and those they set, if due). */
  async advanceTo(to: Date | string): Promise<void> {
    const target = new Date(to).getTime();
    if (Number.isNaN(target)) throw new Error(`ManualClock: "${String(to)}" is not a time.`);
    if (target < this.current) throw new Error('ManualClock: time only moves forward.');
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.current = Math.max(this.current, due.at);
      await due.callback();
    }
    this.current = target;
  }

  /** Moves the clock forward by `ms` milliseconds (see advanceTo). */
  advance(ms: number): Promise<void> {
    return this.advanceTo(new Date(this.current + ms));
  }
}
