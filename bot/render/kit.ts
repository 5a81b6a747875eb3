import type { types } from '@slack/bolt';
import { Money } from '../../billing';
import { escapeMrkdwn } from './mrkdwn';

/**
 * The renderer's building blocks: Slack's Block Kit types and limits, and small builders
 * (header, section, fields, context, lists) every message of bot/render is made of.
 */

export type KnownBlock = types.KnownBlock;

export interface Rendered {
  /** The notification / fallback text (mrkdwn, escaped like the blocks). */
  text: string;
  blocks: KnownBlock[];
}

/** Slack's limits: 50 blocks a message, 3000 characters a section, 10 fields, 10 context elements. */
export const MAX_BLOCKS = 50;
export const MAX_SECTION = 3000;
/** Lines shown per list; the rest are counted. */
export const LIST_LIMIT = 25;

export function money(amount: string, currency: string): string {
  return Money.exact(amount, currency).format();
}

/** "1 invoice", "3 batches"; `count` writes the number (the run reports group thousands: "1,200"). */
export function plural(n: number, one: string, many = `${one}s`, count: (n: number) => string = String): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export function header(text: string): types.HeaderBlock {
  const clipped = text.length > 150 ? `${text.slice(0, 149)}…` : text;
  return { type: 'header', text: { type: 'plain_text', text: clipped, emoji: false } };
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function section(mrkdwn: string): types.SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, MAX_SECTION) } };
}

/** Label/value pairs (values already mrkdwn); at most 10 per section, as Slack allows. */
export function fields(pairs: [string, string][]): types.SectionBlock[] {
  const blocks: types.SectionBlock[] = [];
  for (let i = 0; i < pairs.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: pairs.slice(i, i + 10).map(([label, value]) => ({ type: 'mrkdwn', text: clip(`*${label}:* ${value}`, 2000) })),
    });
  }
  return blocks;
}

export function context(...texts: string[]): types.ContextBlock {
  return { type: 'context', elements: texts.slice(0, 10).map((t) => ({ type: 'mrkdwn', text: clip(t, MAX_SECTION) })) };
}

/** Counts people read: thousands grouped ("100,000"). */
export const grouped = (n: number): string => n.toLocaleString('en-US');

/**
 * A titled bullet list, packed into as few sections as fit, cut to `limit` lines with a
 * count of the rest: `total` is how many the whole list has (a report's totals, when
 * `lines` are only the rows fetched), by default the lines given.
 */
export function list(title: string, lines: string[], limit = LIST_LIMIT, total = lines.length): types.SectionBlock[] {
  const shown = lines.slice(0, limit).map((l) => `• ${l}`);
  const rest = total - shown.length;
  if (rest > 0) shown.push(`…and ${grouped(rest)} more`);
  const blocks: types.SectionBlock[] = [];
  let current = `*${title}*`;
  for (const line of shown) {
    if (current.length + 1 + line.length > MAX_SECTION) {
      blocks.push(section(current));
      current = line;
    } else {
      current += `\n${line}`;
    }
  }
  blocks.push(section(current));
  return blocks;
}

export function capBlocks(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= MAX_BLOCKS) return blocks;
  return [...blocks.slice(0, MAX_BLOCKS - 1), context('_The reply was cut to fit one Slack message._')];
}

/** A report channel as Slack shows it: a channel id becomes a link to the channel, a name is shown as written. */
export function channelRef(channel: string): string {
  return /^[CGD][A-Z0-9]{2,}$/.test(channel) ? `<#${channel}>` : escapeMrkdwn(channel);
}

