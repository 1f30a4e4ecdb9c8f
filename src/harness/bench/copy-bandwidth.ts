// SDMA copy bandwidth per direction and size. Each measurement brackets a run of back-to-back copies
// with SDMA TIMESTAMP packets, so the figure is the engine's time, not the CPU's submit and wait.
import type { Device } from '../../driver/device.js';
import type { GpuBuffer } from '../../driver/memory.js';
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';
import { nowNs } from './stats.js';
import { commitPages } from '../../os/shared-memory.js';

/** The SDMA global timestamp counts at 100 MHz (KFD GET_CLOCK_COUNTERS gpu_clock_counter frequency). */
const NS_PER_TICK = 10;
/**
 * Samples of every figure, GPU and CPU alike, each aiming at the plan's time over SAMPLES; the best
 * one counts (the machine may be busy with other work, and both sides are judged the same way).
 */
const SAMPLES = 5;

const KiB = 1024;
const MiB = 1024 * KiB;
/** Bytes the calibration run copies (at least one copy): enough copies that one late start does not set the pace. */
const CALIBRATION_BYTES = 64 * MiB;
const FULL_SIZES = [4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB, 256 * MiB];
const QUICK_SIZES = [4 * KiB, 64 * KiB, 1 * MiB];
/** Size of the fresh-memory copy: what a new user tries first (issue 17 measured it at 160 ms). */
const FRESH_BYTES = 32 * MiB;
const FRESH_DOMAINS = ['gtt', 'vram'] as const;

interface Plan {
  readonly sizes: readonly number[];
  /** Engine time a measurement aims for. */
  readonly targetNs: number;
  readonly maxRepeats: number;
}

const planFor = (quick: boolean): Plan => (quick ? { sizes: QUICK_SIZES, targetNs: 5e6, maxRepeats: 64 } : { sizes: FULL_SIZES, targetNs: 100e6, maxRepeats: 4096 });

export const sizeLabel = (n: number): string => (n >= MiB ? `${n / MiB} MiB` : `${n / KiB} KiB`);

interface Direction {
  readonly name: string;
  /** The device whose SDMA engine copies, and where source and destination live. */
  readonly engine: Device;
  readonly src: { readonly device: Device; readonly domain: 'vram' | 'gtt' };
  readonly dst: { readonly device: Device; readonly domain: 'vram' | 'gtt' };
}

function directions(devices: readonly Device[]): Direction[] {
  const d = devices[0]!;
  const out: Direction[] = [
    { name: 'GTT→VRAM', engine: d, src: { device: d, domain: 'gtt' }, dst: { device: d, domain: 'vram' } },
    { name: 'VRAM→GTT', engine: d, src: { device: d, domain: 'vram' }, dst: { device: d, domain: 'gtt' } },
    { name: 'VRAM→VRAM', engine: d, src: { device: d, domain: 'vram' }, dst: { device: d, domain: 'vram' } },
  ];
  if (devices.length >= 2) out.push({ name: 'peer VRAM→VRAM', engine: d, src: { device: d, domain: 'vram' }, dst: { device: devices[1]!, domain: 'vram' } });
  return out;
}

/** Where the CPU opens the gate, in the timestamp buffer (the two timestamps take bytes 0-15). */
const GATE_OFFSET = 64;

/**
 * Engine time of `repeats` copies of `bytes`, from SDMA timestamps; also the CPU's wall-clock time.
 * Each round is placed in the ring whole behind a closed gate (a POLL_REGMEM on memory the CPU writes
 * once the round is submitted), then the start timestamp, the copies and the end timestamp: so the
 * timestamps bracket engine work only, never an engine idling while the CPU submits the next batch or
 * rings the doorbell for the end timestamp. Rounds are sized to fit the ring and their times added.
 */
