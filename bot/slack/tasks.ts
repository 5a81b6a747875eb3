/**
 * Work a listener does after it has acknowledged Slack (a bill run, a credit change): tracked
 * so that shutdown, and tests, can wait for it to finish.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

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

  /** Resolves once no work is running (including work started while waiting). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  get size(): number {
    return this.running.size;
  }
}
