import ExcelJS from 'exceljs';
import { createBilling } from '../../billing';
import type { WebClient } from '../../bot/slack/deps';
import { handleSlashCommand } from '../../bot/slack/dispatch';
import { exportAccounts, exportCredits } from '../../sheets';
import { useTestDatabase } from '../helpers/db';
import { CLOCK, fakeRespond, memoryLogger, slashCommand, testDeps } from '../bot/slack/helpers';
import { tempPath } from '../sheets/helpers';

// Names and details that look like SQL, Slack mrkdwn or spreadsheet formulas are data: stored
// as typed, shown literally (no mention, no link, no formula), and never executed.

const HOSTILE_NAMES = [
  `Robert'); DROP TABLE accounts;--`,
  `<!channel> Co`,
  `<@U0EVIL> Ltd`,
  `<!here|here> & <https://evil.example|Pay here>`,
  `=cmd|' /C calc'!A0 Co`,
  `+1 Cells -2 @SUM`,
  `*bold* _it_ ~st~ \`code\` Co`,
];
const HOSTILE_DETAIL = `<!everyone> <@U0EVIL> '; DELETE FROM credits;-- =1+1 \\x00`;

/** A message's texts: the notification text and mrkdwn objects (Slack reads mrkdwn in them), and plain_text objects (shown as is). */
function texts(message: { text?: string; blocks?: unknown[] }): { mrkdwn: string[]; plain: string[] } {
  const mrkdwn = [message.text ?? ''];
  const plain: string[] = [];
  const walk = (node: any): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (node.type === 'plain_text' && typeof node.text === 'string') plain.push(node.text);
    else if (node.type === 'mrkdwn' && typeof node.text === 'string') mrkdwn.push(node.text);
    for (const value of Object.values(node)) if (typeof value === 'object') walk(value);
  };
  walk(message.blocks ?? []);
  return { mrkdwn, plain };
}

/** What Slack turns into a mention, a broadcast or a link: must never reach a message unescaped. */
const SLACK_CONTROL = /<[!@#]|<https?:/;

describe('hostile names, details and cells', () => {
  const t = useTestDatabase();

  beforeAll(async () => {
    const billing = createBilling(t.db, CLOCK);
    for (const name of HOSTILE_NAMES) await billing.createAccount({ name, currency: 'USD' });
  });

  async function slash(command: string, text: string) {
    const logger = memoryLogger();
    const deps = testDeps(t.db, logger);
    const replies: any[] = [];
    await handleSlashCommand(deps, {
      ack: async () => undefined,
      respond: fakeRespond((m) => replies.push(m)),
      client: { chat: { postMessage: async () => ({ ok: true }) }, views: { open: async () => ({ ok: true, view: { id: 'V', hash: 'h' } }) } } as unknown as WebClient,
      logger,
      command: slashCommand(command, text, { triggerId: `inj.${Math.random()}` }),
    });
    await deps.tasks.idle();
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    return replies;
  }

  it.each(HOSTILE_NAMES)('stores and shows %p literally, in a credit notice and in a list', async (name) => {
    // Slack escapes &, < and > in command text, except in the mentions it makes itself.
    const typed = name.replace(/&/g, '&amp;').replace(/<(?![!@])/g, '&lt;').replace(/(?<![!@][\w|^.-]*)>/g, '&gt;');
    const [notice] = await slash('/credit', `add "${typed}" 12.50 ${HOSTILE_DETAIL}`);
    expect(notice.response_type).toBe('in_channel');

    // Stored exactly as typed: the SQL is data, the tables are all there.
    const credit = await t.db('credits as c').join('accounts as a', 'a.id', 'c.account_id').where('a.name', name).first('c.detail');
    expect(credit.detail).toBe(HOSTILE_DETAIL);
    expect(Number((await t.db('accounts').count('* as n').first())!.n)).toBe(HOSTILE_NAMES.length);

    // Shown literally: no mention, broadcast or link can form; the text a person reads is the name.
    const [list] = await slash('/credit', `list "${typed}"`);
    for (const message of [notice, list]) {
      const { mrkdwn, plain } = texts(message);
      expect(mrkdwn.filter((m) => SLACK_CONTROL.test(m))).toEqual([]);
      // Escaped where Slack reads mrkdwn, as typed where it shows plain text (headers).
      const escaped = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      expect([...mrkdwn.filter((m) => m.includes(escaped)), ...plain.filter((p) => p.includes(name))].length).toBeGreaterThan(0);
    }
  });

  it('exports them as text cells that no spreadsheet reads as a formula', async () => {
    const accountsFile = await tempPath();
    const creditsFile = await tempPath();
    await exportAccounts(createBilling(t.db), accountsFile);
    await exportCredits(createBilling(t.db), creditsFile);
    const cells: ExcelJS.Cell[] = [];
    for (const file of [accountsFile, creditsFile]) {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => cells.push(cell))));
    }
    expect(cells.filter((c) => c.type === ExcelJS.ValueType.Formula)).toEqual([]);
    const texts = cells.filter((c) => typeof c.value === 'string').map((c) => c.value as string);
    // No text cell starts like a formula (=, +, -, @): those are written with a leading quote.
    expect(texts.filter((v) => /^[=+\-@\t\r]/.test(v))).toEqual([]);
    expect(texts).toContain(`'=cmd|' /C calc'!A0 Co`);
    expect(texts).toContain(`'+1 Cells -2 @SUM`);
    expect(texts).toContain(`Robert'); DROP TABLE accounts;--`);
    expect(texts).toContain('<!channel> Co');
  });
});
