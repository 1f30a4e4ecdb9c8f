// Driver memory on the emulated GPU: every allocation domain with CPU and GPU access, a 1 GiB VRAM
// buffer, teardown accounting through the emulated kernel's live-object counts, peer mapping in an
// XGMI hive, the small-object pool, Device.close and VRAM exhaustion.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmuHost, type LiveObjects } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { AqlQueue } from '../src/driver/queues/aql-queue.js';
import { SdmaQueue } from '../src/driver/queues/sdma-queue.js';
import { DriverError, UseAfterFreeError } from '../src/driver/errors.js';
import { OsError } from '../src/os/errors.js';
import { KFD_IOC_ALLOC_MEM_FLAGS as F } from '../src/uapi/kfd.js';
import type { AllocOptions, GpuBuffer } from '../src/driver/memory.js';
import type { Device } from '../src/driver/device.js';

const ZERO: LiveObjects = { bos: 0, queues: 0, events: 0, gpuMappings: 0, cpuMappings: 0, openFiles: 0 };
const MiB = 1 << 20;

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

interface DomainCase {
  readonly name: string;
  readonly opts: AllocOptions;
  /** Flag bits ALLOC_MEMORY_OF_GPU must receive, and bits it must not. */
  readonly set: number;
  readonly clear: number;
  readonly hostVisible: boolean;
}

// Flags as amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu reads them (include/uapi/linux/kfd_ioctl.h).
const DOMAINS: readonly DomainCase[] = [
  { name: 'vram, device-only', opts: { domain: 'vram' }, set: F.VRAM | F.WRITABLE, clear: F.PUBLIC | F.GTT | F.EXECUTABLE, hostVisible: false },
  { name: 'vram, host-visible', opts: { domain: 'vram', hostVisible: true }, set: F.VRAM | F.PUBLIC | F.WRITABLE, clear: F.GTT, hostVisible: true },
  { name: 'gtt', opts: { domain: 'gtt' }, set: F.GTT | F.WRITABLE, clear: F.UNCACHED | F.COHERENT | F.VRAM, hostVisible: true },
  { name: 'gtt, uncached', opts: { domain: 'gtt', uncached: true }, set: F.GTT | F.UNCACHED | F.COHERENT, clear: F.VRAM, hostVisible: true },
  { name: 'userptr', opts: { domain: 'userptr' }, set: F.USERPTR | F.WRITABLE, clear: F.VRAM | F.GTT, hostVisible: true },
  { name: 'executable', opts: { domain: 'gtt', executable: true }, set: F.GTT | F.EXECUTABLE, clear: F.VRAM, hostVisible: true },
];

/** SDMA copy on `q`, waited. */
function dma(q: SdmaQueue, dst: GpuBuffer, src: GpuBuffer, n: number): void {
  q.wait(q.copy(dst.va, src.va, n), 10_000);
}

