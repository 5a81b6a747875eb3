/**
 * The user path's figures over several passes (test/bench/userPathPasses.ts): each step's lowest
 * time, its highest peak memory, every pass right or the figure wrong; and the targets held to them.
 */
import type { UserPathFigures } from './bench/userPath';
import { bestOfPasses } from './bench/userPathPasses';
import { userPathRows, userPathTargets } from './bench/userPathReport';
import { userPathExpectation } from './bench/workbook';

function pass(n: number, t: { import: number; preview: number; run: number; runItself: number; floor: number; mb?: number }): UserPathFigures {
  const mb = t.mb ?? 100;
  return {
    accounts: n,
    workbookMb: 1,
    expected: userPathExpectation(n),
    import: { seconds: t.import, peakMb: mb + 50 },
    preview: { seconds: t.preview, peakMb: mb, invoices: 2, charges: 3, wroteNothing: true },
    run: { seconds: t.run, peakMb: mb, runId: 1, invoices: 2, charges: 3, runSeconds: t.runItself },
    floor: { seconds: t.floor, transactions: 3, invoices: 2, accountPackages: 1 },
    ratioToFloor: t.run / t.floor,
    problems: [],
  };
}

describe("the user path's passes", () => {
  it("takes each step's lowest time and highest memory, and the run over the lowest floor", () => {
    const first = pass(100_000, { import: 12, preview: 5, run: 6, runItself: 4.5, floor: 1.2, mb: 100 });
    const second = pass(100_000, { import: 11, preview: 5.5, run: 7, runItself: 4.2, floor: 1.5, mb: 120 });
    const best = bestOfPasses([first, second]);
    expect(best.import).toEqual({ seconds: 11, peakMb: 170 });
    expect(best.preview).toMatchObject({ seconds: 5, peakMb: 120, wroteNothing: true });
    expect(best.run).toMatchObject({ seconds: 6, peakMb: 120, runSeconds: 4.2 });
    expect(best.floor?.seconds).toBe(1.2);
    expect(best.ratioToFloor).toBeCloseTo(5, 10);
    expect(best.passes).toEqual([first, second]);
    expect(best.problems).toEqual([]);
    expect(best.failed).toBeUndefined();
    // One pass is its own figure.
    expect(bestOfPasses([first])).toBe(first);
  });

  it('keeps what the first pass alone measured (the export, Slack) and refuses passes of different sizes', () => {
    const first = { ...pass(200_000, { import: 25, preview: 9, run: 9, runItself: 7, floor: 3 }), export: { seconds: 14, peakMb: 140, invoices: 2, transactions: 3, sheets: [] } };
    const best = bestOfPasses([first, pass(200_000, { import: 20, preview: 8, run: 9.5, runItself: 7.5, floor: 3.3 })]);
    expect(best.export).toEqual(first.export);
    expect(best.import?.seconds).toBe(20);
    expect(() => bestOfPasses([first, pass(100_000, { import: 1, preview: 1, run: 1, runItself: 1, floor: 1 })])).toThrow('different sizes');
    expect(() => bestOfPasses([])).toThrow('no pass');
  });

  it('is wrong when any pass is: its problems, its failure, a preview that wrote', () => {
    const ok = pass(100_000, { import: 12, preview: 5, run: 6, runItself: 4.5, floor: 1.2 });
    const wrong = { ...pass(100_000, { import: 11, preview: 5, run: 6, runItself: 4.5, floor: 1.2 }), problems: ['run: 1 invoices, expected 2'] };
    expect(bestOfPasses([ok, wrong]).problems).toEqual(['pass 2: run: 1 invoices, expected 2']);
    const wrote = pass(100_000, { import: 11, preview: 4, run: 6, runItself: 4.5, floor: 1.2 });
    wrote.preview!.wroteNothing = false;
    expect(bestOfPasses([ok, wrote]).preview).toMatchObject({ seconds: 4, wroteNothing: false });
    const failed: UserPathFigures = { ...pass(100_000, { import: 10, preview: 1, run: 1, runItself: 1, floor: 1 }), preview: undefined, run: undefined, floor: undefined, failed: { step: 'import', error: 'exit 1: refused' } };
    const best = bestOfPasses([ok, failed]);
    expect(best.failed).toEqual({ step: 'import', error: 'pass 2: exit 1: refused' });
    const met = Object.fromEntries(userPathTargets([best]).map((t) => [t.figure, t.met]));
    expect(met['user path 100000: import applied, preview, runs and export complete and right']).toBe(false);
  });

  it('holds the doublings to the lowest times, and prints every pass under the figures over them', () => {
    const a = bestOfPasses([
      pass(100_000, { import: 10, preview: 4, run: 5, runItself: 4, floor: 1.5 }),
      pass(100_000, { import: 12, preview: 4, run: 6, runItself: 4, floor: 1.5 }),
    ]);
    const slow = pass(200_000, { import: 22, preview: 8, run: 11, runItself: 9, floor: 3 });
    const fast = pass(200_000, { import: 20, preview: 8, run: 10, runItself: 8, floor: 3 });
    const met = (b: UserPathFigures) => Object.fromEntries(userPathTargets([a, b]).map((t) => [t.figure, [t.value, t.met]]));
    expect(met(slow)['user path run time, 100000 -> 200000']).toEqual(['2.20 x', false]);
    expect(met(bestOfPasses([slow, fast]))['user path run time, 100000 -> 200000']).toEqual(['2.00 x', true]);
    expect(met(bestOfPasses([slow, fast]))['user path import time, 100000 -> 200000']).toEqual(['2.00 x', true]);
    const rows = userPathRows([a]);
    expect(rows.map((r) => r[0])).toEqual(['user path', 'over passes', '  pass 1', '  pass 2']);
    expect(rows.map((r) => r[4])).toEqual(['run s/MB', '5.00 / 100', '5.00 / 100', '6.00 / 100']);
  });
});
