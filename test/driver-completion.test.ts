// A PM4 launch's fence is seen only after its kernel finished: every wait on a long kernel returns
// with all of its results written. The driver follows each dispatch with RELEASE_MEM (EOP event,
// which on hardware waits for earlier dispatches: the kernel's fence, gfx_v9_0_ring_emit_fence in
// drivers/gpu/drm/amd/amdgpu/gfx_v9_0.c, is the same RELEASE_MEM with
// CACHE_FLUSH_AND_INV_TS_EVENT, EVENT_INDEX 5), the fence value patched into the ring in place; the
// ring here is small so launches wrap it. `workers=1` runs the dispatch in order on the engine thread,
// as a served client's dispatches run; the default spreads workgroups over pool threads.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Program, type Kernel } from '../src/driver/program.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { packagePath } from '../src/os/package-root.js';
import { hashLoopReference } from '../src/harness/corpus/compiled.js';
import { u32Array } from '../src/harness/corpus/data.js';
import type { Device } from '../src/driver/device.js';
import type { GpuBuffer } from '../src/driver/memory.js';

const GROUPS = 16;
const LANES = GROUPS * 64;
/** Enough rounds that one launch takes many CP steps (the step budget aims at 0.25 ms). */
const ROUNDS = 500;
const SENTINEL = 0xcdcdcdcd;
const RING_BYTES = 4096;

for (const model of ['emu:gfx1100', 'emu:gfx90a', 'emu:gfx90a?workers=1']) {
  describe(`PM4 completion on ${model}`, () => {
    let host: EmuHost;
    let kfd: Kfd;
    let dev: Device;
    let kernel: Kernel;
    let seeds: GpuBuffer;
    let out: GpuBuffer;
    let words: Uint32Array;
    const want = u32Array(LANES, 5).map((s) => hashLoopReference(s, ROUNDS));

    before(() => {
      host = new EmuHost(model);
      kfd = Kfd.open(host);
      dev = kfd.device(0);
      kernel = Program.load(dev, new Uint8Array(readFileSync(packagePath(`test/kernels/hash_loop.${dev.target.name}.co`)))).kernel('hash_loop');
      seeds = dev.alloc(LANES * 4, { domain: 'vram', hostVisible: true });
      seeds.view.set(new Uint8Array(u32Array(LANES, 5).buffer));
      out = dev.alloc(LANES * 4, { domain: 'vram', hostVisible: true });
      words = new Uint32Array(out.view.buffer, out.view.byteOffset, LANES);
    });
    after(async () => {
      seeds.free();
      out.free();
      kfd.close();
      await host.shutdown();
    });

    /** Launches on `q` and waits; the results must all be there when the wait returns. */
    const launchAndCheck = (q: Pm4Queue, launch: number): void => {
      words.fill(SENTINEL);
      const c = kernel.dispatch(q, { grid: LANES, block: 64, args: [seeds, out, ROUNDS] });
      q.wait(c.value, 60_000, `hash_loop launch ${launch}`);
      // Nothing else was submitted: the timeline is exactly this launch's fence.
      assert.equal(q.timeline.value, c.value, `launch ${launch}: timeline`);
      let unwritten = 0;
      let wrong = -1;
      for (let i = 0; i < LANES; i++) {
        if (words[i] === SENTINEL) unwritten++;
        else if (words[i] !== want[i] && wrong < 0) wrong = i;
      }
      assert.equal(unwritten, 0, `launch ${launch}: ${unwritten} of ${LANES} results unwritten when its fence was seen`);
      assert.equal(wrong, -1, `launch ${launch}: out[${wrong}] = 0x${words[wrong]?.toString(16)}, want 0x${want[wrong]?.toString(16)}`);
    };

    it('the same launch 40 times on one queue whose ring wraps: each wait sees all of its results', () => {
      const q = Pm4Queue.create(dev, { ringBytes: RING_BYTES });
      try {
        // The first launch is encoded anew, the others are the prepared repeat (fence patched in the ring).
        for (let i = 0; i < 40; i++) launchAndCheck(q, i);
        const wptr = Number(/write pointer (\d+) dwords/.exec(q.diagnose())?.[1]);
        assert.ok(wptr > 2 * (RING_BYTES / 4), `the ring wrapped at least twice (write pointer ${wptr} dwords)`);
      } finally {
        q.destroy();
      }
    });

    it('a new queue per launch (the self-test pattern: a timeline slot freed by the previous queue): each wait sees all of its results', () => {
      for (let i = 0; i < 4; i++) {
        const q = Pm4Queue.create(dev, { ringBytes: RING_BYTES });
        try {
          launchAndCheck(q, i);
        } finally {
          q.destroy();
        }
      }
    });
  });
}
