// The submission path: the CPU cost of building and submitting one kernel dispatch (PM4, AQL) and one
// SDMA copy, in a loop against the emulated GPU with paused engines, next to a C program doing the
// same stores (the exact bytes our driver wrote for one submission) in a loop of the same count.
import { Kfd } from '../../driver/kfd.js';
import type { Device } from '../../driver/device.js';
import type { Kernel } from '../../driver/program.js';
import { packKernargs } from '../../driver/kernargs.js';
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { AqlQueue } from '../../driver/queues/aql-queue.js';
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { pm4Header, PM4_OP } from '../../hw/pm4/opcodes.js';
import { SDMA_OP } from '../../hw/sdma/packets.js';
import { AQL_PACKET_BYTES } from '../../uapi/hsa.js';
import { emptyKernel } from './dispatch.js';
import { pausedHost, PAUSED_DEVICE, type PlainDoorbells } from './paused-host.js';
import { ringBytesOf, unconsumed, landTimeline } from './queue-peek.js';
import { runCBaseline, type CapturedPath, type CBaseline } from './c-baseline.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';
import { nowNs } from './stats.js';
import type { Mmio } from '../../os/host.js';
import { releaseStore64 } from '../../os/store-order.js';

const RING_BYTES = 1 << 20;
/**
 * Submissions per timed batch: well inside a 1 MiB ring for every path, so the ring never fills while
 * the clock runs; between batches the engine is woken and drained and the fences landed (untimed).
 * A batch is also well inside one lap of the 1 MiB kernarg ring (≥ 5,000 launches of this kernel), so
 * every chunk a batch re-enters was retired by the landing before it, as the GPU would have.
 */
const BATCH = 2048;
const COPY_BYTES = 4096;

interface Plan {
  readonly warmup: number;
  /** Wall time one run of the loop aims for (sets the count, shared with C). */
  readonly runNs: number;
  readonly runs: number;
  readonly minCount: number;
  readonly maxCount: number;
}

const planFor = (quick: boolean): Plan => (quick ? { warmup: 2000, runNs: 15e6, runs: 1, minCount: 2000, maxCount: 20_000 } : { warmup: 20_000, runNs: 250e6, runs: 3, minCount: 10_000, maxCount: 500_000 });

type Queue = Pm4Queue | AqlQueue | SdmaQueue;

interface PathSetup {
  readonly name: string;
  readonly queue: Queue;
  readonly submit: () => void;
  readonly sideBytes: Uint8Array;
  readonly release: () => void;
}

function kernargImage(kernel: Kernel, withPacket: boolean): Uint8Array {
  const bytes = Math.max(kernel.info.metadata.kernargSegmentSize, 16);
  const out = new Uint8Array((withPacket ? AQL_PACKET_BYTES : 0) + bytes);
  const ap = kernel.device.apertures;
  packKernargs(kernel.info, [], { grid: [1, 1, 1], block: [1, 1, 1], dynamicLds: 0 }, { queuePtr: 0n, privateBase: ap.scratchBase, sharedBase: ap.ldsBase }, out.subarray(withPacket ? AQL_PACKET_BYTES : 0));
  return out;
}

function setups(device: Device, kernel: Kernel): PathSetup[] {
  const pm4 = Pm4Queue.create(device, { ringBytes: RING_BYTES });
  const aql = AqlQueue.create(device, { packets: RING_BYTES / AQL_PACKET_BYTES });
  const sdma = SdmaQueue.create(device, { ringBytes: RING_BYTES });
  const src = device.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy source' });
  const dst = device.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy destination' });
  const shape = { grid: 1, block: 1 } as const;
  const pm4Launch = kernel.prepare(pm4, shape);
  const aqlLaunch = kernel.prepare(aql, shape);
  return [
    { name: 'PM4 dispatch', queue: pm4, submit: () => void kernel.dispatch(pm4, shape), sideBytes: kernargImage(kernel, true), release: () => pm4.destroy() },
    { name: 'AQL dispatch', queue: aql, submit: () => void kernel.dispatch(aql, shape), sideBytes: kernargImage(kernel, false), release: () => aql.destroy() },
    { name: 'PM4 dispatch (prepared)', queue: pm4, submit: () => pm4Launch.enqueue(), sideBytes: kernargImage(kernel, true), release: () => undefined },
    { name: 'AQL dispatch (prepared)', queue: aql, submit: () => aqlLaunch.enqueue(), sideBytes: kernargImage(kernel, false), release: () => undefined },
    { name: 'SDMA copy 4 KiB', queue: sdma, submit: () => void sdma.copy(dst.va, src.va, COPY_BYTES), sideBytes: new Uint8Array(0), release: () => (sdma.destroy(), src.free(), dst.free()) },
  ];
}

