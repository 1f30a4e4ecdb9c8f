// The house has no import circle and no arrow that runs back up (DESIGN.md, "Layers"): every import in
// src goes from a layer to one strictly below it, or stays inside its own folder without a loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCircles, importGraph, loopThrough, type ImportGraph } from './support/imports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/**
 * The layer order, bottom up, from DESIGN.md's layer list. Equal ranks are neighbours that must not
 * import each other: the driver and the emulator are two sides of the same kernel interface (the
 * emulator is a Host beside the driver, both built on os/uapi/hw). src/pci is driver-level
 * diagnostics that read PCI through the Host; the driver's backend reads register snapshots through
 * it, so it sits just below the driver. host-select.ts picks the native or the emulated Host and is
 * used by the harness, the CLI and the public API above it; index.ts (the public API) is the roof.
 */
const RANK: Readonly<Record<string, number>> = {
  'errors.ts': 0,
  os: 1,
  uapi: 2,
  hw: 3,
  codeobj: 4,
  pci: 5,
  driver: 6,
  emu: 6,
  'host-select.ts': 7,
  harness: 8,
  cli: 9,
  'index.ts': 10,
};

/** The room of a src path: its top-level folder, or the file itself for a root-level module. */
const roomOf = (path: string): string => path.split(sep)[1]!;

interface Arrow {
  readonly from: string;
  readonly to: string;
}

function arrows(graph: ImportGraph): Arrow[] {
  return [...graph].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
}

/** Arrows between rooms that do not go strictly down the order (or that reach a room it does not name). */
function backArrows(graph: ImportGraph): string[] {
  return arrows(graph)
    .filter(({ from, to }) => {
      const a = roomOf(from);
      const b = roomOf(to);
      if (a === b) return false;
      const ra = RANK[a];
      const rb = RANK[b];
      return ra === undefined || rb === undefined || rb >= ra;
    })
    .map(({ from, to }) => `${from} → ${to} (${roomOf(from)} may not import ${roomOf(to)})`);
}

const graph = importGraph(ROOT, SRC);

test('house: the checker finds a planted circle and a planted back arrow (self-check)', () => {
  const planted: ImportGraph = new Map([
    [join('src', 'driver', 'a.ts'), [join('src', 'driver', 'b.ts'), join('src', 'hw', 'x.ts')]],
    [join('src', 'driver', 'b.ts'), [join('src', 'driver', 'c.ts')]],
    [join('src', 'driver', 'c.ts'), [join('src', 'driver', 'a.ts')]],
    [join('src', 'hw', 'x.ts'), [join('src', 'driver', 'b.ts')]],
    [join('src', 'emu', 'y.ts'), [join('src', 'driver', 'b.ts'), join('src', 'os', 'z.ts')]],
    [join('src', 'os', 'z.ts'), []],
  ]);
  const circles = importCircles(planted);
  assert.equal(circles.length, 1);
  assert.deepEqual(circles[0], ['a.ts', 'b.ts', 'c.ts', 'x.ts'].map((f) => join('src', f === 'x.ts' ? 'hw' : 'driver', f)).sort());
  const loop = loopThrough(planted, circles[0]!);
  assert.equal(loop[0], loop.at(-1), 'a loop ends where it starts');
  for (let i = 1; i < loop.length; i++) assert.ok(planted.get(loop[i - 1]!)!.includes(loop[i]!), `${loop[i - 1]} imports ${loop[i]}`);
  assert.deepEqual(backArrows(planted), [
    `${join('src', 'hw', 'x.ts')} → ${join('src', 'driver', 'b.ts')} (hw may not import driver)`,
    `${join('src', 'emu', 'y.ts')} → ${join('src', 'driver', 'b.ts')} (emu may not import driver)`,
  ]);
});

test('house: the graph is the whole of src, type-only imports included', () => {
  // Not vacuous: files from every room, and the arrows that hold the driver together are seen.
  const rooms = new Set([...graph.keys()].map(roomOf));
  for (const room of Object.keys(RANK)) assert.ok(rooms.has(room), `no file of ${room} in the graph`);
  const device = join('src', 'driver', 'device.ts');
  assert.ok(graph.get(device)?.includes(join('src', 'driver', 'memory.ts')), 'device.ts imports memory.ts');
  // `import type { Device }` counts: it is an arrow in the picture, and a loop through one is a loop.
  assert.ok(graph.get(join('src', 'driver', 'timeline.ts'))?.includes(device), 'timeline.ts imports (type) Device');
});

test('house: no import circle in src', () => {
  const circles = importCircles(graph);
  assert.equal(circles.length, 0, circles.map((c) => `circle of ${c.length} files: ${loopThrough(graph, c).join(' → ')}\n  (all: ${c.join(', ')})`).join('\n'));
});

test('house: no arrow runs back up the layer order', () => {
  const bad = backArrows(graph);
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('house: the driver reaches the kernel only through its backend', () => {
  // Device, memory, queues, timelines and programs talk to a Backend (src/driver/backend); only the
  // backends and the KFD session that chooses one may speak KFD or read PCI registers.
  const seam = join('src', 'driver', 'backend') + sep;
  const session = join('src', 'driver', 'kfd.ts');
  const bad = arrows(graph)
    .filter(({ from }) => roomOf(from) === 'driver' && !from.startsWith(seam) && from !== session)
    .filter(({ to }) => to === join('src', 'uapi', 'kfd.ts') || roomOf(to) === 'pci')
    .map(({ from, to }) => `${from} → ${to}`);
  assert.deepEqual(bad, [], `driver files outside src/driver/backend speaking KFD or PCI directly:\n${bad.join('\n')}`);
});
