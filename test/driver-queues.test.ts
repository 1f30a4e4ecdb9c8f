// The driver's queues on the emulated GPU: PM4 writes and fences, SDMA copies/fills of every size
// class, GPU-side waits between queues, interrupt-driven CPU waits, timeouts, and teardown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { EmuHost } from '../src/emu/host.js';
import { Kfd } from '../src/driver/kfd.js';
import { Pm4Queue } from '../src/driver/queues/pm4-queue.js';
import { SdmaQueue } from '../src/driver/queues/sdma-queue.js';
import { WaitTimeoutError } from '../src/driver/errors.js';
import type { Device } from '../src/driver/device.js';

for (const model of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`queues on ${model}`, () => {
    let host: EmuHost;
    let kfd: Kfd;
    let dev: Device;
    before(() => {
      host = new EmuHost(model);
      kfd = Kfd.open(host);
      dev = kfd.device(0);
    });
    after(async () => {
      kfd.close();
      const live = host.liveObjects();
      await host.shutdown();
      assert.deepEqual(Object.values(live).filter((v) => typeof v === 'number' && v !== 0), [], `live objects after close: ${JSON.stringify(live)}`);
    });

    it('PM4 WRITE_DATA lands in memory and the fence completes', () => {
      const q = Pm4Queue.create(dev);
      const buf = dev.alloc(4096, { domain: 'gtt' });
      const c = q.submit(q.builder().writeData(buf.va + 16n, [0xdeadbeef, 0x12345678]).dwords);
      q.wait(c, 5000);
      const dv = new DataView(buf.view.buffer, buf.view.byteOffset);
      assert.equal(dv.getUint32(16, true), 0xdeadbeef);
      assert.equal(dv.getUint32(20, true), 0x12345678);
      assert.equal(q.timeline.value, 1n);
      q.destroy();
      buf.free();
    });

    it('SDMA copies 1 B, 4 KiB, odd sizes and unaligned offsets byte for byte', () => {
      const q = SdmaQueue.create(dev);
      const src = dev.alloc(1 << 20, { domain: 'gtt' });
      const dst = dev.alloc(1 << 20, { domain: 'vram', hostVisible: true });
      for (let i = 0; i < src.view.length; i++) src.view[i] = (i * 131 + 7) & 0xff;
      for (const [n, so, doff] of [[1, 0, 0], [4096, 0, 0], [4097, 3, 5], [65535, 1, 2], [777777, 11, 13]] as const) {
        dst.view.fill(0);
        q.wait(q.copy(dst.va + BigInt(doff), src.va + BigInt(so), n), 5000);
        assert.ok(Buffer.from(dst.view.subarray(doff, doff + n)).equals(Buffer.from(src.view.subarray(so, so + n))), `copy of ${n} bytes`);
        assert.equal(dst.view[doff + n], 0, `no byte written past the ${n}-byte copy`);
      }
      q.destroy();
      src.free();
      dst.free();
    });

    it('SDMA fill writes the pattern', () => {
      const q = SdmaQueue.create(dev);
      const b = dev.alloc(1 << 16, { domain: 'gtt' });
      q.wait(q.fill(b.va + 64n, 0xa5a5f00d, 4096), 5000);
      const w = new Uint32Array(b.view.buffer, b.view.byteOffset, 2048);
      assert.equal(w[15], 0);
      assert.equal(w[16], 0xa5a5f00d);
      assert.equal(w[16 + 1023], 0xa5a5f00d);
      assert.equal(w[16 + 1024], 0);
      q.destroy();
      b.free();
    });

    it('an SDMA queue waits (POLL_REGMEM) for a CPU write made 50 ms later, then copies 64 MiB', async () => {
      const q = SdmaQueue.create(dev);
      const flag = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const n = 64 << 20;
      const src = dev.alloc(n, { domain: 'gtt' });
      const dst = dev.alloc(n, { domain: 'vram', hostVisible: true });
      const sw = new Uint32Array(src.view.buffer, src.view.byteOffset, n / 4);
      for (let i = 0; i < sw.length; i++) sw[i] = Math.imul(i, 2654435761) >>> 0;
      const c = q.submit(q.builder().pollMem32(flag.va, 'EQ', 1).copy(dst.va, src.va, n).dwords);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(q.isDone(c), false, 'the copy must not run before the flag is set');
      Atomics.store(new Int32Array(flag.view.buffer, flag.view.byteOffset, 1), 0, 1);
      q.wait(c, 20000);
      assert.ok(Buffer.from(dst.view).equals(Buffer.from(src.view)), '64 MiB copied exactly');
      q.destroy();
      for (const b of [flag, src, dst]) b.free();
    });

    it('compute waits on an SDMA fence, and SDMA waits on a compute fence', () => {
      const pm4 = Pm4Queue.create(dev);
      const sdma = SdmaQueue.create(dev);
      const mem = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const w = new Uint32Array(mem.view.buffer, mem.view.byteOffset, 1024);
      // compute waits for w[0] == 7 (written by SDMA), then writes w[1] = 9; SDMA waits for w[1] == 9, then writes w[2].
      const cp = pm4.submit(pm4.builder().waitMem32(mem.va, 'EQ', 7).writeData(mem.va + 4n, [9]).dwords);
      const cs = sdma.submit(sdma.builder().fence(mem.va, 7).pollMem32(mem.va + 4n, 'EQ', 9).fence(mem.va + 8n, 11).dwords);
      pm4.wait(cp, 5000);
      sdma.wait(cs, 5000);
      assert.deepEqual([w[0], w[1], w[2]], [7, 9, 11]);
      pm4.destroy();
      sdma.destroy();
      mem.free();
    });

    it('a CPU wait sleeps on the KFD event and is woken by the interrupt', async () => {
      const q = SdmaQueue.create(dev);
      const mem = dev.alloc(4096, { domain: 'gtt', uncached: true });
      // The SDMA queue waits for a gate word, then fences (and interrupts). Another thread opens the
      // gate once the wait has begun plus 200 ms, so the wait outlasts its spin whatever the machine's
      // speed, sleeps in WAIT_EVENTS, and must be woken by the fence's interrupt.
      const words = new Int32Array(mem.view.buffer, mem.view.byteOffset, 2);
      const c = q.submit(q.builder().pollMem32(mem.va, 'EQ', 1).dwords);
      const opener = new Worker(
        `const { workerData: { buffer, offset } } = require('node:worker_threads');
         const w = new Int32Array(buffer, offset, 2);
         Atomics.wait(w, 1, 0);
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
         Atomics.store(w, 0, 1);`,
        { eval: true, workerData: { buffer: mem.view.buffer, offset: mem.view.byteOffset } },
      );
      const exited = once(opener, 'exit');
      const before = { ...q.timeline.stats };
      Atomics.store(words, 1, 1);
      Atomics.notify(words, 1);
      q.wait(c, 10000);
      assert.equal(q.timeline.stats.spins, before.spins, 'the wait did not finish while spinning');
      // Sleep slices may end by timeout first; what matters is that the interrupt ended the wait.
      assert.equal(q.timeline.stats.interruptWakeups, before.interruptWakeups + 1, 'woken once, by the interrupt');
      await exited;
      q.destroy();
      mem.free();
    });

    it('a wait that cannot finish times out with the queue state and the blocking packet', () => {
      const q = Pm4Queue.create(dev);
      const mem = dev.alloc(4096, { domain: 'gtt', uncached: true });
      const c = q.submit(q.builder().waitMem32(mem.va, 'EQ', 42).dwords);
      assert.throws(() => q.wait(c, 300), (e: unknown) => {
        assert.ok(e instanceof WaitTimeoutError);
        assert.match(e.message, /timed out after 300 ms waiting for fence 1 of GPU 0/);
        assert.match(e.message, /=> \[\s*\d+\] WAIT_REG_MEM function=== mem_space=mem/);
        // the decoded register snapshot: the GPU is busy (GUI_ACTIVE | CP_BUSY) while the queue waits
        assert.match(e.message, /register snapshot \(GC (11\.0\.0|9\.4\.[23])[^)]*, [0-9a-f:.]+ resource5\):\n {2}GC\.GRBM_STATUS \(0x8010\) = 0xa0000000/);
        assert.match(e.message, /\n {4}GUI_ACTIVE +1 \(0x1\)/);
        // the CP HQD registers: the waiting PM4 queue's write pointer, past its read pointer
        assert.match(e.message, /\n {2}GC\.CP_HQD_PQ_WPTR_LO \(0x[0-9a-f]+\) = 0x0*[1-9a-f]/);
        return true;
      });
      Atomics.store(new Int32Array(mem.view.buffer, mem.view.byteOffset, 1), 0, 42);
      q.wait(c, 5000);
      q.destroy();
      mem.free();
    });

    it('100 queue create/destroy cycles leave nothing behind', () => {
      const before = host.liveObjects();
      for (let i = 0; i < 50; i++) {
        Pm4Queue.create(dev).destroy();
        SdmaQueue.create(dev).destroy();
      }
      assert.deepEqual(host.liveObjects(), before);
    });
  });
}
