import { createBilling } from '../../../billing';
import { createAccess } from '../../../billing/access';
import { ManualClock } from '../../../bot/scheduler';
import { SlackRunReporter } from '../../../bot/slack/runReporter';
import { createScheduling, type Scheduling } from '../../../bot/services';
import { requiredRole } from '../../../bot/slack/access';
import { createSlackApp, type SlackApp } from '../../../bot/slack/app';
import { billingCommand } from '../../../bot/slack/commands/billing';
import type { WebClient } from '../../../bot/slack/deps';
import { RESUME_ACTION, resumeRunAction } from '../../../bot/slack/runStatus';
import { parseCommand } from '../../../bot/commands';
import { useTestDatabase } from '../../helpers/db';
import { createFamilies, refuseChargesOf, reportBlocks } from '../../scheduler/helpers';
import {
  ADMIN,
  BOT_TOKEN,
  buttonClick,
  CHANNEL,
  fakeRespond,
  fakeSlack,
  interactionBody,
  memoryLogger,
  messageText,
  postSigned,
  settle,
  SIGNING_SECRET,
  slashBody,
  slashCommand,
  testDeps,
  type FakeSlack,
} from './helpers';

const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('schedules and bill run status in Slack', () => {
  const t = useTestDatabase();
  let slack: FakeSlack;
  let clock: ManualClock;
  let scheduling: Scheduling;

  beforeAll(async () => {
    slack = fakeSlack();
    const billing = createBilling(t.db);
    await billing.createBillGroup('Fragile');
    await createFamilies(t.db, { prefix: 'Fragile', count: 3, group: 'Fragile', nextBillDate: '2026-10-07' });
    await billing.createConfiguration({ name: 'Fragile Run', billGroups: ['Fragile'], reportChannel: 'C0FRAGILE', schedule: '0 6 1 * *' });
    await billing.createBillGroup('Manual');
    await createFamilies(t.db, { prefix: 'Manual', count: 1, group: 'Manual', nextBillDate: '2026-10-05' });
    await billing.createConfiguration({ name: 'By Hand', billGroups: ['Manual'] });
    await createAccess(t.db, { admins: [ADMIN] }).grant({ principal: VIEWER, role: 'viewer', grantedBy: ADMIN });
  });
  afterAll(() => slack.done());

  beforeEach(() => {
    slack.clear();
    clock = new ManualClock('2026-10-10T09:00:00Z');
    scheduling = createScheduling(
      { billing: createBilling(t.db), log: silent },
      {
        reporter: SlackRunReporter.withToken(BOT_TOKEN, { retryConfig: { retries: 0 } }),
        // One batch at a time: the failed run's batch count (1 of 3) does not depend on which batch finishes first.
        scheduler: { clock, pollIntervalMs: 0, sweepIntervalMs: 0, progressIntervalMs: 0, listen: false, familiesPerBatch: 1, workers: 1 },
      },
    );
  });
  afterEach(async () => {
    await scheduling.scheduler.stop({ wait: true });
  });

  function services() {
    return { db: t.db, billing: createBilling(t.db, clock), log: silent, handlers: scheduling.handlers };
  }

  async function startApp(): Promise<{ app: SlackApp; port: number }> {
    const app = createSlackApp(services(), {
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      port: 0,
      admins: [ADMIN],
      logger: memoryLogger(),
      clientOptions: { retryConfig: { retries: 0 } },
    });
    return { app, port: await app.start() };
  }

  it('runs a configuration through the scheduler, shows the failed run with a Resume button, and the click finishes it', async () => {
    const fixFault = await refuseChargesOf(t.db, 'Fragile 02 Child');
    const { app, port } = await startApp();
    try {
      // /billing run: answered at once, for the requester only; reported in the configuration's channel.
      const run = slashBody('/billing', 'run Fragile Run', { user: ADMIN });
      expect((await postSigned(port, run.body)).status).toBe(200);
      await settle(app.deps);
      const [scheduled] = slack.responsesTo(run.responsePath);
      expect(scheduled.response_type).toBe('ephemeral');
      const runId = Number(/^Bill run #(\d+) scheduled: billing the bill groups of Fragile Run\. It is reported in <#C0FRAGILE>\.$/.exec(scheduled.text)?.[1]);
      expect(runId).toBeGreaterThan(0);
      await scheduling.scheduler.idle();
      const [started] = slack.of('chat.postMessage');
      expect(started.args).toMatchObject({ channel: 'C0FRAGILE' });
      expect(started.args.text).toMatch(new RegExp(`^Bill run #${runId} started: Fragile Run, [\\d-]+ to [\\d-]+: 0 of 3 batches done, 0 accounts billed so far\\.$`));
      expect(reportBlocks(started.args)).toContain(`Started bill run #${runId} of *Fragile Run*.`);
      const failed = slack.of('chat.update').at(-1)!.args;
      expect(failed.text).toMatch(new RegExp(`^Bill run #${runId} failed: Fragile Run, .*, 1 account billed, 0 skipped; it failed: the ledger refused the charge\\.$`));
      expect(reportBlocks(failed)).toContain(`:x: Failed bill run #${runId} of *Fragile Run*: the ledger refused the charge`);

      // /bill status: the run, what it did not do, and a Resume button behind a confirmation.
      const status = slashBody('/bill', `status ${runId}`, { user: ADMIN });
      expect((await postSigned(port, status.body)).status).toBe(200);
      await settle(app.deps);
      const [shown] = slack.responsesTo(status.responsePath);
      expect(shown.response_type).toBe('ephemeral');
      expect(messageText(shown)).toContain('*Batches:* 1 of 3 done');
      expect(messageText(shown)).toContain('*Not done:* 2 batches (4 accounts not billed yet).');
      const section = shown.blocks.find((b: any) => b.block_id === 'bill_run_resume');
      expect(section.accessory).toMatchObject({
        type: 'button',
        action_id: RESUME_ACTION,
        text: { text: `Resume run #${runId}` },
        confirm: { confirm: { text: 'Resume' } },
      });
      expect(JSON.parse(section.accessory.value)).toEqual({ run: runId, request: expect.stringMatching(/^[0-9a-f-]{36}$/) });

      // Fixed; the click resumes the run: the status message says so, and the channel report shows the end.
      await fixFault();
      slack.clear();
      const click = await postSigned(port, interactionBody(buttonClick(RESUME_ACTION, section.accessory.value, status.responsePath, ADMIN)));
      expect(click.status).toBe(200);
      await settle(app.deps);
      const [resumed] = slack.responsesTo(status.responsePath);
      expect(resumed).toMatchObject({ response_type: 'ephemeral', replace_original: true });
      expect(resumed.text).toBe(
        `Resuming bill run #${runId}: only what it did not bill yet is billed; nothing done is billed twice. It is reported in <#C0FRAGILE>.`,
      );
      await scheduling.scheduler.idle();
      expect(await t.db('bill_runs').where('id', runId).first('status')).toEqual({ status: 'completed' });
      expect(slack.of('chat.postMessage')).toEqual([]); // the same report message is updated
      const end = slack.of('chat.update').at(-1)!.args;
      expect(end.channel).toBe('C0FRAGILE');
      expect(end.text).toMatch(new RegExp(`^Bill run #${runId} completed: Fragile Run, .*: 3 invoices \\(.*\\), total \\$420\\.00, 3 accounts billed, 0 skipped\\.$`));
      expect(reportBlocks(end)).toContain(`:white_check_mark: Completed bill run #${runId} of *Fragile Run*.`);
      expect(reportBlocks(end)).toContain('Invoices created: 3 · amount invoiced: $420.00 USD');

      // The same click delivered again does nothing more; each delivery is in the audit trail.
      await postSigned(port, interactionBody(buttonClick(RESUME_ACTION, section.accessory.value, status.responsePath, ADMIN)));
      await settle(app.deps);
      await scheduling.scheduler.idle();
      expect(slack.responsesTo(status.responsePath)).toHaveLength(1);
      expect(slack.of('chat.postMessage')).toEqual([]);
      const audit = await t.db('audit_log').where('command', `button:${RESUME_ACTION}`).select('actor', 'action', 'role_required', 'decision');
      expect(audit).toEqual([
        { actor: ADMIN, action: 'bill.resume', role_required: 'operator', decision: 'allowed' },
        { actor: ADMIN, action: 'bill.resume', role_required: 'operator', decision: 'allowed' },
      ]);
      expect(slack.unmatched).toEqual([]);
    } finally {
      await app.stop();
    }
  });

  it('reports a run of a configuration without a report channel in the channel it was asked in', async () => {
    const { app, port } = await startApp();
    try {
      const run = slashBody('/billing', 'run By Hand', { user: ADMIN });
      await postSigned(port, run.body);
      await settle(app.deps);
      const [scheduled] = slack.responsesTo(run.responsePath);
      expect(scheduled.text).toMatch(/^Bill run #\d+ scheduled: billing the bill groups of By Hand\. It is reported here\.$/);
      await scheduling.scheduler.idle();
      const posted = slack.of('chat.postMessage');
      expect(posted.map((p) => p.args.channel)).toEqual([CHANNEL]);
      const ended = slack.of('chat.update').at(-1)!.args;
      expect(ended.text).toMatch(/^Bill run #\d+ completed: By Hand, /);
      expect(reportBlocks(ended)).toContain('Completed bill run');
    } finally {
      await app.stop();
    }
  });

  it('lists the schedules for a viewer, and refuses pause, run and resume to anyone below operator', async () => {
    const deps = { ...testDeps(t.db), services: services() };
    const reply = async (text: string, user: string) => {
      const respond = fakeRespond();
      await billingCommand(deps)({
        ack: async () => undefined,
        respond,
        command: slashCommand('/billing', text, { user }),
        client: {} as WebClient,
        logger: deps.logger,
      });
      expect(respond).toHaveBeenCalledTimes(1);
      return (respond.mock.calls[0] as unknown as [{ response_type: string; text: string; blocks?: unknown[] }])[0];
    };

    const listed = await reply('schedules', VIEWER);
    expect(listed.response_type).toBe('ephemeral');
    // Slack shows the time in each reader's own time zone; the fallback is the schedule's.
    expect(messageText(listed)).toContain(
      '*Fragile Run* — `0 6 1 * *` in UTC · next run <!date^1793512800^{date_short} {time}|2026-11-01 06:00> · reported in <#C0FRAGILE>',
    );
    expect((await reply('schedules', STRANGER)).text).toContain('this needs the *viewer* role');

    for (const text of ['schedule pause Fragile Run', 'run Fragile Run']) {
      const refused = await reply(text, VIEWER);
      expect(refused.response_type).toBe('ephemeral');
      expect(refused.text).toBe(
        `Sorry <@${VIEWER}>, this needs the *operator* role (to bill accounts, run and resume bill runs, pause schedules and manage credits). ` +
          `You have the viewer role, which does not include that. An admin can give it to you with \`/billing access grant <@${VIEWER}> operator\`.`,
      );
    }
    expect(await t.db('bill_run_configurations').where('name', 'Fragile Run').first('paused')).toEqual({ paused: false });

    // A preview is a look, not a change: viewers may.
    expect((await reply('run Fragile Run preview', VIEWER)).text).toMatch(/^Preview \(nothing was written\) of billing Fragile Run/);

    // An operator pauses: everyone in the channel sees it; pausing again is only for them.
    await createAccess(t.db, { admins: [ADMIN] }).grant({ principal: 'U0OPS', role: 'operator', grantedBy: ADMIN });
    const paused = await reply('schedule pause Fragile Run', 'U0OPS');
    expect(paused).toMatchObject({ response_type: 'in_channel', text: expect.stringContaining('The schedule of *Fragile Run* is paused') });
    expect((await reply('schedule pause Fragile Run', 'U0OPS')).response_type).toBe('ephemeral');
    expect((await reply('schedule resume Fragile Run', 'U0OPS')).response_type).toBe('in_channel');
  });

  it('refuses the Resume button to a viewer, changing nothing', async () => {
    await t.db.raw(`
      CREATE FUNCTION test_refuse_manual() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the ledger refused the charge'; END $$;
      CREATE TRIGGER test_refuse_manual BEFORE INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION test_refuse_manual();
    `);
    const billing = createBilling(t.db);
    await billing.createBillGroup('Doomed');
    await createFamilies(t.db, { prefix: 'Doomed', count: 1, group: 'Doomed', nextBillDate: '2026-10-05' });
    await billing.createConfiguration({ name: 'Doomed Run', billGroups: ['Doomed'] });
    const started = await scheduling.scheduler.runNow('Doomed Run', { startedBy: ADMIN });
    if (started.preview) throw new Error('expected a run');
    expect((await started.finished).run.status).toBe('failed');
    await t.db.raw('DROP TRIGGER test_refuse_manual ON transactions');
    const runId = started.runId;

    const deps = { ...testDeps(t.db), services: services() };
    const respond = fakeRespond();
    const body = buttonClick(RESUME_ACTION, JSON.stringify({ run: runId, request: '6f1c1f5e-9a49-4a54-9d55-0b1f3c1d2e3f' }), '/x', VIEWER) as any;
    await resumeRunAction(deps)({ ack: async () => undefined, body, action: body.actions[0], respond, client: {} as WebClient, logger: deps.logger });
    expect(respond).toHaveBeenCalledWith(expect.objectContaining({ response_type: 'ephemeral', replace_original: false, text: expect.stringContaining('this needs the *operator* role') }));
    await scheduling.scheduler.idle();
    expect(await t.db('bill_runs').where('id', runId).first('status')).toEqual({ status: 'failed' });
    const audit = await t.db('audit_log').where({ actor: VIEWER, command: `button:${RESUME_ACTION}` }).select('action', 'decision');
    expect(audit).toEqual([{ action: 'bill.resume', decision: 'refused' }]);

    // A button value that is not ours is refused without doing anything.
    const odd = buttonClick(RESUME_ACTION, '{"run":"all"}', '/x', ADMIN) as any;
    const respondOdd = fakeRespond();
    await resumeRunAction(deps)({ ack: async () => undefined, body: odd, action: odd.actions[0], respond: respondOdd, client: {} as WebClient, logger: deps.logger });
    expect(respondOdd).toHaveBeenCalledWith(expect.objectContaining({ text: 'That button is not one billbot understands any more; type the command again.' }));
  });

  it('needs viewer for schedules and status, operator for pausing, running and resuming', () => {
    const role = (slash: '/bill' | '/billing', text: string) => requiredRole(parseCommand(slash, text, { slackEscaped: true }));
    expect(role('/billing', 'schedules')).toBe('viewer');
    expect(role('/bill', 'status 3')).toBe('viewer');
    expect(role('/billing', 'run Fragile Run preview')).toBe('viewer');
    expect(role('/billing', 'schedule pause Fragile Run')).toBe('operator');
    expect(role('/billing', 'schedule resume Fragile Run')).toBe('operator');
    expect(role('/billing', 'run Fragile Run')).toBe('operator');
    expect(role('/bill', 'status 3 resume')).toBe('operator');
  });

});
