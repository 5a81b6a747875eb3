import { createBilling, UnknownConfigurationError } from '../../billing';
import { NoScheduleError } from '../../billing/schedules';
import { ManualClock } from '../../bot/scheduler';
import { useTestDatabase } from '../helpers/db';
import { createFamilies, fakeSlackApi, memoryLogger, reportBlocks, scheduleCountsFrom, stopSchedulers, testScheduler } from './helpers';

async function firesOf(db: import('knex').Knex, configuration: string) {
  const rows = await db('scheduled_fires as f')
    .join('bill_run_configurations as c', 'c.id', 'f.configuration_id')
    .leftJoin('bill_runs as r', 'r.id', 'f.bill_run_id')
    .whereRaw('lower(c.name) = lower(?)', [configuration])
    .orderBy('f.scheduled_for')
    .select('f.scheduled_for', 'f.late', 'r.status');
  return rows.map((r) => [new Date(r.scheduled_for).toISOString(), r.late, r.status]);
}

describe('pausing and resuming a schedule', () => {
  const t = useTestDatabase();
  afterEach(stopSchedulers);

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await createFamilies(t.db, { prefix: 'Hourly', count: 1, nextBillDate: '2026-10-05' });
    await billing.createConfiguration({ name: 'Hourly', schedule: '0 * * * *', timeZone: 'UTC' });
    await billing.createConfiguration({ name: 'By Hand' });
    await scheduleCountsFrom(t.db, 'Hourly', '2026-10-01T00:10:00Z');
  });

  it('does not fire while paused, does not catch up what it missed while paused, and fires again once resumed', async () => {
    const clock = new ManualClock('2026-10-01T00:30:00Z');
    const scheduler = testScheduler(t.db, clock);
    await scheduler.start();

    const paused = await scheduler.pauseSchedule('hourly');
    expect(paused).toMatchObject({ configuration: 'Hourly', paused: true, nextRunAt: null });
    expect(await scheduler.listSchedules()).toEqual([expect.objectContaining({ configuration: 'Hourly', paused: true, nextRunAt: null })]);
    await clock.advanceTo('2026-10-01T01:30:00Z');
    await scheduler.idle();
    expect(await firesOf(t.db, 'Hourly')).toEqual([]);

    // Resumed at 01:30: the 01:00 fire it missed while paused stays missed.
    const resumed = await scheduler.resumeSchedule('Hourly');
    expect(resumed).toMatchObject({ paused: false, nextRunAt: new Date('2026-10-01T02:00:00Z') });
    await scheduler.idle();
    expect(await firesOf(t.db, 'Hourly')).toEqual([]);
    await clock.advanceTo('2026-10-01T02:00:00Z');
    await scheduler.idle();
    expect(await firesOf(t.db, 'Hourly')).toEqual([['2026-10-01T02:00:00.000Z', false, 'completed']]);
    await scheduler.stop();
  });

  it('is paused for every process at once: a process that has not reloaded does not fire a paused schedule', async () => {
    const clockA = new ManualClock('2026-10-01T02:30:00Z');
    const clockB = new ManualClock('2026-10-01T02:30:00Z');
    const loggerA = memoryLogger();
    const a = testScheduler(t.db, clockA, { logger: loggerA });
    const b = testScheduler(t.db, clockB);
    await a.start();
    await b.pauseSchedule('Hourly'); // another process; A is not told
    await clockA.advanceTo('2026-10-01T03:00:00Z');
    await a.idle();
    expect(await firesOf(t.db, 'Hourly')).toEqual([['2026-10-01T02:00:00.000Z', false, 'completed']]);
    expect(loggerA.lines).toContain('info "Hourly" did not fire for 2026-10-01T03:00:00.000Z: the schedule is paused.');

    await clockB.advanceTo('2026-10-01T03:30:00Z');
    await b.resumeSchedule('Hourly');
    await clockA.advanceTo('2026-10-01T04:00:00Z');
    await a.idle();
    expect(await firesOf(t.db, 'Hourly')).toEqual([
      ['2026-10-01T02:00:00.000Z', false, 'completed'],
      ['2026-10-01T04:00:00.000Z', false, 'completed'],
    ]);
    await a.stop();
  });

  it('refuses names it does not know and configurations without a schedule, in one sentence', async () => {
    const scheduler = testScheduler(t.db, new ManualClock('2026-10-01T05:00:00Z'));
    await expect(scheduler.pauseSchedule('Hourlee')).rejects.toThrow(UnknownConfigurationError);
    await expect(scheduler.pauseSchedule('By Hand')).rejects.toThrow(NoScheduleError);
    await expect(scheduler.resumeSchedule('By Hand')).rejects.toThrow('Configuration "By Hand" has no schedule');
    await expect(scheduler.pauseSchedule('   ')).rejects.toThrow('A name cannot be empty.');
  });

  it('picks up a changed schedule without a restart (NOTIFY from the configurations trigger, or polling)', async () => {
    const clock = new ManualClock('2026-10-01T04:10:00Z');
    const scheduler = testScheduler(t.db, clock, { listen: true });
    await scheduler.start();
    expect(clock.pending().map((d) => d.toISOString())).toEqual(['2026-10-01T05:00:00.000Z']);

    // As a workbook import would: a plain UPDATE of the configuration (made at 04:10 by the test's clock).
    await t.db('bill_run_configurations')
      .where('name', 'Hourly')
      .update({ schedule: '30 * * * *', schedule_since: new Date('2026-10-01T04:10:00Z') });
    const deadline = Date.now() + 10_000;
    while (clock.pending()[0]?.toISOString() !== '2026-10-01T04:30:00.000Z' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(clock.pending().map((d) => d.toISOString())).toEqual(['2026-10-01T04:30:00.000Z']);
    await clock.advanceTo('2026-10-01T04:30:00Z');
    await scheduler.idle();
    await scheduler.stop();

    // Polling finds a change too (here: no LISTEN, a poll every minute).
    const polling = testScheduler(t.db, clock, { pollIntervalMs: 60_000 });
    await polling.start();
    expect(clock.pending().map((d) => d.toISOString())).toEqual(['2026-10-01T04:31:00.000Z', '2026-10-01T05:30:00.000Z']);
    await t.db('bill_run_configurations')
      .where('name', 'Hourly')
      .update({ schedule: '45 * * * *', schedule_since: new Date('2026-10-01T04:30:00Z') });
    await clock.advanceTo('2026-10-01T04:31:00Z');
    await polling.idle();
    expect(clock.pending().map((d) => d.toISOString())).toEqual(['2026-10-01T04:32:00.000Z', '2026-10-01T04:45:00.000Z']);
    await polling.stop();
    expect(clock.pending()).toEqual([]);
    expect((await firesOf(t.db, 'Hourly')).map((f) => f[0])).toEqual([
      '2026-10-01T02:00:00.000Z',
      '2026-10-01T04:00:00.000Z',
      '2026-10-01T04:30:00.000Z',
    ]);
  });
});

