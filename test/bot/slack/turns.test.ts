import { BackgroundWork, TURNS } from '../../../bot/slack/tasks';

// Slash commands' work runs in turns (bot/slack/tasks.ts): a few at once, in the order they
// came, a long one giving its turn back after a while, a failed one at once.

/** A work that ends when told, noting when it began. */
function gate(name: string, began: string[]): { work: () => Promise<string>; end: () => void } {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return {
    work: async () => {
      began.push(name);
      await ended;
      return name;
    },
    end,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('work in turns', () => {
  it('runs the configured number at once (two by default), the others in the order they came', async () => {
    expect(TURNS.atOnce).toBe(2);
    const tasks = new BackgroundWork({ atOnce: 2, heldMs: 60_000 });
    const began: string[] = [];
    const gates = ['a', 'b', 'c', 'd'].map((n) => gate(n, began));
    const results = gates.map((g) => tasks.inTurn(g.work));
    await settle();
    expect(began).toEqual(['a', 'b']);
    gates[1].end();
    await settle();
    expect(began).toEqual(['a', 'b', 'c']);
    gates[0].end();
    await settle();
    expect(began).toEqual(['a', 'b', 'c', 'd']);
    gates[2].end();
    gates[3].end();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
  });

  it('lets the next begin when a work has held its turn for heldMs, and once a work fails', async () => {
    const tasks = new BackgroundWork({ atOnce: 1, heldMs: 30 });
    const began: string[] = [];
    const long = gate('long', began);
    const next = gate('next', began);
    const first = tasks.inTurn(long.work);
    const second = tasks.inTurn(next.work);
    await settle();
    expect(began).toEqual(['long']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(began).toEqual(['long', 'next']);
    long.end();
    next.end();
    await expect(Promise.all([first, second])).resolves.toEqual(['long', 'next']);

    const failing = tasks.inTurn(async () => {
      throw new Error('refused');
    });
    const after = gate('after', began);
    const third = tasks.inTurn(after.work);
    await expect(failing).rejects.toThrow('refused');
    await settle();
    expect(began).toEqual(['long', 'next', 'after']);
    after.end();
    await expect(third).resolves.toBe('after');
  });
});
