// The import scanner the layering tests share: which modules a source text can load, and the graph
// of src/**/*.ts those loads make.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * Every module a source text can load: `import … from`, `export … from`, side-effect imports,
 * `import(…)`, and — because a dynamic import may take its path from a variable — any string literal
 * that looks like a relative module path.
 */
export function moduleSpecifiers(text: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /['"](\.\.?\/[^'"\s]+\.js)['"]/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) found.add(m[1]!);
  return [...found];
}

/** Source file → the source files it imports, paths relative to `root` ('src/driver/device.ts'). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The graph of relative imports among the .ts files under `dir`; a `.js` specifier names its `.ts` source. */
export function importGraph(root: string, dir: string): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(dir)) {
    const targets = moduleSpecifiers(readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(root, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
    graph.set(relative(root, file), [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan): each is an import circle. */
export function importCircles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return circles;
}

/** One concrete loop through a circle's files, for the failure message: a → b → … → a. */
export function loopThrough(graph: ImportGraph, circle: readonly string[]): string[] {
  const inside = new Set(circle);
  const start = circle[0]!;
  // Breadth-first from start's successors back to start, inside the component.
  const previous = new Map<string, string>();
  const queue = (graph.get(start) ?? []).filter((w) => inside.has(w));
  for (const w of queue) previous.set(w, start);
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    if (v === start) break;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w) || previous.has(w)) continue;
      previous.set(w, v);
      queue.push(w);
    }
  }
  const path = [start];
  for (let v = previous.get(start); v !== undefined && v !== start; v = previous.get(v)) path.unshift(v);
  path.unshift(start);
  return path;
}
