import type { Knex } from 'knex';
import { createBilling } from '../../billing';
import { createDb } from '../../billing/db';
import { ManualClock } from '../../bot/scheduler';
import { useTestDatabase } from '../helpers/db';
import { chargeCounts, createFamilies, fakeSlackApi, memoryLogger, reportBlocks, scheduleCountsFrom, stopSchedulers, testScheduler } from './helpers';

describe('two bot processes on one database', () => {
  const t = useTestDatabase();
  const pools: Knex[] = [];
  let slack: ReturnType<typeof fakeSlackApi>;

  beforeAll(async () => {
    await createFamilies(t.db, { prefix: 'Family', count: 12, nextBillDate: '2026-10-05' });
    await createBilling(t.db).createConfiguration({
      name: 'Nightly',
      schedule: '0 2 * * *',
      timeZone: 'UTC',
      reportChannel: '#billing',
    });
    await scheduleCountsFrom(t.db, 'Nightly', '2026-10-01T00:00:00Z');
  });
  beforeEach(() => {
    slack = fakeSlackApi();
  });
  afterEach(async () => {
    await stopSchedulers();
    slack.done();
    await Promise.all(pools.splice(0).map((p) => p.destroy()));
  });

  it('run each scheduled tick once, and both bill its batches', async () => {
    // Two processes: each its own pool, its own clock and scheduler.
    const dbA = createDb(t.url, { poolMax: 4 });
    const dbB = createDb(t.url, { poolMax: 4 });
    pools.push(dbA, dbB);
    const clockA = new ManualClock('2026-10-01T01:59:00Z');
    const clockB = new ManualClock('2026-10-01T01:59:00Z');
    const logA = memoryLogger();
    const logB = memoryLogger();
    const a = testScheduler(dbA, clockA, { logger: logA, reporter: slack.reporter(), familiesPerBatch: 1, instanceId: 'bot-a' });
    const b = testScheduler(dbB, clockB, { logger: logB, reporter: slack.reporter(), familiesPerBatch: 1, instanceId: 'bot-b' });
    await Promise.all([a.start(), b.start()]);

    await Promise.all([clockA.advanceTo('2026-10-01T02:00:00Z'), clockB.advanceTo('2026-10-01T02:00:00Z')]);
    await Promise.all([a.idle(), b.idle()]);

    const fires = await t.db('scheduled_fires').select('scheduled_for', 'bill_run_id', 'claimed_by');
    expect(fires).toHaveLength(1);
    expect(new Date(fires[0].scheduled_for).toISOString()).toBe('2026-10-01T02:00:00.000Z');
    const runs = await t.db('bill_runs').select('id', 'status');
    expect(runs).toEqual([{ id: fires[0].bill_run_id, status: 'completed' }]);
    expect(await t.db('bill_run_batches').where({ bill_run_id: runs[0].id, done: true }).count('* as n').first()).toEqual({ n: 12 });

    // One claimed the fire; the other was told and helped with the same run.
    const [claimer, helper] = fires[0].claimed_by === 'bot-a' ? [logA, logB] : [logB, logA];
    expect(claimer.lines).toContain(`info "Nightly" fired for 2026-10-01T02:00:00.000Z: bill run #${runs[0].id}.`);
    expect(helper.lines).toContain(
      `info "Nightly" for 2026-10-01T02:00:00.000Z was claimed by another process: helping bill run #${runs[0].id}.`,
    );

    // Every child charged once per service, one invoice per family.
    const charges = await chargeCounts(t.db);
    expect(charges).toHaveLength(24);
    expect(charges.every((c) => c.n === 1 && c.period_start === '2026-10-05')).toBe(true);
    expect(await t.db('invoices').count('* as n').first()).toEqual({ n: 12 });

    // One report: one message posted, its end shown once, its lists (12 invoices) once in its thread.
    const [report, ...thread] = slack.of('chat.postMessage');
    expect(report.body.thread_ts).toBeUndefined();
    expect(thread.map((c) => [c.body.thread_ts, c.body.text])).toEqual([['1790000000.000001', 'The lists of bill run #1']]);
    const ends = slack.of('chat.update').filter((c) => reportBlocks(c.body).includes('Completed'));
    expect(ends).toHaveLength(1);
    expect(ends[0].body.text).toMatch(/^Bill run #\d+ completed: Nightly, .*: 12 invoices, total \$1,680\.00, 12 accounts billed, 0 skipped\.$/);
    expect(reportBlocks(ends[0].body)).toContain('Invoices created: 12');
    expect(slack.unmatched).toEqual([]);

    // The next night, again once.
    await Promise.all([clockA.advanceTo('2026-10-02T02:00:00Z'), clockB.advanceTo('2026-10-02T02:00:00Z')]);
    await Promise.all([a.idle(), b.idle()]);
    expect(await t.db('scheduled_fires').count('* as n').first()).toEqual({ n: 2 });
    expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 2 });
    expect(slack.of('chat.postMessage').filter((c) => !c.body.thread_ts)).toHaveLength(2);
  });

  it('report a scheduled run that cannot start once, in its channel', async () => {
    await createBilling(t.db).createConfiguration({
      name: 'Nobody',
      billGroups: [],
      schedule: '0 3 * * *',
      timeZone: 'UTC',
      reportChannel: '#billing',
    });
    await scheduleCountsFrom(t.db, 'Nobody', '2026-10-02T00:00:00Z');
    const dbA = createDb(t.url, { poolMax: 4 });
    const dbB = createDb(t.url, { poolMax: 4 });
    pools.push(dbA, dbB);
    const clockA = new ManualClock('2026-10-02T02:30:00Z');
    const clockB = new ManualClock('2026-10-02T02:30:00Z');
    const a = testScheduler(dbA, clockA, { reporter: slack.reporter(), instanceId: 'bot-a' });
    const b = testScheduler(dbB, clockB, { reporter: slack.reporter(), instanceId: 'bot-b' });
    await Promise.all([a.start(), b.start()]);
    await Promise.all([clockA.advanceTo('2026-10-02T03:00:00Z'), clockB.advanceTo('2026-10-02T03:00:00Z')]);
    await Promise.all([a.idle(), b.idle()]);

    const fires = await t.db('scheduled_fires as f')
      .join('bill_run_configurations as c', 'c.id', 'f.configuration_id')
      .where('c.name', 'Nobody')
      .select('f.bill_run_id', 'f.error');
    expect(fires).toEqual([{ bill_run_id: null, error: 'Configuration "Nobody" targets no bill group; name an account to bill.' }]);
    // (Nightly's own late run of 02:00 may be reported beside it: only Nobody's posts are counted.)
    const posts = slack.of('chat.postMessage').filter((c) => reportBlocks(c.body).includes('*Nobody*'));
    expect(posts).toHaveLength(1);
    expect(posts[0].body.channel).toBe('#billing');
    const [couldNot, scheduledFor] = [
      ':x: The scheduled bill run of *Nobody* could not start: Configuration "Nobody" targets no bill group; name an account to bill.',
      'Scheduled for <!date^1790910000^{date_short} {time}|2026-10-02 03:00 (UTC)>. Nothing was billed.',
    ];
    expect(posts[0].body.text).toBe(`${couldNot} ${scheduledFor}`);
    expect(reportBlocks(posts[0].body)).toBe(`${couldNot}\n${scheduledFor}`);
    expect((await a.listSchedules()).find((v) => v.configuration === 'Nobody')?.lastRun).toMatchObject({
      runId: null,
      error: 'Configuration "Nobody" targets no bill group; name an account to bill.',
    });
  });
});
