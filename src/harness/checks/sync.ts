// Synchronisation: interrupts, GPU-side waits between queues, overlap and timestamps.
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { CheckFailure, expect, Skip, type Check } from '../check.js';

export const interruptWait: Check = {
  name: 'pm4.interrupt-wait',
  proves: 'a CPU wait sleeps in WAIT_EVENTS and is woken by the fence interrupt (event page + RELEASE_MEM int_ctxid)',
  run({ device, timeoutMs }) {
    const q = SdmaQueue.create(device);
    const n = 32 << 20;
    const a = device.alloc(n, { domain: 'gtt' });
    const b = device.alloc(n, { domain: 'gtt' });
    try {
      // The copies must outlast the wait's spin so that it sleeps. How long they take depends on the
      // machine (and on the CPU being scheduled while they run), so a wait that ends inside its spin
      // is tried again with four times the copies before the check gives up.
      let ms = 0;
      for (const repeats of SPIN_OUTLASTING_REPEATS) {
        const before = { ...q.timeline.stats };
        const stream = q.builder();
        for (let i = 0; i < repeats; i++) stream.copy(b.va, a.va, n);
        const t0 = performance.now();
        q.wait(q.submit(stream.dwords, { label: `${repeats} copies of ${n >> 20} MiB` }), timeoutMs);
        ms = performance.now() - t0;
        const s = q.timeline.stats;
        if (s.spins !== before.spins) continue;
        expect(s.interruptWakeups > before.interruptWakeups, `the fence landed but no interrupt woke the waiter: ${s.sleepTimeouts - before.sleepTimeouts} sleep(s) ran into their timeout (interrupt lost?)`);
        return `slept ${ms.toFixed(1)} ms (${repeats} × ${n >> 20} MiB copied), woken by the interrupt`;
      }
      throw new CheckFailure(`${SPIN_OUTLASTING_REPEATS.at(-1)} copies of ${n >> 20} MiB finished within the spin; cannot observe the sleep (took ${ms.toFixed(1)} ms)`);
    } finally {
      q.destroy();
      a.free();
      b.free();
    }
  },
};

/** Copies per attempt of pm4.interrupt-wait. */
const SPIN_OUTLASTING_REPEATS = [1, 4, 16] as const;

export const computeWaitsSdma: Check = {
  name: 'sync.compute-waits-sdma',
  proves: 'a compute queue WAIT_REG_MEM holds back its work until an SDMA fence lands',
  run({ device, timeoutMs }) {
    const pm4 = Pm4Queue.create(device);
    const sdma = SdmaQueue.create(device);
    const mem = device.alloc(4096, { domain: 'gtt', uncached: true });
    try {
      const w = new Uint32Array(mem.view.buffer, mem.view.byteOffset, 4);
      const cp = pm4.submit(pm4.builder().waitMem32(mem.va, 'EQ', 0x5d).copyData(1, 5, mem.va, mem.va + 8n, false).dwords, { label: 'wait for SDMA' });
      expect(!pm4.isDone(cp), 'the compute queue did not wait');
      sdma.wait(sdma.submit(sdma.builder().fence(mem.va, 0x5d).dwords, { label: 'signal compute' }), timeoutMs);
      pm4.wait(cp, timeoutMs, 'the compute queue to resume after the SDMA fence');
      expect(w[2] === 0x5d, `compute read 0x${w[2]!.toString(16)} after its wait, SDMA wrote 0x5d`);
      return 'compute resumed after the SDMA fence and read its value';
    } finally {
      pm4.destroy();
      sdma.destroy();
      mem.free();
    }
  },
};

export const sdmaWaitsCompute: Check = {
  name: 'sync.sdma-waits-compute',
  proves: 'an SDMA queue POLL_REGMEM holds back its next packet until a compute fence lands',
  run({ device, timeoutMs }) {
    const pm4 = Pm4Queue.create(device);
    const sdma = SdmaQueue.create(device);
    const mem = device.alloc(4096, { domain: 'gtt', uncached: true });
    try {
      const w = new Uint32Array(mem.view.buffer, mem.view.byteOffset, 4);
      // SDMA: wait for w[0] >= 3, then write the marker w[2] (a FENCE, so a broken copy cannot fail this check).
      const cs = sdma.submit(sdma.builder().pollMem32(mem.va, 'GE', 3).fence(mem.va + 8n, 0x77).dwords, { label: 'wait for compute' });
      expect(!sdma.isDone(cs), 'the SDMA queue did not wait');
      // Compute: record the marker as it is before releasing SDMA (w[3]), then release it.
      pm4.wait(pm4.submit(pm4.builder().copyData(1, 5, mem.va + 8n, mem.va + 12n, false).writeData(mem.va, [3]).dwords, { label: 'signal SDMA' }), timeoutMs);
      sdma.wait(cs, timeoutMs, 'the SDMA queue to resume after the compute fence');
      expect(w[3] === 0, `SDMA wrote its marker (0x${w[3]!.toString(16)}) before the compute queue released it`);
      expect(w[2] === 0x77, `SDMA's marker after the wait is 0x${w[2]!.toString(16)}, want 0x77`);
      return 'SDMA held its FENCE until the compute write, then resumed';
    } finally {
      pm4.destroy();
      sdma.destroy();
      mem.free();
    }
  },
};

