import type { types } from '@slack/bolt';
import { ModalCommand, validateCommand } from '../../commands/schema';
import { isModal } from '../../commands/table';

/** Small Block Kit helpers for the modals (Slack's own types, no wrapper library). */

export type ModalView = types.ModalView;
export type KnownBlock = types.KnownBlock;
export type PlainTextOption = types.PlainTextOption;

/** Slack cuts plain text fields at these lengths; longer text is refused, so cut it first. */
export function plain(text: string, max = 75): types.PlainTextElement {
  return { type: 'plain_text', text: text.length > max ? `${text.slice(0, max - 1)}…` : text, emoji: true };
}

/**
 * A menu option. Values are ids or numbers (at most 150 characters, never a name, which may be
 * longer): a value cut short would name another thing, so a longer one is refused here.
 */
export function option(text: string, value: string, description?: string): PlainTextOption {
  if (value.length > 150) throw new Error(`option value longer than 150 characters: ${value.slice(0, 40)}…`);
  return { text: plain(text), value, ...(description ? { description: plain(description) } : {}) };
}

/** The account picker's action id (external_select; options come from the accounts search listener). */
export const ACCOUNT_ACTION = 'account';

/** The account picker of a modal, showing `initial` (an account option, see choices.ts) when one is chosen already. */
export function accountPicker(initial: PlainTextOption | null): InputElement {
  return {
    type: 'external_select',
    action_id: ACCOUNT_ACTION,
    min_query_length: 1,
    placeholder: { type: 'plain_text', text: 'Type part of the name' },
    ...(initial ? { initial_option: initial } : {}),
  };
}

export function section(markdown: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: markdown.slice(0, 3000) } };
}

export type InputElement = types.InputBlockElement;

/** What a modal carries between opening and submission (Slack's private_metadata). */
export interface ModalMetadata {
  /** The channel the command was typed in: where replies and notices go. */
  channel: string | null;
  /** The modal command that opened the form (rebuilt on submission). */
  modal: ModalCommand;
  /** Bumped when the form is rebuilt with new initial values (new block ids make Slack show them). */
  version: number;
}

export function metadata(m: ModalMetadata): string {
  return JSON.stringify(m);
}

/** Reads private_metadata back; the modal command is validated again (it came back from Slack). */
export function readMetadata(text: string | undefined, fallback: ModalCommand['kind']): ModalMetadata {
  let parsed: { channel?: unknown; modal?: unknown; version?: unknown } = {};
  try {
    parsed = JSON.parse(text ?? '{}');
  } catch {
    // a view we did not build: use the defaults
  }
  let modal: ModalCommand;
  try {
    const command = validateCommand((parsed.modal ?? { kind: fallback }) as Record<string, unknown>);
    modal = isModal(command, fallback) ? command : (validateCommand({ kind: fallback }) as ModalCommand);
  } catch {
    modal = validateCommand({ kind: fallback }) as ModalCommand;
  }
  return {
    channel: typeof parsed.channel === 'string' && /^[A-Z0-9]{2,30}$/.test(parsed.channel) ? parsed.channel : null,
    modal,
    version: typeof parsed.version === 'number' && Number.isInteger(parsed.version) && parsed.version >= 0 ? parsed.version : 0,
  };
}

/** A small view shown at once while the real form is built (trigger ids expire after 3 seconds). */
export function loadingView(title: string, callbackId: string): ModalView {
  return {
    type: 'modal',
    callback_id: `${callbackId}_loading`,
    title: plain(title, 24),
    close: plain('Cancel', 24),
    blocks: [section(':hourglass_flowing_sand: Loading…')],
  };
}

/** A view that explains why the form cannot be used. */
export function messageView(title: string, text: string): ModalView {
  return {
    type: 'modal',
    callback_id: 'billbot_message',
    title: plain(title, 24),
    close: plain('Close', 24),
    blocks: [section(text)],
  };
}

/** The submitted values of a view, keyed by block id, then action id. */
export interface ViewStateValue {
  type: string;
  value?: string | null;
  selected_date?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: { value: string }[];
}
export type ViewStateValues = Record<string, Record<string, ViewStateValue>>;

/** The block id in the view that starts with the base id ("period_start" finds "period_start.2"). */
export function blockId(values: ViewStateValues, base: string): string | undefined {
  return Object.keys(values).find((id) => id === base || id.startsWith(`${base}.`));
}