for (const model of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`driver memory on ${model}`, () => {
    let host: EmuHost;
    let kfd: Kfd;
    let dev: Device;
    let sdma: SdmaQueue;
    before(() => {
      host = new EmuHost(model);
      kfd = Kfd.open(host);
      dev = kfd.device(0);
      sdma = SdmaQueue.create(dev);
    });
    after(async () => {
      kfd.close();
      const live = host.liveObjects();
      await host.shutdown();
      assert.deepEqual(live, ZERO, 'the emulated kernel holds nothing after Kfd.close()');
    });

    for (const d of DOMAINS) {
      it(`${d.name}: allocated with the right flags, CPU and GPU see the same bytes, freed`, () => {
        const n = 64 * 1024;
        const base = host.liveObjects();
        const b = dev.alloc(n, d.opts);
        assert.equal(b.flags & d.set, d.set, `flags 0x${b.flags.toString(16)} include 0x${d.set.toString(16)}`);
        assert.equal(b.flags & d.clear, 0, `flags 0x${b.flags.toString(16)} exclude 0x${d.clear.toString(16)}`);
        assert.equal(b.va % 4096n, 0n);
        assert.deepEqual([...b.mappedOn], [dev.gpuId], 'mapped into its own GPU');
        const now = host.liveObjects();
        assert.equal(now.bos, base.bos + 1, 'one BO');
        assert.equal(now.gpuMappings, base.gpuMappings + 1, 'one GPU mapping');

        const staging = dev.alloc(n, { domain: 'gtt' });
        const check = dev.alloc(n, { domain: 'gtt' });
        const data = pattern(n, n + d.name.length);
        if (d.hostVisible) {
          // CPU writes, GPU (SDMA) reads; GPU writes, CPU reads.
          b.view.set(data);
          assert.ok(same(b.view, data), 'CPU reads back what it wrote');
          dma(sdma, check, b, n);
          assert.ok(same(check.view, data), 'the GPU read what the CPU wrote');
          const back = pattern(n, 99);
          staging.view.set(back);
          dma(sdma, b, staging, n);
          assert.ok(same(b.view, back), 'the CPU reads what the GPU wrote');
        } else {
          assert.throws(() => b.view, (e: unknown) => e instanceof Error && /not host-visible/.test(e.message) && e.message.includes(dev.name));
          staging.view.set(data);
          dma(sdma, b, staging, n);
          dma(sdma, check, b, n);
          assert.ok(same(check.view, data), 'device-only VRAM holds what the GPU wrote into it');
        }
        staging.free();
        check.free();
        b.free();
        assert.equal(b.isFreed, true);
        assert.throws(() => b.free(), (e: unknown) => e instanceof UseAfterFreeError && /: free after it was freed$/.test(e.message), 'a double free is an error');
        assert.deepEqual(host.liveObjects(), base, 'free (and the refused second free) leave the kernel as before');
      });
    }

    it('a 1 GiB VRAM allocation maps, both ends are reachable from the CPU and the GPU', () => {
      const n = 1 << 30;
      const big = dev.alloc(n, { domain: 'vram', hostVisible: true, label: '1 GiB' });
      assert.equal(big.size, n);
      big.view[0] = 0x11;
      big.view[n - 1] = 0x22;
      const out = dev.alloc(4096, { domain: 'gtt' });
      sdma.wait(sdma.submit(sdma.builder().copy(out.va, big.va, 1).copy(out.va + 1n, big.va + BigInt(n - 1), 1).fence(big.va + BigInt(n - 4096), 0x600dcafe).dwords), 10_000);
      assert.deepEqual([out.view[0], out.view[1]], [0x11, 0x22]);
      assert.equal(new DataView(big.view.buffer, big.view.byteOffset + n - 4096, 4).getUint32(0, true), 0x600dcafe);
      out.free();
      big.free();
    });

    it('1,000 alloc/free cycles leave the kernel exactly as before', () => {
      const base = host.liveObjects();
      const buffers = dev.liveBuffers;
      const kinds: AllocOptions[] = [{ domain: 'gtt' }, { domain: 'vram' }, { domain: 'vram', hostVisible: true }, { domain: 'userptr' }, { domain: 'gtt', uncached: true }];
      for (let i = 0; i < 1000; i++) dev.alloc(4096 * (1 + (i % 7)), kinds[i % kinds.length]).free();
      assert.deepEqual(host.liveObjects(), base);
      assert.equal(dev.liveBuffers, buffers, 'the device tracks no freed buffer');
    });

    it('100 PM4 + AQL + SDMA queue create/destroy cycles leave the kernel exactly as before', () => {
      const base = host.liveObjects();
      const buffers = dev.liveBuffers;
      for (let i = 0; i < 100; i++) {
        const p = Pm4Queue.create(dev);
        const a = AqlQueue.create(dev);
        const s = SdmaQueue.create(dev);
        assert.equal(host.liveObjects().queues, base.queues + 3);
        s.destroy();
        a.destroy();
        p.destroy();
      }
      assert.deepEqual(host.liveObjects(), base);
      assert.equal(dev.liveBuffers, buffers, 'no ring, EOP or context-save buffer left behind');
    });

    it('allocSmall/freeSmall reuse pool memory without new buffer objects', () => {
      const first = dev.allocSmall(100, 64);
      const base = host.liveObjects();
      const a = dev.allocSmall(256, 256);
      assert.equal(a.va % 256n, 0n, 'aligned as asked');
      assert.equal(a.bytes.length, 256);
      a.bytes.fill(7);
      dev.freeSmall(a);
      const b = dev.allocSmall(256, 256);
      assert.equal(b.va, a.va, 'a freed slice is handed out again');
      const c = dev.allocSmall(256, 256);
      assert.notEqual(c.va, b.va, 'live slices do not overlap');
      assert.ok(c.va >= b.va + 256n || c.va + 256n <= b.va);
      for (const s of [b, c]) dev.freeSmall(s);
      dev.freeSmall(first);
      // Many slices at once: still no ioctl while they fit the pool's chunk.
      const many = Array.from({ length: 200 }, () => dev.allocSmall(64, 64));
      assert.equal(new Set(many.map((s) => s.va)).size, 200);
      for (const s of many) dev.freeSmall(s);
      assert.deepEqual(host.liveObjects(), base, 'the pool made no new BO');
    });
  });
}