export const timestampsMonotonic: Check = {
  name: 'timestamps.monotonic',
  proves: 'GPU timestamps from RELEASE_MEM, COPY_DATA and SDMA TIMESTAMP increase in submission order',
  run({ device, timeoutMs }) {
    const pm4 = Pm4Queue.create(device);
    const sdma = SdmaQueue.create(device);
    const mem = device.alloc(4096, { domain: 'gtt', uncached: true });
    try {
      const b = pm4.builder();
      for (let i = 0; i < 4; i++) b.copyClockToMemory(mem.va + BigInt(16 * i)).releaseMem({ va: mem.va + BigInt(16 * i + 8), data: 'gpu_clock', flush: false });
      pm4.wait(pm4.submit(b.dwords, { label: 'timestamps' }), timeoutMs);
      const s = sdma.builder();
      for (let i = 0; i < 4; i++) s.timestamp(mem.va + BigInt(1024 + 8 * i));
      sdma.wait(sdma.submit(s.dwords, { label: 'timestamps' }), timeoutMs);
      const v = new BigUint64Array(mem.view.buffer, mem.view.byteOffset, 512);
      const cp = Array.from({ length: 8 }, (_, i) => v[i]!);
      const dma = Array.from({ length: 4 }, (_, i) => v[128 + i]!);
      for (const [name, seq] of [['CP', cp], ['SDMA', dma]] as const) {
        expect(seq[0]! > 0n, `${name} timestamp is zero`);
        for (let i = 1; i < seq.length; i++) expect(seq[i]! >= seq[i - 1]!, `${name} timestamp ${i} (${seq[i]}) is before ${i - 1} (${seq[i - 1]})`);
      }
      expect(dma[0]! >= cp[7]!, `the SDMA timestamps taken after the CP ones read earlier (${dma[0]} < ${cp[7]}): the engines' clocks disagree`);
      return `CP ${cp[0]}…${cp[7]}, SDMA ${dma[0]}…${dma[3]} (100 MHz ticks)`;
    } finally {
      pm4.destroy();
      sdma.destroy();
      mem.free();
    }
  },
};

/** hash_loop rounds per attempt of sync.overlap: each attempt's kernel runs 4× longer. */
const OVERLAP_KERNEL_ROUNDS = [400, 1600, 6400] as const;

export const overlap: Check = {
  name: 'sync.overlap',
  proves: 'compute and SDMA queues run at the same time: a kernel and a copy submitted together overlap on the GPU clock',
  async run({ device, timeoutMs }) {
    const { corpusKernel } = await import('../corpus/index.js');
    const { corpusTargetOf, corpusProgram } = await import('../corpus-run.js');
    const target = corpusTargetOf(device);
    if (!target) throw new Skip(`no corpus code objects for ${device.target.name}`);
    const k = corpusKernel('hash_loop');
    const kernel = corpusProgram(device, k, target).kernel(k.kernel);
    const pm4 = Pm4Queue.create(device);
    const sdma = SdmaQueue.create(device);
    const n = 64 << 20;
    const a = device.alloc(n, { domain: 'gtt' });
    const b = device.alloc(n, { domain: 'gtt' });
    const seeds = device.alloc(4096, { domain: 'gtt' });
    const out = device.alloc(4096, { domain: 'gtt' });
    const ts = device.alloc(4096, { domain: 'gtt', uncached: true });
    try {
      const gate = new Uint32Array(ts.view.buffer, ts.view.byteOffset + 2048, 1);
      let last = '';
      // The kernel must outlast the time the copy takes to start; on a fast (or warmed-up emulated)
      // GPU a short kernel may not, so a run without overlap is repeated with a longer kernel.
      for (const rounds of OVERLAP_KERNEL_ROUNDS) {
        Atomics.store(gate, 0, 0);
        // Both queues wait on one gate so neither starts before the other was submitted.
        sdma.submit(sdma.builder().pollMem32(ts.va + 2048n, 'EQ', 1).timestamp(ts.va).dwords, { fence: false, label: 'gate' });
        sdma.copy(b.va, a.va, n);
        const se = sdma.submit(sdma.builder().timestamp(ts.va + 8n).dwords, { label: 'end stamp' });
        pm4.submit(pm4.builder().waitMem32(ts.va + 2048n, 'EQ', 1).copyClockToMemory(ts.va + 16n).dwords, { fence: false, label: 'gate' });
        kernel.dispatch(pm4, { grid: [256, 1, 1], block: [64, 1, 1], args: [seeds, out, rounds] });
        const ck = pm4.submit(pm4.builder().releaseMem({ va: ts.va + 24n, data: 'gpu_clock', flush: false }).dwords, { label: 'end stamp' });
        Atomics.store(gate, 0, 1);
        sdma.wait(se, timeoutMs);
        pm4.wait(ck, timeoutMs);
        const t = new BigUint64Array(ts.view.buffer, ts.view.byteOffset, 4);
        const [s0, s1, c0, c1] = [t[0]!, t[1]!, t[2]!, t[3]!];
        expect(s1 > s0 && c1 > c0, `timestamps did not advance (SDMA ${s0}…${s1}, compute ${c0}…${c1})`);
        const shared = (s1 < c1 ? s1 : c1) - (s0 > c0 ? s0 : c0);
        if (shared > 0n) return `copy ${(Number(s1 - s0) / 100).toFixed(0)} µs, kernel ${(Number(c1 - c0) / 100).toFixed(0)} µs (${rounds} rounds), overlapping ${(Number(shared) / 100).toFixed(0)} µs`;
        last = `the copy (${s0}…${s1}) and the kernel of ${rounds} rounds (${c0}…${c1}) ran one after the other`;
      }
      throw new CheckFailure(last);
    } finally {
      pm4.destroy();
      sdma.destroy();
      for (const x of [a, b, seeds, out, ts]) x.free();
    }
  },
};
