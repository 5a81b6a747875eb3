import { billbot } from '../helpers/cli';
import { useTestDatabase } from '../helpers/db';

// Each case starts node (and tsx); on a busy machine that takes seconds.
jest.setTimeout(120_000);

describe('the billbot CLI', () => {
  const t = useTestDatabase();
  const run = (...args: string[]) => billbot(t.url, args);

  it('loads the worked example, and refuses politely the second time', async () => {
    const first = await run('demo', '--json');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout)).toMatchObject({ kind: 'notice', title: 'Worked example loaded' });

    const second = await run('demo');
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toBe('The worked example is already loaded (there is an account named Parent Co), so nothing was changed.\n');
  });

  it('bills Child Co for September 2026 as one JSON object', async () => {
    const result = await run('bill', 'Child Co', '--from', '2026-09-01', '--to', '2026-09-30', '--json');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const outcome = JSON.parse(result.stdout);
    expect(outcome.kind).toBe('bill.report');
    expect(outcome.report.run).toMatchObject({ status: 'completed', account: 'Child Co', startedBy: 'cli-tester' });
    expect(outcome.report.invoices).toEqual([
      { number: 'INV-000018', invoicer: 'Parent Co', currency: 'USD', total: '140.00', balance: '140.00', status: 'open' },
    ]);
  });

  it('shows invoice 18 under Parent Co for $140.00, as text and as JSON', async () => {
    const text = await run('invoice', '18');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Invoice INV-000018');
    expect(text.stdout).toContain('*Invoiced account:* *Parent Co*');
    expect(text.stdout).toContain('*Total:* $140.00');
    expect(text.stdout).toContain('*Child Co* — Managed Network / Network Monitoring, 2026-09-15 to 2026-10-14: $100.00');

    const json = JSON.parse((await run('invoice', 'INV-000018', '--json')).stdout);
    expect(json.invoice).toMatchObject({ number: 'INV-000018', invoicer: 'Parent Co', total: '140.00', balance: '140.00' });
    expect(json.invoice.transactions).toHaveLength(2);

    const list = await run('invoices', 'Parent', 'Co');
    expect(list.stdout).toContain('*INV-000018* 20');
  });

  it('adds, lists, disburses and reverses a credit', async () => {
    const added = JSON.parse((await run('credit', 'add', 'Parent Co', '$25', '--detail', 'Goodwill', '--quantity', '2', '--json')).stdout);
    expect(added.credit).toMatchObject({ account: 'Parent Co', amount: '50.00', quantity: 2, status: 'unissued', createdBy: 'cli-tester' });
    const id: string = added.credit.id;

    const listed = await run('credits', 'Parent Co');
    expect(listed.stdout).toContain(`${id} · *Parent Co* · $50.00 (2 × $25.00) · unissued`);

    await run('bill', 'Parent Co', '--from', '2026-10-01', '--to', '2026-10-31');
    const disbursed = JSON.parse((await run('credit', 'disburse', id, '19', '--json')).stdout);
    expect(disbursed).toMatchObject({ kind: 'credit.disbursed', invoice: 'INV-000019', disbursed: '50.00', invoiceBalance: '90.00' });

    const reversed = await run('credit', 'reverse', id);
    expect(reversed.code).toBe(0);
    expect(reversed.stdout).toContain('reversal pending');
  });

  it('refuses bad input with one sentence on stderr, a non-zero exit, and writes nothing', async () => {
    const before = await t.db('credits').count('* as n').first();
    const cases: [string[], RegExp][] = [
      [['credit', 'add', 'Parent Co', 'fifty', '--detail', 'x'], /^"fifty" is not an amount; .*usage: billbot credit add/],
      [['credit', 'add', 'Parent Co', '50'], /^Required option '--detail <text>' not specified; see billbot --help\.\n$/],
      [['credit', 'add', 'Parent Co', '50', '--detail', 'x', '--quantity', '1.5'], /^A quantity is a whole number of at least 1; usage:/],
      [['bill', 'Child Co', '--from', '2026-09-01'], /^Give both ends of the billing period/],
      [['bill'], /^Name an account to bill, or a configuration/],
      [['credit', 'delete', 'seven'], /^"seven" is not a credit id/],
      [['frobnicate'], /^Unknown command 'frobnicate'/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i];
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
    expect(await t.db('credits').count('* as n').first()).toEqual(before);
  });

  it('says what billing refused, in one sentence', async () => {
    const result = await run('bill', 'Nope Co', '--from', '2026-09-01', '--to', '2026-09-30');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('There is no account named "Nope Co".\n');
  });

  it('refuses a bad setting without printing secret values', async () => {
    const result = await billbot(t.url, ['invoices', 'Parent Co'], {
      env: { SLACK_BOT_TOKEN: 'xoxb-very-secret-token', SLACK_SIGNING_SECRET: 'not a secret with spaces' },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^SLACK_SIGNING_SECRET must be/);
    expect(result.stderr).not.toContain('very-secret');
    expect(result.stderr).not.toContain('with spaces');
  });
});
