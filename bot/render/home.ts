import type { types } from '@slack/bolt';
import type { CurrencyTotal, HomeRun, HomeSummary } from '../../billing';
import { context, header, list, money, plural, section, type KnownBlock } from './kit';
import { bold, escapeMrkdwn } from './mrkdwn';
import { slackTime } from './time';

/**
 * The Home tab: what a finance person wants at a glance (the last runs and their results, the
 * next scheduled runs, credits waiting to be disbursed, open invoice totals) and buttons for
 * the common actions their role allows. Every list is a few rows (billing's look-up cuts them)
 * and every total is one line per currency, so the view stays within Slack's limits (100
 * blocks, 3,000 characters a section) whatever the data's size.
 */

export const HOME_BILL_ACTION = 'home_bill_account';
export const HOME_CREDIT_ACTION = 'home_add_credit';
export const HOME_EXPORT_ACTION = 'home_export';

export type HomeTab = types.HomeView;

/** The actions the reader's role allows. */
export interface HomeActions {
  bill: boolean;
  credit: boolean;
  export: boolean;
}

const count = (n: number) => n.toLocaleString('en-US');
const amounts = (totals: CurrencyTotal[]) => totals.map((t) => money(t.total, t.currency)).join(', ');
const ICON: Record<string, string> = { completed: ':white_check_mark:', failed: ':x:', running: ':hourglass_flowing_sand:', scheduled: ':clock3:' };

function runLine(r: HomeRun): string {
  const what = r.account ? `${bold(r.configuration)} for ${bold(r.account)}` : bold(r.configuration);
  const invoices = r.invoices.reduce((n, t) => n + t.count, 0);
  const result = invoices ? `${plural(invoices, 'invoice', 'invoices', count)}, ${amounts(r.invoices)}` : 'no invoice';
  const at = r.finishedAt ? `finished ${slackTime(r.finishedAt, 'UTC')}` : `started ${slackTime(r.createdAt, 'UTC')}`;
  return `${ICON[r.status] ?? ''} #${r.id} ${escapeMrkdwn(r.status)} · ${what} · ${r.periodStart} to ${r.periodEnd} · ${result} · ${at}`.trim();
}

function runsBlocks(s: HomeSummary): KnownBlock[] {
  if (s.lastRuns.length === 0) return [section('*Last bill runs*\nNo bill run yet.')];
  return list('Last bill runs', s.lastRuns.map(runLine));
}

function scheduleBlocks(s: HomeSummary): KnownBlock[] {
  const paused = s.pausedSchedules ? `${plural(s.pausedSchedules, 'schedule', 'schedules', count)} paused. ` : '';
  const lines = s.nextRuns.map((n) => `${bold(n.configuration)} · ${slackTime(n.at, n.timeZone)}`);
  const blocks: KnownBlock[] = lines.length ? list('Next scheduled runs', lines) : [section('*Next scheduled runs*\nNo scheduled run is coming.')];
  return [...blocks, context(`${paused}\`/billing schedules\` lists every schedule.`)];
}

function creditBlocks(s: HomeSummary): KnownBlock[] {
  const { totals, first } = s.waitingCredits;
  const n = totals.reduce((sum, t) => sum + t.count, 0);
  if (n === 0) return [section('*Credits waiting to be disbursed*\nNone: every issued credit is disbursed.')];
  const lines = first.map((c) => `${c.credit} · ${bold(c.account)} · ${money(c.amountLeft, c.currency)} left · credited ${c.creditDate}`);
  const more = n > first.length ? [`…and ${count(n - first.length)} more.`] : [];
  return [
    section(`*Credits waiting to be disbursed:* ${plural(n, 'credit', 'credits', count)}, ${amounts(totals)} left`),
    ...list('Oldest first', lines, lines.length),
    context(...more, '`/credit disburse CR-n` disburses one to an open invoice.'),
  ];
}

function invoiceBlocks(s: HomeSummary): KnownBlock[] {
  if (s.openInvoices.length === 0) return [section('*Open invoices*\nNone: every invoice is paid.')];
  const lines = s.openInvoices.map((t) => `${t.currency}: ${plural(t.count, 'open invoice', 'open invoices', count)}, ${money(t.total, t.currency)} due`);
  return list('Open invoices', lines);
}

function button(text: string, actionId: string, style?: 'primary'): types.Button {
  return { type: 'button', text: { type: 'plain_text', text, emoji: false }, action_id: actionId, value: actionId, ...(style ? { style } : {}) };
}

function actionBlocks(actions: HomeActions): KnownBlock[] {
  const buttons = [
    ...(actions.bill ? [button('Bill an account', HOME_BILL_ACTION, 'primary')] : []),
    ...(actions.credit ? [button('Add a credit', HOME_CREDIT_ACTION)] : []),
    ...(actions.export ? [button('Export', HOME_EXPORT_ACTION)] : []),
  ];
  return buttons.length ? [{ type: 'actions', block_id: 'home_actions', elements: buttons }] : [];
}

/** The Home tab of someone holding a role. */
export function homeView(summary: HomeSummary, actions: HomeActions, now: Date): HomeTab {
  const blocks: KnownBlock[] = [
    header('Billing at a glance'),
    context(`Updated ${slackTime(now, 'UTC')}. Open the tab again to refresh.`),
    ...actionBlocks(actions),
    { type: 'divider' },
    ...runsBlocks(summary),
    ...scheduleBlocks(summary),
    { type: 'divider' },
    ...creditBlocks(summary),
    ...invoiceBlocks(summary),
  ];
  return { type: 'home', blocks };
}

/** The Home tab of someone without a role: a short, polite page. */
export function homeWithoutRole(user: string): HomeTab {
  const text =
    `Hi <@${escapeMrkdwn(user)}>, billbot shows billing here (bill runs, credits, open invoices) to people with a role, and you don't have one yet. ` +
    `Please ask an admin to give you one: \`/billing access grant <@${escapeMrkdwn(user)}> viewer\`.`;
  return { type: 'home', blocks: [header('billbot'), section(text)] };
}

/** What the Export button explains: exports are workbooks made by a command. */
export const HOME_EXPORT_HELP =
  'Exports are workbooks made by a command, typed in any channel or in a message to billbot:\n' +
  '• `/billing export invoices` (add an account name, `from YYYY-MM-DD`, `to YYYY-MM-DD` or `run <run>` to narrow it)\n' +
  '• `/billing export credits` and `/billing export accounts` in the same way.\n' +
  'The workbook comes to you in a direct message with billbot; end the command with `in #channel` to post it in a channel billbot is in.';
