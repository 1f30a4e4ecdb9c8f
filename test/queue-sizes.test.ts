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
  // MI210 (gfx90a, 104 CUs, VGPR 0x80000 per CU), worked by hand: waves min(104 * 40, 8 / 1 * 512) = 4096;
  // ctl_stack ALIGN(40 + 4096 * 8 + 8, 4 KiB) = 36864; 104 * (0x80000 + 0x4000 + 0x10000 + 0x1000) = 63471616.
  const mi210 = computeQueueSizes({ gfxTargetVersion: 90010, simdCount: 416, simdPerCu: 4, numXcc: 1, arrayCount: 8, simdArraysPerEngine: 1, ldsSizeKb: 64 });
  assert.equal(mi210.ctlStackSize, 36864);
  assert.equal(mi210.ctxSaveRestoreSize, 36864 + 63471616);
  assert.equal(mi210.debugMemorySize, 4096 * 32);
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
