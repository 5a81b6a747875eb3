import { latestFireAtOrBefore, nextFireAfter, scheduleProblem, type Billing, type DigestFire, type OverdueDigest } from '../../billing';
import { agingReportChart } from '../render/charts';
import { renderDigest } from '../render/receivables';
import type { SchedulerClock, TimerHandle } from './clock';
import type { SchedulerLogger } from './logger';
import type { PostedMessage, RunReporter } from './reporter';

/**
 * Overdue digests on their schedules (billing's overdue_digests): at each fire time, the
 * digest is claimed in the database (once across every bot process, with what it says built
 * in the claiming transaction), then posted to its channel by the reporter and its post
 * recorded. A claimed digest that was not posted (the process stopped, Slack failed) is posted
 * by the next sweep; one fire time missed while no process ran is fired once at start (the
 * latest; its "since" is the last digest's day, so nothing overdue in between is left out).
 * Owned by the Scheduler: started, reloaded, swept and stopped with it.
 */
export class DigestScheduler {
  private timers = new Map<number, TimerHandle>();
  private fired = new Map<number, number>();
  private running = false;

  constructor(
    private readonly o: {
      billing: Billing;
      clock: SchedulerClock;
      reporter: RunReporter | null;
      logger: SchedulerLogger;
      instanceId: string;
      track: <T>(work: Promise<T>) => Promise<T>;
    },
  ) {}

  async start(): Promise<void> {
    this.running = true;
    await this.reload();
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  /** Reads the digests again and arms each (a command changed one, or the poll saw a change). */
  async reload(): Promise<void> {
    if (!this.running) return;
    const digests = await this.o.billing.digests.list();
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    for (const digest of digests) {
      const problem = scheduleProblem(digest.schedule, digest.timeZone);
      if (problem || digest.paused) continue;
      this.fireIfDue(digest);
      this.arm(digest);
    }
  }

  /** Posts the digests claimed and not posted yet. */
  async sweep(): Promise<void> {
    for (const fire of await this.o.billing.digests.unposted()) await this.post(fire);
  }

  private arm(digest: OverdueDigest): void {
    const next = nextFireAfter(digest.schedule, digest.timeZone, this.o.clock.now());
    if (!next) return;
    this.timers.set(
      digest.id,
      this.o.clock.at(next, () => {
        if (!this.running) return;
        const fired = this.fireIfDue(digest);
        this.arm(digest);
        return fired;
      }),
    );
  }

  private fireIfDue(digest: OverdueDigest): Promise<void> | undefined {
    const latest = latestFireAtOrBefore(digest.schedule, digest.timeZone, this.o.clock.now());
    if (!latest || latest < digest.scheduleSince || (this.fired.get(digest.id) ?? 0) >= latest.getTime()) return undefined;
    this.fired.set(digest.id, latest.getTime());
    return this.o.track(this.fire(digest, latest).catch((e) => this.o.logger.error(`Could not fire the overdue digest of ${digest.channel}: ${messageOf(e)}`)));
  }

  private async fire(digest: OverdueDigest, scheduledFor: Date): Promise<void> {
    const claim = await this.o.billing.digests.claimFire({
      digestId: digest.id,
      scheduledFor,
      schedule: digest.schedule,
      timeZone: digest.timeZone,
      claimedBy: this.o.instanceId,
    });
    if (claim.outcome !== 'claimed') {
      this.o.logger.info(`The overdue digest of ${digest.channel} for ${scheduledFor.toISOString()} was ${claim.outcome === 'taken' ? 'claimed by another process' : `not claimed: ${claim.reason}`}.`);
      return;
    }
    this.o.logger.info(`The overdue digest of ${digest.channel} fired for ${scheduledFor.toISOString()} (as of ${claim.fire.content.asOf}).`);
    await this.post(claim.fire);
  }

  private async post(fire: DigestFire): Promise<void> {
    const reporter = this.o.reporter;
    if (!reporter?.postDigest || (reporter.canPost && !reporter.canPost(fire.channel))) return;
    const posted: { message?: PostedMessage } = {};
    try {
      await this.o.billing.digests.postOnce(fire, async () => (posted.message = await reporter.postDigest!(fire.channel, renderDigest(fire.content))));
    } catch (e) {
      this.o.logger.error(`Could not post the overdue digest of ${fire.channel} (the next sweep tries again): ${messageOf(e)}`);
      return;
    }
    if (posted.message) await this.attachChart(reporter, posted.message, fire);
  }

  /** The aging chart in the posted digest's thread; a failure is logged (the digest, posted, stands). */
  private async attachChart(reporter: RunReporter, posted: PostedMessage, fire: DigestFire): Promise<void> {
    if (!reporter.attachDigestChart) return;
    try {
      const chart = agingReportChart(fire.content.aging);
      if (chart) await reporter.attachDigestChart(posted, chart);
    } catch (e) {
      this.o.logger.warn(`Could not attach the aging chart to the overdue digest of ${fire.channel}: ${messageOf(e)}`);
    }
  }
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
