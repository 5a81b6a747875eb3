import { createBilling } from '../../../billing';
import { INVOICE_PDF_ACTION } from '../../../bot/slack/actions/invoicePdf';
import type { SlackApp } from '../../../bot/slack/app';
import { DEFAULT_COMPANY } from '../../../sheets/documents';
import { flat, pdfText, workedExampleThroughOctober } from '../../documents/helpers';
import { zipEntries } from '../../documents/zip';
import { useTestDatabase } from '../../helpers/db';
import { fakeFiles } from './files';
import { ADMIN, buttonClick, CHANNEL, CLOCK, dmOf, fakeSlack, FakeSlack, interactionBody, postSigned, settle, slashBody, startTestApp } from './helpers';

// PDFs are read back by pdf-parse in a process of their own: on a busy machine that takes seconds.
jest.setTimeout(120_000);

const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';

// Documents in Slack, through the real HTTP receiver: uploaded to the person (files upload v2,
// each call checked against Slack's limits by the fakes), never to the channel.
describe('invoice and statement PDFs in Slack', () => {
  const t = useTestDatabase();
  let files: ReturnType<typeof fakeFiles>;
  let slack: FakeSlack;
  let app: SlackApp;
  let port: number;

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    await workedExampleThroughOctober(billing);
    await billing.access.grant({ principal: VIEWER, role: 'viewer', grantedBy: ADMIN });
    files = fakeFiles();
    slack = fakeSlack();
    const company = { ...DEFAULT_COMPANY, name: 'Northwind Billing Ltd', footer: 'Pay within 30 days.' };
    ({ slack: app, port } = await startTestApp(t.db, { services: { billing, handlers: { documents: { company } } } }));
  });
  afterAll(async () => {
    await app?.stop();
    slack?.done();
  });

  async function command(text: string, user = VIEWER) {
    slack.clear();
    files.clear();
    const { body, responsePath } = slashBody('/billing', text, { user });
    expect((await postSigned(port, body)).status).toBe(200);
    await settle(app.deps);
    return { replies: slack.responsesTo(responsePath), responsePath };
  }

  it('/billing invoice 18 pdf uploads the PDF to the person, with the company header and the figures', async () => {
    const { replies } = await command('invoice 18 pdf');
    expect(replies).toEqual([expect.objectContaining({ response_type: 'ephemeral', text: ':inbox_tray: Sent to you in a direct message with billbot: INV-000018.pdf.' })]);
    expect(files.uploads.map((u) => u.filename)).toEqual(['INV-000018.pdf']);
    expect(files.completed).toEqual([
      expect.objectContaining({ channel_id: dmOf(VIEWER), initial_comment: `<@${VIEWER}> asked for this: the PDF of INV-000018.` }),
    ]);
    const text = flat((await pdfText(files.uploads[0].data)).text);
    expect(text).toContain('Northwind Billing Ltd');
    expect(text).toContain('Total $140.00 Credits disbursed -$50.00 Balance due $90.00');
    expect(text).toContain('Pay within 30 days.');
  });

  it('puts a PDF button on an invoice message; its click uploads the PDF, checked against the role', async () => {
    const { replies, responsePath } = await command('invoice 19');
    const blocks = replies[0].blocks as any[];
    const button = blocks.at(-1).elements[0];
    expect(button).toMatchObject({ type: 'button', action_id: INVOICE_PDF_ACTION, value: 'INV-000019', text: { text: 'PDF' } });

    slack.clear();
    files.clear();
    expect((await postSigned(port, interactionBody(buttonClick(INVOICE_PDF_ACTION, 'INV-000019', responsePath, VIEWER)))).status).toBe(200);
    await settle(app.deps);
    expect(files.uploads.map((u) => u.filename)).toEqual(['INV-000019.pdf']);
    expect(files.completed[0].channel_id).toBe(dmOf(VIEWER));
    expect(flat((await pdfText(files.uploads[0].data)).text)).toContain('Credit CR-1 reversed — 1 $50.00 Total $190.00');
    // The invoice message stays: the answer is a new ephemeral message.
    const answers = slack.responsesTo(responsePath);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((r) => r.replace_original === false)).toBe(true);

    files.clear();
    await postSigned(port, interactionBody(buttonClick(INVOICE_PDF_ACTION, 'INV-000019', responsePath, STRANGER)));
    await settle(app.deps);
    expect(files.uploads).toEqual([]);
    expect(slack.responsesTo(responsePath).at(-1)!.text).toContain('this needs the *viewer* role');
    const audit = await t.db('audit_log').where({ actor: STRANGER }).pluck('command');
    expect(audit).toContain(`button:${INVOICE_PDF_ACTION}`);
  });

  it('/billing statement Parent Co ... pdf uploads the statement\'s PDF to the person', async () => {
    const { replies } = await command('statement Parent Co to 2026-10-02 pdf');
    expect(replies).toEqual([
      expect.objectContaining({ response_type: 'ephemeral', text: ':inbox_tray: Sent to you in a direct message with billbot: statement-parent-co-2026-10-02.pdf.' }),
    ]);
    expect(files.uploads.map((u) => u.filename)).toEqual(['statement-parent-co-2026-10-02.pdf']);
    expect(files.completed).toEqual([
      expect.objectContaining({ channel_id: dmOf(VIEWER), initial_comment: `<@${VIEWER}> asked for this: the PDF of the statement of Parent Co.` }),
    ]);
    const text = flat((await pdfText(files.uploads[0].data)).text);
    expect(text).toContain('Northwind Billing Ltd Statement Period: to 2026-10-02');
    expect(text).toContain('2026-10-02 Invoice INV-000018 $140.00 $140.00 2026-10-02 Invoice INV-000019 $190.00 $330.00');
    expect(text).toContain('2026-10-02 Credit CR-1 to INV-000018 -$50.00 $280.00 Closing balance $280.00');
    expect(text).toContain('Pay within 30 days.');
    expect((await command('statement Nobody Ltd pdf')).replies.at(-1)!.text).toContain('There is no account named "Nobody Ltd".');
    expect(files.uploads).toEqual([]);
  });

  it("/billing export pdfs run 2 uploads the run's invoices as one zip of PDFs", async () => {
    const { replies } = await command('export pdfs run 2');
    expect(replies[0].text).toBe(':hourglass_flowing_sand: Preparing the PDFs of bill run #2…');
    expect(files.uploads.map((u) => u.filename)).toEqual(['billbot-run-2-invoices.zip']);
    expect(files.completed[0]).toMatchObject({ channel_id: dmOf(VIEWER), initial_comment: `<@${VIEWER}> asked for this: 1 invoice PDF of bill run #2 in one zip.` });
    expect(files.completed.map((c) => c.channel_id)).not.toContain(CHANNEL);
    const entries = await zipEntries(files.uploads[0].data);
    expect(entries.map((e) => e.name)).toEqual(['INV-000019.pdf']);

    const missing = await command('export pdfs run 77');
    expect(missing.replies.at(-1)!.text).toContain('There is no bill run #77.');
    const stranger = await command('invoice 18 pdf', STRANGER);
    expect(stranger.replies[0].text).toContain('this needs the *viewer* role');
    expect(files.uploads).toEqual([]);
  });
});
