// The driver's render-node path on the emulated GPU: GEM memory (VRAM and GTT, CPU-visible or not) at
// VAs the driver chooses, kernel-scheduled COMPUTE and DMA queues fed the same PM4 / SDMA streams as
// the user-mode queues (WRITE_DATA, COPY_DATA, a kernel dispatch, SDMA copy and fill), sync objects
// ordering one ring behind the other (binary and timeline), a fence timeout that names the ring and
// decodes the IB, and a buffer freed while a submission still writes it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { CsComputeQueue, CsDmaQueue } from '../src/driver/queues/cs-queue.js';
import { Syncobj } from '../src/driver/queues/syncobj.js';
import { DrmBackend } from '../src/driver/backend/drm.js';
import { VaManager } from '../src/driver/backend/drm-va.js';
import * as drm from '../src/uapi/drm.js';
import { DriverError, GpuHangError, WaitTimeoutError } from '../src/driver/errors.js';
import { Program } from '../src/driver/program.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { packagePath } from '../src/os/package-root.js';
import type { Device } from '../src/driver/device.js';
import type { GpuBuffer } from '../src/driver/memory.js';

const words = (b: GpuBuffer, at: number, n: number): number[] => Array.from(new Uint32Array(b.view.buffer, b.view.byteOffset + at, n));
const setWord = (b: GpuBuffer, at: number, v: number): void => void Atomics.store(new Int32Array(b.view.buffer, b.view.byteOffset + at, 1), 0, v);

describe('the render-node VA allocator', () => {
  it('next fit over the holes: aligned ranges, freed ranges merged and handed out again only after wrapping', () => {
    const v = new VaManager(0x200000n, 0x210000n, 0x1000n, 'test');
    const a = v.alloc(0x1000);
    const b = v.alloc(0x3000, 0x4000n);
    assert.deepEqual([a, b], [0x200000n, 0x204000n]);
    v.free(a, 0x1000);
    // The hole at the bottom is left alone while there is room above the last allocation.
    assert.equal(v.alloc(0x1000), 0x207000n);
    assert.equal(v.alloc(0x8000), 0x208000n);
    // Nothing fits above any more: wrap to the bottom, where the freed page merged with the alignment gap.
    assert.equal(v.alloc(0x2000), 0x200000n);
    v.free(b, 0x3000);
    assert.equal(v.freeBytes, 0x10000n - 0x1000n - 0x8000n - 0x2000n);
    assert.throws(() => v.alloc(0x8000), /no 32768 bytes of free GPU VA left in 0x200000-0x210000/);
  });
});

