/**
 * Slack acknowledgement latency during a big bill run: the real Bolt app (bot/slack, HTTP
 * receiver, signatures checked) runs in a child process that also runs the bill run; this
 * side plays Slack: a local HTTP server stands in for the Web API (SLACK_API_URL) and for
 * the response_url posts, and signed slash commands are sent, `concurrency` at a time, while
 * the run is going. The latency of one command is the time from sending it to the HTTP
 * response, which is Bolt's ack.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forkChild, type BillResult, type SlackChildMessage } from './fork';

export interface SlackLatency {
  commands: number;
  concurrency: number;
  ok: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The same commands with no run going (after the warm-up round). */
  idleP50Ms: number;
  idleP99Ms: number;
  /** Replies that reached response_url by the end (the commands were done, not just acknowledged). */
  replies: number;
  /** True when the last acknowledgement came before the run finished. */
  duringRun: boolean;
  runSeconds: number;
  run: BillResult;
}

/** The Slack Web API and response_url, answered locally. */
export async function startFakeSlack(): Promise<{ url: string; replies: () => number; reply: (label: string) => string | undefined; close: () => Promise<void> }> {
  let replies = 0;
  let ts = 0;
  // What was posted to each (measured) response_url, by its label: what a command answered.
  const bodies = new Map<string, string>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = req.url ?? '';
      if (url.startsWith('/respond/')) {
        if (!url.startsWith('/respond/warm-')) {
          replies += 1;
          bodies.set(url.slice('/respond/'.length), body);
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      const method = url.replace(/^\/api\//, '').split('?')[0];
      const args = Object.fromEntries(new URLSearchParams(body));
      let answer: Record<string, unknown>;
      switch (method) {
        case 'auth.test':
          answer = { ok: true, url: 'https://bench.slack.com/', team: 'Bench', user: 'billbot', team_id: 'T0BENCH', user_id: 'U0BOT', bot_id: 'B0BOT' };
          break;
        case 'chat.postMessage':
          ts += 1;
          answer = { ok: true, channel: args.channel, ts: `1790000000.${String(ts).padStart(6, '0')}` };
          break;
        case 'chat.update':
          answer = { ok: true, channel: args.channel, ts: args.ts };
          break;
        case 'chat.postEphemeral':
          answer = { ok: true, message_ts: '1790000000.999999' };
          break;
        default:
          answer = { ok: true };
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    replies: () => replies,
    reply: (label) => bodies.get(label),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function signed(secret: string, body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
  };
}

/** Sends `count` signed slash commands, `concurrency` at a time; returns each one's time to the ack (ms) and its HTTP status. */
export async function sendSlashCommands(
  port: number,
  secret: string,
  responseBase: string,
  commands: { command: string; text: string }[],
  concurrency: number,
  label = '',
): Promise<{ ms: number; status: number; at: number }[]> {
  const results: { ms: number; status: number; at: number }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const i = next++;
      const { command, text } = commands[i];
      const body = new URLSearchParams({
        token: 'legacy-verification-token',
        team_id: 'T0BENCH',
        team_domain: 'bench',
        channel_id: 'C0BENCH',
        channel_name: 'billing',
        user_id: 'U0BENCH',
        user_name: 'bench',
        command,
        text,
        api_app_id: 'A0BILLBOT',
        is_enterprise_install: 'false',
        response_url: `${responseBase}/respond/${label}${i}`,
        trigger_id: `${Date.now()}.${i}.${randomBytes(4).toString('hex')}`,
      }).toString();
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: signed(secret, body), body });
      await response.arrayBuffer();
      results.push({ ms: performance.now() - started, status: response.status, at: Date.now() });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** What the acknowledgements of a round of commands came to. */
export interface AckFigures {
  ok: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function ackFigures(acks: { ms: number; status: number }[]): AckFigures {
  const sorted = acks.map((a) => a.ms).sort((a, b) => a - b);
  return { ok: acks.filter((a) => a.status === 200).length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1] ?? NaN };
}

/** The Bolt app of bot/slack in a child process (child.ts), with the fake Slack it talks to. */
export interface SlackAppChild {
  port: number;
  /** Sends `commands`, `concurrency` at a time, signed with the app's secret (see sendSlashCommands). */
  send: (commands: { command: string; text: string }[], concurrency: number, label?: string) => Promise<{ ms: number; status: number; at: number }[]>;
  /**
   * A process that has just started answers its first requests slowly (V8 compiles the code
   * paths as they are first taken): one round, not measured, as a running bot has long done;
   * then a round with no run going, for comparison. Resolves with the second round's figures.
   */
  warmUp: (commands: { command: string; text: string }[], concurrency: number) => Promise<AckFigures>;
  replies: () => number;
  /** What the command sent as `<label><index>` answered at its response_url (its JSON), if it has. */
  reply: (label: string) => string | undefined;
  /** Resolves with the first message of that type; rejects when the child stopped first. */
  waitFor: <K extends SlackChildMessage['type']>(type: K) => Promise<Extract<SlackChildMessage, { type: K }>>;
  go: () => void;
  /** Stops the app and waits for the child to end well (throws when it did not); closes the fake Slack. */
  stop: () => Promise<void>;
  /** Kills the child if it still runs and closes the fake Slack (for finally). */
  close: () => Promise<void>;
}

/** Starts the app (and, with `run`, a bill run on "go") in a child process on `databaseUrl`; resolves once it listens. */
export async function startSlackApp(
  databaseUrl: string,
  options: { run?: { configuration: string; from: string; to: string }; familiesPerBatch?: number; workers?: number } = {},
): Promise<SlackAppChild> {
  const secret = randomBytes(16).toString('hex');
  const slack = await startFakeSlack();
  const child = forkChild(
    { kind: 'slack', signingSecret: secret, apiUrl: `${slack.url}/api/`, run: options.run, familiesPerBatch: options.familiesPerBatch, workers: options.workers },
    databaseUrl,
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const messages: SlackChildMessage[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m: SlackChildMessage) => {
    messages.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const tail = () => stderr.trim().split('\n').slice(-5).join(' | ');
  let closed = false;
  const close = async () => {
    if (child.exitCode === null) child.kill();
    if (!closed) await slack.close();
    closed = true;
  };
  const waitFor = async <K extends SlackChildMessage['type']>(type: K): Promise<Extract<SlackChildMessage, { type: K }>> => {
    for (;;) {
      const found = messages.find((m) => m.type === type);
      if (found) return found as Extract<SlackChildMessage, { type: K }>;
      const code = await Promise.race([new Promise<'more'>((resolve) => waiters.push(() => resolve('more'))), exited]);
      if (code !== 'more') throw new Error(`The Slack app stopped (exit code ${code}) before "${type}": ${tail()}`);
    }
  };
  try {
    const { port } = await waitFor('ready');
    const send: SlackAppChild['send'] = (commands, concurrency, label = '') => sendSlashCommands(port, secret, slack.url, commands, concurrency, label);
    return {
      port,
      send,
      warmUp: async (commands, concurrency) => {
        await send(commands, concurrency, 'warm-');
        return ackFigures(await send(commands, concurrency, 'warm-idle-'));
      },
      replies: slack.replies,
      reply: slack.reply,
      waitFor,
      go: () => child.send({ type: 'go' }),
      stop: async () => {
        child.send({ type: 'stop' });
        const code = await exited;
        await close();
        if (code !== 0) throw new Error(`The Slack app failed (exit code ${code}): ${tail()}`);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Starts the app and the run in a child, waits `delayMs` into the run, sends the commands
 * and waits for the run to finish. `account` is named by the read commands (`/credit list`).
 */
export async function measureSlackDuringRun(options: {
  databaseUrl: string;
  configuration: string;
  period: { start: string; end: string };
  account: string;
  commands?: number;
  concurrency?: number;
  delayMs?: number;
  familiesPerBatch?: number;
  workers?: number;
}): Promise<SlackLatency> {
  const count = options.commands ?? 200;
  const concurrency = options.concurrency ?? 20;
  const app = await startSlackApp(options.databaseUrl, {
    run: { configuration: options.configuration, from: options.period.start, to: options.period.end },
    familiesPerBatch: options.familiesPerBatch,
    workers: options.workers,
  });
  try {
    const commands = Array.from({ length: count }, (_, i) =>
      i % 2 === 0 ? { command: '/billing', text: 'help' } : { command: '/credit', text: `list ${options.account}` },
    );
    const idle = await app.warmUp(commands, concurrency);
    app.go();
    await app.waitFor('started');
    await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 500));
    const acks = await app.send(commands, concurrency);
    const done = await app.waitFor('done');
    await app.stop();
    return {
      commands: count,
      concurrency,
      ...ackFigures(acks),
      idleP50Ms: idle.p50Ms,
      idleP99Ms: idle.p99Ms,
      replies: app.replies(),
      duringRun: Math.max(...acks.map((a) => a.at)) < done.at,
      runSeconds: done.seconds,
      run: done.result,
    };
  } finally {
    await app.close();
  }
}

/** Acknowledgements while a bill run goes on in another process (measureAcksDuring). */
export interface AckLatency extends AckFigures {
  /** Commands sent (fewer than asked when the run ended first). */
  commands: number;
  concurrency: number;
  /** The same commands with no run going (after the warm-up round). */
  idleP50Ms: number;
  idleP99Ms: number;
  /** Replies that reached response_url by the end (the commands were done, not just acknowledged). */
  replies: number;
  /** Replies without the text their command must answer (SlashCommand's `answers`); the first of them. */
  wrongAnswers: number;
  firstWrongAnswer?: string;
  /** True when every command was sent and the last acknowledgement came before the run ended. */
  duringRun: boolean;
  /** Seconds from the run's start (as runStarted saw it) to its end (runEndedAt), and to the last ack. */
  runSeconds: number;
  lastAckSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Slack acknowledgement latency while a bill run goes on in another process (the user path:
 * the CLI's `billbot bill`). The app runs in a child with no run of its own and is warmed up
 * first (see warmUp); then `startRun` starts the run's process, and once `runStarted` says the
 * run has begun (polled every 20 ms), `commands` are sent `concurrency` at a time, in rounds
 * spread evenly over `windowMs` (a round starts no earlier than its share of the window). No
 * round starts after the run's process ended. `runEndedAt` gives the run's end (epoch ms).
 */
export async function measureAcksDuring<T>(options: {
  databaseUrl: string;
  /** `answers`: a text the command's reply must contain (a reply without it counts as a wrong answer). */
  commands: { command: string; text: string; answers?: string }[];
  concurrency: number;
  windowMs: number;
  startRun: () => Promise<T>;
  runStarted: () => Promise<boolean>;
  runEndedAt: (result: T) => Promise<number | null>;
}): Promise<{ latency: AckLatency; result: T }> {
  const { commands, concurrency } = options;
  const app = await startSlackApp(options.databaseUrl);
  try {
    const idle = await app.warmUp(commands, concurrency);
    let ended = false;
    const running = options.startRun().finally(() => (ended = true));
    let startedAt = Date.now();
    while (!ended && !(await options.runStarted())) {
      await sleep(20);
      startedAt = Date.now();
    }
    const acks: { ms: number; status: number; at: number }[] = [];
    const rounds = Math.ceil(commands.length / concurrency);
    for (let r = 0; r < rounds && !ended; r++) {
      await sleep(startedAt + (r * options.windowMs) / rounds - Date.now());
      if (ended) break;
      acks.push(...(await app.send(commands.slice(r * concurrency, (r + 1) * concurrency), concurrency, `r${r}-`)));
    }
    const result = await running;
    const endedAt = await options.runEndedAt(result);
    await app.stop();
    const lastAck = Math.max(...acks.map((a) => a.at));
    return {
      result,
      latency: {
        commands: acks.length,
        concurrency,
        ...ackFigures(acks),
        idleP50Ms: idle.p50Ms,
        idleP99Ms: idle.p99Ms,
        replies: app.replies(),
        ...wrongAnswers(commands.slice(0, acks.length), concurrency, app.reply),
        duringRun: acks.length === commands.length && endedAt !== null && lastAck < endedAt,
        runSeconds: endedAt === null ? NaN : (endedAt - startedAt) / 1000,
        lastAckSeconds: acks.length ? (lastAck - startedAt) / 1000 : NaN,
      },
    };
  } finally {
    await app.close();
  }
}

/** The commands of measureAcksDuring's rounds (round r's i-th was sent as `r<r>-<i>`) whose reply lacks what they must answer. */
function wrongAnswers(commands: { answers?: string }[], concurrency: number, reply: (label: string) => string | undefined): Pick<AckLatency, 'wrongAnswers' | 'firstWrongAnswer'> {
  const wrong: string[] = [];
  commands.forEach((c, k) => {
    const body = reply(`r${Math.floor(k / concurrency)}-${k % concurrency}`) ?? '(no reply)';
    if (c.answers !== undefined && !body.includes(c.answers)) wrong.push(body.slice(0, 300));
  });
  return { wrongAnswers: wrong.length, firstWrongAnswer: wrong[0] };
}
