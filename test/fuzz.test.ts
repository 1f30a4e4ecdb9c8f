// The fuzz targets (src/harness/fuzz) in the test suite: one deterministic batch per target from a
// fixed seed, and every input that once broke the contract, replayed by its batch seed and fast-check
// path (the regression cases; `npm run fuzz -- --seconds N` runs the same targets for longer).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS } from '../src/harness/fuzz/targets.js';
import { runBatch } from '../src/harness/fuzz/run.js';
import { TARGET_NAMES, type TargetName, type TargetSession } from '../src/harness/fuzz/target.js';

const SEED = 20_240_611;

/** Failures found by the fuzz and fixed at their cause: batch seed, batch size and path of the input. */
const REGRESSIONS: readonly { target: TargetName; seed: number; runs: number; path: string; was: string }[] = [
  { target: 'parser', seed: 10, runs: 600, path: '69', was: 'ELF note with descsz above 2^31: RangeError from DataView (align4 wrapped negative)' },
  { target: 'parser', seed: 6, runs: 600, path: '44', was: 'metadata number given as a map: TypeError "Cannot convert object to primitive value"' },
  { target: 'shader', seed: 1, runs: 300, path: '3', was: 'gfx90a scalar operand code 222: plain Error "cannot be read" instead of an illegal-instruction wave fault' },
  { target: 'shader', seed: 70, runs: 300, path: '3', was: 'undefined DPP control 0x100: plain Error instead of a wave fault' },
  { target: 'shader', seed: 113, runs: 300, path: '0', was: 'literal operand without a literal: plain Error instead of a wave fault' },
  { target: 'shader', seed: 195, runs: 300, path: '32', was: 'scalar destination code 144: plain Error instead of a wave fault' },
  { target: 'ioctls', seed: 1, runs: 40, path: '9', was: 'DRM_IOCTL_VERSION with a 21-byte argument: RangeError instead of EFAULT' },
];

// One session per target (its corpus, its emulated GPU), shared by the batch and the regression inputs.
for (const name of TARGET_NAMES) {
  const t = TARGETS[name];
  describe(`fuzz ${name}: ${t.what}`, () => {
    let s: TargetSession;
    before(async () => {
      s = await t.open();
    });
    after(async () => {
      await s.close();
    });
    it(`one batch of ${t.batch} inputs from seed ${SEED}`, async () => {
      const before = [...s.counts.values()].reduce((a, b) => a + b, 0);
      const r = await runBatch(t, s, SEED, t.batch);
      assert.equal(r.failure, undefined, r.failure ? `${r.failure.message}\nreproduce: ${r.failure.repro}` : '');
      assert.equal(r.inputs, t.batch);
      const outcomes = [...s.counts.values()].reduce((a, b) => a + b, 0) - before;
      assert.ok(outcomes >= t.batch, `only ${outcomes} outcomes counted for ${t.batch} inputs`);
    });
    for (const c of REGRESSIONS.filter((x) => x.target === name)) {
      it(`regression: seed ${c.seed} path ${c.path}: ${c.was}`, async () => {
        const r = await runBatch(t, s, c.seed, c.runs, c.path);
        assert.equal(r.failure, undefined, r.failure?.message);
        assert.ok(r.inputs >= 1);
      });
    }
  });
}
