import { Readable } from 'node:stream';
import nock from 'nock';
import { downloadSlackFile } from '../../../bot/slack/uploads';

// Downloading a file sent to the bot (bot/slack/uploads.ts): the bot token goes only to Slack,
// and no more than the limit is read, whatever the server says.
describe('downloading a file from Slack', () => {
  const settings = { maxBytes: 1000, downloadTimeoutMs: 5000 };
  let seen: (string | undefined)[];

  beforeEach(() => {
    seen = [];
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('sends the bot token to Slack and returns the bytes', async () => {
    nock('https://files.slack.com')
      .get('/files-pri/T0-F1/download/a.xlsx')
      .reply(function () {
        seen.push(this.req.headers.authorization as string | undefined);
        return [200, Buffer.from('PK\u0003\u0004 bytes'), { 'content-type': 'application/octet-stream' }];
      });
    const data = await downloadSlackFile('https://files.slack.com/files-pri/T0-F1/download/a.xlsx', 'xoxb-secret', settings);
    expect(data.toString()).toBe('PK\u0003\u0004 bytes');
    expect(seen).toEqual(['Bearer xoxb-secret']);
  });

  it.each([
    ['another host', 'https://evil.example.com/files-pri/a.xlsx'],
    ['a host that only ends like Slack', 'https://notslack.com/a.xlsx'],
    ['plain http', 'http://files.slack.com/files-pri/a.xlsx'],
    ['no address at all', 'not a url'],
  ])('refuses %s without sending anything', async (_what, address) => {
    const scope = nock(/.*/).get(/.*/).reply(200, 'x');
    await expect(downloadSlackFile(address, 'xoxb-secret', settings)).rejects.toMatchObject({ code: 'slack_request' });
    expect(scope.isDone()).toBe(false);
  });

  it('stops reading past the limit when the size is not stated, and refuses a stated size over it', async () => {
    nock('https://files.slack.com')
      .get('/big')
      .reply(200, () => Readable.from((function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(100, 1);
      })()));
    await expect(downloadSlackFile('https://files.slack.com/big', 'xoxb-secret', settings)).rejects.toMatchObject({
      code: 'workbook_too_large',
      message: 'The file is over 1 KB; a workbook can be at most 1 KB.',
    });
    nock('https://files.slack.com').get('/stated').reply(200, 'small', { 'content-length': '5000' });
    await expect(downloadSlackFile('https://files.slack.com/stated', 'xoxb-secret', settings)).rejects.toMatchObject({ code: 'workbook_too_large' });
  });

  it('refuses a sign-in page or an error instead of the file', async () => {
    nock('https://files.slack.com').get('/page').reply(200, '<html>sign in</html>', { 'content-type': 'text/html; charset=utf-8' });
    await expect(downloadSlackFile('https://files.slack.com/page', 'xoxb-secret', settings)).rejects.toThrow('Slack answered with a web page instead of the file');
    nock('https://files.slack.com').get('/gone').reply(404, 'not found');
    await expect(downloadSlackFile('https://files.slack.com/gone', 'xoxb-secret', settings)).rejects.toThrow('Slack did not hand over the file (HTTP 404); send it again.');
  });
});
