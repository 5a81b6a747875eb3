import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, sourceFiles } from './rooms';

/**
 * The import graph of the source (bot/, billing/, sheets/, migrations/): every relative
 * import, export-from and require, type-only ones included, resolved to a file.
 *
 *   npx tsx test/structure/imports.ts     lists circles and arrows against the layering
 */

export type Graph = Map<string, string[]>;

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function resolve(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return path.relative(ROOT, candidate);
  }
  return null;
}

export function importGraph(files = sourceFiles(['bot', 'billing', 'sheets', 'migrations'])): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    const text = stripComments(readFileSync(file, 'utf8'));
    const targets = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(file, m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
      if (target) targets.add(target);
    }
    graph.set(path.relative(ROOT, file), [...targets].sort());
  }
  return graph;
}

/** Strongly connected groups of more than one file (Tarjan), and files importing themselves. */
export function circles(graph: Graph): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const connect = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) connect(v);
  return found;
}

const top = (file: string) => file.split('/')[0]!;

/** Layer rules: bot → sheets → billing, bot → billing; outside billing/, only billing's door (billing/index.ts). */
export function layeringProblems(graph: Graph): string[] {
  const allowed: Record<string, string[]> = {
    migrations: ['migrations'],
    billing: ['billing', 'migrations'],
    sheets: ['sheets', 'billing'],
    bot: ['bot', 'sheets', 'billing'],
  };
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (!(allowed[top(from)] ?? []).includes(top(to))) problems.push(`${from} -> ${to}: ${top(from)}/ may not import ${top(to)}/`);
      else if (top(from) !== 'billing' && top(to) === 'billing' && to !== 'billing/index.ts') {
        problems.push(`${from} -> ${to}: outside billing/, import billing's door (billing/index.ts)`);
      }
    }
  }
  return problems;
}

/** bot/render/ is shared by every face: it imports none of them. */
export function rendererProblems(graph: Graph): string[] {
  const faces = ['bot/slack/', 'bot/shell/', 'bot/cli/', 'bot/scheduler/', 'bot/main.ts', 'bot/services.ts'];
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    if (!from.startsWith('bot/render/')) continue;
    for (const to of targets) if (faces.some((f) => to.startsWith(f))) problems.push(`${from} -> ${to}: the renderer imports a face`);
  }
  return problems;
}

if (require.main === module) {
  const graph = importGraph();
  const lines = [
    ...circles(graph).map((c) => `circle: ${c.join(' -> ')}`),
    ...layeringProblems(graph),
    ...rendererProblems(graph),
  ];
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'No circles; every arrow follows the layering.\n');
}
