import { PassThrough } from 'node:stream';
import { runShell, type ShellOptions } from '../../bot/shell';

export const PROMPT = 'billbot> ';

/**
 * Drives runShell through streams, like a person at a terminal: `type` writes a line and
 * returns the reply up to the next prompt (the shell's, or a form field's); `transcript()` is
 * everything the shell wrote.
 */
export function driveShell(options: Omit<ShellOptions, 'input' | 'output' | 'terminal'>) {
  const input = new PassThrough();
  const output = new PassThrough();
  let transcript = '';
  output.on('data', (chunk: Buffer) => {
    transcript += chunk.toString('utf8');
  });
  const finished = runShell({ ...options, input, output, terminal: false });

  /** Waits until the transcript after `from` contains `text`; returns what came in between. */
  const waitFor = async (text: string, from: number): Promise<string> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const at = transcript.indexOf(text, from);
      if (at >= 0) return transcript.slice(from, at);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; transcript:\n${transcript.slice(from)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  return {
    finished,
    transcript: () => transcript,
    ready: () => waitFor(PROMPT, 0),
    waitFor,
    type: async (line: string, until = PROMPT): Promise<string> => {
      const mark = transcript.length;
      input.write(`${line}\n`);
      return waitFor(until, mark);
    },
    close: () => input.end(),
  };
}
