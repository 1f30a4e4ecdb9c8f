// The emulated GPU clock (src/emu/engine/clock.ts): 100 MHz (KFD's gpu_clock_counter frequency) on the
// wall-clock timeline, monotonic, and fine-grained: successive readings are not confined to multiples
// of 32 ticks, which is all a double near 1.8e17 can hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpuClock, GPU_CLOCK_HZ } from '../src/emu/engine/clock.js';

test('the GPU clock counts 100 MHz ticks of wall-clock time, monotonic and in steps finer than 32 ticks', () => {
  assert.equal(GPU_CLOCK_HZ, 100_000_000);
  const wallTicks = (performance.timeOrigin + performance.now()) * (GPU_CLOCK_HZ / 1000);
  const first = gpuClock();
  assert.ok(Math.abs(Number(first) - wallTicks) < 100_000, `${first} vs wall clock ${wallTicks} (within 1 ms)`);
  const residues = new Set<bigint>();
  let last = first;
  for (let i = 0; i < 2000; i++) {
    const t = gpuClock();
    assert.ok(t >= last, 'never runs backwards');
    residues.add(t % 32n);
    last = t;
  }
  assert.ok(residues.size > 1, `every reading was ${[...residues]} modulo 32 ticks`);
});
