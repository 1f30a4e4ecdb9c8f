// The folder layout is the layering (DESIGN.md): the emulator never reaches into the driver, the
// harness or the CLI, and src/hw and src/uapi are pure data layers that import only each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moduleSpecifiers, tsFiles } from './support/imports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** The top-level src folder a specifier of `file` lands in ('driver', 'hw', …), or 'node:…'/package name. */
function layerOf(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const target = resolve(dirname(file), spec);
  const rel = relative(SRC, target);
  if (rel.startsWith('..')) return `outside src: ${relative(ROOT, target)}`;
  return rel.split(sep)[0]!;
}

interface Edge {
  readonly file: string;
  readonly spec: string;
  readonly layer: string;
}

function edgesOf(folder: string): Edge[] {
  return tsFiles(join(SRC, folder)).flatMap((file) =>
    moduleSpecifiers(readFileSync(file, 'utf8')).map((spec) => ({ file: relative(ROOT, file), spec, layer: layerOf(file, spec) })),
  );
}

const show = (edges: readonly Edge[]): string => edges.map((e) => `${e.file} → ${e.spec}`).join('\n');

test('layering: the scanner sees static, type-only, re-export and dynamic imports (self-check)', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../driver/b.js';",
    "export { c } from '../hw/c.js';",
    "import './side-effect.js';",
    "const m = await import('../cli/d.js');",
    "const path = '../harness/e.js';",
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(moduleSpecifiers(text).sort(), ['../cli/d.js', '../driver/b.js', '../harness/e.js', '../hw/c.js', './a.js', './side-effect.js', 'node:fs'].sort());
  const file = join(SRC, 'emu', 'x.ts');
  assert.equal(layerOf(file, '../driver/b.js'), 'driver');
  assert.equal(layerOf(file, './engine/y.js'), 'emu');
  assert.equal(layerOf(join(SRC, 'emu', 'engine', 'queues', 'z.ts'), '../../../hw/pm4/decode.js'), 'hw');
});

test('layering: src/emu imports nothing from src/driver, src/harness or src/cli', () => {
  const edges = edgesOf('emu');
  // The scan is not vacuous: the emulator does decode with uapi and hw.
  assert.ok(edges.some((e) => e.layer === 'uapi') && edges.some((e) => e.layer === 'hw'), 'expected src/emu to import src/uapi and src/hw');
  const bad = edges.filter((e) => e.layer === 'driver' || e.layer === 'harness' || e.layer === 'cli' || e.layer.startsWith('outside src'));
  assert.equal(bad.length, 0, `forbidden imports in src/emu:\n${show(bad)}`);
});

// src/errors.ts (the error vocabulary) sits below every layer: anything may extend its classes.
// (layerOf names a root-level module by its specifier's file name, errors.js.)
const ERRORS_MODULE = 'errors.js';

test('layering: src/errors.ts imports nothing, so every layer may import it', () => {
  const specs = moduleSpecifiers(readFileSync(join(SRC, 'errors.ts'), 'utf8'));
  assert.deepEqual(specs, [], `src/errors.ts imports ${specs.join(', ')}`);
});

for (const folder of ['hw', 'uapi']) {
  test(`layering: src/${folder} is a pure data layer (imports only src/hw, src/uapi and src/errors.ts, no node: modules or packages)`, () => {
    const edges = edgesOf(folder);
    assert.ok(edges.length > 0, `no imports found in src/${folder}`);
    const bad = edges.filter((e) => e.layer !== 'hw' && e.layer !== 'uapi' && e.layer !== ERRORS_MODULE);
    assert.equal(bad.length, 0, `src/${folder} reaches outside the data layers:\n${show(bad)}`);
  });
}
