/**
 * Slack's published Block Kit and Web API limits, checked on every payload the test doubles of
 * the Web API receive (test/bot/slack/helpers.ts). A payload past a limit is refused as Slack
 * refuses it (`ok: false` with Slack's error), and the test that caused it fails.
 *
 * Where each limit comes from (Slack's reference, checked 2026-12):
 *   [blocks]   https://api.slack.com/reference/block-kit/blocks  (section, header, context,
 *              actions, input, divider, image: per-field limits; block_id 255)
 *   [elements] https://api.slack.com/reference/block-kit/block-elements  (button: text 75,
 *              value 2000, action_id 255; static/external select: options 100, placeholder 150)
 *   [objects]  https://api.slack.com/reference/block-kit/composition-objects  (text object
 *              3000; confirm: title 100, text 300, confirm/deny 30; option: text 75, value 150,
 *              description 75)
 *   [surfaces] https://api.slack.com/reference/block-kit/blocks ("up to 50 blocks in each
 *              message, and 100 blocks in modals or Home tabs")
 *   [views]    https://api.slack.com/reference/surfaces/views  (title, submit, close 24;
 *              private_metadata 3000; callback_id 255; blocks 100)
 *   [postMessage] https://api.slack.com/methods/chat.postMessage  (`text` "should be no longer
 *              than 4,000 characters"; truncated past 40,000; errors invalid_blocks,
 *              msg_too_long, msg_blocks_too_long)
 *   [uploads] https://docs.slack.dev/reference/methods/files.getUploadURLExternal  (filename and
 *              length required, "missing_argument" when length is 0; alt_txt: "alt_txt_too_large",
 *              "Description for the image is longer than the limit of 1000 character")
 *              https://docs.slack.dev/reference/methods/files.completeUploadExternal  (files
 *              required: an array of file ids and optional titles; thread_ts "make sure to
 *              provide only one channel when using thread_ts")
 *   The total text of a message's blocks has no published ceiling; Slack answers
 *   msg_blocks_too_long around 12,000-13,000 characters (bolt-js #2509, #2867): billbot keeps
 *   10,000 as a margin.
 */

export const LIMITS = {
  messageBlocks: 50, // [surfaces]
  viewBlocks: 100, // [surfaces], [views]
  messageText: 4_000, // [postMessage]
  messageBlocksText: 10_000, // no published figure: see above
  sectionText: 3_000, // [blocks] section.text
  sectionFields: 10, // [blocks] section.fields
  sectionFieldText: 2_000, // [blocks] section.fields[].text
  headerText: 150, // [blocks] header.text
  contextElements: 10, // [blocks] context.elements
  actionsElements: 25, // [blocks] actions.elements
  textObject: 3_000, // [objects] text object (any other text)
  buttonText: 75, // [elements] button.text
  buttonValue: 2_000, // [elements] button.value
  buttonUrl: 3_000, // [elements] button.url
  confirmTitle: 100, // [objects] confirm.title
  confirmText: 300, // [objects] confirm.text
  confirmButton: 30, // [objects] confirm.confirm / confirm.deny
  selectOptions: 100, // [elements] static_select.options
  optionText: 75, // [objects] option.text
  optionValue: 150, // [objects] option.value
  optionDescription: 75, // [objects] option.description
  placeholder: 150, // [elements] placeholder
  inputLabel: 2_000, // [blocks] input.label
  inputHint: 2_000, // [blocks] input.hint
  imageAltText: 2_000, // [blocks] image.alt_text
  viewTitle: 24, // [views] title
  viewButton: 24, // [views] submit, close
  privateMetadata: 3_000, // [views] private_metadata
  callbackId: 255, // [views] callback_id
  blockId: 255, // [blocks] block_id
  actionId: 255, // [elements] action_id
  fileAltText: 1_000, // [uploads] files.getUploadURLExternal alt_txt
} as const;

type Obj = Record<string, any>;