function timedCopies(q: SdmaQueue, stamps: GpuBuffer, dst: bigint, src: bigint, bytes: number, repeats: number, timeoutMs: number): { gpuNs: number; wallNs: number } {
  const b = q.builder();
  const gate = new Int32Array(stamps.view.buffer, stamps.view.byteOffset + GATE_OFFSET, 1);
  const ts = new BigUint64Array(stamps.view.buffer, stamps.view.byteOffset, 2);
  const perCopy = b.reset().copy(dst, src, bytes).dwords.length;
  const framing = b.reset().pollMem32(stamps.va + BigInt(GATE_OFFSET), 'EQ', 1).timestamp(stamps.va).timestamp(stamps.va + 8n).dwords.length;
  // Half the ring, less the fence the queue appends: whatever padding place() adds at the ring's
  // end, a submission of this size then always fits behind a drained ring.
  const perRound = Math.max(1, Math.floor((q.ringDwords / 2 - framing - 64) / perCopy));
  let gpuNs = 0;
  let wallNs = 0;
  for (let done = 0; done < repeats; ) {
    const n = Math.min(perRound, repeats - done);
    b.reset().pollMem32(stamps.va + BigInt(GATE_OFFSET), 'EQ', 1).timestamp(stamps.va);
    for (let i = 0; i < n; i++) b.copy(dst, src, bytes);
    b.timestamp(stamps.va + 8n);
    Atomics.store(gate, 0, 0);
    const c = q.submit(b.dwords, { label: `${n} copies of ${bytes} B behind a gate` });
    const t0 = nowNs();
    Atomics.store(gate, 0, 1);
    q.wait(c, timeoutMs, `${n} SDMA copies of ${bytes} bytes`);
    wallNs += nowNs() - t0;
    gpuNs += Number(ts[1]! - ts[0]!) * NS_PER_TICK;
    done += n;
  }
  return { gpuNs, wallNs };
}

/** Calibration runs at most, the first included (see samplePlan). */
const MAX_CALIBRATION_RUNS = 4;

/**
 * How many copies an engine sample makes, and how long it will take, from `calibrate(copies)` (engine
 * ns a copy over a run of that many). The first copies after the CPU's turn run slow, for about 2 ms
 * whatever their size (measured, 4 MiB: 700, 490, 290, 240 µs, then about 150 µs a copy; 256 KiB: a
 * 64 MiB run at 28 µs a copy, then 8-9 µs; the CPU's own copies after a pause ramp up alike). A
 * calibration that short sized 4 MiB samples a third as long as the CPU's, in which the same slow
 * start weighed three times as much (4 MiB best-of-5 ratios, 9 of each taken in turns in the same
 * processes: 0.66-0.97, median 0.83, against 0.87-0.93, median 0.90, calibrated warm). So the first
 * run only warms up, and the calibration is run again, sized from the last, until a run lasts half a
 * sample (or reaches `maxRepeats`). The CPU's batches are then sized to last `ns` as well, also where
 * `maxRepeats` (the ring) keeps the engine's sample shorter than `sampleNs`.
 */
export function samplePlan(calibrate: (copies: number) => number, firstCopies: number, sampleNs: number, maxRepeats: number): { readonly repeats: number; readonly ns: number } {
  const copiesFor = (perCopyNs: number): number => Math.max(1, Math.min(maxRepeats, Math.round(sampleNs / perCopyNs)));
  let copies = firstCopies;
  let perCopyNs = Math.max(calibrate(copies), 100);
  for (let runs = 1; runs < MAX_CALIBRATION_RUNS; runs++) {
    if (runs >= 2 && (copies * perCopyNs >= sampleNs / 2 || copies >= maxRepeats)) break;
    copies = copiesFor(perCopyNs);
    perCopyNs = Math.max(calibrate(copies), 100);
  }
  const repeats = copiesFor(perCopyNs);
  return { repeats, ns: repeats * perCopyNs };
}

/**
 * The CPU copying between two warm arrays, the yardstick: its samples are taken in turns with the
 * engine's (see run), so both sides see the same load on a shared machine; measured once up front,
 * the yardstick and the engine were timed seconds apart and their ratio swung 3× between runs.
 * `shared` picks SharedArrayBuffers, the memory the emulated GPU's buffers live in: V8 copies them
 * with relaxed atomic word moves instead of memcpy (the emulated SDMA calls libc memmove instead
 * where it can), so this says how far TypedArray.set alone would get.
 */
