// One path of the submission benchmark, measured alone: its own emulated GPU with paused engines, its
// own queue, and (run in a worker thread by submission.ts) its own JIT state, as a program that
// submits only this kind of work. Timed loops of plain submissions; between batches (untimed) the
// engine is woken and drained and the fences landed.
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
import type { CapturedPath } from './c-baseline.js';
import { figure, type BenchFigure } from './types.js';
import { nowNs } from './stats.js';
import type { Mmio } from '../../os/host.js';
import { releaseStore64 } from '../../os/store-order.js';

export const SUBMISSION_PATHS = ['PM4 dispatch', 'AQL dispatch', 'PM4 dispatch (prepared)', 'AQL dispatch (prepared)', 'SDMA copy 4 KiB', 'SDMA copy 4 KiB (prepared)'] as const;
export type SubmissionPathName = (typeof SUBMISSION_PATHS)[number];

const RING_BYTES = 1 << 20;
/**
 * Submissions per timed batch: well inside a 1 MiB ring for every path, so the ring never fills while
 * the clock runs. A batch is also well inside one lap of the 1 MiB kernarg ring (≥ 5,000 launches of
 * this kernel), so every chunk a batch re-enters was retired by the landing before it, as the GPU would have.
 */
export const BATCH = 2048;
const COPY_BYTES = 4096;

export interface SubmissionPlan {
  /**
   * Rounds of the whole section: every path, the C program and the floors in turn, each figure the
   * best of its rounds, so that the driver and its yardsticks see the same spells of a shared host.
   */
  readonly rounds: number;
  readonly warmup: number;
  /** Wall time one run of the loop aims for (sets the count, which the C program repeats). */
  readonly runNs: number;
  readonly runs: number;
  readonly minCount: number;
  readonly maxCount: number;
  /** Stores per timed loop of the doorbell figure. */
  readonly doorbellStores: number;
}

export const submissionPlan = (quick: boolean): SubmissionPlan => (quick ? { rounds: 1, warmup: 2000, runNs: 15e6, runs: 1, minCount: 2000, maxCount: 20_000, doorbellStores: 2000 } : { rounds: 3, warmup: 20_000, runNs: 250e6, runs: 3, minCount: 10_000, maxCount: 500_000, doorbellStores: 50_000 });

export interface PathMeasurement {
  readonly name: SubmissionPathName;
  /** Best ns per submission over the runs. */
  readonly best: number;
  readonly count: number;
  /** The engine consumed every batch (back-pressure never stalled a timed loop). */
  readonly consumed: boolean;
  readonly captured: CapturedPath;
  /** The emulator's doorbell against a plain store (measured with the first path only). */
  readonly doorbell?: BenchFigure;
}

type Queue = Pm4Queue | AqlQueue | SdmaQueue;

interface PathSetup {
  readonly queue: Queue;
  readonly submit: () => void;
  readonly sideBytes: Uint8Array;
}

function kernargImage(kernel: Kernel, withPacket: boolean): Uint8Array {
  const bytes = Math.max(kernel.info.metadata.kernargSegmentSize, 16);
  const out = new Uint8Array((withPacket ? AQL_PACKET_BYTES : 0) + bytes);
  const ap = kernel.device.apertures;
  packKernargs(kernel.info, [], { grid: [1, 1, 1], block: [1, 1, 1], dynamicLds: 0 }, { queuePtr: 0n, privateBase: ap.scratchBase, sharedBase: ap.ldsBase }, out.subarray(withPacket ? AQL_PACKET_BYTES : 0));
  return out;
}

/** The queue and the submission of one path (its buffers are freed with the device). */
function setup(device: Device, kernel: Kernel, name: SubmissionPathName): PathSetup {
  const shape = { grid: 1, block: 1 } as const;
  if (name.startsWith('SDMA')) {
    const sdma = SdmaQueue.create(device, { ringBytes: RING_BYTES });
    const src = device.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy source' });
    const dst = device.alloc(COPY_BYTES, { domain: 'vram', label: 'bench copy destination' });
    if (name.endsWith('(prepared)')) {
      const copy = sdma.prepareCopy(dst.va, src.va, COPY_BYTES);
      return { queue: sdma, submit: () => copy.enqueue(), sideBytes: new Uint8Array(0) };
    }
    return { queue: sdma, submit: () => void sdma.copy(dst.va, src.va, COPY_BYTES), sideBytes: new Uint8Array(0) };
  }
  const pm4 = name.startsWith('PM4');
  const queue = pm4 ? Pm4Queue.create(device, { ringBytes: RING_BYTES }) : AqlQueue.create(device, { packets: RING_BYTES / AQL_PACKET_BYTES });
  const sideBytes = kernargImage(kernel, pm4);
  if (name.endsWith('(prepared)')) {
    const launch = kernel.prepare(queue, shape);
    return { queue, submit: () => launch.enqueue(), sideBytes };
  }
  return { queue, submit: () => void kernel.dispatch(queue, shape), sideBytes };
}

