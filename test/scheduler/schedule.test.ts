import { createBilling } from '../../billing';
import { ManualClock } from '../../bot/scheduler';
import { useTestDatabase } from '../helpers/db';
import { createFamilies, scheduleCountsFrom, stopSchedulers, testScheduler } from './helpers';

describe('a scheduled configuration', () => {
  const t = useTestDatabase();
  afterEach(stopSchedulers);

  beforeAll(async () => {
    const billing = createBilling(t.db);
    await billing.createBillGroup('East');
    await billing.createBillGroup('Pacific');
    await createFamilies(t.db, { prefix: 'East', count: 2, group: 'East', nextBillDate: '2026-09-10' });
    await createFamilies(t.db, { prefix: 'Pacific', count: 1, group: 'Pacific', nextBillDate: '2026-09-10' });
    await createFamilies(t.db, { prefix: 'Elsewhere', count: 1, group: 'Default', nextBillDate: '2026-09-10' });
    // 00:05 on the 1st in New York (04:05 UTC in October), billing the previous month.
    await billing.createConfiguration({
      name: 'East Monthly',
      periodRule: 'previous month',
      billGroups: ['East'],
      schedule: '5 0 1 * *',
      timeZone: 'America/New_York',
    });
    // 00:05 on the 1st in Auckland is still the 30th in UTC: the period must come from Auckland's date.
    await billing.createConfiguration({
      name: 'Pacific Monthly',
      periodRule: 'previous month',
      billGroups: ['Pacific'],
      schedule: '5 0 1 * *',
      timeZone: 'Pacific/Auckland',
    });
    await scheduleCountsFrom(t.db, 'East Monthly', '2026-09-15T00:00:00Z');
    await scheduleCountsFrom(t.db, 'Pacific Monthly', '2026-09-15T00:00:00Z');
  });

  it('fires at its cron time in its time zone and bills its bill groups for the period of that date', async () => {
    const clock = new ManualClock('2026-09-30T00:00:00Z');
    const scheduler = testScheduler(t.db, clock);
    await scheduler.start();
    await scheduler.idle();
    expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 0 });

    const schedules = await scheduler.listSchedules();
    expect(schedules.map((s) => [s.configuration, s.nextRunAt?.toISOString(), s.paused, s.problem])).toEqual([
      ['East Monthly', '2026-10-01T04:05:00.000Z', false, null],
      ['Pacific Monthly', '2026-09-30T11:05:00.000Z', false, null],
    ]);

    // Auckland's 1 October 00:05 comes first, at 11:05 UTC on the 30th.
    await clock.advanceTo('2026-09-30T11:04:59Z');
    expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 0 });
    await clock.advanceTo('2026-09-30T11:05:00Z');
    await scheduler.idle();
    const pacific = await t.db('bill_runs').orderBy('id').select();
    expect(pacific).toHaveLength(1);
    expect(pacific[0]).toMatchObject({
      status: 'completed',
      scope: 'bill groups',
      period_start: '2026-09-01',
      period_end: '2026-09-30',
      invoice_date: '2026-10-01',
      started_by: 'schedule',
    });

    // Midnight in UTC is not midnight in New York: nothing at 00:05 UTC, the run at 04:05 UTC.
    await clock.advanceTo('2026-10-01T04:04:59Z');
    expect(await t.db('bill_runs').count('* as n').first()).toEqual({ n: 1 });
    await clock.advanceTo('2026-10-01T04:05:00Z');
    await scheduler.idle();
    const runs = await t.db('bill_runs').orderBy('id').select();
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ status: 'completed', period_start: '2026-09-01', period_end: '2026-09-30', invoice_date: '2026-10-01' });

    const fires = await t.db('scheduled_fires as f')
      .join('bill_run_configurations as c', 'c.id', 'f.configuration_id')
      .orderBy('f.scheduled_for')
      .select('c.name', 'f.scheduled_for', 'f.bill_run_id', 'f.late');
    expect(fires.map((f) => [f.name, new Date(f.scheduled_for).toISOString(), f.bill_run_id, f.late])).toEqual([
      ['Pacific Monthly', '2026-09-30T11:05:00.000Z', runs[0].id, false],
      ['East Monthly', '2026-10-01T04:05:00.000Z', runs[1].id, false],
    ]);

    // Each run billed its own bill groups only; "Elsewhere" (Default group) was billed by neither.
    const billedBy = await t.db('invoices as i')
      .join('accounts as a', 'a.id', 'i.account_id')
      .orderBy('a.name')
      .select('a.name', 'i.bill_run_id', 'i.total');
    expect(billedBy.map((r) => [r.name, r.bill_run_id, r.total])).toEqual([
      ['East 01', runs[1].id, '140.000000'],
      ['East 02', runs[1].id, '140.000000'],
      ['Pacific 01', runs[0].id, '140.000000'],
    ]);
    const elsewhere = await t.db('transactions as t').join('accounts as a', 'a.id', 't.account_id').where('a.name', 'like', 'Elsewhere%');
    expect(elsewhere).toEqual([]);

    // The next fire is a month on (1 November 00:05 is still daylight time in New York).
    const after = await scheduler.listSchedules();
    expect(after.find((s) => s.configuration === 'East Monthly')).toMatchObject({
      nextRunAt: new Date('2026-11-01T04:05:00Z'),
      lastRun: { scheduledFor: new Date('2026-10-01T04:05:00Z'), runId: runs[1].id, status: 'completed', late: false },
    });
    await scheduler.stop();
  });
});
