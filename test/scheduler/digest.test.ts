import { createBilling } from '../../billing';
import { ManualClock } from '../../bot/scheduler';
import { useTestDatabase } from '../helpers/db';
import { billMonth, setUpFamily } from '../credits/fixtures';
import { PNG } from 'pngjs';
import { fakeSlackApi, memoryLogger, stopSchedulers, testScheduler } from './helpers';

/**
 * The overdue digest on its own schedule, through the scheduler on a manual clock, posted to
 * Slack (over nock, every payload checked against Slack's limits): the aging summary and the
 * invoices that became overdue since the last digest, exactly once per tick however many
 * processes run, and a digest claimed but not posted is posted by a later sweep, once.
 */
describe('the overdue digest', () => {
  const t = useTestDatabase();
  let slack: ReturnType<typeof fakeSlackApi>;
  afterEach(stopSchedulers);
  afterAll(() => slack?.done());

  beforeAll(async () => {
    const billing = await setUpFamily(t.db);
    await billMonth(billing, 'Child Co', '2026-09'); // INV-000018 $140.00 to Parent Co, due 2026-11-01
    await billMonth(billing, 'Other Co', '2026-09'); // INV-000019 $60.00, due 2026-11-01
    await billing.digests.set({ channel: 'C0BILLING', schedule: '0 9 * * *', timeZone: 'Europe/Paris', actor: 'U_FIN' });
    // Its schedule counts from before the manual clock's days (it was set by the database's clock).
    await t.db('overdue_digests').update({ schedule_since: new Date('2026-10-31T00:00:00Z') });
    slack = fakeSlackApi();
  });

  const posts = () => slack.of('chat.postMessage').map((c) => c.body);

  it('posts once per tick, from two processes, with what became overdue since the last digest', async () => {
    const clock = new ManualClock('2026-10-31T06:00:00Z');
    const other = new ManualClock('2026-10-31T06:00:00Z');
    const one = testScheduler(t.db, clock, { reporter: slack.reporter(), instanceId: 'one' });
    const two = testScheduler(t.db, other, { reporter: slack.reporter(), instanceId: 'two' });
    await Promise.all([one.start(), two.start()]);
    const tick = async (at: string) => {
      await Promise.all([clock.advanceTo(at), other.advanceTo(at)]);
      await Promise.all([one.idle(), two.idle()]);
    };
    // 09:00 in Paris is 08:00 UTC (winter time from 25 October).
    await tick('2026-10-31T08:00:00Z');
    expect(posts()).toHaveLength(1);
    expect(posts()[0].channel).toBe('C0BILLING');
    expect(posts()[0].text).toBe('Overdue digest, 2026-10-31: 0 invoices became overdue. Aging as of 2026-10-31: USD $200.00 owed by 2 accounts.');
    // The aging chart in the digest's thread, its figures in its alt text.
    expect(slack.of('files.getUploadURLExternal').map((c) => [c.body.filename, c.body.alt_txt])).toEqual([
      [
        'aging-2026-10-31.png',
        'Bar chart of what is owed on open invoices by age as of 2026-10-31. ' +
          'USD: Current $200.00, 1-30 days $0.00, 31-60 days $0.00, 61-90 days $0.00, Over 90 days $0.00; total $200.00.',
      ],
    ]);
    expect(slack.of('files.completeUploadExternal').map((c) => [c.body.channel_id, c.body.thread_ts])).toEqual([['C0BILLING', '1790000000.000001']]);
    expect(PNG.sync.read(slack.uploads[0]).width).toBe(960);

    await tick('2026-11-01T08:00:00Z'); // due today: not overdue yet
    expect(posts()[1].text).toContain('0 invoices became overdue since 2026-10-31.');
    await tick('2026-11-02T08:00:00Z');
    expect(posts()).toHaveLength(3);
    expect(posts()[2].text).toBe(
      'Overdue digest, 2026-11-02: 2 invoices became overdue since 2026-11-01. Aging as of 2026-11-02: USD $200.00 owed by 2 accounts, $200.00 past due.',
    );
    expect(slack.of('files.getUploadURLExternal').at(-1)!.body.alt_txt).toContain('USD: Current $0.00, 1-30 days $200.00, 31-60 days $0.00');
    const blocks = JSON.parse(posts()[2].blocks);
    expect(JSON.stringify(blocks)).toContain('INV-000018 *Parent Co* $140.00, due 2026-11-01 (1 day past due)');
    await tick('2026-11-03T08:00:00Z');
    expect(posts()[3].text).toContain('0 invoices became overdue since 2026-11-02.');
    expect(posts()).toHaveLength(4);
    expect(await t.db('digest_fires').count('* as n').first()).toEqual({ n: 4 });
    expect(await t.db('digest_fires').whereNull('posted_at').count('* as n').first()).toEqual({ n: 0 });
    expect(await t.db('overdue_digests').first('last_as_of')).toEqual({ last_as_of: '2026-11-03' });
    expect(slack.unmatched).toEqual([]);
  });

  it('a digest claimed by a process that could not post it is posted by the next sweep elsewhere, once', async () => {
    const before = posts().length;
    const silent = testScheduler(t.db, new ManualClock('2026-11-04T08:00:00Z'), { reporter: null, instanceId: 'silent' });
    await silent.start(); // catches up 2026-11-04 09:00 Paris: claimed, not posted
    await silent.idle();
    expect(await t.db('digest_fires').whereNull('posted_at').count('* as n').first()).toEqual({ n: 1 });
    const logger = memoryLogger();
    const poster = testScheduler(t.db, new ManualClock('2026-11-04T08:00:01Z'), { reporter: slack.reporter(), instanceId: 'poster', logger });
    await poster.start(); // the same tick is taken; its start sweeps the unposted digest
    await poster.idle();
    await poster.digests.sweep();
    expect(posts().length - before).toBe(1);
    expect(posts().at(-1)!.text).toMatch(/^Overdue digest, 2026-11-04: /);
    expect(logger.lines.some((l) => l.includes('claimed by another process'))).toBe(true);
  });

  it('keeps a posted digest when its chart cannot be attached, and posts it once', async () => {
    const before = posts().length;
    const logger = memoryLogger();
    const reporter = slack.reporter();
    reporter.attachDigestChart = async () => {
      throw new Error('file_uploads_disabled');
    };
    const scheduler = testScheduler(t.db, new ManualClock('2026-11-05T08:00:00Z'), { reporter, instanceId: 'chartless', logger });
    await scheduler.start();
    await scheduler.idle();
    await scheduler.digests.sweep();
    expect(posts().length - before).toBe(1);
    expect(posts().at(-1)!.text).toMatch(/^Overdue digest, 2026-11-05: /);
    expect(await t.db('digest_fires').whereNull('posted_at').count('* as n').first()).toEqual({ n: 0 });
    expect(logger.lines.some((l) => l.includes('Could not attach the aging chart to the overdue digest of C0BILLING: file_uploads_disabled'))).toBe(true);
  });

  it('is set, paused and resumed by command, and refuses a bad schedule or channel', async () => {
    const billing = createBilling(t.db);
    await expect(billing.digests.set({ channel: '#finance', schedule: 'every day', actor: 'U_FIN' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(billing.digests.set({ channel: 'not a channel!', schedule: '0 9 * * *', actor: 'U_FIN' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(billing.digests.setPaused('#nowhere', true)).rejects.toMatchObject({ code: 'no_schedule' });
    expect(await billing.digests.setPaused('c0billing', true)).toMatchObject({ channel: 'C0BILLING', paused: true });
    const paused = testScheduler(t.db, new ManualClock('2026-11-05T08:00:00Z'), { reporter: slack.reporter() });
    const before = posts().length;
    await paused.start();
    await paused.idle();
    expect(posts().length).toBe(before);
  });
});
