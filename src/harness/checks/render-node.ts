// The render-node path (GEM memory, kernel-scheduled COMPUTE and DMA rings through CS, sync objects):
// the same work the user-mode queue checks do, submitted the way Mesa and libdrm submit it. Skipped
// with the reason when the GPU's render node cannot be opened or has no COMPUTE/DMA rings.
import { CsComputeQueue, CsDmaQueue } from '../../driver/queues/cs-queue.js';
import { Syncobj } from '../../driver/queues/syncobj.js';
import { WaitTimeoutError } from '../../driver/errors.js';
import { OsError } from '../../os/errors.js';
import { AmdgpuError } from '../../errors.js';
import type { Device } from '../../driver/device.js';
import { CheckFailure, Skip, expect, fillPattern, firstDifference, type Check, type CheckContext } from '../check.js';

/** The GPU the checks run on, opened through its render node (once per session). */
function renderDevice(ctx: CheckContext): Device {
  try {
    return ctx.kfd.renderDevice(ctx.device.index);
  } catch (e) {
    if (e instanceof OsError || e instanceof AmdgpuError) throw new Skip(`the render-node path is not available on ${ctx.device.name}: ${e.message.split('\n')[0]}`);
    throw e;
  }
}

export const drmCopy: Check = {
  name: 'drm.copy',
  proves: 'an SDMA copy submitted through CS on the kernel DMA ring moves exactly the bytes asked for, GTT → VRAM → GTT, at odd sizes and offsets',
  run(ctx) {
    const dev = renderDevice(ctx);
    const q = CsDmaQueue.create(dev);
    const max = (4 << 20) + 16;
    const src = dev.alloc(max, { domain: 'gtt' });
    const mid = dev.alloc(max, { domain: 'vram', hostVisible: true });
    const dst = dev.alloc(max, { domain: 'gtt' });
    try {
      let bytes = 0;
      for (const [size, so, doff] of [[1, 0, 0], [4097, 3, 1], [65536 + 5, 8, 4], [4 << 20, 0, 0]] as const) {
        fillPattern(src.view.subarray(so, so + size), size);
        dst.view.fill(0xee, 0, size + doff + 8);
        // Each leg is checked: a byte one copy got wrong and the next got wrong back would hide in a round trip.
        q.wait(q.copy(mid.va + 16n, src.va + BigInt(so), size), ctx.timeoutMs);
        const inVram = firstDifference(mid.view.subarray(16, 16 + size), src.view.subarray(so, so + size));
        if (inVram >= 0) throw new CheckFailure(`GTT → VRAM copy of ${size} bytes: byte ${inVram} is 0x${mid.view[16 + inVram]!.toString(16)}, want 0x${src.view[so + inVram]!.toString(16)}`);
        q.wait(q.copy(dst.va + BigInt(doff), mid.va + 16n, size), ctx.timeoutMs);
        const at = firstDifference(dst.view.subarray(doff, doff + size), src.view.subarray(so, so + size));
        if (at >= 0) throw new CheckFailure(`VRAM → GTT copy of ${size} bytes: byte ${at} is 0x${dst.view[doff + at]!.toString(16)}, want 0x${src.view[so + at]!.toString(16)}`);
        expect(dst.view[doff + size] === 0xee && (doff === 0 || dst.view[doff - 1] === 0xee), `copy of ${size} bytes wrote outside its destination`);
        bytes += size;
      }
      return `4 round trips through VRAM, ${(bytes / (1 << 20)).toFixed(1)} MiB, ${q.submitted} CS submissions on ${q.ring}`;
    } finally {
      q.destroy();
      for (const b of [src, mid, dst]) b.free();
    }
  },
};

export const drmFill: Check = {
  name: 'drm.fill',
  proves: 'an SDMA constant fill submitted through CS on the kernel DMA ring writes its pattern over exactly the range asked for',
  run(ctx) {
    const dev = renderDevice(ctx);
    const q = CsDmaQueue.create(dev);
    const b = dev.alloc(1 << 20, { domain: 'vram', hostVisible: true });
    try {
      for (const [off, size] of [[0, 4], [64, 4096], [4, (512 << 10) + 12]] as const) {
        b.view.fill(0);
        q.wait(q.fill(b.va + BigInt(off), 0xcafe0123, size), ctx.timeoutMs);
        const w = new Uint32Array(b.view.buffer, b.view.byteOffset, b.size / 4);
        for (let i = off / 4; i < (off + size) / 4; i++) if (w[i] !== 0xcafe0123) expect(false, `fill of ${size} bytes at +${off}: dword ${i} is 0x${w[i]!.toString(16)}`);
        expect(w[(off + size) / 4] === 0 && (off === 0 || w[off / 4 - 1] === 0), `fill of ${size} bytes at +${off} wrote outside its range`);
      }
      return '3 fills (4 B, 4 KiB, 512 KiB + 12 B)';
    } finally {
      q.destroy();
      b.free();
    }
  },
};

