// The committed corpus code objects are exactly what test/kernels/build.sh produces with the
// installed clang-19/lld-19/llvm-mc-19 (the build is deterministic: byte-identical output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/os/package-root.js';
import { requireOracle } from './support/tools.js';

test('test/kernels/build.sh reproduces every committed .co byte for byte', (t) => {
  if (!requireOracle(t, { commands: ['clang-19', 'ld.lld-19', 'llvm-mc-19', 'bash'] })) return;
  const dir = packagePath('test', 'kernels');
  const out = mkdtempSync(join(tmpdir(), 'corpus-build-'));
  try {
    const r = spawnSync('bash', [join(dir, 'build.sh'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, `build.sh failed:\n${r.stderr}`);
    const built = readdirSync(out).filter((f) => f.endsWith('.co')).sort();
    const committed = readdirSync(dir).filter((f) => f.endsWith('.co')).sort();
    assert.deepEqual(built, committed, 'set of built code objects differs from the committed set');
    const differing = built.filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(dir, f))));
    assert.deepEqual(differing, [], `rebuilt code objects differ from the committed ones: ${differing.join(', ')} (run test/kernels/build.sh)`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
