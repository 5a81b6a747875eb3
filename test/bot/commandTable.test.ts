import type { Billing } from '../../billing';
import { buildProgram } from '../../bot/cli/program';
import type { Job } from '../../bot/cli/io';
import { parseCommand, type Command, type CommandKind, type SlashCommand } from '../../bot/commands';
import { performCommand } from '../../bot/commands/execute';
import { COMMANDS, entryOf, requiredRole } from '../../bot/commands/table';
import { FACES, type FaceName } from '../../bot/commands/types';
import { slashLine } from '../../bot/shell';

/**
 * The command table against the faces: every kind a face offers is reachable there (Slack:
 * through the slash-command parser; the shell: through its line reader and the parser; the
 * CLI: through its commander program), and a kind a face does not offer is answered there
 * with the table's sentence. A kind added to the table without a route on each face that
 * offers it fails here.
 */

type Typed = { slack?: [SlashCommand, string]; shell?: string; cli?: string[] };

/** How each kind is typed on each face that offers it. */
const ROUTES: Record<string, Typed> = {
  bill: { slack: ['/bill', 'Child Co'], shell: '/bill Child Co preview', cli: ['bill', 'Child Co'] },
  'bill.modal': { slack: ['/bill', ''], shell: '/bill' },
  'bill.status': { slack: ['/bill', 'status 3'], shell: '/bill status 3', cli: ['status', '3'] },
  'bill.resume': { slack: ['/bill', 'status 3 resume'], shell: '/bill status 3 resume', cli: ['status', '3', '--resume'] },
  'billing.run': { slack: ['/billing', 'run Monthly Billing'], shell: '/billing run Monthly Billing', cli: ['run', 'Monthly Billing'] },
  'credit.add': {
    slack: ['/credit', 'add Parent Co 50 Outage'],
    shell: '/credit add Parent Co $50.00 Outage',
    cli: ['credit', 'add', 'Parent Co', '50', '--detail', 'Outage'],
  },
  'credit.add.modal': { slack: ['/credit', 'add'], shell: '/credit add' },
  'credit.disburse': { slack: ['/credit', 'disburse CR-7 18'], shell: '/credit disburse CR-7 INV-000018', cli: ['credit', 'disburse', 'CR-7', '18'] },
  'credit.disburse.modal': { slack: ['/credit', 'disburse CR-7'], shell: '/credit disburse' },
  'credit.reverse': { slack: ['/credit', 'reverse CR-7'], shell: '/credit reverse CR-7', cli: ['credit', 'reverse', 'CR-7'] },
  'credit.delete': { slack: ['/credit', 'delete CR-7'], shell: '/credit delete CR-7', cli: ['credit', 'delete', 'CR-7'] },
  'credit.list': { slack: ['/credit', 'list Parent Co'], shell: '/credit list Parent Co', cli: ['credits', 'Parent Co'] },
  'payment.add': {
    slack: ['/payment', 'add Parent Co 60 ref CHQ-1 to 18'],
    shell: '/payment add "Parent Co" $60.00 on 2026-10-02 method cheque',
    cli: ['payment', 'add', 'Parent Co', '60', '--ref', 'CHQ-1', '--to', '18', '19=5'],
  },
  'payment.add.modal': { slack: ['/payment', 'add'], shell: '/payment add Parent Co' },
  'payment.list': { slack: ['/payment', 'list Parent Co'], shell: '/payment list Parent Co', cli: ['payment', 'list', 'Parent Co'] },
  'payment.reverse': {
    slack: ['/payment', 'reverse PM-000001 Cheque returned'],
    shell: '/payment reverse pm-1 "Charge-back"',
    cli: ['payment', 'reverse', 'PM-000001', 'Cheque', 'returned'],
  },
  'invoice.list': { slack: ['/billing', 'invoices Parent Co'], shell: '/billing invoices Parent Co', cli: ['invoices', 'Parent Co'] },
  'invoice.show': { slack: ['/billing', 'invoice 18'], shell: '/billing invoice #18', cli: ['invoice', '18'] },
  'invoice.pdf': { slack: ['/billing', 'invoice 18 pdf'], shell: '/billing invoice INV-000018 PDF', cli: ['invoice', '18', '--pdf', 'inv.pdf'] },
  'billing.export.pdfs': { slack: ['/billing', 'export pdfs run 3'], shell: '/billing export pdfs run #3', cli: ['export', 'pdfs', 'run-3.zip', '--run', '3'] },
  'billing.aging': { slack: ['/billing', 'aging'], shell: '/billing aging as of 2026-11-30', cli: ['aging', '--as-of', '2026-11-30'] },
  'billing.statement': {
    slack: ['/billing', 'statement Parent Co'],
    shell: '/billing statement Parent Co from 2026-10-01 to 2026-10-31',
    cli: ['statement', 'Parent Co', '--from', '2026-10-01'],
  },
  'statement.pdf': {
    slack: ['/billing', 'statement Parent Co from 2026-10-01 pdf'],
    shell: '/billing statement "Parent Co" to 2026-10-31 PDF',
    cli: ['statement', 'Parent Co', '--from', '2026-10-01', '--pdf', 'statement.pdf'],
  },
  'billing.digest': {
    slack: ['/billing', 'schedule digest <#C0FIN|finance> 0 9 * * 1 Europe/Paris'],
    shell: '/billing schedule digest #finance pause',
    cli: ['schedule', 'digest', '#finance', '0 9 * * 1', '--time-zone', 'Europe/Paris'],
  },
  'billing.help': { slack: ['/billing', 'help'], shell: '/billing help credit' },
  'billing.access': { slack: ['/billing', 'access grant <@U012ABC|alice> operator'] },
  'billing.template': { slack: ['/billing', 'template'], shell: '/billing template', cli: ['template', 'setup.xlsx'] },
  'billing.export': { slack: ['/billing', 'export accounts'], shell: '/billing export invoices Parent Co', cli: ['export', 'accounts', 'setup.xlsx'] },
  'billing.import': { slack: ['/billing', 'import setup.xlsx'], shell: '/billing import setup.xlsx preview', cli: ['import', 'setup.xlsx'] },
  'billing.schedules': { slack: ['/billing', 'schedules'], shell: '/billing schedules', cli: ['schedules'] },
  'billing.schedule': {
    slack: ['/billing', 'schedule pause Monthly Billing'],
    shell: '/billing schedule resume Monthly Billing',
    cli: ['schedule', 'pause', 'Monthly Billing'],
  },
  'billing.chart': { slack: ['/billing', 'chart runs'], shell: '/billing chart runs Monthly Billing', cli: ['chart', 'runs', 'Monthly Billing', '--out', 'runs.png'] },
};

