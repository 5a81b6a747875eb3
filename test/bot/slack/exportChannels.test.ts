import { createAccess } from '../../../billing/access';
import { createBilling } from '../../../billing';
import { useTestDatabase } from '../../helpers/db';
import { fakeFiles, type FakeFiles } from './files';
import { ADMIN, CHANNEL, CLOCK, postSigned, settle, slashBody, useSlackApp } from './helpers';

const VIEWER = 'U0VIEWER';
const STRANGER = 'U0STRANGER';
/** A channel the app is in, and one it is not in. */
const FINANCE = 'C0FINANCE';
const ELSEWHERE = 'C0ELSEWHERE';

// Where exports go, through the Slack app (signed requests, every payload checked against
// Slack's limits): to the person in a direct message, or to the channel they name, as Slack
// sends it in /billing's text (<#C123|name>).
describe('exports posted in a channel the person names', () => {
  const t = useTestDatabase();
  let files: FakeFiles;

  beforeAll(async () => {
    files = fakeFiles({ channels: [CHANNEL, FINANCE] });
    await createBilling(t.db, CLOCK).loadDemo();
    await createAccess(t.db).grant({ principal: VIEWER, role: 'viewer', grantedBy: ADMIN });
  });
  const env = useSlackApp(t);
  beforeEach(() => files.clear());

  async function billing(text: string, user = VIEWER) {
    const { body, responsePath } = slashBody('/billing', text, { user });
    expect((await postSigned(env.port, body)).status).toBe(200);
    await settle(env.app.deps);
    return env.slack.responsesTo(responsePath);
  }

  it('posts an export in the named channel, not in a direct message, and says where', async () => {
    const replies = await billing(`export invoices Parent Co in <#${FINANCE}|finance>`);
    expect(replies.map((r) => r.text)).toEqual([
      ':hourglass_flowing_sand: Preparing the invoices export…',
      expect.stringMatching(new RegExp(`^:outbox_tray: Posted in <#${FINANCE}>: billbot-invoices-parent-co-\\d{4}-\\d{2}-\\d{2}\\.xlsx\\.$`)),
    ]);
    expect(replies.every((r) => r.response_type === 'ephemeral')).toBe(true);
    expect(files.completed).toHaveLength(1);
    expect(files.completed[0]).toMatchObject({ channel_id: FINANCE, files: [{ id: 'F0UP1' }] });
    expect(files.completed[0].initial_comment).toMatch(new RegExp(`^<@${VIEWER}> asked for this\\. The invoices export:`));
    expect(env.slack.of('conversations.open')).toEqual([]);
  });

  it('says in one sentence that the app is not in the channel, and sends the workbook nowhere else', async () => {
    const replies = await billing(`template in <#${ELSEWHERE}|elsewhere>`);
    expect(replies.map((r) => r.text)).toEqual([
      `:warning: I'm not in <#${ELSEWHERE}>, so I did not post the workbook there: add me to the channel (\`/invite @billbot\`) and ask again, or leave out "in #channel" to get it in a direct message.`,
    ]);
    expect(files.completed).toEqual([]); // refused by Slack: not_in_channel
    expect(files.uploads).toHaveLength(1); // the bytes went up, but were never shared
    expect(env.slack.of('conversations.open')).toEqual([]); // no quiet fallback to a direct message
    expect(env.logger.lines).toContainEqual(expect.stringMatching(new RegExp(`^warn billbot: could not post billbot-setup-template\\.xlsx in ${ELSEWHERE} \\(not_in_channel\\)$`)));
  });

  it('refuses a channel Slack did not link, and someone without a role, before writing anything', async () => {
    const [unlinked] = await billing('export accounts in #finance');
    expect(unlinked.text).toBe(
      ':warning: Slack did not link "#finance" as a channel; type # and pick the channel from the list. Use: /billing export accounts|invoices|credits|payments [<account>] [from YYYY-MM-DD] [to YYYY-MM-DD] [run <run>] [in #channel]',
    );
    const audit = await t.db('audit_log').where({ actor: VIEWER, decision: 'invalid' }).orderBy('id', 'desc').first('input');
    expect(audit.input).toBe('export accounts in #finance');

    const [refused] = await billing(`export accounts in <#${FINANCE}|finance>`, STRANGER);
    expect(refused.text).toContain('this needs the *viewer* role');
    expect(files.uploads).toEqual([]);
    expect(files.completed).toEqual([]);
  });
});
