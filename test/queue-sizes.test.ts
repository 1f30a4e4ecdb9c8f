import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeQueueSizes } from '../src/hw/queue-sizes.js';

// Check values: sizes the kernel printed in real topology captures (cwsr_size, ctl_stack_size) and the
// kfd_queue.c formula worked by hand, from ../shared/fixtures/topology/README.md.
test('CWSR sizes match the kernel-reported values of real GPUs', () => {
  const mi300x = computeQueueSizes({ gfxTargetVersion: 90402, simdCount: 1216, simdPerCu: 4, numXcc: 8, arrayCount: 32, simdArraysPerEngine: 1, ldsSizeKb: 64 });
  assert.equal(mi300x.ctlStackSize, 12288);
  assert.equal(mi300x.ctxSaveRestoreSize, 23203840);
  const mi350x = computeQueueSizes({ gfxTargetVersion: 90500, simdCount: 1024, simdPerCu: 4, numXcc: 8, arrayCount: 32, simdArraysPerEngine: 1, ldsSizeKb: 160 });
  assert.equal(mi350x.ctxSaveRestoreSize, 22687744);
  assert.equal(mi350x.ctlStackSize, 12288);
  const rx9070 = computeQueueSizes({ gfxTargetVersion: 120001, simdCount: 128, simdPerCu: 2, numXcc: 1, arrayCount: 8, simdArraysPerEngine: 2, ldsSizeKb: 64 });
  assert.equal(rx9070.ctlStackSize, 28672);
  assert.equal(rx9070.ctxSaveRestoreSize, 30699520);
  const rx7900 = computeQueueSizes({ gfxTargetVersion: 110000, simdCount: 192, simdPerCu: 2, numXcc: 1, arrayCount: 12, simdArraysPerEngine: 2, ldsSizeKb: 64 });
  assert.equal(rx7900.ctlStackSize, 40960);
  assert.equal(rx7900.ctxSaveRestoreSize, 46047232);
  assert.equal(rx7900.debugMemorySize, 98304);
  assert.equal(rx7900.cwsrAllocationSize, 46047232 + 98304);
  assert.equal(rx7900.eopBufferSize, 4096);
});
