// SDMA copy bandwidth per direction and size. Each measurement brackets a run of back-to-back copies
// with SDMA TIMESTAMP packets, so the figure is the engine's time, not the CPU's submit and wait.
import type { Device } from '../../driver/device.js';
import type { GpuBuffer } from '../../driver/memory.js';
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';
import { nowNs } from './stats.js';

/** The SDMA global timestamp counts at 100 MHz (KFD GET_CLOCK_COUNTERS gpu_clock_counter frequency). */
const NS_PER_TICK = 10;
/** Copy packets per submission: keeps a submission well inside the 256 KiB ring. */
const COPIES_PER_SUBMIT = 512;

const KiB = 1024;
const MiB = 1024 * KiB;
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

/**
 * Engine time of `repeats` copies of `bytes`, from SDMA timestamps; also the CPU's submit-to-wait time.
 * The start timestamp travels with the first copies, and each batch of copies is encoded once and
 * submitted again as is, so the engine never idles waiting for the CPU to encode the next batch (that
 * idle time would count as engine time).
 */
function timedCopies(q: SdmaQueue, stamps: GpuBuffer, dst: bigint, src: bigint, bytes: number, repeats: number, timeoutMs: number): { gpuNs: number; wallNs: number } {
  const b = q.builder();
  const batchOf = (n: number): Uint32Array => {
    b.reset();
    for (let i = 0; i < n; i++) b.copy(dst, src, bytes);
    return b.dwords.slice();
  };
  const full = batchOf(Math.min(COPIES_PER_SUBMIT, repeats));
  const t0 = nowNs();
  const first = b.reset().timestamp(stamps.va).dwords;
  const opening = new Uint32Array(first.length + full.length);
  opening.set(first);
  opening.set(full, first.length);
  q.submit(opening, { fence: false, label: 'bandwidth start' });
  for (let done = full.length === 0 ? 0 : Math.min(COPIES_PER_SUBMIT, repeats); done < repeats; ) {
    const n = Math.min(COPIES_PER_SUBMIT, repeats - done);
    q.submit(n === COPIES_PER_SUBMIT ? full : batchOf(n), { fence: false, label: `copy ${n}x${bytes} B` });
    done += n;
  }
  q.wait(q.submit(b.reset().timestamp(stamps.va + 8n).dwords, { label: 'bandwidth end' }), timeoutMs, `${repeats} SDMA copies of ${bytes} bytes`);
  const wallNs = nowNs() - t0;
  const ts = new BigUint64Array(stamps.view.buffer, stamps.view.byteOffset, 2);
  return { gpuNs: Number(ts[1]! - ts[0]!) * NS_PER_TICK, wallNs };
}

/** The CPU copying the same bytes between two host arrays: the yardstick for every direction. */
function cpuCopyGbPerS(bytes: number, targetNs: number): number {
  const a = new Uint8Array(bytes);
  const b = new Uint8Array(bytes);
  a.fill(7);
  for (let i = 0; i < 3; i++) b.set(a); // warm the pages and the copy path before timing
  let reps = 0;
  const t0 = nowNs();
  let t = t0;
  do {
    b.set(a);
    reps++;
    t = nowNs();
  } while (t - t0 < targetNs / 10);
  return (bytes * reps) / (t - t0);
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
    const cpuBaseline = new Map(plan.sizes.map((s) => [s, cpuCopyGbPerS(s, plan.targetNs)]));
    for (const dir of directions(ctx.devices)) {
      const q = SdmaQueue.create(dir.engine);
      const src = dir.src.device.alloc(largest, { domain: dir.src.domain, label: `bench ${dir.name} source` });
      const dst = dir.dst.device.alloc(largest, { domain: dir.dst.domain, label: `bench ${dir.name} destination` });
      const stamps = dir.engine.alloc(4096, { domain: 'gtt', uncached: true, label: 'bench timestamps' });
      try {
        if (dir.dst.device !== dir.engine) dst.mapTo([dir.engine.gpuId]);
        for (const bytes of plan.sizes) {
          const once = timedCopies(q, stamps, dst.va, src.va, bytes, 1, ctx.timeoutMs);
          const repeats = Math.max(1, Math.min(plan.maxRepeats, Math.round(plan.targetNs / Math.max(once.gpuNs, 1000))));
          const r = timedCopies(q, stamps, dst.va, src.va, bytes, repeats, ctx.timeoutMs);
          const gb = (bytes * repeats) / r.gpuNs;
          const cpu = cpuBaseline.get(bytes)!;
          figures.push(figure({
            section: 'copy',
            name: `${dir.name} ${sizeLabel(bytes)}`,
            value: gb,
            unit: 'GB/s',
            baseline: cpu,
            baselineLabel: 'CPU memcpy of host memory',
            ratio: gb / cpu,
            timing: 'GPU timestamps (SDMA TIMESTAMP)',
            detail: `${repeats} copies in ${(r.gpuNs / 1e6).toFixed(2)} ms of engine time, ${(r.wallNs / 1e6).toFixed(2)} ms wall clock (${((bytes * repeats) / r.wallNs).toFixed(2)} GB/s)`,
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