/**
 * The timed loop alone, as a user's submission loop is: apart from the batching around it, so the
 * optimizing compiler spends its inlining budget on the submission rather than on the untimed drain.
 */
function timedBatch(submit: () => void, n: number): number {
  const t0 = nowNs();
  for (let i = 0; i < n; i++) submit();
  return nowNs() - t0;
}

/** ns per submission of `count` submissions, timed in batches; false when the engine stopped consuming. */
function loop(p: PathSetup, count: number, doorbells: PlainDoorbells): { ns: number; consumed: boolean } {
  const q = p.queue;
  const submit = p.submit;
  let timed = 0;
  let consumed = true;
  for (let done = 0; done < count; ) {
    const n = Math.min(BATCH, count - done);
    timed += timedBatch(submit, n);
    done += n;
    landTimeline(q.timeline, q.submitted);
    consumed &&= drained(q, doorbells);
  }
  return { ns: timed / count, consumed };
}

/** The ring bytes of one more submission, read back between the doorbell values before and after it. */
function capture(name: string, p: PathSetup, doorbells: PlainDoorbells, count: number): CapturedPath {
  const q = p.queue;
  const ring = ringBytesOf(q);
  const words = new Uint32Array(ring.buffer, ring.byteOffset, ring.byteLength / 4);
  const before = doorbells.lastValue;
  p.submit();
  const after = doorbells.lastValue;
  if (q instanceof AqlQueue) {
    const at = (after % (ring.byteLength / AQL_PACKET_BYTES)) * (AQL_PACKET_BYTES / 4);
    return { name, kind: 'aql', count, dwords: words.slice(at, at + AQL_PACKET_BYTES / 4), sideBytes: p.sideBytes, ringBytes: ring.byteLength, doorbellScale: 1, nop: { base: 0, bias: 0 } };
  }
  const scale = q instanceof SdmaQueue ? 4 : 1;
  const from = (before / scale) % words.length;
  const to = (after / scale) % words.length;
  const dwords = to > from ? words.slice(from, to) : words.slice(0, to);
  const nop = q instanceof SdmaQueue ? { base: SDMA_OP.NOP, bias: 1 } : { base: pm4Header(PM4_OP.NOP, 1), bias: 2 };
  return { name, kind: 'ring', count, dwords, sideBytes: p.sideBytes, ringBytes: ring.byteLength, doorbellScale: scale, nop };
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

/** Measures one path on a fresh emulated GPU; `withDoorbell` also times the emulator's doorbell store. */
export async function measurePath(name: SubmissionPathName, plan: SubmissionPlan, withDoorbell: boolean): Promise<PathMeasurement> {
  const ph = pausedHost();
  let kfd: Kfd | undefined;
  try {
    kfd = Kfd.open(ph.host);
    const device = kfd.device(0);
    const kernel = emptyKernel(device);
    if (typeof kernel === 'string') throw new Error(`submission path on ${PAUSED_DEVICE}: ${kernel}`);
    const p = setup(device, kernel, name);
    const doorbells = ph.doorbells()!;
    const warm = loop(p, plan.warmup, doorbells).ns;
    const count = Math.min(plan.maxCount, Math.max(plan.minCount, Math.round(plan.runNs / warm)));
    let best = Infinity;
    let consumed = true;
    for (let r = 0; r < plan.runs; r++) {
      const m = loop(p, count, doorbells);
      best = Math.min(best, m.ns);
      consumed &&= m.consumed;
    }
    const captured = capture(name, p, doorbells, count);
    consumed &&= drained(p.queue, doorbells);
    const doorbell = withDoorbell ? doorbellFigure(ph.emulatorDoorbells()!, doorbells, plan.doorbellStores) : undefined;
    return { name, best, count, consumed, captured, doorbell };
  } finally {
    kfd?.close();
    await ph.shutdown();
  }
}

/** What the emulator's own doorbell (which wakes its engine thread) costs per store, against a plain one. */
function doorbellFigure(emulator: Mmio, plain: PlainDoorbells, n: number): BenchFigure {
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
