import fc from 'fast-check';
import { BillingError } from '../../billing/errors';
import { CommandSyntaxError, parseCommand, SlashCommand, USAGE, validateCommand } from '../../bot/commands';

function syntaxError(command: SlashCommand, text: string): CommandSyntaxError {
  try {
    parseCommand(command, text);
  } catch (e) {
    if (e instanceof CommandSyntaxError) return e;
    throw e;
  }
  throw new Error(`"${command} ${text}" parsed without an error`);
}

describe('parseCommand /bill', () => {
  it('reads a plain multi-word account and a period', () => {
    expect(parseCommand('/bill', 'Child Co from 2026-09-01 to 2026-09-30')).toEqual({
      kind: 'bill',
      account: 'Child Co',
      configuration: null,
      from: '2026-09-01',
      to: '2026-09-30',
      posting: null,
      preview: false,
    });
  });

  it('reads a quoted account, a multi-word configuration, a posting date and preview in any order', () => {
    expect(
      parseCommand('/bill', '"Child Co" preview posting 2026-10-01 using Monthly Billing from 2026-09-01 to 2026-09-30'),
    ).toEqual({
      kind: 'bill',
      account: 'Child Co',
      configuration: 'Monthly Billing',
      from: '2026-09-01',
      to: '2026-09-30',
      posting: '2026-10-01',
      preview: true,
    });
  });

  it('keeps keywords inside quotes as part of the name, and accepts curly quotes', () => {
    expect(parseCommand('/bill', '“From Scratch Preview Ltd”')).toMatchObject({ kind: 'bill', account: 'From Scratch Preview Ltd' });
    expect(parseCommand('/bill', '"Back  to   Basics" PREVIEW')).toMatchObject({ account: 'Back to Basics', preview: true });
  });

  it('reads an account alone (the configuration chooses the period)', () => {
    expect(parseCommand('/bill', 'Parent Co')).toMatchObject({ kind: 'bill', account: 'Parent Co', from: null, to: null });
  });

  it('keeps "to" in a name unless a date follows it', () => {
    expect(parseCommand('/bill', 'Back to Basics from 2026-09-01 to 2026-09-30')).toMatchObject({
      account: 'Back to Basics',
      from: '2026-09-01',
      to: '2026-09-30',
    });
  });

  it('opens the bill form when bare', () => {
    expect(parseCommand('/bill', '   ')).toEqual({ kind: 'bill.modal', account: null });
  });

  it('reads bill status with a run number', () => {
    expect(parseCommand('/bill', 'status 12')).toEqual({ kind: 'bill.status', run: 12 });
    expect(parseCommand('/bill', 'status #7')).toEqual({ kind: 'bill.status', run: 7 });
  });

  it('bills an account whose name starts with a subcommand word', () => {
    expect(parseCommand('/bill', 'Status Co from 2026-09-01 to 2026-09-30')).toMatchObject({ kind: 'bill', account: 'Status Co' });
    expect(parseCommand('/bill', 'Help Desk Ltd')).toMatchObject({ kind: 'bill', account: 'Help Desk Ltd' });
  });

  it.each([
    ['Child Co from 2026-09-01', 'needs an end', USAGE.bill],
    ['Child Co to 2026-09-30', 'needs a start', USAGE.bill],
    ['from 2026-09-01 to 2026-09-30', 'Name the account to bill first', USAGE.bill],
    ['Child Co from Sept to 2026-09-30', '"Sept" after "from" is not a date', USAGE.bill],
    ['Child Co from 2026-02-30 to 2026-03-31', '"2026-02-30" after "from" is not a real date', USAGE.bill],
    ['Child Co from 2026-09-30 to 2026-09-01', 'starts after it ends', USAGE.bill],
    ['Child Co using', 'Name the bill run configuration after "using"', USAGE.bill],
    ['Child Co preview preview', '"preview" is given twice', USAGE.bill],
    ['Child Co posting', 'Give a date after "posting"', USAGE.bill],
    ['Child Co from 2026-09-01 to 2026-09-30 now', 'Did not understand "now"', USAGE.bill],
    ['"Child Co from 2026-09-01', 'double quote is not closed', USAGE.bill],
    ['status', 'Say which bill run to show', USAGE['bill.status']],
  ])('refuses /bill %s saying what is wrong and the right form', (text, problem, usage) => {
    const error = syntaxError('/bill', text);
    expect(error.message).toContain(problem);
    expect(error.message).toContain(`Use: ${usage}`);
    expect(error.code).toBe('command_syntax');
    expect(error).toBeInstanceOf(BillingError);
  });
});