const textOf = (t: unknown): string => (t && typeof t === 'object' && typeof (t as Obj).text === 'string' ? (t as Obj).text : typeof t === 'string' ? t : '');

class Checker {
  readonly problems: string[] = [];
  /** Every text the blocks carry, for the message total. */
  total = 0;

  max(where: string, value: string | undefined | null, limit: number): void {
    if (value === undefined || value === null) return;
    const length = [...String(value)].length;
    if (length > limit) this.problems.push(`${where}: ${length} characters, more than ${limit}`);
  }

  count(where: string, items: unknown[] | undefined, limit: number): void {
    if (items && items.length > limit) this.problems.push(`${where}: ${items.length} items, more than ${limit}`);
  }

  text(where: string, t: unknown, limit: number = LIMITS.textObject): void {
    if (t === undefined || t === null) return;
    const s = textOf(t);
    this.total += s.length;
    this.max(where, s, limit);
  }

  confirm(where: string, c: Obj | undefined): void {
    if (!c) return;
    this.max(`${where}.title`, textOf(c.title), LIMITS.confirmTitle);
    this.max(`${where}.text`, textOf(c.text), LIMITS.confirmText);
    this.max(`${where}.confirm`, textOf(c.confirm), LIMITS.confirmButton);
    this.max(`${where}.deny`, textOf(c.deny), LIMITS.confirmButton);
  }

  option(where: string, o: Obj): void {
    this.max(`${where}.text`, textOf(o.text), LIMITS.optionText);
    this.max(`${where}.value`, o.value, LIMITS.optionValue);
    this.max(`${where}.description`, textOf(o.description), LIMITS.optionDescription);
  }

  element(where: string, e: Obj | undefined): void {
    if (!e || typeof e !== 'object') return;
    this.max(`${where}.action_id`, e.action_id, LIMITS.actionId);
    this.max(`${where}.placeholder`, textOf(e.placeholder), LIMITS.placeholder);
    this.confirm(`${where}.confirm`, e.confirm);
    switch (e.type) {
      case 'button':
        this.max(`${where}.text`, textOf(e.text), LIMITS.buttonText);
        this.total += textOf(e.text).length;
        this.max(`${where}.value`, e.value, LIMITS.buttonValue);
        this.max(`${where}.url`, e.url, LIMITS.buttonUrl);
        break;
      case 'static_select':
      case 'multi_static_select': {
        const options: Obj[] = e.options ?? (e.option_groups ?? []).flatMap((g: Obj) => g.options ?? []);
        this.count(`${where}.options`, options, LIMITS.selectOptions);
        options.forEach((o, i) => this.option(`${where}.options[${i}]`, o));
        const initial: Obj[] = e.initial_option ? [e.initial_option] : (e.initial_options ?? []);
        for (const chosen of initial) {
          if (!options.some((o) => o.value === chosen.value && textOf(o.text) === textOf(chosen.text))) {
            this.problems.push(`${where}.initial_option: "${chosen.value}" is not among the options`);
          }
        }
        break;
      }
      case 'external_select':
      case 'multi_external_select':
        if (e.initial_option) this.option(`${where}.initial_option`, e.initial_option);
        break;
      case 'image':
        this.max(`${where}.alt_text`, e.alt_text, LIMITS.imageAltText);
        break;
      case 'mrkdwn':
      case 'plain_text':
        this.text(where, e);
        break;
      default:
        break;
    }
  }

