import { checkMessage, checkOptions, checkView, LIMITS, refusalFor } from '../helpers/slackLimits';

/** The strict test double's own rules: each limit refuses one past it and accepts it exactly. */
const x = (n: number) => 'x'.repeat(n);
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (o: Record<string, unknown> = {}) => ({ type: 'button', text: { type: 'plain_text', text: 'Go' }, action_id: 'go', ...o });
const option = (value: string, text = value) => ({ text: { type: 'plain_text', text }, value });

describe('the Slack limits checker', () => {
  it('accepts a plain message and refuses one whose text is past 4,000 characters', () => {
    expect(checkMessage({ text: x(LIMITS.messageText), blocks: [section('hi')] })).toBeNull();
    expect(checkMessage({ text: x(LIMITS.messageText + 1) })?.error).toBe('msg_too_long');
  });

  it('counts blocks: 50 in a message, 100 in a view', () => {
    expect(checkMessage({ text: 't', blocks: Array.from({ length: 50 }, () => section('a')) })).toBeNull();
    expect(checkMessage({ text: 't', blocks: Array.from({ length: 51 }, () => section('a')) })?.error).toBe('invalid_blocks');
    const view = (n: number) => ({ type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: Array.from({ length: n }, () => section('a')) });
    expect(checkView(view(100))).toBeNull();
    expect(checkView(view(101))?.error).toBe('invalid_arguments');
  });

  it('refuses a section past 3,000, an 11th field, a field past 2,000, a header past 150', () => {
    expect(checkMessage({ text: 't', blocks: [section(x(3000))] })).toBeNull();
    expect(checkMessage({ text: 't', blocks: [section(x(3001))] })?.problems[0]).toMatch(/blocks\[0\]\.text: 3001 characters/);
    const fields = (n: number, len = 1) => ({ type: 'section', fields: Array.from({ length: n }, () => ({ type: 'mrkdwn', text: x(len) })) });
    expect(checkMessage({ text: 't', blocks: [fields(10, 900)] })).toBeNull();
    expect(checkMessage({ text: 't', blocks: [fields(1, 2000)] })).toBeNull();
    expect(checkMessage({ text: 't', blocks: [fields(11)] })).not.toBeNull();
    expect(checkMessage({ text: 't', blocks: [fields(1, 2001)] })).not.toBeNull();
    expect(checkMessage({ text: 't', blocks: [{ type: 'header', text: { type: 'plain_text', text: x(151) } }] })).not.toBeNull();
  });

  it('refuses a message whose blocks carry more than 10,000 characters in all', () => {
    const blocks = Array.from({ length: 4 }, () => section(x(2500)));
    expect(checkMessage({ text: 't', blocks })).toBeNull();
    expect(checkMessage({ text: 't', blocks: [...blocks, section('y')] })?.error).toBe('msg_blocks_too_long');
  });

  it('checks context and actions counts, buttons and confirm dialogs', () => {
    const context = (n: number) => ({ type: 'context', elements: Array.from({ length: n }, () => ({ type: 'mrkdwn', text: 'a' })) });
    expect(checkMessage({ text: 't', blocks: [context(10)] })).toBeNull();
    expect(checkMessage({ text: 't', blocks: [context(11)] })).not.toBeNull();
    const actions = (n: number, o = {}) => ({ type: 'actions', elements: Array.from({ length: n }, () => button(o)) });
    expect(checkMessage({ text: 't', blocks: [actions(25)] })).toBeNull();
    expect(checkMessage({ text: 't', blocks: [actions(26)] })).not.toBeNull();
    expect(checkMessage({ text: 't', blocks: [actions(1, { text: { type: 'plain_text', text: x(76) } })] })).not.toBeNull();
    expect(checkMessage({ text: 't', blocks: [actions(1, { value: x(2001) })] })).not.toBeNull();
    const confirm = (text: number, title = 5, yes = 5) => ({
      confirm: { title: { type: 'plain_text', text: x(title) }, text: { type: 'mrkdwn', text: x(text) }, confirm: { type: 'plain_text', text: x(yes) }, deny: { type: 'plain_text', text: 'No' } },
    });
    expect(checkMessage({ text: 't', blocks: [actions(1, confirm(300, 100, 30))] })).toBeNull();
    expect(checkMessage({ text: 't', blocks: [actions(1, confirm(301))] })?.problems[0]).toMatch(/confirm\.text: 301 characters/);
    expect(checkMessage({ text: 't', blocks: [actions(1, confirm(10, 101))] })).not.toBeNull();
    expect(checkMessage({ text: 't', blocks: [actions(1, confirm(10, 5, 31))] })).not.toBeNull();
    expect(checkMessage({ text: 't', blocks: [{ ...section('a'), block_id: x(256) }] })).not.toBeNull();
    expect(checkMessage({ text: 't', blocks: [actions(1, { action_id: x(256) })] })).not.toBeNull();
  });

  it('checks static selects: 100 options, option text 75 and value 150, the initial option among them', () => {
    const select = (options: object[], initial?: object) => ({
      type: 'modal',
      title: { type: 'plain_text', text: 'T' },
      submit: { type: 'plain_text', text: 'OK' },
      blocks: [{ type: 'input', label: { type: 'plain_text', text: 'L' }, element: { type: 'static_select', action_id: 'a', options, initial_option: initial } }],
    });
    const hundred = Array.from({ length: 100 }, (_, i) => option(`v${i}`));
    expect(checkView(select(hundred, hundred[99]))).toBeNull();
    expect(checkView(select([...hundred, option('v100')]))).not.toBeNull();
    expect(checkView(select([option('v', x(76))]))).not.toBeNull();
    expect(checkView(select([option(x(151), 'a')]))).not.toBeNull();
    expect(checkView(select(hundred, option('v100')))?.problems[0]).toMatch(/not among the options/);
    expect(checkOptions({ options: hundred })).toBeNull();
    expect(checkOptions({ options: [...hundred, option('v100')] })).not.toBeNull();
  });

  it('checks a view: title, submit and close 24, private_metadata 3,000, a submit button with inputs', () => {
    const view = (o: Record<string, unknown>) => ({ type: 'modal', title: { type: 'plain_text', text: 'Title' }, blocks: [], ...o });
    expect(checkView(view({ title: { type: 'plain_text', text: x(24) } }))).toBeNull();
    expect(checkView(view({ title: { type: 'plain_text', text: x(25) } }))).not.toBeNull();
    expect(checkView(view({ submit: { type: 'plain_text', text: x(25) } }))).not.toBeNull();
    expect(checkView(view({ close: { type: 'plain_text', text: x(25) } }))).not.toBeNull();
    expect(checkView(view({ private_metadata: x(3000) }))).toBeNull();
    expect(checkView(view({ private_metadata: x(3001) }))).not.toBeNull();
    const input = { type: 'input', label: { type: 'plain_text', text: 'L' }, element: { type: 'plain_text_input', action_id: 'a' } };
    expect(checkView(view({ blocks: [input] }))?.problems).toEqual(['view.submit: a modal with input blocks needs a submit button']);
  });

  it('checks file uploads: a name and a size, alt text of at most 1,000 characters, files to complete and one channel for a thread', () => {
    const ask = (o: Record<string, unknown>) => refusalFor('files.getUploadURLExternal', { filename: 'chart.png', length: '5120', ...o });
    expect(ask({ alt_txt: x(LIMITS.fileAltText) })).toBeNull();
    expect(ask({ alt_txt: x(LIMITS.fileAltText + 1) })?.error).toBe('alt_txt_too_large');
    expect(ask({ length: '0' })?.error).toBe('missing_argument');
    expect(ask({ filename: '' })?.error).toBe('invalid_arguments');
    const complete = (o: Record<string, unknown>) => refusalFor('files.completeUploadExternal', { files: JSON.stringify([{ id: 'F1', title: 'T' }]), ...o });
    expect(complete({ channel_id: 'C1', thread_ts: '1.2', initial_comment: x(LIMITS.messageText) })).toBeNull();
    expect(complete({ thread_ts: '1.2' })?.problems).toEqual(['thread_ts: given without exactly one channel']);
    expect(complete({ files: '[]' })?.error).toBe('invalid_arguments');
    expect(complete({ files: JSON.stringify([{ title: 'no id' }]) })?.error).toBe('invalid_arguments');
    expect(complete({ initial_comment: x(LIMITS.messageText + 1) })?.error).toBe('invalid_arguments');
  });
});