for (const model of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`render-node driver path on ${model}`, () => {
    let host: EmuHost;
    let kfd: Kfd;
    let dev: Device;
    before(() => {
      host = new EmuHost(model);
      kfd = Kfd.open(host);
      dev = kfd.renderDevice(0);
    });
    after(async () => {
      kfd.close();
      const live = host.liveObjects();
      await host.shutdown();
      assert.deepEqual(Object.entries(live).filter(([, v]) => typeof v === 'number' && v !== 0), [], `live objects after close: ${JSON.stringify(live)}`);
    });

    it('GEM memory: VRAM and GTT with CPU views, device-only VRAM, VAs inside DEV_INFO\'s range that come back when freed; user-mode queues are refused as input errors', () => {
      const backend = dev.backend as DrmBackend;
      assert.ok(backend instanceof DrmBackend);
      const freeBefore = backend.va.freeBytes;
      const vram = dev.alloc(8192, { domain: 'vram', hostVisible: true });
      const gtt = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const hidden = dev.alloc(4096, { domain: 'vram' });
      for (const b of [vram, gtt, hidden]) {
        assert.ok(b.va >= 0x200000n && b.va + BigInt(b.size) <= 0x800000000000n, `${b.describe()} inside DEV_INFO's VA range`);
        assert.equal(b.va % 4096n, 0n);
      }
      assert.equal(backend.va.freeBytes, freeBefore - 16384n);
      vram.view[5] = 0x42;
      gtt.view[7] = 0x43;
      assert.deepEqual([vram.view[5], gtt.view[7]], [0x42, 0x43]);
      assert.equal(hidden.bytes, undefined);
      // GEM objects are distinct: a different VA for each, and the flags say where the CPU may look.
      assert.equal(new Set([vram.va, gtt.va, hidden.va]).size, 3);
      for (const b of [vram, gtt, hidden]) b.free();
      assert.equal(backend.va.freeBytes, freeBefore);
      assert.throws(() => Pm4Queue.create(dev), (e: unknown) => e instanceof DriverError && e.kind === 'input' && /no user-mode pm4 queues: submit through a CsQueue/.test(e.message));
    });

    it('COMPUTE ring: WRITE_DATA into VRAM and userptr memory, COPY_DATA between GEM buffers; sequence numbers count per ring', () => {
      const q = CsComputeQueue.create(dev);
      const dst = dev.alloc(4096, { domain: 'vram', hostVisible: true });
      const c1 = q.submit(q.builder().writeData(dst.va + 16n, [0xdeadbeef, 0x12345678]).dwords, { label: 'write' });
      q.wait(c1, 5000);
      assert.equal(c1.value, 1n);
      assert.deepEqual(words(dst, 16, 2), [0xdeadbeef, 0x12345678]);
      // COPY_DATA src_sel 2 / dst_sel 5: memory to memory, one dword.
      const c2 = q.submit(q.builder().copyData(2, 5, dst.va + 16n, dst.va + 64n, false).dwords);
      q.wait(c2, 5000);
      assert.equal(c2.value, 2n);
      assert.ok(q.isDone(c1) && q.isDone(c2));
      assert.deepEqual(words(dst, 64, 1), [0xdeadbeef]);
      // Process pages as a GEM object (GEM_USERPTR): the GPU writes what the CPU then reads in place.
      const user = dev.alloc(4096, { domain: 'userptr' });
      q.wait(q.submit(q.builder().writeData(user.va + 8n, [0x05e7]).dwords), 5000);
      assert.deepEqual(words(user, 8, 1), [0x05e7]);
      q.destroy();
      user.free();
      dst.free();
    });

    it('COMPUTE ring: a kernel dispatch (the fill kernel, the PM4 stream a user-mode PM4 queue gets) writes every element', () => {
      const q = CsComputeQueue.create(dev);
      const program = Program.load(dev, new Uint8Array(readFileSync(packagePath(`test/kernels/fill.${dev.target.name}.co`))));
      const out = dev.alloc(4096, { domain: 'vram', hostVisible: true });
      const n = 1000;
      q.wait(program.kernel('fill').dispatch(q, { grid: 256, block: 64, args: [out, 0x5eed5eed, n] }), 20000);
      const w = words(out, 0, 1024);
      assert.equal(w.slice(0, n).filter((x) => x === 0x5eed5eed).length, n);
      assert.deepEqual(w.slice(n), new Array(1024 - n).fill(0));
      q.destroy();
      program.free();
      out.free();
    });

    it('DMA ring: SDMA copies GTT → VRAM → GTT (one IB, several packets for a large copy) and fills exactly the range asked', () => {
      const q = CsDmaQueue.create(dev);
      const size = 3 << 20;
      const src = dev.alloc(size, { domain: 'gtt' });
      const mid = dev.alloc(size, { domain: 'vram' });
      const back = dev.alloc(size, { domain: 'gtt' });
      const w = new Uint32Array(src.view.buffer, src.view.byteOffset, size / 4);
      for (let i = 0; i < w.length; i++) w[i] = Math.imul(i, 2654435761) >>> 0;
      q.copy(mid.va, src.va, size);
      q.wait(q.copy(back.va, mid.va, size), 20000);
      assert.ok(Buffer.from(back.view).equals(Buffer.from(src.view)));
      back.view.fill(0);
      q.wait(q.fill(back.va + 64n, 0xcafe0123, 4096), 5000);
      assert.deepEqual([...words(back, 60, 1), ...words(back, 64, 2), ...words(back, 64 + 4092, 2)], [0, 0xcafe0123, 0xcafe0123, 0xcafe0123, 0]);
      q.destroy();
      for (const b of [src, mid, back]) b.free();
    });

    it('a DMA copy signals a syncobj the COMPUTE submission waits for: compute reads what DMA wrote, never before', () => {
      const dma = CsDmaQueue.create(dev);
      const comp = CsComputeQueue.create(dev);
      const flag = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const data = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const s = Syncobj.create(dev);
      // DMA: wait for the CPU's flag, then copy data[0..4) to data[16..20).
      dma.submit(dma.builder().pollMem32(flag.va, 'EQ', 1).copyLinear(data.va + 64n, data.va, 16).dwords, { signal: [s], label: 'gated copy' });
      setWord(data, 0, 0xa11ce);
      const c = comp.submit(comp.builder().copyData(2, 5, data.va + 64n, data.va + 128n, false).dwords, { waitFor: [s] });
      assert.throws(() => comp.wait(c, 50), WaitTimeoutError);
      assert.equal(comp.isDone(c), false);
      assert.deepEqual(words(data, 128, 1), [0]);
      setWord(flag, 0, 1);
      comp.wait(c, 5000);
      assert.deepEqual(words(data, 64, 1), [0xa11ce]);
      assert.deepEqual(words(data, 128, 1), [0xa11ce]);
      s.wait(0n, 1000);
      s.destroy();
      dma.destroy();
      comp.destroy();
      flag.free();
      data.free();
    });

    it('timeline points: DMA signals point 5, a COMPUTE job waits on point 3, the CPU waits on 5 and queries it', () => {
      const dma = CsDmaQueue.create(dev);
      const comp = CsComputeQueue.create(dev);
      const flag = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const data = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const t = Syncobj.create(dev);
      dma.submit(dma.builder().pollMem32(flag.va, 'EQ', 1).writeLinear(data.va, [0x55]).dwords, { signal: [t.at(5n)] });
      const c = comp.submit(comp.builder().copyData(2, 5, data.va, data.va + 8n, false).dwords, { waitFor: [t.at(3n)] });
      assert.throws(() => t.wait(5n, 30), (e: unknown) => e instanceof WaitTimeoutError && /syncobj \d+ point 5/.test(e.message));
      assert.equal(t.signalledPoint, 0n);
      setWord(flag, 0, 1);
      t.wait(5n, 5000);
      assert.equal(t.signalledPoint, 5n);
      comp.wait(c, 5000);
      assert.deepEqual(words(data, 0, 3), [0x55, 0, 0x55]);
      // The CPU signals the next point itself.
      t.signal(6n);
      assert.equal(t.signalledPoint, 6n);
      t.destroy();
      dma.destroy();
      comp.destroy();
      flag.free();
      data.free();
    });

    it('a fence that does not come in time: WaitTimeoutError names the ring and context and decodes the blocking IB; the work finishes once released', () => {
      const q = CsComputeQueue.create(dev);
      const flag = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const c = q.submit(q.builder().waitMem32(flag.va, 'EQ', 42).writeData(flag.va + 8n, [7]).dwords, { label: 'blocked' });
      assert.throws(() => q.wait(c, 200), (e: unknown) => {
        assert.ok(e instanceof WaitTimeoutError);
        assert.match(e.message, /timed out after 200 ms waiting for fence 1 of GPU 0 \(gfx\d+, gpu_id \d+\) render node kernel COMPUTE ring 0 \(context \d+\)/);
        assert.match(e.message, /0 of 1 submissions known done/);
        assert.match(e.message, /submission 1 \(blocked\): IB at 0x[0-9a-f]+, \d+ dwords:\n=> .*WAIT_REG_MEM/);
        assert.match(e.message, /\n {3}.*WRITE_DATA/);
        assert.match(e.message, /register snapshot/);
        return true;
      });
      setWord(flag, 0, 42);
      q.wait(c, 5000);
      assert.deepEqual(words(flag, 8, 1), [7]);
      q.destroy();
      flag.free();
    });

    it('a job the kernel gives up on (a write to unmapped VA hangs the DMA ring): GpuHangError names the ring and decodes the IB; the guilty context is refused, a new queue runs', () => {
      const q = CsDmaQueue.create(dev);
      const unmapped = 0x7000_0000_0000n;
      const c = q.submit(q.builder().writeLinear(unmapped, [1, 2]).dwords, { label: 'stray write' });
      assert.throws(() => q.wait(c, 10000), (e: unknown) => {
        assert.ok(e instanceof GpuHangError, String(e));
        assert.match(e.message, /fence 1 of .* kernel DMA ring 0 \(context \d+\): the kernel timed the job out on its ring \(WAIT_CS: ETIME\)/);
        assert.match(e.message, /context guilty \(its job hung\)/);
        assert.match(e.message, /submission 1 \(stray write\): IB at 0x[0-9a-f]+, \d+ dwords:\n=> .*WRITE.*0x700000000000/i);
        return true;
      });
      // A wait for the same fence again says the same; the kernel refuses new work on the guilty context.
      assert.throws(() => q.wait(c, 1000), GpuHangError);
      assert.throws(() => q.submit(q.builder().fill(unmapped, 0, 4).dwords), (e: unknown) => e instanceof DriverError && /CS refused .*ECANCELED/.test(e.message));
      q.destroy();
      const fresh = CsDmaQueue.create(dev);
      const b = dev.alloc(4096, { domain: 'gtt' });
      fresh.wait(fresh.fill(b.va, 0x1234, 16), 5000);
      assert.deepEqual(words(b, 0, 4), [0x1234, 0x1234, 0x1234, 0x1234]);
      fresh.destroy();
      b.free();
    });

    it('a buffer freed while a submission still writes it: the write lands in the kept-alive object, nothing faults, and its VA maps again', () => {
      const q = CsComputeQueue.create(dev);
      const flag = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const target = dev.alloc(4096, { domain: 'vram' });
      const targetVa = target.va;
      const hangsBefore = host.ringHangs().length;
      const c = q.submit(q.builder().waitMem32(flag.va, 'EQ', 1).writeData(target.va + 64n, [0xfeed]).dwords);
      target.free();
      setWord(flag, 0, 1);
      q.wait(c, 5000);
      assert.equal(host.ringHangs().length, hangsBefore, 'no ring hung');
      // Next fit: the freed range is not the next one handed out; mapping a new object exactly there works.
      const again = dev.alloc(4096, { domain: 'vram', hostVisible: true });
      assert.notEqual(again.va, targetVa);
      const backend = dev.backend as DrmBackend;
      backend.file.gemVa(drm.AMDGPU_VA_OP.MAP, Number(again.handle), targetVa, 4096, drm.AMDGPU_VM_PAGE.READABLE | drm.AMDGPU_VM_PAGE.WRITEABLE);
      q.wait(q.submit(q.builder().writeData(targetVa + 4n, [2]).dwords), 5000);
      assert.deepEqual(words(again, 4, 1), [2]);
      backend.file.gemVa(drm.AMDGPU_VA_OP.UNMAP, Number(again.handle), targetVa, 4096, 0);
      q.wait(q.submit(q.builder().writeData(again.va, [1]).dwords), 5000);
      assert.deepEqual(words(again, 0, 1), [1]);
      q.destroy();
      again.free();
      flag.free();
    });
  });
}