describe('parseCommand /credit', () => {
  it('finds the amount after a plain multi-word account, the rest is the detail', () => {
    expect(parseCommand('/credit', 'add Parent Co $50.00 Service outage in September')).toEqual({
      kind: 'credit.add',
      account: 'Parent Co',
      amount: '$50.00',
      detail: 'Service outage in September',
      quantity: 1,
      autoDisburse: false,
    });
  });

  it('reads a quoted account with a number in it, a grouped amount, a quoted detail and auto', () => {
    expect(parseCommand('/credit', 'add "Studio 54" 1,234.56 "Outage, 3 days" auto')).toEqual({
      kind: 'credit.add',
      account: 'Studio 54',
      amount: '1,234.56',
      detail: 'Outage, 3 days',
      quantity: 1,
      autoDisburse: true,
    });
  });

  it('keeps the detail as typed, quotes and all', () => {
    expect(parseCommand('/credit', 'add Parent Co 50 The 5" screen <!channel> & more')).toMatchObject({
      amount: '50',
      detail: 'The 5" screen <!channel> & more',
      autoDisburse: false,
    });
  });

  it('passes a negative amount on so billing refuses it with its own sentence', () => {
    expect(parseCommand('/credit', 'add Parent Co -50 Refund')).toMatchObject({ amount: '-50' });
  });

  it('opens the credit form when bare', () => {
    expect(parseCommand('/credit', 'add')).toEqual({ kind: 'credit.add.modal', account: null });
  });

  it('reads disburse with and without an amount, and opens the form with only a credit', () => {
    expect(parseCommand('/credit', 'disburse CR-7 INV-000018 50.00')).toEqual({
      kind: 'credit.disburse',
      credit: 'CR-7',
      invoice: 'INV-000018',
      amount: '50.00',
    });
    expect(parseCommand('/credit', 'disburse cr7 18')).toEqual({ kind: 'credit.disburse', credit: 'CR-7', invoice: '18', amount: null });
    expect(parseCommand('/credit', 'disburse CR-7')).toEqual({ kind: 'credit.disburse.modal', credit: 'CR-7' });
    expect(parseCommand('/credit', 'disburse')).toEqual({ kind: 'credit.disburse.modal', credit: null });
  });

  it('reads reverse, delete and list', () => {
    expect(parseCommand('/credit', 'reverse CR-7')).toEqual({ kind: 'credit.reverse', credit: 'CR-7' });
    expect(parseCommand('/credit', 'delete #8')).toEqual({ kind: 'credit.delete', credit: 'CR-8' });
    expect(parseCommand('/credit', 'list Parent Co')).toEqual({ kind: 'credit.list', account: 'Parent Co' });
    expect(parseCommand('/credit', 'list "Parent Co"')).toEqual({ kind: 'credit.list', account: 'Parent Co' });
  });

  it('shows the credit help when bare', () => {
    expect(parseCommand('/credit', '')).toEqual({ kind: 'billing.help', topic: 'credit' });
  });

  it.each([
    ['add Parent Co Service outage', 'No amount found', USAGE['credit.add']],
    ['add 50 Service outage', 'Name the account before the amount', USAGE['credit.add']],
    ['add Parent Co 50', 'Give a detail', USAGE['credit.add']],
    ['add Parent Co 50 auto', 'Give a detail', USAGE['credit.add']],
    ['disburse CR-7 18 50 more', 'Too many words', USAGE['credit.disburse']],
    ['disburse CR-7 18 fifty', '"fifty" is not an amount', USAGE['credit.disburse']],
    ['disburse CR-7 invoice-eighteen', 'is not an invoice number', USAGE['credit.disburse']],
    ['reverse', 'Say which credit to reverse', USAGE['credit.reverse']],
    ['reverse CR-7 CR-8', 'Give just one credit id', USAGE['credit.reverse']],
    ['delete seven', '"seven" is not a credit id', USAGE['credit.delete']],
    ['list', 'Say whose credits to list', USAGE['credit.list']],
    ['refund Parent Co 50', '"refund" is not a /credit command', '/credit add|disburse'],
  ])('refuses /credit %s saying what is wrong and the right form', (text, problem, usage) => {
    const error = syntaxError('/credit', text);
    expect(error.message).toContain(problem);
    expect(error.message).toContain(`Use: ${usage}`);
  });
});

