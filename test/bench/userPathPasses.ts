/**
 * The user path measured in several passes (BENCH_USER_PASSES): each pass goes over every N in
 * a new database of its own, so one N's passes fall minutes apart. The figure the targets are
 * held to, for each N:
 * - a step's time: the lowest of the passes. This machine only ever slows a step down (another
 *   process, the second vCPU giving less for a minute), never speeds it up, so the lowest time is
 *   the nearest to what the code itself costs;
 * - a step's peak memory and Slack's acknowledgements: the worst of the passes that measured them;
 * - right or wrong: every pass must be right (a problem or a failure in any pass is the figure's).
 * Every pass's own figures are kept beside it (`passes`), and printed.
 */
import type { StepFigure, UserPathFigures } from './userPathFigures';

type Timed = 'import' | 'preview' | 'run';

/** The figure of the lowest time (the first of equal ones). */
const fastest = <T extends { seconds: number }>(figures: T[]): T => figures.reduce((a, b) => (b.seconds < a.seconds ? b : a));

/** One step over the passes that measured it: the fastest pass's figure, with the highest peak memory of them all. */
function bestStep<K extends Timed>(passes: UserPathFigures[], step: K): UserPathFigures[K] {
  const measured = passes.map((p) => p[step]).filter((s): s is NonNullable<UserPathFigures[K]> => s !== undefined);
  if (!measured.length) return undefined;
  const peakMb = Math.max(...measured.map((s: StepFigure) => s.peakMb));
  return { ...fastest(measured), peakMb } as UserPathFigures[K];
}

/** One N's figures over its passes (the first pass measured every step; later ones may measure fewer). */
export function bestOfPasses(passes: UserPathFigures[]): UserPathFigures {
  if (passes.length === 0) throw new Error('bestOfPasses: no pass');
  const [first] = passes;
  if (passes.some((p) => p.accounts !== first.accounts)) throw new Error('bestOfPasses: passes of different sizes');
  if (passes.length === 1) return first;
  const best: UserPathFigures = { ...first, problems: [], passes };
  best.import = bestStep(passes, 'import');
  best.preview = bestStep(passes, 'preview');
  best.run = bestStep(passes, 'run');
  if (best.run) best.run = { ...best.run, runSeconds: Math.min(...passes.filter((p) => p.run).map((p) => p.run!.runSeconds)) };
  if (best.preview) best.preview = { ...best.preview, wroteNothing: passes.every((p) => !p.preview || p.preview.wroteNothing) };
  const floors = passes.map((p) => p.floor).filter((f) => f !== undefined);
  best.floor = floors.length ? fastest(floors) : undefined;
  best.ratioToFloor = best.run && best.floor ? best.run.seconds / best.floor.seconds : undefined;
  passes.forEach((p, i) => {
    best.problems.push(...p.problems.map((x) => (i === 0 ? x : `pass ${i + 1}: ${x}`)));
    if (p.failed && !best.failed) best.failed = i === 0 ? p.failed : { step: p.failed.step, error: `pass ${i + 1}: ${p.failed.error}` };
  });
  return best;
}
