import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { takeViolations } from '../../helpers/slackLimits';
import { BOT_TOKEN, fakeClient, fakeSlack, interactionBody, optionsAck, postSigned, RESPONSE_HOST, type FakeSlack } from './helpers';

/** The Slack test doubles refuse what Slack refuses, and the refusal fails the test that caused it. */
describe('the strict Slack test doubles', () => {
  let slack: FakeSlack;
  beforeEach(() => {
    slack = fakeSlack();
  });
  afterEach(() => slack.done());

  const tooLong = { channel: 'C1', text: 'x'.repeat(4001) };
  const tooManyBlocks = { channel: 'C1', text: 't', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) };

  it('answers a message past the limits with Slack error, and records it for the test to fail', async () => {
    const client = new WebClient(BOT_TOKEN, { retryConfig: { retries: 0 } });
    await expect(client.chat.postMessage(tooLong)).rejects.toMatchObject({ data: { ok: false, error: 'msg_too_long' } });
    await expect(client.chat.postMessage(tooManyBlocks)).rejects.toMatchObject({ data: { ok: false, error: 'invalid_blocks' } });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'fine' })).resolves.toMatchObject({ ok: true });
    expect(takeViolations()).toEqual([
      expect.stringMatching(/^chat\.postMessage refused \(msg_too_long\): text: 4001 characters/),
      expect.stringMatching(/^chat\.postMessage refused \(invalid_blocks\): blocks: 51 items/),
    ]);
  });

  it('refuses a response_url reply past the limits with HTTP 400', async () => {
    const response = await fetch(`${RESPONSE_HOST}/r1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tooLong) });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('msg_too_long');
    expect(takeViolations()).toHaveLength(1);
  });

  it('checks what an options listener answers (Bolt app.options): 100 options, text 75, value 150', async () => {
    const option = (i: number, text = `Option ${i}`) => ({ text: { type: 'plain_text', text }, value: `v${i}` });
    const ack = optionsAck();
    await ack({ options: Array.from({ length: 100 }, (_, i) => option(i)) });
    expect(takeViolations()).toEqual([]);
    await ack({ options: Array.from({ length: 101 }, (_, i) => option(i)) });
    await ack({ options: [option(1, 'x'.repeat(76))] });
    await ack({ option_groups: [{ label: { type: 'plain_text', text: 'Accounts' }, options: [{ text: { type: 'plain_text', text: 'A' }, value: 'v'.repeat(151) }] }] });
    await ack();
    expect(takeViolations()).toEqual([
      expect.stringMatching(/^options ack refused \(invalid_options\): options: 101 items/),
      expect.stringMatching(/^options ack refused \(invalid_options\): options\[0\]\.text: 76 characters/),
      expect.stringMatching(/^options ack refused \(invalid_options\): options\[0\]\.value: 151 characters/),
      'options ack refused (invalid_options): options: missing',
    ]);
  });

  it("checks the app's answer to every options request sent through postSigned", async () => {
    // A stand-in for the app that answers a menu with 101 options.
    const options = Array.from({ length: 101 }, (_, i) => ({ text: { type: 'plain_text', text: `Option ${i}` }, value: `v${i}` }));
    const server: Server = createServer((_req, res) => res.end(JSON.stringify({ options })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      await postSigned(port, interactionBody({ type: 'block_actions' }));
      expect(takeViolations()).toEqual([]);
      await postSigned(port, interactionBody({ type: 'block_suggestion', action_id: 'account', value: 'co' }));
      expect(takeViolations()).toEqual([expect.stringMatching(/^options response refused \(invalid_options\): options: 101 items/)]);
    } finally {
      server.close();
    }
  });

  it('makes the listeners fake client throw as the Web API client does', async () => {
    const client = fakeClient();
    await expect(client.chat.postMessage(tooManyBlocks)).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await expect(client.views.open({ trigger_id: 't', view: { type: 'modal', title: { type: 'plain_text', text: 'x'.repeat(25) }, blocks: [] } })).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
    expect(takeViolations()).toHaveLength(2);
  });
});
