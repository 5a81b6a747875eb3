import { AGING_BUCKETS, Money, type AgingAccount, type AgingReport, type AgingTotal, type DigestContent, type OverdueDigest, type Statement, type StatementLine } from '../../billing';
import { escapeMrkdwn } from './mrkdwn';
import { channelRef, clip, context, fields, grouped, header, list, money, plural, section, type KnownBlock, type Rendered } from './kit';
import { slackTime } from './time';

/**
 * Receivables: the aging report and an account's statement. Both are compact whatever the
 * size of the data, within Slack's limits: the aging report shows at most MAX_CURRENCIES
 * currencies (each its buckets and the accounts that owe the most, names shortened), a
 * statement its summary and its first STATEMENT_LINES lines; the rest is in the workbook
 * (`/billing export aging|statement ...`), and the reply says so.
 */

export const MAX_CURRENCIES = 5;
export const STATEMENT_LINES = 15;
/** Names and details are shortened in lists (keeping a reply far under Slack's 10,000 characters of blocks). */
const NAME_CHARS = 60;

export const BUCKET_LABELS: Record<(typeof AGING_BUCKETS)[number], string> = {
  current: 'Current',
  '1-30': '1-30 days',
  '31-60': '31-60 days',
  '61-90': '61-90 days',
  'over 90': 'Over 90 days',
};

/** A name or detail of at most NAME_CHARS characters, keeping its start and its end (two long names rarely differ only in the middle), escaped. */
function name(text: string): string {
  if (text.length <= NAME_CHARS) return escapeMrkdwn(text);
  const tail = Math.floor(NAME_CHARS * 0.4);
  return escapeMrkdwn(`${text.slice(0, NAME_CHARS - 1 - tail)}…${text.slice(text.length - tail)}`);
}

const PAST_DUE = AGING_BUCKETS.filter((b) => b !== 'current');

/** "31-60: $30.00, over 90: $5.00": the past-due buckets that hold something; null: none. */
function overdue(t: { buckets: AgingTotal['buckets']; currency: string }): string | null {
  const late = PAST_DUE.filter((b) => !Money.exact(t.buckets[b], t.currency).isZero());
  return late.length ? late.map((b) => `${b}: ${money(t.buckets[b], t.currency)}`).join(', ') : null;
}

/** What is past due: the total less what is current. */
const pastDue = (t: AgingTotal) => Money.exact(t.total, t.currency).subtract(Money.exact(t.buckets.current, t.currency));

function topLine(a: AgingAccount): string {
  const late = overdue(a);
  return `*${name(a.account)}* ${money(a.total, a.currency)}${late ? ` (${late})` : ' (current)'}`;
}

/** The one-line summary of an aging report: per currency, what is owed and how much of it is past due. */
export function agingSummary(report: AgingReport): string {
  if (report.totals.length === 0) return `Aging as of ${report.asOf}: nothing is owed.`;
  const parts = report.totals.slice(0, MAX_CURRENCIES).map((t) => {
    const past = pastDue(t);
    return `${t.currency} ${money(t.total, t.currency)} owed by ${plural(t.accounts, 'account', 'accounts', grouped)}${past.isZero() ? '' : `, ${past.format()} past due`}`;
  });
  const more = report.totals.length - MAX_CURRENCIES;
  return `Aging as of ${report.asOf}: ${parts.join('; ')}${more > 0 ? `; and ${plural(more, 'more currency', 'more currencies')}` : ''}.`;
}

export function renderAging(report: AgingReport): Rendered {
  const blocks: KnownBlock[] = [header(`Aging as of ${report.asOf}`)];
  if (report.totals.length === 0) {
    blocks.push(section('Nothing is owed: no invoice has a balance.'));
    return { text: agingSummary(report), blocks };
  }
  for (const t of report.totals.slice(0, MAX_CURRENCIES)) {
    blocks.push(section(`*${t.currency}*: ${money(t.total, t.currency)} owed on ${plural(t.invoices, 'invoice', 'invoices', grouped)} by ${plural(t.accounts, 'account', 'accounts', grouped)}`));
    blocks.push(...fields(AGING_BUCKETS.map((b) => [BUCKET_LABELS[b], money(t.buckets[b], t.currency)])));
    const top = report.top.filter((a) => a.currency === t.currency);
    blocks.push(...list(`Owe the most (${t.currency})`, top.map(topLine), top.length, t.accounts));
  }
  const more = report.totals.length - MAX_CURRENCIES;
  const hint = `Every account is in the workbook: /billing export aging as of ${report.asOf}`;
  blocks.push(context(more > 0 ? `${plural(more, 'more currency', 'more currencies')} not shown. ${hint}` : hint));
  return { text: agingSummary(report), blocks };
}