describe('missed fire times', () => {
  const t = useTestDatabase();
  afterEach(stopSchedulers);
  let slack: ReturnType<typeof fakeSlackApi>;

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await createFamilies(t.db, { prefix: 'Late', count: 2, nextBillDate: '2026-10-05' });
    await billing.createConfiguration({ name: 'Hourly Billing', schedule: '0 * * * *', timeZone: 'UTC', reportChannel: '#billing' });
    await scheduleCountsFrom(t.db, 'Hourly Billing', '2026-10-01T00:30:00Z');
  });
  beforeEach(() => {
    slack = fakeSlackApi();
  });
  afterEach(() => slack.done());

  it('are caught up once at start-up, for the latest missed time, and the report says the run was late', async () => {
    // No process ran from 00:30 to 05:20: 01:00, 02:00, 03:00, 04:00 and 05:00 were missed.
    const clock = new ManualClock('2026-10-01T05:20:00Z');
    const scheduler = testScheduler(t.db, clock, { reporter: slack.reporter() });
    await scheduler.start();
    await scheduler.idle();

    expect(await firesOf(t.db, 'Hourly Billing')).toEqual([['2026-10-01T05:00:00.000Z', true, 'completed']]);
    const runs = await t.db('bill_runs').select('period_start', 'period_end', 'invoice_date');
    expect(runs).toEqual([{ period_start: '2026-10-01', period_end: '2026-10-31', invoice_date: '2026-10-01' }]);
    expect(await t.db('invoices').count('* as n').first()).toEqual({ n: 2 });

    const posts = slack.of('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0].body.channel).toBe('#billing');
    expect(posts[0].body.text).toMatch(/^Bill run #\d+ started: Hourly Billing, 2026-10-01 to 2026-10-31: /);
    expect(reportBlocks(posts[0].body)).toContain('Ran late: scheduled for <!date^1790830800^{date_short} {time}|2026-10-01 05:00 (UTC)>, started 20 min later');
    const end = slack.of('chat.update').at(-1)!;
    expect(end.body.text).toMatch(/^Bill run #\d+ completed: Hourly Billing, 2026-10-01 to 2026-10-31: 2 invoices/);
    expect(reportBlocks(end.body)).toContain('Completed bill run #');
    expect(reportBlocks(end.body)).toContain('Ran late');
    expect(await scheduler.listSchedules()).toEqual([
      expect.objectContaining({ lastRun: expect.objectContaining({ late: true, status: 'completed' }) }),
    ]);

    // A restart a little later finds nothing missed.
    await scheduler.stop();
    await clock.advanceTo('2026-10-01T05:40:00Z');
    const again = testScheduler(t.db, clock, { reporter: slack.reporter() });
    await again.start();
    await again.idle();
    expect(await firesOf(t.db, 'Hourly Billing')).toHaveLength(1);

    // On time at 06:00: not late.
    await clock.advanceTo('2026-10-01T06:00:00Z');
    await again.idle();
    expect((await firesOf(t.db, 'Hourly Billing'))[1]).toEqual(['2026-10-01T06:00:00.000Z', false, 'completed']);
    expect(reportBlocks(slack.of('chat.postMessage').at(-1)!.body)).toContain('Scheduled for <!date^1790834400^{date_short} {time}|2026-10-01 06:00 (UTC)>.');
    await again.stop();
  });

  it('counts from the last claimed fire: down from 06:00 to 09:10 gives one late run, for 09:00', async () => {
    const clock = new ManualClock('2026-10-01T09:10:00Z');
    const scheduler = testScheduler(t.db, clock, { reporter: slack.reporter() });
    await scheduler.start();
    await scheduler.idle();
    await scheduler.stop();
    expect((await firesOf(t.db, 'Hourly Billing')).map((f) => f.slice(0, 2))).toEqual([
      ['2026-10-01T05:00:00.000Z', true],
      ['2026-10-01T06:00:00.000Z', false],
      ['2026-10-01T09:00:00.000Z', true],
    ]);
    expect(slack.of('chat.postMessage').map((p) => reportBlocks(p.body).includes('Ran late'))).toEqual([true]);
  });
});