  block(where: string, b: Obj): void {
    this.max(`${where}.block_id`, b.block_id, LIMITS.blockId);
    switch (b.type) {
      case 'section':
        this.text(`${where}.text`, b.text, LIMITS.sectionText);
        this.count(`${where}.fields`, b.fields, LIMITS.sectionFields);
        (b.fields ?? []).forEach((f: unknown, i: number) => this.text(`${where}.fields[${i}]`, f, LIMITS.sectionFieldText));
        this.element(`${where}.accessory`, b.accessory);
        break;
      case 'header':
        this.text(`${where}.text`, b.text, LIMITS.headerText);
        break;
      case 'context':
        this.count(`${where}.elements`, b.elements, LIMITS.contextElements);
        (b.elements ?? []).forEach((e: Obj, i: number) => this.element(`${where}.elements[${i}]`, e));
        break;
      case 'actions':
        this.count(`${where}.elements`, b.elements, LIMITS.actionsElements);
        (b.elements ?? []).forEach((e: Obj, i: number) => this.element(`${where}.elements[${i}]`, e));
        break;
      case 'input':
        this.text(`${where}.label`, b.label, LIMITS.inputLabel);
        this.text(`${where}.hint`, b.hint, LIMITS.inputHint);
        this.element(`${where}.element`, b.element);
        break;
      case 'image':
        this.max(`${where}.alt_text`, b.alt_text, LIMITS.imageAltText);
        break;
      default:
        break;
    }
  }

  blocks(where: string, blocks: unknown, limit: number): void {
    if (blocks === undefined || blocks === null) return;
    if (!Array.isArray(blocks)) {
      this.problems.push(`${where}: not an array`);
      return;
    }
    this.count(where, blocks, limit);
    blocks.forEach((b, i) => this.block(`${where}[${i}]`, b as Obj));
  }
}

export interface Refusal {
  /** Slack's error code for the refusal. */
  error: string;
  problems: string[];
}

/**
 * A message as chat.postMessage, chat.update, chat.postEphemeral or a response_url take it.
 * null when Slack would accept it.
 */
export function checkMessage(payload: Obj): Refusal | null {
  const c = new Checker();
  c.max('text', typeof payload.text === 'string' ? payload.text : undefined, LIMITS.messageText);
  c.blocks('blocks', payload.blocks, LIMITS.messageBlocks);
  if (c.total > LIMITS.messageBlocksText) {
    return { error: 'msg_blocks_too_long', problems: [`blocks: ${c.total} characters of text in all, more than ${LIMITS.messageBlocksText}`, ...c.problems] };
  }
  if (c.problems.length === 0) return null;
  const onlyText = c.problems.every((p) => p.startsWith('text:'));
  return { error: onlyText ? 'msg_too_long' : 'invalid_blocks', problems: c.problems };
}

/** A view as views.open, views.update, views.push and views.publish take it. */
export function checkView(view: Obj | undefined): Refusal | null {
  if (!view) return { error: 'invalid_arguments', problems: ['view: missing'] };
  const c = new Checker();
  c.max('view.title', textOf(view.title), LIMITS.viewTitle);
  c.max('view.submit', textOf(view.submit), LIMITS.viewButton);
  c.max('view.close', textOf(view.close), LIMITS.viewButton);
  c.max('view.private_metadata', view.private_metadata, LIMITS.privateMetadata);
  c.max('view.callback_id', view.callback_id, LIMITS.callbackId);
  c.blocks('view.blocks', view.blocks, LIMITS.viewBlocks);
  const hasInput = (view.blocks ?? []).some((b: Obj) => b?.type === 'input');
  if (view.type === 'modal' && hasInput && !view.submit) c.problems.push('view.submit: a modal with input blocks needs a submit button');
  return c.problems.length ? { error: 'invalid_arguments', problems: c.problems } : null;
}

/**
 * The options an options request (an external_select, Bolt's app.options) is answered with:
 * `options`, or `option_groups` (at most 100 groups, labels of 75, 100 options in each).
 */
export function checkOptions(payload: Obj): Refusal | null {
  const c = new Checker();
  if (!Array.isArray(payload.options) && !Array.isArray(payload.option_groups)) c.problems.push('options: missing');
  const groups: Obj[] = payload.option_groups ?? [];
  c.count('option_groups', groups, LIMITS.selectOptions);
  groups.forEach((g, i) => {
    c.max(`option_groups[${i}].label`, textOf(g.label), LIMITS.optionText);
    c.count(`option_groups[${i}].options`, g.options ?? [], LIMITS.selectOptions);
  });
  const options: Obj[] = payload.options ?? groups.flatMap((g: Obj) => g.options ?? []);
  if (payload.options) c.count('options', options, LIMITS.selectOptions);
  options.forEach((o, i) => c.option(`options[${i}]`, o));
  return c.problems.length ? { error: 'invalid_options', problems: c.problems } : null;
}