describe('Device.close on emu:gfx1100', () => {
  it('frees every queue and buffer the device made; a second close is harmless; the session still closes clean', async () => {
    const host = new EmuHost('emu:gfx1100');
    const kfd = Kfd.open(host);
    try {
      const before = host.liveObjects();
      const dev = kfd.device(0);
      const q = Pm4Queue.create(dev);
      const s = SdmaQueue.create(dev);
      AqlQueue.create(dev);
      const mem = dev.alloc(MiB, { domain: 'vram', hostVisible: true });
      dev.alloc(MiB, { domain: 'gtt' });
      dev.alloc(MiB, { domain: 'userptr' });
      dev.allocSmall(64);
      q.wait(q.submit(q.builder().writeData(mem.va, [42]).dwords), 5000);
      assert.equal(host.liveObjects().queues, 3);
      assert.match(dev.liveSummary(), /^3 queue\(s\), \d+ buffer\(s\)/);
      dev.close();
      assert.equal(dev.liveBuffers, 0);
      assert.equal(dev.liveResources, 0);
      assert.equal(dev.liveSummary(), '');
      const after = host.liveObjects();
      // What remains is the session's: /dev/kfd, its ioctl scratch page, and the process event page
      // (the kernel frees that one itself) with its memory and hardware-exception events.
      assert.deepEqual(after, { bos: 1, queues: 0, events: 2, gpuMappings: 1, cpuMappings: before.cpuMappings + 1, openFiles: before.openFiles });
      dev.close();
      assert.deepEqual(host.liveObjects(), after, 'a second close changes nothing');
      assert.throws(() => dev.alloc(4096), (e: unknown) => e instanceof DriverError && /GPU 0 .*the device is closed/.test(e.message));
      assert.throws(() => s.submit(new Uint32Array(0)), /was destroyed/);
      kfd.close();
      assert.deepEqual(host.liveObjects(), ZERO);
    } finally {
      kfd.close();
      await host.shutdown();
    }
  });
});

describe('VRAM exhaustion on emu:gfx1100', () => {
  it('fails with a DriverError naming the device, the size and ENOMEM, and leaks nothing', async () => {
    const host = new EmuHost('emu:gfx1100');
    const kfd = Kfd.open(host);
    try {
      const dev = kfd.device(0);
      const held = dev.alloc(1 << 30, { domain: 'vram' });
      const base = host.liveObjects();
      const vram = dev.node.memBanks.reduce((n, b) => n + Number(b.sizeInBytes), 0);
      assert.ok(vram > 1 << 30, `the model has ${vram} bytes of VRAM`);
      assert.throws(
        () => dev.alloc(vram, { domain: 'vram' }),
        (e: unknown) => {
          assert.ok(e instanceof DriverError, String(e));
          assert.ok(e.message.startsWith(`${dev.name}: cannot allocate ${vram} bytes of vram`), e.message);
          assert.match(e.message, /ENOMEM/);
          assert.ok(e.cause instanceof OsError && e.cause.code === 'ENOMEM');
          return true;
        },
      );
      assert.deepEqual(host.liveObjects(), base, 'the failed allocation released its VA reservation');
      held.free();
      assert.throws(() => dev.alloc(vram + 4096, { domain: 'vram' }), /ENOMEM/, 'more than the whole VRAM never fits');
    } finally {
      kfd.close();
      await host.shutdown();
    }
  });
});

describe('peer mapping on emu:gfx942x4', () => {
  it("GPU 1 writes GPU 0's VRAM through its own VM with PM4 WRITE_DATA; the CPU sees it", async () => {
    const host = new EmuHost('emu:gfx942x4');
    const kfd = Kfd.open(host);
    try {
      const [g0, g1, g2] = kfd.devices() as [Device, Device, Device];
      const q = Pm4Queue.create(g1);
      const base = host.liveObjects();
      const mem = g0.alloc(4096, { domain: 'vram', hostVisible: true, label: 'shared' });
      mem.mapTo([g1.gpuId, g2.gpuId]);
      assert.deepEqual([...mem.mappedOn].sort(), [g0.gpuId, g1.gpuId, g2.gpuId].sort());
      assert.equal(host.liveObjects().gpuMappings, base.gpuMappings + 3);
      mem.mapTo([g1.gpuId]);
      assert.equal(host.liveObjects().gpuMappings, base.gpuMappings + 3, 'mapping twice is a no-op');
      q.wait(q.submit(q.builder().writeData(mem.va + 128n, [0xfeedf00d, 0x1234]).dwords), 5000);
      const dv = new DataView(mem.view.buffer, mem.view.byteOffset, 4096);
      assert.deepEqual([dv.getUint32(128, true), dv.getUint32(132, true)], [0xfeedf00d, 0x1234]);
      mem.unmapFrom([g2.gpuId]);
      assert.deepEqual([...mem.mappedOn].sort(), [g0.gpuId, g1.gpuId].sort());
      mem.free();
      assert.deepEqual(host.liveObjects(), base, 'free unmapped it from every GPU');
      q.destroy();
      kfd.close();
      assert.deepEqual(host.liveObjects(), ZERO);
    } finally {
      kfd.close();
      await host.shutdown();
    }
  });

  it('a GPU write to a peer buffer that is not mapped into its VM faults', async () => {
    const host = new EmuHost('emu:gfx942x4');
    const kfd = Kfd.open(host);
    try {
      const [g0, g1] = kfd.devices() as [Device, Device];
      const mem = g0.alloc(4096, { domain: 'vram', hostVisible: true });
      const q = Pm4Queue.create(g1);
      assert.throws(() => q.wait(q.submit(q.builder().writeData(mem.va, [1]).dwords), 3000), (e: unknown) => e instanceof DriverError && /GPU memory fault at 0x/.test(e.message));
      assert.equal(new DataView(mem.view.buffer, mem.view.byteOffset, 4).getUint32(0, true), 0, 'nothing was written');
    } finally {
      kfd.close();
      await host.shutdown();
    }
  });
});
