/**
 * The user-path benchmark's output (./userPath.ts measures): its table, and each of the issue's
 * targets against its figure. A figure that was not measured is a target not met.
 */
import type { StepFigure, UserPathFigures } from './userPathFigures';

export interface UserPathTarget {
  figure: string;
  value: string;
  target: string;
  met: boolean;
}

/** The issue's bound for Slack acknowledgements during a run (its 1,000,000-account run; held at every N). */
export const ACK_P99_MS = 250;

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '-' : Number.isFinite(n) ? n.toFixed(digits) : String(n));
const sMb = (s?: StepFigure) => (s ? `${fmt(s.seconds)} / ${s.peakMb}` : '-');

/** The rows of the section's table (the first is the header); with passes, each pass's row under the figures over them. */
export function userPathRows(figures: UserPathFigures[]): string[][] {
  const row = (label: string, f: UserPathFigures) => [
    label,
    String(f.accounts),
    sMb(f.import),
    sMb(f.preview),
    sMb(f.run),
    sMb(f.export),
    fmt(f.floor?.seconds),
    fmt(f.ratioToFloor, 1),
    fmt(f.slack?.run.seconds),
    f.slack ? `${fmt(f.slack.p50Ms, 0)} / ${fmt(f.slack.p99Ms, 0)} / ${fmt(f.slack.maxMs, 0)}` : '-',
    f.failed ? `${f.failed.step} FAILED` : f.problems.length ? 'NO' : 'yes',
  ];
  return [
    ['user path', 'N', 'import s/MB', 'preview s/MB', 'run s/MB', 'export s/MB', 'floor s', 'run/floor', 'next run s', 'acks p50/p99/max ms', 'right'],
    ...figures.flatMap((f) => (f.passes ? [row('over passes', f), ...f.passes.map((p, i) => row(`  pass ${i + 1}`, p))] : [row('', f)])),
  ];
}

/** What the export of each N held: rows per sheet, as read back from the file. */
export function userPathExportLines(figures: UserPathFigures[]): string[] {
  return figures.filter((f) => f.export).map((f) => `user path ${f.accounts}: export file ${f.export!.sheets.map((x) => `${x.name} ${x.rows}`).join(', ')}`);
}

/** The section's targets, each against its value; a figure that was not measured is a target not met. */
export function userPathTargets(figures: UserPathFigures[]): UserPathTarget[] {
  const targets: UserPathTarget[] = [];
  const add = (figure: string, value: string, target: string, met: boolean) => targets.push({ figure, value, target, met });
  const missing = (f: UserPathFigures | undefined, step: string) =>
    !f ? 'not measured' : f.failed ? `not measured (${f.failed.step} of ${f.accounts} failed)` : `not measured (${step})`;

  for (const f of figures) {
    const right = !f.failed && f.problems.length === 0;
    add(`user path ${f.accounts}: import applied, preview, runs and export complete and right`, right ? 'yes' : f.failed ? `${f.failed.step}: ${f.failed.error}` : f.problems.join('; '), 'yes', right);
    perSizeTargets(f, add, missing);
  }
  const at = (n: number) => figures.find((f) => f.accounts === n);
  const hundred = at(100_000);
  if (hundred) {
    const r = hundred.ratioToFloor;
    add('user path 100,000: run / bare floor', r === undefined ? missing(hundred, 'floor') : `${fmt(r, 1)} x`, '<= 4 x', r !== undefined && r <= 4);
  }
  // Each doubling of N: at most 2.1 x the time (for another step in N, 2.1 per doubling: 400k -> 1M, 2.1^log2(2.5)).
  for (let i = 1; i < figures.length; i++) {
    const a = figures[i - 1];
    const b = figures[i];
    const bound = 2.1 ** Math.log2(b.accounts / a.accounts);
    for (const step of ['run', 'import'] as const) {
      const x = a[step];
      const y = b[step];
      const measured = x && y && !(step === 'import' && (a.failed?.step === 'import' || b.failed?.step === 'import'));
      add(
        `user path ${step} time, ${a.accounts} -> ${b.accounts}`,
        measured ? `${fmt(y.seconds / x.seconds)} x` : missing(!x ? a : b, step),
        `<= ${fmt(bound)} x`,
        Boolean(measured && y.seconds / x.seconds <= bound),
      );
    }
  }
  const million = at(1_000_000);
  if (million) millionTargets(million, add, missing);
  return targets;
}

type Add = (figure: string, value: string, target: string, met: boolean) => void;
type Missing = (f: UserPathFigures | undefined, step: string) => string;

/** At every N: the preview against the run, and Slack's acknowledgements (and answers) during the next month's run. */
function perSizeTargets(f: UserPathFigures, add: Add, missing: Missing): void {
  const p = f.preview;
  const r = f.run;
  add(`user path ${f.accounts}: preview time <= the run's`, p && r ? `${fmt(p.seconds)} s (run ${fmt(r.seconds)} s)` : missing(f, p ? 'run' : 'preview'), '<= run', Boolean(p && r && p.seconds <= r.seconds));
  add(`user path ${f.accounts}: preview wrote nothing`, p ? (p.wroteNothing ? 'yes' : 'NO') : missing(f, 'preview'), 'yes', Boolean(p?.wroteNothing));
  const s = f.slack;
  add(`user path ${f.accounts}: Slack ack p99 during the next month's run`, s ? `${fmt(s.p99Ms, 1)} ms` : missing(f, 'Slack'), `<= ${ACK_P99_MS} ms`, Boolean(s && s.p99Ms <= ACK_P99_MS));
  const fine = s !== undefined && s.ok === s.commands && s.replies === s.commands && s.wrongAnswers === 0 && s.duringRun;
  const wrong = s?.wrongAnswers ? `, ${s.wrongAnswers} of them not the answer (${JSON.stringify(s.firstWrongAnswer ?? '')})` : '';
  const detail = s ? `${s.ok} of ${s.commands} acknowledged, ${s.replies} answered${wrong}; last ack ${fmt(s.lastAckSeconds)} s into the ${fmt(s.runSeconds)} s run` : missing(f, 'Slack');
  add(`user path ${f.accounts}: Slack: every command acknowledged and answered, the last ack before the run ended`, detail, 'yes', fine);
}

function millionTargets(million: UserPathFigures, add: Add, missing: Missing): void {
  const limits: [string, StepFigure | undefined, number, number][] = [
    ['run', million.run, Infinity, 500],
    ['import', million.failed?.step === 'import' ? undefined : million.import, 120, 600],
    ['export', million.export, 90, 500],
  ];
  const r = million.ratioToFloor;
  add('user path 1,000,000: run / bare floor', r === undefined ? missing(million, 'floor') : `${fmt(r, 1)} x`, '<= 4 x', r !== undefined && r <= 4);
  for (const [step, s, seconds, mb] of limits) {
    if (Number.isFinite(seconds)) add(`user path 1,000,000: ${step} time`, s ? `${fmt(s.seconds)} s` : missing(million, step), `<= ${seconds} s`, Boolean(s && s.seconds <= seconds));
    add(`user path 1,000,000: ${step} peak memory`, s ? `${s.peakMb} MB` : missing(million, step), `<= ${mb} MB`, Boolean(s && s.peakMb <= mb));
  }
}
