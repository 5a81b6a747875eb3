// First: the heap's growth is set before anything is allocated.
import '../heap';
import { CommanderError } from 'commander';
import { CliIo, EXIT_OK, EXIT_USAGE, Job, sentence } from './io';
import { buildProgram, UsageError } from './program';

export type { CliIo } from './io';

/**
 * `billbot`: the billing engine from a terminal. Every command builds the same Command
 * objects as Slack and the shell (validated by the same zod schemas), runs them through the
 * same executor and prints the same renderer's output as text, or one JSON object with
 * --json. Bad input: one sentence on stderr, a non-zero exit, nothing written (arguments
 * are checked before the database is opened).
 */

function defaultIo(): CliIo {
  return { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env };
}

/** Runs billbot with node's argv; resolves to the exit code. */
export async function main(argv: string[] = process.argv, io: CliIo = defaultIo()): Promise<number> {
  let job: Job | undefined;
  let asJson = false;
  try {
    await buildProgram(io, (j, json) => {
      job = j;
      asJson = json;
    }).parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
      if (e.code === 'commander.help') return e.exitCode;
      io.stderr(`${sentence(e.message).replace(/\.$/, '')}; see billbot --help.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.stderr(`${sentence(e.message)}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (!job) return EXIT_OK;

  // The database, billing and the renderer are loaded only once there is a job to run.
  const { runJob } = await import('./job');
  return runJob(job, asJson, io);
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`billbot failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