describe('parseCommand /billing', () => {
  it('reads help, with and without a topic', () => {
    expect(parseCommand('/billing', '')).toEqual({ kind: 'billing.help', topic: null });
    expect(parseCommand('/billing', 'help')).toEqual({ kind: 'billing.help', topic: null });
    expect(parseCommand('/billing', 'help credit')).toEqual({ kind: 'billing.help', topic: 'credit' });
  });

  it('reads access grant and revoke with a Slack mention', () => {
    expect(parseCommand('/billing', 'access grant <@U012ABC|alice> operator')).toEqual({
      kind: 'billing.access',
      action: 'grant',
      user: 'U012ABC',
      role: 'operator',
    });
    expect(parseCommand('/billing', 'access REVOKE <@W0XYZ9> Admin')).toEqual({
      kind: 'billing.access',
      action: 'revoke',
      user: 'W0XYZ9',
      role: 'admin',
    });
  });

  it('reads run, invoices and invoice', () => {
    expect(parseCommand('/billing', 'run Monthly Billing from 2026-09-01 to 2026-09-30 preview')).toEqual({
      kind: 'billing.run',
      configuration: 'Monthly Billing',
      from: '2026-09-01',
      to: '2026-09-30',
      posting: null,
      preview: true,
    });
    expect(parseCommand('/billing', 'invoices Parent Co')).toEqual({ kind: 'invoice.list', account: 'Parent Co' });
    expect(parseCommand('/billing', 'invoice INV-000018')).toEqual({ kind: 'invoice.show', invoice: 'INV-000018' });
  });

  it('reads the workbook commands (test/bot/workbooks.test.ts has every form) and the schedule forms', () => {
    expect(parseCommand('/billing', 'template')).toEqual({ kind: 'billing.template', file: null, channel: null });
    expect(parseCommand('/billing', 'export invoices "Parent Co"')).toEqual({
      kind: 'billing.export',
      what: 'invoices',
      account: 'Parent Co',
      from: null,
      to: null,
      run: null,
      file: null,
      channel: null,
    });
    expect(parseCommand('/billing', 'schedules')).toEqual({ kind: 'billing.schedules' });
    expect(parseCommand('/billing', 'schedule Monthly Billing pause')).toEqual({
      kind: 'billing.schedule',
      action: 'pause',
      configuration: 'Monthly Billing',
    });
  });

  it.each([
    ['access grant alice operator', '"alice" is not a Slack mention', USAGE['billing.access']],
    ['access grant <@U012ABC> owner', '"owner" is not a role', USAGE['billing.access']],
    ['access give <@U012ABC> admin', 'Say grant or revoke, not "give"', USAGE['billing.access']],
    ['access grant <@U012ABC>', 'Say grant or revoke', USAGE['billing.access']],
    ['run', 'Name the bill run configuration', USAGE['billing.run']],
    ['run Monthly from 2026-09-01', 'needs an end', USAGE['billing.run']],
    ['invoice', 'Give one invoice number', USAGE['invoice.show']],
    ['frobnicate', '"frobnicate" is not a /billing command', '/billing help|run'],
  ])('refuses /billing %s saying what is wrong and the right form', (text, problem, usage) => {
    const error = syntaxError('/billing', text);
    expect(error.message).toContain(problem);
    expect(error.message).toContain(`Use: ${usage}`);
  });
});