/**
 * What Slack answers a Web API call with, as far as its limits go: null when it accepts the
 * payload, else its refusal. Methods whose payload carries no Block Kit are accepted.
 */
export function refusalFor(method: string, given: Obj): Refusal | null {
  // A form-encoded call carries its Block Kit as JSON text.
  const args: Obj = { ...given };
  for (const key of ['blocks', 'view']) {
    if (typeof args[key] === 'string') {
      try {
        args[key] = JSON.parse(args[key]);
      } catch {
        return { error: 'invalid_arguments', problems: [`${key}: not JSON`] };
      }
    }
  }
  switch (method) {
    case 'chat.postMessage':
    case 'chat.update':
    case 'chat.postEphemeral':
    case 'chat.scheduleMessage':
      return checkMessage(args);
    case 'views.open':
    case 'views.update':
    case 'views.push':
    case 'views.publish':
      return checkView(args.view);
    case 'files.getUploadURLExternal':
      return checkUploadURL(args);
    case 'files.completeUploadExternal':
      return checkCompleteUpload(args);
    default:
      return null;
  }
}

/** files.getUploadURLExternal: a file name, a length in bytes, and at most 1,000 characters of alt text. */
export function checkUploadURL(args: Obj): Refusal | null {
  if (typeof args.filename !== 'string' || !args.filename.trim()) return { error: 'invalid_arguments', problems: ['filename: missing'] };
  const length = Number(args.length);
  if (!Number.isInteger(length) || length <= 0) return { error: 'missing_argument', problems: [`length: ${String(args.length)}, not a size in bytes`] };
  const c = new Checker();
  c.max('alt_txt', args.alt_txt, LIMITS.fileAltText);
  return c.problems.length ? { error: 'alt_txt_too_large', problems: c.problems } : null;
}

/** files.completeUploadExternal: the files (ids, optional titles), one channel for a thread, the comment's length. */
export function checkCompleteUpload(args: Obj): Refusal | null {
  const c = new Checker();
  let files: unknown = args.files;
  if (typeof files === 'string') {
    try {
      files = JSON.parse(files);
    } catch {
      files = null;
    }
  }
  if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f?.id === 'string' && f.id)) {
    c.problems.push('files: not an array of {"id": ..., "title": ...}');
  }
  if (args.thread_ts !== undefined && !args.channel_id && !(typeof args.channels === 'string' && !args.channels.includes(','))) {
    c.problems.push('thread_ts: given without exactly one channel');
  }
  c.max('initial_comment', args.initial_comment, LIMITS.messageText);
  return c.problems.length ? { error: 'invalid_arguments', problems: c.problems } : null;
}

/** What a response_url answers: Slack refuses a reply past the limits with HTTP 400 and the error as text. */
export function responseUrlRefusal(body: Obj): Refusal | null {
  return checkMessage(body);
}

// Every refusal of every test double in this process, taken by the afterEach of
// test/setup/slackLimits.ts: a test whose code sent a payload past Slack's limits fails.
const violations: string[] = [];

export function recordRefusal(where: string, refusal: Refusal): void {
  violations.push(`${where} refused (${refusal.error}): ${refusal.problems.join('; ')}`);
}

export function takeViolations(): string[] {
  return violations.splice(0, violations.length);
}

/** refusalFor, recorded: the test double's check of one call. */
export function checkCall(method: string, args: Obj): Refusal | null {
  const refusal = refusalFor(method, args);
  if (refusal) recordRefusal(method, refusal);
  return refusal;
}
