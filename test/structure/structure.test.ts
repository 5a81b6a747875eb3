import { readFileSync } from 'node:fs';
import path from 'node:path';
import { circles, importGraph, layeringProblems, rendererProblems } from './imports';
import { ROOT, roomProblems, sourceFiles } from './rooms';

/** The structure ARCHITECTURE.md describes, held against the code. */
describe('the structure of the source', () => {
  const graph = importGraph();

  it('reads the import graph (a sanity check of the reader itself)', () => {
    expect(graph.get('bot/main.ts')).toContain('bot/services.ts');
    expect(graph.size).toBeGreaterThan(100);
  });

  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('keeps the layering: bot -> sheets -> billing, and billing behind its door', () => {
    expect(layeringProblems(graph)).toEqual([]);
  });

  it('has a renderer that imports no face', () => {
    expect(rendererProblems(graph)).toEqual([]);
  });

  it('keeps rooms small: files of at most 450 lines, functions of at most 80 (templates aside)', () => {
    expect(roomProblems()).toEqual([]);
  });

  it('dispatches on command.kind in one place only', () => {
    // Dispatching: comparing a command's kind, switching on it, or looking a handler up by it.
    // Passing the kind on as data (a view's title, the usage line of a refusal) is not.
    const dispatch = /\bswitch\s*\(\s*command\.kind\s*\)|\bcommand\.kind\s*[!=]==|[!=]==\s*command\.kind\b|(?<!USAGE)\[command\.kind\]/;
    const lines = sourceFiles(['bot']).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${path.relative(ROOT, file)}:${i + 1}`, line }))
        .filter(({ line }) => dispatch.test(line)),
    );
    expect(lines.map((l) => l.where.replace(/:\d+$/, ''))).toEqual(['bot/commands/table.ts']);
  });
});