class CpuCopier {
  private readonly whole: Uint8Array;

  constructor(largest: number, shared: boolean) {
    // Source and destination share one buffer, a whole number of pages apart, as the engine's two
    // buffer objects are (both start 16 bytes into a page): two separate small allocations land at
    // arbitrary page offsets, and on some CPUs (AMD Zen 3 with glibc 2.36's rep-movsb memcpy) a copy
    // between certain offsets runs 15× slower, which made the yardstick swing between runs.
    this.whole = new Uint8Array(shared ? new SharedArrayBuffer(2 * largest) : new ArrayBuffer(2 * largest));
    // In 2 MiB pages where the kernel gives them, as the emulator commits its buffer objects
    // (emu/process/backing.ts): on 4 KiB pages the TLB misses slowed the CPU's 256 MiB copy from
    // 11 to 8 GB/s, and the engine beat its yardstick 1.3× on memory alone.
    commitPages(this.whole);
    this.whole.fill(7);
  }

  /**
   * A batch of copies of `bytes` that lasts about `sampleNs`, as long as an engine sample: on a busy
   * machine a longer sample is likelier to be preempted, and a short one weighs its slow start more, so
   * unequal lengths favour one side.
   * Warms the pages and the copy path first.
   */
  batchFor(bytes: number, sampleNs: number): number {
    for (let i = 0; i < 3; i++) this.copies(bytes, 1);
    let batch = 1;
    for (;;) {
      const t0 = nowNs();
      this.copies(bytes, batch);
      const ns = nowNs() - t0;
      if (ns >= sampleNs / 4 || batch >= 1 << 20) return Math.max(1, Math.round((batch * sampleNs) / ns));
      batch *= 2;
    }
  }

  /** GB/s of one timed batch (a clock read per copy would cost more than a 4 KiB copy). */
  sample(bytes: number, batch: number): number {
    const t0 = nowNs();
    this.copies(bytes, batch);
    return (bytes * batch) / (nowNs() - t0);
  }

  private copies(bytes: number, n: number): void {
    const a = this.whole.subarray(0, bytes);
    const b = this.whole.subarray(bytes, 2 * bytes);
    for (let i = 0; i < n; i++) b.set(a);
  }
}

