import { createBilling } from '../../../billing';
import { escapeMrkdwn, runEndedMessage, type RunView } from '../../../bot/render';
import type { WebClient } from '../../../bot/slack/deps';
import { SlackRunReporter } from '../../../bot/slack/runReporter';
import { seedBillingData } from '../../bench/data';
import { useTestDatabase } from '../../helpers/db';
import { checkMessage } from '../../helpers/slackLimits';
import { reportBlocks } from '../../scheduler/helpers';
import { ADMIN, buttonClick, CLOCK, fakeClient, interactionBody, messageText, postSigned, settle, slashBody, useSlackApp } from './helpers';

/**
 * Real sizes through the Slack app, every payload checked against Slack's limits (the fake
 * refuses one past a limit and the test fails): a credit with a 500-character detail on a
 * 200-character account reversed from Slack; a configuration run and a preview of ~2,000
 * invoices to accounts with 190-character names; a run and a preview of 100,000 accounts.
 */
const grouped = (n: number) => n.toLocaleString('en-US');
const PERIOD = 'from 2026-10-01 to 2026-10-31';

describe('big runs and long names through Slack', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    await createBilling(t.db, CLOCK).loadDemo();
  }, 120_000);
  const env = useSlackApp(t);

  async function command(name: string, text: string) {
    const { body, responsePath } = slashBody(name, text, { user: ADMIN });
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    return { replies: env.slack.responsesTo(responsePath), responsePath };
  }

  /** The scheduler's channel report of a run as it ended, checked against Slack's limits. */
  async function schedulerReport(runId: number) {
    const view: RunView = {
      report: await createBilling(t.db, CLOCK).getBillRunReport(runId, 200),
      timeZone: 'UTC',
      scheduledFor: null,
      late: false,
      startedAt: new Date(),
      skipReasons: await createBilling(t.db).schedules.skipReasonCounts(runId),
      remaining: { batches: 0, accounts: 0 },
    };
    const ended = runEndedMessage(view);
    expect(checkMessage(ended)).toBeNull();
    // Its lists, as replies in its thread (the fake client refuses what Slack would).
    const client = fakeClient();
    await new SlackRunReporter(client as unknown as WebClient).attachLists({ channelId: 'C0REPORTS', ts: '1790000000.000001' }, view);
    const thread = client.chat.postMessage.mock.calls.map((c) => c[0] as unknown as { thread_ts: string; text: string; blocks: any[] });
    return Object.assign(ended, { thread });
  }

  it('reverses a credit with a 500-character detail on a 200-character account: the command, the confirm message and the click', async () => {
    const billing = createBilling(t.db, CLOCK);
    const account = `Müller & Söhne <Holdings> ${'Nordwest Industrie- und Handelsgesellschaft '.repeat(5)}`.slice(0, 200).trim().padEnd(200, 'x');
    const detail = `Goodwill credit for the September service outage in the EU region (ticket 4711) & <follow-up>. ${'Details: '.repeat(60)}`.slice(0, 500);
    await billing.createAccount({ name: account, currency: 'USD' });
    await billing.createPackage({ name: 'Long Basic', currency: 'USD', frequency: 'monthly', services: [{ name: 'Hosting', price: '80.00' }] });
    await billing.addAccountPackage({ account, package: 'Long Basic', effectiveDate: '2026-09-10', nextBillDate: '2026-09-10' });
    const credit = await billing.addCredit({ account, amount: '50.00', detail, createdBy: 'U_FIN' });
    await billing.bill({ account, configuration: 'Monthly Billing', from: '2026-09-01', to: '2026-09-30', startedBy: 'U_FIN' });

    const r = await command('/credit', `reverse ${credit.id}`);
    expect(r.replies).toHaveLength(1);
    const [confirm] = r.replies;
    expect(checkMessage(confirm)).toBeNull();
    // The details are in the message, escaped; the dialog is short fixed wording.
    const shown = messageText(confirm);
    expect(shown).toContain('Müller &amp; Söhne &lt;Holdings&gt;');
    expect(shown).toContain('(ticket 4711) &amp; &lt;follow-up&gt;');
    const button = confirm.blocks.find((b: any) => b.type === 'actions').elements[0];
    expect(button.confirm.title.text).toBe(`Reverse ${credit.id}?`);
    expect(button.confirm.text.text.length).toBeLessThanOrEqual(300);
    expect(button.confirm.text.text).toContain('$50.00');

    env.slack.clear();
    const click = await postSigned(env.port, interactionBody(buttonClick('credit_reverse', button.value, r.responsePath)));
    expect(click.status).toBe(200);
    await settle(env.app.deps);
    const [done, notice] = env.slack.responsesTo(r.responsePath);
    expect(done).toMatchObject({ replace_original: true });
    expect(notice.text).toBe(`Credit *${credit.id}* of $50.00 on *${escapeMrkdwn(account)}* is reversal pending.`);
    for (const m of [done, notice]) expect(checkMessage(m)).toBeNull();
    expect(await t.db('credits').where('id', Number(credit.id.slice(3))).first('status')).toEqual({ status: 'reversal pending' });
  }, 60_000);

  it('previews and runs a configuration of ~2,000 invoices to accounts with 190-character names', async () => {
    const tag = 'Nordwest Industrie und Handelsgesellschaft fuer Maschinenbau Anlagentechnik Logistik und Dienstleistungen Niederlassung Sued Abteilung Rechnungswesen Kundenkonto Nummer Serie'.padEnd(182, 'X');
    const data = await seedBillingData(t.db, { accounts: 3_000, tag });
    const first = await t.db('accounts').where('name', `${tag}-0000001`).first('name');
    expect(first.name).toHaveLength(190);

    // The preview: a compact reply, then its lists as follow-ups (an ephemeral reply has no thread).
    let r = await command('/billing', `run ${data.configuration} ${PERIOD} preview`);
    const [preview, ...lists] = r.replies;
    const previewed = await t.db('invoices').count('* as n').first(); // nothing written
    const invoicesBefore = Number(previewed!.n);
    const invoices = Number(/: ([\d,]+) invoices, total /.exec(preview.text)![1].replace(/,/g, ''));
    expect(invoices).toBeGreaterThan(1_900);
    expect(preview.text).toMatch(new RegExp(`^Preview \\(nothing was written\\) of billing Bench ${tag} for 2026-10-01 to 2026-10-31: ${grouped(invoices)} invoices, total ¥[\\d,]+ \\+ \\$[\\d,.]+, [\\d,]+ accounts billed, [\\d,]+ skipped\\.$`));
    expect(messageText(preview)).toContain(`Invoices it would create (${grouped(invoices)})`);
    expect(messageText(preview)).toContain(`…and ${grouped(invoices - 10)} more`);
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.length).toBeLessThanOrEqual(3);
    const listed = lists.map(messageText).join('\n');
    expect(listed).toContain(`${tag}-0000001`);
    expect(listed).toMatch(/…and [\d,]+ more invoices/);
    expect(listed).toContain('A preview writes nothing, so it has no workbook');

    // The run: the notice in the channel, its lists in the notice's thread.
    env.slack.clear();
    r = await command('/billing', `run ${data.configuration} ${PERIOD}`);
    expect(r.replies[0].text).toMatch(/^Bill run #\d+ scheduled/);
    const [notice, ...thread] = env.slack.of('chat.postMessage').map((c) => c.args);
    const run = await t.db('bill_runs').orderBy('id', 'desc').first('id');
    const written = Number((await t.db('invoices').where('bill_run_id', run.id).count('* as n').first())!.n);
    expect(written).toBe(invoices);
    expect(Number((await t.db('invoices').count('* as n').first())!.n)).toBe(invoicesBefore + written);
    expect(notice.text).toMatch(new RegExp(`^Bill run #${run.id} completed: Bench ${tag}, 2026-10-01 to 2026-10-31: ${grouped(written)} invoices, total `));
    expect(messageText(notice)).toContain(`…and ${grouped(written - 10)} more`);
    expect(thread.length).toBeGreaterThan(0);
    expect(thread.length).toBeLessThanOrEqual(5);
    for (const reply of thread) expect(reply.thread_ts).toBe('1790000000.000001');
    const threadText = thread.map(messageText).join('\n');
    expect(threadText).toMatch(/…and [\d,]+ more invoices/);
    expect(threadText).toContain(`\`/billing export invoices run ${run.id}\``);
    // Had a schedule run it, its channel report would be as compact: 5 invoices of 190-character names and a count.
    const report = reportBlocks(await schedulerReport(run.id));
    expect(report.match(new RegExp(`^• \\*INV-\\d+\\* to \\*${tag}-\\d{7}\\*: total `, 'gm'))).toHaveLength(5);
    expect(report).toContain(`• … and ${grouped(written - 5)} more invoices (every invoice is in the invoices workbook in this thread).`);
    const { thread: replies } = await schedulerReport(run.id);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.length).toBeLessThanOrEqual(3);
    expect(replies.every((m) => m.thread_ts === '1790000000.000001')).toBe(true);
    expect(replies.map(messageText).join('\n')).toContain("Every invoice is in the run's invoices workbook in this thread, or");
  }, 300_000);

  it('previews and runs 100,000 accounts: the notice, the preview and the run report are read at a glance', async () => {
    const data = await seedBillingData(t.db, { accounts: 100_000, tag: 'C100K' });
    await t.db.raw('ANALYZE');

    let r = await command('/billing', `run ${data.configuration} ${PERIOD} preview`);
    const [preview, ...lists] = r.replies;
    expect(lists.length).toBeLessThanOrEqual(3);
    const previewed = /: ([\d,]+) invoices, total .*, ([\d,]+) accounts billed, ([\d,]+) skipped\.$/.exec(preview.text)!;
    expect(previewed).not.toBeNull();
    expect(Number(previewed[2].replace(/,/g, ''))).toBeGreaterThan(90_000);
    expect(messageText(preview)).toContain(`${previewed[2]} accounts billed`);

    env.slack.clear();
    r = await command('/billing', `run ${data.configuration} ${PERIOD}`);
    const [notice, ...thread] = env.slack.of('chat.postMessage').map((c) => c.args);
    const run = await t.db('bill_runs').orderBy('id', 'desc').first('id', 'summary');
    const totals = run.summary;
    // The run bills what the preview showed, and its notice counts from the run itself.
    expect(notice.text).toContain(`: ${previewed[1]} invoices, total `);
    expect(notice.text).toContain(`${grouped(totals.accountsBilled)} accounts billed, ${grouped(totals.packagesSkipped)} skipped.`);
    expect(messageText(notice)).toContain(`…and ${grouped(totals.invoicesCreated - 10)} more`);
    expect(messageText(notice)).toContain(`…and ${grouped(totals.packagesSkipped - 5)} more`);
    expect(thread.length).toBeLessThanOrEqual(5);

    // The scheduler's report of the same run (its channel message), from the real run.
    const ended = await schedulerReport(run.id);
    // Its text is one line: run, configuration, period, invoices, total, what was skipped; the blocks hold the details.
    expect(ended.text).toMatch(
      new RegExp(`^Bill run #${run.id} completed: ${data.configuration}, 2026-10-01 to 2026-10-31: ${grouped(totals.invoicesCreated)} invoices, total [^\\n]+, ${grouped(totals.accountsBilled)} accounts billed, ${grouped(totals.packagesSkipped)} skipped\\.$`),
    );
    expect(ended.text.length).toBeLessThan(300);
    const details = reportBlocks(ended);
    expect(details).toContain(`Accounts billed: ${grouped(totals.accountsBilled)}`);
    expect(details).toContain(`Invoices created: ${grouped(totals.invoicesCreated)}`);
    expect(details.match(/^• \*INV-\d+\* to /gm)).toHaveLength(5);
    expect(details).toContain(`• … and ${grouped(totals.invoicesCreated - 5)} more invoices (every invoice is in the invoices workbook in this thread).`);
    expect(details).toContain(`… and ${grouped(totals.packagesSkipped - 5)} more, counted by reason above.`);
  }, 600_000);
});