/** ns per submission of `count` submissions, timed in batches; false when the engine stopped consuming. */
function loop(p: PathSetup, count: number, doorbells: PlainDoorbells): { ns: number; consumed: boolean } {
  const q = p.queue;
  let timed = 0;
  let consumed = true;
  for (let done = 0; done < count; ) {
    const n = Math.min(BATCH, count - done);
    const t0 = nowNs();
    for (let i = 0; i < n; i++) p.submit();
    timed += nowNs() - t0;
    done += n;
    landTimeline(q.timeline, q.submitted);
    consumed &&= drained(q, doorbells);
  }
  return { ns: timed / count, consumed };
}

/** The ring bytes of one more submission, read back between the doorbell values before and after it. */
function capture(p: PathSetup, doorbells: PlainDoorbells): CapturedPath {
  const q = p.queue;
  const ring = ringBytesOf(q);
  const words = new Uint32Array(ring.buffer, ring.byteOffset, ring.byteLength / 4);
  const before = doorbells.lastValue;
  p.submit();
  const after = doorbells.lastValue;
  if (q instanceof AqlQueue) {
    const at = (after % (ring.byteLength / AQL_PACKET_BYTES)) * (AQL_PACKET_BYTES / 4);
    return { name: p.name, kind: 'aql', dwords: words.slice(at, at + AQL_PACKET_BYTES / 4), sideBytes: p.sideBytes, ringBytes: ring.byteLength, doorbellScale: 1, nop: { base: 0, bias: 0 } };
  }
  const scale = q instanceof SdmaQueue ? 4 : 1;
  const from = (before / scale) % words.length;
  const to = (after / scale) % words.length;
  const dwords = to > from ? words.slice(from, to) : words.slice(0, to);
  const nop = q instanceof SdmaQueue ? { base: SDMA_OP.NOP, bias: 1 } : { base: pm4Header(PM4_OP.NOP, 1), bias: 2 };
  return { name: p.name, kind: 'ring', dwords, sideBytes: p.sideBytes, ringBytes: ring.byteLength, doorbellScale: scale, nop };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Wakes the engine and waits until it consumed everything submitted (the last doorbell is this
 * queue's), polling every 0.1 ms rather than spinning, so the wait leaves no garbage for the timed loops.
 */
function drained(q: Queue, doorbells: PlainDoorbells): boolean {
  doorbells.flush(doorbells.lastByte);
  const deadline = performance.now() + 2000;
  while (unconsumed(q) !== 0n) {
    if (performance.now() > deadline) return false;
    Atomics.wait(pause, 0, 0, 0.1);
  }
  return true;
}

export interface SubmissionResult {
  readonly device: string;
  readonly count: number;
  readonly runs: number;
  readonly baseline: CBaseline;
}

export const submissionBench: BenchSection = {
  key: 'submission',
  name: 'submission path',
  steps: () => 7,
  async run(ctx: BenchContext) {
    const plan = planFor(ctx.quick);
    const figures: BenchFigure[] = [];
    const notes: string[] = [];
    const ph = pausedHost();
    let kfd: Kfd | undefined;
    try {
      kfd = Kfd.open(ph.host);
      const device = kfd.device(0);
      const kernel = emptyKernel(device);
      if (typeof kernel === 'string') throw new Error(`submission path on ${PAUSED_DEVICE}: ${kernel}`);
      const paths = setups(device, kernel);
      try {
        const doorbells = ph.doorbells()!;
        const measured: { path: PathSetup; best: number; count: number; consumed: boolean; captured: CapturedPath }[] = [];
        let count = plan.maxCount;
        for (const p of paths) {
          const warm = loop(p, plan.warmup, doorbells).ns;
          count = Math.min(count, Math.max(plan.minCount, Math.round(plan.runNs / warm)));
        }
        for (const p of paths) {
          let best = Infinity;
          let consumed = true;
          for (let r = 0; r < plan.runs; r++) {
            const m = loop(p, count, doorbells);
            best = Math.min(best, m.ns);
            consumed &&= m.consumed;
          }
          const captured = capture(p, doorbells);
          consumed &&= drained(p.queue, doorbells);
          measured.push({ path: p, best, count, consumed, captured });
          ctx.step(p.name);
        }
        const c = runCBaseline(measured.map((m) => m.captured), count, plan.runs);
        ctx.step('C baseline');
        if (!c.available) notes.push(`submission path: C baseline unavailable: ${c.reason}`);
        for (const m of measured) {
          const cNs = c.available ? c.nsPerSubmission.get(m.path.name)! : null;
          const side = m.captured.sideBytes.length;
          figures.push(figure({
            section: 'submission',
            name: m.path.name,
            value: m.best,
            unit: 'ns/submission',
            baseline: cNs,
            baselineLabel: c.available ? `C (${c.compiler}) writing the same ${m.captured.dwords.length * 4} ring bytes${side ? ` + ${side} argument bytes` : ''} and the doorbell` : null,
            ratio: cNs ? m.best / cNs : null,
            timing: `wall clock, best of ${plan.runs} run(s) of ${m.count}`,
            detail: `${PAUSED_DEVICE}; ${m.captured.dwords.length} dwords per submission; ${m.consumed ? `timed in batches of ${BATCH}, the engine consumed every batch (read pointer caught up) before the next` : 'THE ENGINE DID NOT CONSUME THE RING'}`,
          }));
          if (!m.consumed) notes.push(`submission path ${m.path.name}: the paused engine did not consume the ring`);
        }
        figures.push(doorbellFigure(ph.emulatorDoorbells()!, doorbells, ctx.quick));
        ctx.step('doorbell');
      } finally {
        for (const p of paths) p.release();
      }
    } finally {
      kfd?.close();
      await ph.shutdown();
    }
    return { figures, notes };
  },
};

/** What the emulator's own doorbell (which wakes its engine thread) costs per store, against a plain one. */
function doorbellFigure(emulator: Mmio, plain: PlainDoorbells, quick: boolean): BenchFigure {
  const n = quick ? 2000 : 50_000;
  const byte = plain.lastByte;
  const v = plain.lastValue;
  // One loop each (a shared loop calling either store would time a polymorphic call), run once
  // untimed first so both are timed as optimized code.
  const u64 = new BigUint64Array(8);
  const slot = (byte >>> 3) & 7;
  const plainLoop = (): number => {
    const t0 = nowNs();
    for (let i = 0; i < n; i++) releaseStore64(u64, slot, v);
    return (nowNs() - t0) / n;
  };
  const emuLoop = (): number => {
    const t0 = nowNs();
    for (let i = 0; i < n; i++) emulator.ringDoorbell(byte, v);
    return (nowNs() - t0) / n;
  };
  plainLoop();
  emuLoop();
  const plainNs = plainLoop();
  const emuNs = emuLoop();
  return figure({
    section: 'submission',
    name: 'emulator doorbell store',
    value: emuNs,
    unit: 'ns/store',
    baseline: plainNs,
    baselineLabel: 'plain 64-bit release store (what a real doorbell costs the CPU)',
    ratio: emuNs / plainNs,
    timing: `wall clock, ${n} stores`,
    detail: 'the emulated doorbell also wakes the engine thread; the submission loops above use plain stores and wake it between batches',
  });
}