const KIND_LABELS: Record<StatementLine['kind'], string> = {
  invoice: 'Invoice',
  disbursement: 'Credit disbursed',
  payment: 'Payment',
  'payment reversal': 'Payment reversed',
};

function signed(amount: string, currency: string): string {
  return amount.startsWith('-') ? money(amount, currency) : `+${money(amount, currency)}`;
}

function statementLine(l: StatementLine, currency: string): string {
  const detail = l.detail ? ` ${name(l.detail)}` : '';
  return `${l.date} ${KIND_LABELS[l.kind]} ${l.reference}${detail}: ${signed(l.amount, currency)} → ${money(l.balance, currency)}`;
}

export function renderStatement(s: Statement): Rendered {
  const cur = s.currency;
  const period = `${s.from ?? 'the start'} to ${s.to}`;
  const blocks: KnownBlock[] = [
    header(`Statement of ${clip(s.account, 120)}`),
    ...fields([
      ['Period', period],
      ['Currency', cur],
      ['Opening balance', money(s.openingBalance, cur)],
      ['Closing balance', money(s.closingBalance, cur)],
      ['Invoiced', money(s.totals.invoice, cur)],
      ['Credits disbursed', money(s.totals.disbursement, cur)],
      ['Payments', money(s.totals.payment, cur)],
      ['Payments reversed', money(s.totals['payment reversal'], cur)],
    ]),
  ];
  if (s.lines.length === 0) {
    blocks.push(section('No invoice, disbursement or payment in this period.'));
  } else {
    blocks.push(...list(plural(s.lines.length, 'line', 'lines', grouped), s.lines.map((l) => statementLine(l, cur)), STATEMENT_LINES, STATEMENT_LINES));
    const rest = s.lines.length - STATEMENT_LINES;
    const dates = `${s.from ? ` from ${s.from}` : ''} to ${s.to}`;
    if (rest > 0) blocks.push(context(`${plural(rest, 'more line', 'more lines', grouped)} in the workbook: /billing export statement ${name(s.account)}${dates}`));
  }
  if (s.closingBalance.startsWith('-')) blocks.push(context(`${name(s.account)} is in credit: its payments exceed what it was invoiced.`));
  const text = `Statement of ${name(s.account)}, ${period}: opening ${money(s.openingBalance, cur)}, closing ${money(s.closingBalance, cur)} (${plural(s.lines.length, 'line', 'lines', grouped)}).`;
  return { text, blocks };
}

/** An overdue digest (the scheduler posts it in its channel): the aging summary and the invoices that became overdue since the last digest. */
export function renderDigest(d: DigestContent): Rendered {
  const blocks: KnownBlock[] = [header(`Overdue digest, ${d.asOf}`), section(escapeMrkdwn(agingSummary(d.aging)))];
  for (const t of d.aging.totals.slice(0, MAX_CURRENCIES)) {
    blocks.push(...fields(AGING_BUCKETS.map((b) => [`${t.currency} ${BUCKET_LABELS[b].toLowerCase()}`, money(t.buckets[b], t.currency)])));
  }
  const title = d.since ? `Became overdue since the last digest (${d.since})` : 'Overdue';
  const lines = d.overdue.invoices.map(
    (i) => `${i.number} *${name(i.account)}* ${money(i.balance, i.currency)}, due ${i.dueDate} (${plural(i.daysPastDue, 'day', 'days', grouped)} past due)`,
  );
  blocks.push(...(lines.length ? list(`${title}: ${grouped(d.overdue.count)}`, lines, lines.length, d.overdue.count) : [section(`*${title}:* none`)]));
  blocks.push(context(`Every account: /billing aging as of ${d.asOf} (and /billing export aging as of ${d.asOf} for the workbook).`));
  const text = `Overdue digest, ${d.asOf}: ${plural(d.overdue.count, 'invoice', 'invoices', grouped)} became overdue${d.since ? ` since ${d.since}` : ''}. ${agingSummary(d.aging)}`;
  return { text: escapeMrkdwn(text), blocks };
}

/** A channel's digest set, paused or resumed (posted in the channel where it was asked). */
export function renderDigestChanged(o: { action: 'set' | 'pause' | 'resume'; digest: OverdueDigest; next: Date | null }): Rendered {
  const { digest } = o;
  const where = channelRef(digest.channel);
  const when = `\`${escapeMrkdwn(digest.schedule)}\` (${escapeMrkdwn(digest.timeZone)})`;
  const text = digest.paused
    ? `The overdue digest for ${where} is paused (${when}).`
    : `The overdue digest for ${where} is ${o.action === 'set' ? 'set' : 'resumed'}: ${when}${o.next ? `, next ${slackTime(o.next, digest.timeZone)}` : ''}.`;
  return { text, blocks: [section(text), context('It posts the aging summary and the invoices that became overdue since the last digest.')] };
}
