// Memory shared between the KFD world and the render-node world of one process as a dma-buf, both
// ways: a GEM object exported with PRIME and imported into KFD (AMDKFD_IOC_IMPORT_DMABUF), and a KFD
// buffer exported (AMDKFD_IOC_EXPORT_DMABUF) and imported into the render node (PRIME_FD_TO_HANDLE).
// User-mode KFD queues write it, a CS-submitted SDMA copy on the kernel's DMA ring moves it into another
// GEM object and back, and KFD reads it again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { CsDmaQueue } from '../src/driver/queues/cs-queue.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { SdmaQueue } from '../src/driver/queues/sdma-queue.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

for (const model of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`dma-buf interop between KFD and the render node on ${model}`, () => {
    it('KFD queues write a GEM buffer imported from a dma-buf; a CS SDMA copy moves it into another GEM buffer and back; KFD reads the bytes back', async () => {
      const host = new EmuHost(model);
      const kfd = Kfd.open(host);
      try {
        const kdev = kfd.device(0);
        const rdev = kfd.renderDevice(0);
        const half = 64 * 1024;
        // The shared memory: device-only VRAM, so only GPU copies can move its bytes.
        const shared = rdev.alloc(2 * half, { domain: 'vram', label: 'shared GEM object' });
        const fd = rdev.exportDmabuf(shared);
        const imported = kdev.importDmabuf(fd, 2 * half, { hostVisible: false, label: 'shared (KFD import)' });
        host.close(fd);
        assert.equal(imported.size, 2 * half);

        // KFD side: an SDMA queue copies a pattern in, a PM4 queue stamps two dwords after it.
        const src = kdev.alloc(half, { domain: 'gtt' });
        for (let i = 0; i < half; i++) src.view[i] = (i * 131 + 7) & 0xff;
        const sdma = SdmaQueue.create(kdev);
        const pm4 = Pm4Queue.create(kdev);
        sdma.wait(sdma.copy(imported.va, src.va, half), 10000);
        pm4.wait(pm4.submit(pm4.builder().writeData(imported.va + BigInt(half - 8), [0x600df00d, 0xc0ffee]).dwords), 10000);
        const expected = src.view.slice();
        new DataView(expected.buffer).setUint32(half - 8, 0x600df00d, true);
        new DataView(expected.buffer).setUint32(half - 4, 0xc0ffee, true);

        // Render-node side: CS SDMA copies the first half out into a GEM buffer the CPU sees, then back into the second half.
        const dma = CsDmaQueue.create(rdev);
        const out = rdev.alloc(half, { domain: 'gtt' });
        dma.wait(dma.copy(out.va, shared.va, half), 10000);
        assert.ok(same(out.view, expected), 'the render node reads what the KFD queues wrote');
        out.view[0] ^= 0xff;
        expected[0] ^= 0xff;
        dma.wait(dma.copy(shared.va + BigInt(half), out.va, half), 10000);

        // KFD again: the second half, copied out by the KFD SDMA queue, holds what the render node wrote.
        const back = kdev.alloc(half, { domain: 'gtt' });
        sdma.wait(sdma.copy(back.va, imported.va + BigInt(half), half), 10000);
        assert.ok(same(back.view, expected), 'KFD reads what the CS copy wrote');

        assert.deepEqual(host.ringHangs(), []);
        dma.destroy();
        sdma.destroy();
        pm4.destroy();
        // Either side may let go first: the import holds the GEM object.
        shared.free();
        for (const b of [imported, src, out, back]) b.free();
      } finally {
        kfd.close();
        await host.shutdown();
      }
    });

    it('the other way: a KFD buffer exported as a dma-buf is imported by the render node, read and written by CS SDMA copies, and outlives KFD\'s free while the import holds it', async () => {
      const host = new EmuHost(model);
      const kfd = Kfd.open(host);
      try {
        const kdev = kfd.device(0);
        const rdev = kfd.renderDevice(0);
        const size = 32 * 1024;
        const kbuf = kdev.alloc(size, { domain: 'vram', label: 'KFD buffer to share' });
        const src = kdev.alloc(size, { domain: 'gtt' });
        for (let i = 0; i < size; i++) src.view[i] = (i * 29 + 3) & 0xff;
        const sdma = SdmaQueue.create(kdev);
        sdma.wait(sdma.copy(kbuf.va, src.va, size), 10000);
        const fd = kdev.exportDmabuf(kbuf);
        const gem = rdev.importDmabuf(fd, size, { hostVisible: false, label: 'KFD buffer (render-node import)' });
        host.close(fd);
        const dma = CsDmaQueue.create(rdev);
        const out = rdev.alloc(size, { domain: 'gtt' });
        dma.wait(dma.copy(out.va, gem.va, size), 10000);
        assert.ok(same(out.view, src.view), 'the render node reads what the KFD queue wrote');
        // KFD lets go first; the render node's import keeps the memory, and writes into it still land.
        sdma.destroy();
        kbuf.free();
        dma.wait(dma.fill(gem.va + 128n, 0x7e7e7e7e, 64), 10000);
        dma.wait(dma.copy(out.va, gem.va, size), 10000);
        const expected = src.view.slice();
        expected.fill(0x7e, 128, 192);
        assert.ok(same(out.view, expected), 'CS writes reach the memory KFD freed while the import holds it');
        assert.deepEqual(host.ringHangs(), []);
        dma.destroy();
        for (const b of [gem, out, src]) b.free();
      } finally {
        kfd.close();
        await host.shutdown();
      }
    });
  });
}
