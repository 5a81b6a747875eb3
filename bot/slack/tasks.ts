/**
 * How many slash commands' work (the role check, the audit, the command, the reply) runs at once
 * (BackgroundWork.inTurn), and how long one holds its turn at most (a bill run or an import then
 * lets the next begin). Every command is acknowledged before its work: with the work of a burst
 * of 20 commands interleaved on the process's one thread, each acknowledgement waited behind it
 * (test/bench/RESULTS.md, "Session 11").
 */
export const TURNS = { atOnce: 2, heldMs: 250 };

/**
 * Work a listener does after it has acknowledged Slack (a bill run, a credit change): tracked
 * so that shutdown, and tests, can wait for it to finish; a slash command's work in its turn.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();
  private taken = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly turns: { atOnce: number; heldMs: number } = TURNS) {}

  /** Runs the work now and resolves when it is done; a failure is passed to onError, never thrown. */
  run(work: () => Promise<void>, onError: (error: unknown) => void | Promise<void>): Promise<void> {
    const task: Promise<void> = (async () => {
      try {
        await work();
      } catch (error) {
        try {
          await onError(error);
        } catch {
          // the error reporter itself failed (Slack unreachable); nothing more can be done
        }
      }
    })().finally(() => this.running.delete(task));
    this.running.add(task);
    return task;
  }

  /**
   * Runs `work` in its turn: at most `atOnce` at a time, in the order they asked; a turn is given
   * back when the work ends or after `heldMs`, whichever comes first.
   */
  async inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.taken < this.turns.atOnce) this.taken++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let held = true;
    const giveBack = () => {
      if (!held) return;
      held = false;
      // The turn goes to the longest waiting, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.taken--;
    };
    const timer = setTimeout(giveBack, this.turns.heldMs);
    try {
      return await work();
    } finally {
      clearTimeout(timer);
      giveBack();
    }
  }

  /** Resolves once no work is running (including work started while waiting). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  get size(): number {
    return this.running.size;
  }
}