describe('parseCommand /billing chart', () => {
  it('reads the run history chart, with or without a configuration', () => {
    expect(parseCommand('/billing', 'chart runs')).toEqual({ kind: 'billing.chart', what: 'runs', configuration: null, file: null });
    expect(parseCommand('/billing', 'chart runs Monthly Billing')).toEqual({ kind: 'billing.chart', what: 'runs', configuration: 'Monthly Billing', file: null });
    expect(parseCommand('/billing', 'CHART run "R&amp;D Runs"', { slackEscaped: true })).toMatchObject({ configuration: 'R&D Runs' });
  });

  it('says what is wrong, with the right form', () => {
    expect(syntaxError('/billing', 'chart').message).toBe(`Say which chart to draw: runs. Use: ${USAGE['billing.chart']}`);
    expect(syntaxError('/billing', 'chart pies').message).toBe(`"pies" is not a chart; say runs. Use: ${USAGE['billing.chart']}`);
    expect(syntaxError('/billing', `chart runs ${'x'.repeat(201)}`).message).toMatch(/^The configuration can be at most 200 characters/);
  });
});

describe('Slack-escaped text', () => {
  it('undoes &amp;, &lt; and &gt; only when asked', () => {
    expect(parseCommand('/credit', 'list R&amp;D', { slackEscaped: true })).toEqual({ kind: 'credit.list', account: 'R&D' });
    expect(parseCommand('/credit', 'list R&amp;D')).toEqual({ kind: 'credit.list', account: 'R&amp;D' });
  });
});

describe('validateCommand', () => {
  it('names the field at fault', () => {
    try {
      validateCommand({ kind: 'credit.add', account: 'Parent Co', amount: '50', detail: '  ' });
      throw new Error('not refused');
    } catch (e) {
      expect(e).toBeInstanceOf(CommandSyntaxError);
      expect((e as CommandSyntaxError).field).toBe('detail');
      expect((e as CommandSyntaxError).message).toBe('A detail (the reason for the credit) is required.');
    }
  });
});

describe('parseCommand on arbitrary text', () => {
  const commands = fc.constantFrom<SlashCommand>('/bill', '/credit', '/billing');
  const words = fc.constantFrom('add', 'disburse', 'reverse', 'delete', 'list', 'status', 'access', 'grant', 'run', 'from', 'to',
    'using', 'posting', 'preview', 'auto', '"', '“', '2026-09-01', '2026-13-45', '$50', '-5', '1,234.56', 'CR-7', '18', '<@U1>', 'Child', 'Co');
  const text = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.array(words, { maxLength: 10 }).map((w) => w.join(' ')),
    fc.tuple(fc.array(words, { maxLength: 4 }), fc.string({ maxLength: 300 })).map(([w, tail]) => `${w.join(' ')} ${tail}`),
  );

  it('returns a command or throws a BillingError (a CommandSyntaxError), never anything else', () => {
    fc.assert(
      fc.property(commands, text, fc.boolean(), (command, input, slackEscaped) => {
        try {
          const parsed = parseCommand(command, input, { slackEscaped });
          expect(typeof parsed.kind).toBe('string');
        } catch (e) {
          if (!(e instanceof BillingError)) throw e;
          expect(e.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