export const drmDispatch: Check = {
  name: 'drm.dispatch',
  proves: 'a kernel launched as a PM4 IB on the kernel compute ring (the stream a user-mode PM4 queue gets) runs every work-item',
  async run(ctx) {
    const dev = renderDevice(ctx);
    const { corpusKernel } = await import('../corpus/index.js');
    const { corpusTargetOf, corpusProgram } = await import('../corpus-run.js');
    const target = corpusTargetOf(dev);
    if (!target) throw new Skip(`no corpus code objects for ${dev.target.name}`);
    const k = corpusKernel('fill');
    const kernel = corpusProgram(dev, k, target).kernel(k.kernel);
    const q = CsComputeQueue.create(dev);
    const n = 100_000;
    const out = dev.alloc(n * 4 + 64, { domain: 'vram', hostVisible: true });
    try {
      out.view.fill(0);
      q.wait(kernel.dispatch(q, { grid: 4096, block: 64, args: [out, 0x600df00d, n] }), ctx.timeoutMs);
      const w = new Uint32Array(out.view.buffer, out.view.byteOffset, n + 1);
      const bad = w.subarray(0, n).findIndex((x) => x !== 0x600df00d);
      expect(bad < 0, `element ${bad} is 0x${w[bad]?.toString(16)}, want 0x600df00d`);
      expect(w[n] === 0, `the kernel wrote past element ${n - 1}`);
      return `${n} elements, grid 4096 × block 64 (grid-stride), on ${q.ring}`;
    } finally {
      q.destroy();
      out.free();
    }
  },
};

export const drmSyncobjWait: Check = {
  name: 'drm.syncobj',
  proves: 'a COMPUTE submission that waits for a DMA submission\'s sync object (binary, and a timeline point) starts only after the copy finished and reads what it wrote',
  run(ctx) {
    const dev = renderDevice(ctx);
    const dma = CsDmaQueue.create(dev);
    const comp = CsComputeQueue.create(dev);
    const gate = dev.alloc(4096, { domain: 'gtt', uncached: true });
    const data = dev.alloc(4096, { domain: 'gtt', uncached: true });
    const binary = Syncobj.create(dev);
    const timeline = Syncobj.create(dev);
    try {
      const cell = (at: number): Int32Array => new Int32Array(data.view.buffer, data.view.byteOffset + at, 1);
      Atomics.store(cell(0), 0, 0x5eed);
      // DMA: held by the CPU's gate, then copies data[0] to data[64]; signals both syncobjs.
      dma.submit(dma.builder().pollMem32(gate.va, 'EQ', 1).copyLinear(data.va + 64n, data.va, 4).dwords, { signal: [binary, timeline.at(2n)], label: 'gated copy' });
      const a = comp.submit(comp.builder().copyData(2, 5, data.va + 64n, data.va + 128n, false).dwords, { waitFor: [binary], label: 'read after binary' });
      const b = comp.submit(comp.builder().copyData(2, 5, data.va + 64n, data.va + 192n, false).dwords, { waitFor: [timeline.at(2n)], label: 'read after point 2' });
      try {
        comp.wait(a, 50);
        throw new CheckFailure('the COMPUTE submission finished while the DMA copy it waits for was still held');
      } catch (e) {
        if (!(e instanceof WaitTimeoutError)) throw e;
      }
      expect(Atomics.load(cell(128), 0) === 0, 'COMPUTE read the copy before it was made');
      Atomics.store(new Int32Array(gate.view.buffer, gate.view.byteOffset, 1), 0, 1);
      comp.wait(b, ctx.timeoutMs);
      comp.wait(a, ctx.timeoutMs);
      expect(Atomics.load(cell(128), 0) === 0x5eed && Atomics.load(cell(192), 0) === 0x5eed, `COMPUTE read 0x${Atomics.load(cell(128), 0).toString(16)} / 0x${Atomics.load(cell(192), 0).toString(16)}, the copy wrote 0x5eed`);
      expect(timeline.signalledPoint === 2n, `the timeline is at point ${timeline.signalledPoint}, want 2`);
      return 'DMA → COMPUTE through a binary syncobj and timeline point 2';
    } finally {
      binary.destroy();
      timeline.destroy();
      dma.destroy();
      comp.destroy();
      gate.free();
      data.free();
    }
  },
};

export const drmTimeout: Check = {
  name: 'drm.timeout',
  proves: 'a CS fence that does not signal in time ends the wait with an error naming the kernel ring and decoding the blocking IB; the job completes once released',
  run(ctx) {
    const dev = renderDevice(ctx);
    const q = CsComputeQueue.create(dev);
    const flag = dev.alloc(4096, { domain: 'gtt', uncached: true });
    try {
      const c = q.submit(q.builder().waitMem32(flag.va, 'EQ', 1).dwords, { label: 'blocked on memory' });
      let first = '';
      try {
        q.wait(c, 300);
        throw new CheckFailure('a job waiting on memory nobody wrote completed its fence');
      } catch (e) {
        if (!(e instanceof WaitTimeoutError)) throw e;
        expect(e.message.includes(q.ring), `the error does not name ${q.ring}:\n${e.message}`);
        first = e.message.split('\n').find((l) => l.startsWith('=>'))?.trim() ?? '';
        expect(/WAIT_REG_MEM/.test(first), `the dump does not decode the blocking packet:\n${e.message}`);
      }
      Atomics.store(new Int32Array(flag.view.buffer, flag.view.byteOffset, 1), 0, 1);
      q.wait(c, ctx.timeoutMs);
      return `timed out after 300 ms naming ${q.ring}; dump: ${first}`;
    } finally {
      q.destroy();
      flag.free();
    }
  },
};

export const renderNodeChecks: readonly Check[] = [drmCopy, drmFill, drmDispatch, drmSyncobjWait, drmTimeout];