export const copyBandwidth: BenchSection = {
  key: 'copy',
  name: 'SDMA copy bandwidth',
  steps: ({ devices, quick }) => planFor(quick).sizes.length * directions(devices).length + FRESH_DOMAINS.length,
  run(ctx: BenchContext) {
    const plan = planFor(ctx.quick);
    const figures: BenchFigure[] = [];
    const notes: string[] = [];
    if (ctx.devices.length < 2) notes.push('peer VRAM→VRAM needs two GPUs; this system has one');
    const largest = Math.max(...plan.sizes);
    const sampleNs = plan.targetNs / SAMPLES;
    const hostCopier = new CpuCopier(largest, false);
    const sharedCopier = ctx.emulated ? new CpuCopier(largest, true) : undefined;
    for (const dir of directions(ctx.devices)) {
      const q = SdmaQueue.create(dir.engine);
      const src = dir.src.device.alloc(largest, { domain: dir.src.domain, label: `bench ${dir.name} source` });
      const dst = dir.dst.device.alloc(largest, { domain: dir.dst.domain, label: `bench ${dir.name} destination` });
      const stamps = dir.engine.alloc(4096, { domain: 'gtt', uncached: true, label: 'bench timestamps' });
      try {
        if (dir.dst.device !== dir.engine) dst.mapTo([dir.engine.gpuId]);
        for (const bytes of plan.sizes) {
          const probe = Math.max(1, Math.min(plan.maxRepeats, Math.floor(CALIBRATION_BYTES / bytes)));
          const { repeats, ns: engineSampleNs } = samplePlan((n) => timedCopies(q, stamps, dst.va, src.va, bytes, n, ctx.timeoutMs).gpuNs / n, probe, sampleNs, plan.maxRepeats);
          const hostBatch = hostCopier.batchFor(bytes, engineSampleNs);
          const sharedBatch = sharedCopier?.batchFor(bytes, engineSampleNs);
          // Engine and CPU samples in turns, the best of each counting: a burst of other work on the
          // machine then costs both sides a sample, not one side its whole figure.
          let r = { gpuNs: Infinity, wallNs: 0 };
          let host = 0;
          let shared = 0;
          for (let sample = 0; sample < SAMPLES; sample++) {
            const again = timedCopies(q, stamps, dst.va, src.va, bytes, repeats, ctx.timeoutMs);
            if (again.gpuNs < r.gpuNs) r = again;
            host = Math.max(host, hostCopier.sample(bytes, hostBatch));
            if (sharedCopier) shared = Math.max(shared, sharedCopier.sample(bytes, sharedBatch!));
          }
          const gb = (bytes * repeats) / r.gpuNs;
          figures.push(figure({
            section: 'copy',
            name: `${dir.name} ${sizeLabel(bytes)}`,
            value: gb,
            unit: 'GB/s',
            baseline: host,
            baselineLabel: 'CPU memcpy of host memory',
            ratio: gb / host,
            timing: 'GPU timestamps (SDMA TIMESTAMP)',
            detail: `best of ${SAMPLES}, taken in turns with the CPU's (${hostBatch} copies a sample): ${repeats} copies in ${(r.gpuNs / 1e6).toFixed(3)} ms of engine time (${((r.gpuNs / repeats) / 1e3).toFixed(2)} µs a copy), ${(r.wallNs / 1e6).toFixed(2)} ms wall clock${sharedCopier ? `; CPU copy of shared memory (the emulated GPU's) ${shared.toFixed(2)} GB/s (${(gb / shared).toFixed(2)}×)` : ''}`,
          }));
          ctx.step(`${dir.name} ${sizeLabel(bytes)}`);
        }
      } finally {
        q.destroy();
        stamps.free();
        dst.free();
        src.free();
      }
    }
    for (const domain of FRESH_DOMAINS) {
      figures.push(freshCopy(ctx.device, domain, ctx.timeoutMs));
      ctx.step(`fresh ${domain} copy`);
    }
    return { figures, notes };
  },
};

/**
 * One copy between two buffers allocated just before it, against the same copy repeated: what the
 * first use of fresh memory costs over warm memory (engine time from SDMA timestamps).
 */
function freshCopy(device: Device, domain: 'gtt' | 'vram', timeoutMs: number): BenchFigure {
  const q = SdmaQueue.create(device);
  const stamps = device.alloc(4096, { domain: 'gtt', uncached: true, label: 'bench timestamps' });
  const t0 = nowNs();
  const src = device.alloc(FRESH_BYTES, { domain, label: `bench fresh ${domain} source` });
  const dst = device.alloc(FRESH_BYTES, { domain, label: `bench fresh ${domain} destination` });
  const allocNs = nowNs() - t0;
  try {
    const fresh = timedCopies(q, stamps, dst.va, src.va, FRESH_BYTES, 1, timeoutMs);
    const again = timedCopies(q, stamps, dst.va, src.va, FRESH_BYTES, 1, timeoutMs);
    const name = domain.toUpperCase();
    return figure({
      section: 'copy',
      name: `fresh ${name}→${name} ${sizeLabel(FRESH_BYTES)}`,
      value: fresh.gpuNs / 1e6,
      unit: 'ms',
      baseline: again.gpuNs / 1e6,
      baselineLabel: 'the same copy repeated (warm memory)',
      ratio: fresh.gpuNs / Math.max(again.gpuNs, 1),
      timing: 'GPU timestamps (SDMA TIMESTAMP)',
      detail: `the two buffers allocated just before, in ${(allocNs / 1e6).toFixed(2)} ms; wall clock ${(fresh.wallNs / 1e6).toFixed(2)} ms fresh, ${(again.wallNs / 1e6).toFixed(2)} ms repeated`,
    });
  } finally {
    q.destroy();
    stamps.free();
    dst.free();
    src.free();
  }
}
