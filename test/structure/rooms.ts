import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseSync } from '@swc/core';

/**
 * The size rules of the source (ARCHITECTURE.md): a file of at most MAX_FILE_LINES lines, a
 * function of at most MAX_FUNCTION_LINES lines not counting the lines of template literals
 * (SQL statements are written as templates). Migrations are left out.
 *
 *   npx tsx test/structure/rooms.ts     lists what breaks the rules
 */

export const ROOT = path.resolve(__dirname, '../..');
export const SOURCE_FOLDERS = ['bot', 'billing', 'sheets'];
export const MAX_FILE_LINES = 450;
export const MAX_FUNCTION_LINES = 80;

export function sourceFiles(folders = SOURCE_FOLDERS): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.ts$/.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
    }
  };
  for (const folder of folders) walk(path.join(ROOT, folder));
  return out.sort();
}

export interface FunctionSize {
  file: string;
  line: number;
  name: string;
  lines: number;
}

type Node = { type?: string; span?: { start: number; end: number } } & Record<string, unknown>;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod', 'PrivateMethod', 'Constructor']);

function nameOf(node: Node, parentKey: string | undefined, parent: Node | undefined): string {
  const id = (node.identifier ?? node.key) as { value?: string } | undefined;
  if (id?.value) return id.value;
  const declarator = parent?.type === 'VariableDeclarator' ? (parent.id as { value?: string }) : undefined;
  if (declarator?.value) return declarator.value;
  const prop = parent?.type === 'KeyValueProperty' ? (parent.key as { value?: string }) : undefined;
  return prop?.value ?? `(${parentKey ?? 'anonymous'})`;
}

/** Every function of a file with its length in lines, template literal lines left out. */
export function functionSizes(file: string): FunctionSize[] {
  const text = readFileSync(file, 'utf8');
  const module = parseSync(text, { syntax: 'typescript', target: 'es2022' }) as unknown as Node;
  const base = (module.span as { start: number }).start;
  // Line number of each character offset (swc spans are in UTF-8 bytes from `base`).
  const bytes = Buffer.from(text, 'utf8');
  const lineStarts: number[] = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lineStarts.push(i + 1);
  const lineAt = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const templates: { start: number; end: number }[] = [];
  const functions: { node: Node; name: string; start: number; end: number }[] = [];
  const visit = (node: unknown, parentKey?: string, parent?: Node) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, parentKey, parent);
      return;
    }
    const n = node as Node;
    if (n.span && (n.type === 'TemplateLiteral' || n.type === 'TaggedTemplateExpression')) {
      templates.push({ start: lineAt(n.span.start - base), end: lineAt(n.span.end - base) });
    }
    if (n.span && n.type && FUNCTION_TYPES.has(n.type)) {
      functions.push({ node: n, name: nameOf(n, parentKey, parent), start: lineAt(n.span.start - base), end: lineAt(n.span.end - base) });
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'span') visit(value, key, n);
  };
  visit(module);
  return functions.map((f) => {
    const inTemplates = new Set<number>();
    for (const t of templates) {
      if (t.start < f.start || t.end > f.end) continue;
      // The lines strictly inside a template (its first and last line hold code too).
      for (let l = t.start + 1; l < t.end; l++) inTemplates.add(l);
    }
    return { file: path.relative(ROOT, file), line: f.start, name: f.name, lines: f.end - f.start + 1 - inTemplates.size };
  });
}

export function fileLines(file: string): number {
  return readFileSync(file, 'utf8').split('\n').length - 1;
}

/** What breaks the size rules, one line each. */
export function roomProblems(files = sourceFiles()): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const lines = fileLines(file);
    if (lines > MAX_FILE_LINES) problems.push(`${path.relative(ROOT, file)}: ${lines} lines (at most ${MAX_FILE_LINES})`);
    for (const f of functionSizes(file)) {
      if (f.lines > MAX_FUNCTION_LINES) problems.push(`${f.file}:${f.line} ${f.name}: ${f.lines} lines (at most ${MAX_FUNCTION_LINES}, templates aside)`);
    }
  }
  return problems;
}

if (require.main === module) {
  const problems = roomProblems();
  process.stdout.write(problems.length ? `${problems.join('\n')}\n` : 'Every file and function is within the size rules.\n');
}