/** The command a face makes of what is typed there. */
const THROUGH: Record<FaceName, (typed: Typed) => Promise<Command | null>> = {
  slack: async ({ slack }) => (slack ? parseCommand(slack[0], slack[1], { slackEscaped: true }) : null),
  shell: async ({ shell }) => {
    const line = shell ? slashLine(shell) : null;
    return line ? parseCommand(line.slash, line.rest) : null;
  },
  cli: async ({ cli }) => {
    if (!cli) return null;
    let job: Job | undefined;
    const io = { stdout: () => undefined, stderr: () => undefined, env: {} };
    await buildProgram(io, (j) => {
      job = j;
    }).parseAsync(['node', 'billbot', ...cli]);
    return job?.kind === 'command' ? job.command : null;
  },
};

const kinds = Object.keys(COMMANDS) as CommandKind[];
const offers = (face: FaceName) => kinds.filter((k) => COMMANDS[k].faces.includes(face)).map((k) => [k] as const);
const lacks = (face: FaceName) => kinds.filter((k) => !COMMANDS[k].faces.includes(face)).map((k) => [k] as const);

describe('the command table', () => {
  it('declares each kind once, under its own name, with its schema and role', () => {
    for (const kind of kinds) {
      const entry = COMMANDS[kind];
      expect(entry.kind).toBe(kind);
      expect((entry.schema.shape.kind as { value: string }).value).toBe(kind);
      expect(['viewer', 'operator', 'admin']).toContain(typeof entry.role === 'function' ? 'viewer' : entry.role);
      if (entry.faces.length < FACES.length) expect(entry.unavailable?.message).toMatch(/\S/);
    }
  });

  it('has a route for each kind on each face that offers it, and none where it is not offered', () => {
    for (const kind of kinds) {
      const routes = ROUTES[kind] ?? {};
      for (const face of FACES) expect([kind, face, face in routes]).toEqual([kind, face, COMMANDS[kind].faces.includes(face)]);
    }
    expect(Object.keys(ROUTES).sort()).toEqual([...kinds].sort());
  });

  for (const face of FACES) {
    it.each(offers(face))(`reaches %s from the ${face}`, async (kind) => {
      const command = await THROUGH[face](ROUTES[kind] ?? {});
      expect(command && entryOf(command).kind).toBe(kind);
      expect(['viewer', 'operator', 'admin']).toContain(requiredRole(command as Command));
    });

    const missing = lacks(face);
    if (missing.length) {
      it.each(missing)(`answers %s in the ${face} with the table's sentence`, async (kind) => {
        const command = await THROUGH.slack(ROUTES[kind] ?? {});
        expect(command && entryOf(command).kind).toBe(kind);
        const billing = {} as Billing;
        const reply = await performCommand({ billing, face: { name: face } }, command as Command, { actor: 'U_TEST' });
        expect(reply).toEqual({ kind: 'error', ...COMMANDS[kind].unavailable, reference: null });
      });
    }
  }

  it('is the one place that dispatches: every kind the parser makes has its entry', () => {
    for (const [slash, text] of Object.values(ROUTES).flatMap((r) => (r.slack ? [r.slack] : []))) {
      const command = parseCommand(slash, text, { slackEscaped: true });
      expect(COMMANDS[command.kind]).toBe(entryOf(command));
    }
  });
});
