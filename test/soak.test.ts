// The soak, scaled for `npm test` (the full counts are `npm run soak`): after thousands of
// alloc/map/free cycles of every memory kind, queue create/destroy of every kind, event
// create/signal/wait/destroy and device open/close, the emulated kernel holds no BO, queue, event,
// mapping or file, and the process's heap, array-buffer memory and file descriptors are back within
// the bounds of BOUNDS. The numbers are printed as test diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmuHost } from '../src/emu/host.js';
import { runSoak, formatSoak, findLeaks, BOUNDS, type SoakCounts } from '../src/harness/soak.js';

const SCALED: SoakCounts = { allocCycles: 200, queueCycles: 10, eventCycles: 200, openCycles: 10 };

test(`soak (scaled): ${SCALED.allocCycles} alloc/map/free cycles × 5 memory kinds, ${SCALED.queueCycles} × 3 queue kinds, ${SCALED.eventCycles} events, ${SCALED.openCycles} device open/close: nothing left behind`, async (t) => {
  const host = new EmuHost('emu:gfx1100');
  try {
    const r = runSoak(host, SCALED);
    for (const line of formatSoak(r)) t.diagnostic(line);
    assert.deepEqual(r.kernelAfter, { bos: 0, queues: 0, events: 0, gpuMappings: 0, cpuMappings: 0, openFiles: 0 });
    assert.ok(r.after.heapUsed - r.before.heapUsed <= BOUNDS.heapBytes, `heap grew by ${r.after.heapUsed - r.before.heapUsed} bytes`);
    assert.ok(r.after.arrayBuffers - r.before.arrayBuffers <= BOUNDS.arrayBufferBytes, `array buffers grew by ${r.after.arrayBuffers - r.before.arrayBuffers} bytes`);
    if (r.before.fds >= 0) assert.equal(r.after.fds, r.before.fds, 'open file descriptors');
    assert.deepEqual(r.leaks, []);
    assert.deepEqual(r.phases.map((p) => p.cycles), [200, 200, 200, 200, 200, 10, 10, 10, 200, 10]);
  } finally {
    await host.shutdown();
  }
});

test('soak: what counts as a leak — any kernel object left, or growth over the bounds', () => {
  const base = { heapUsed: 10 << 20, arrayBuffers: 1 << 20, rss: 80 << 20, fds: 20 };
  const clean = { bos: 0, queues: 0, events: 0 };
  assert.deepEqual(findLeaks(clean, base, { ...base, heapUsed: base.heapUsed + BOUNDS.heapBytes, rss: base.rss * 2 }), []);
  assert.deepEqual(findLeaks({ ...clean, bos: 1, events: 2 }, base, base), ['the kernel still holds 1 bos', 'the kernel still holds 2 events']);
  assert.deepEqual(findLeaks(undefined, base, { ...base, heapUsed: base.heapUsed + BOUNDS.heapBytes + 1, arrayBuffers: base.arrayBuffers + (4 << 20), fds: 21 }), [
    `heap grew by ${BOUNDS.heapBytes + 1} bytes (bound ${BOUNDS.heapBytes})`,
    `array-buffer memory grew by ${4 << 20} bytes (bound ${BOUNDS.arrayBufferBytes})`,
    '1 more open file descriptors',
  ]);
});
