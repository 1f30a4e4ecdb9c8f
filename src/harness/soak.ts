// Soak: many create/use/release cycles of every driver object, then proof that nothing stayed behind —
// in the (emulated) kernel (BOs, queues, events, GPU and CPU mappings, files) and in the process (heap,
// array-buffer memory, file descriptors). `npm run soak` runs the full counts; the test a scaled copy.
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Host } from '../os/host.js';
import { Kfd } from '../driver/kfd.js';
import type { AllocOptions } from '../driver/memory.js';
import type { Device } from '../driver/device.js';
import { Pm4Queue } from '../driver/queues/pm4-queue.js';
import { AqlQueue } from '../driver/queues/aql-queue.js';
import { SdmaQueue } from '../driver/queues/sdma-queue.js';
import { KFD_IOC_EVENT } from '../uapi/kfd.js';

export interface SoakCounts {
  /** alloc / CPU touch / GPU unmap+map / free cycles, per memory kind. */
  readonly allocCycles: number;
  /** create / submit+wait / destroy cycles, per queue kind. */
  readonly queueCycles: number;
  /** create / signal / wait / destroy cycles of KFD signal events. */
  readonly eventCycles: number;
  /** Kfd.open / open every GPU / close cycles. */
  readonly openCycles: number;
}

export const FULL_SOAK: SoakCounts = { allocCycles: 10_000, queueCycles: 100, eventCycles: 1_000, openCycles: 100 };

export const MEMORY_KINDS: readonly { readonly name: string; readonly opts: AllocOptions }[] = [
  { name: 'vram', opts: { domain: 'vram' } },
  { name: 'vram host-visible', opts: { domain: 'vram', hostVisible: true } },
  { name: 'gtt', opts: { domain: 'gtt' } },
  { name: 'gtt uncached', opts: { domain: 'gtt', uncached: true } },
  { name: 'userptr', opts: { domain: 'userptr' } },
];

/** What the emulated kernel holds (EmuHost.liveObjects); a real kernel does not say. */
type LiveCounts = Readonly<Record<string, number>>;

export interface ProcessSample {
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  readonly rss: number;
  /** Open file descriptors (/proc/self/fd), or -1 where there is no /proc. */
  readonly fds: number;
}

export interface SoakPhase {
  readonly name: string;
  readonly cycles: number;
  readonly ms: number;
}

export interface SoakReport {
  readonly device: string;
  readonly phases: readonly SoakPhase[];
  readonly kernelBefore: LiveCounts | undefined;
  readonly kernelAfter: LiveCounts | undefined;
  readonly before: ProcessSample;
  readonly after: ProcessSample;
  /** Anything over its bound; empty when the soak left nothing behind. */
  readonly leaks: readonly string[];
}

/** Growth allowed after the soak (JIT code, interned strings, allocator slack — not per-cycle state). */
export const BOUNDS = { heapBytes: 8 << 20, arrayBufferBytes: 1 << 20, fds: 0 } as const;

let gcFn: (() => void) | undefined;
/** A full collection, so heap figures compare live objects, not garbage not yet collected. */
function collect(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 3; i++) gcFn();
}

function countFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

export function sampleProcess(): ProcessSample {
  collect();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss, fds: countFds() };
}

/** The emulator's engine threads hold freed backings until they collect; a real kernel has no such step. */
function collectEngines(host: Host): void {
  (host as { collectGarbage?: () => void }).collectGarbage?.call(host);
}

function liveCounts(host: Host): LiveCounts | undefined {
  const probe = (host as { liveObjects?: () => LiveCounts }).liveObjects;
  return probe ? { ...probe.call(host) } : undefined;
}

function timed(phases: SoakPhase[], name: string, cycles: number, body: (i: number) => void): void {
  const start = performance.now();
  for (let i = 0; i < cycles; i++) body(i);
  phases.push({ name, cycles, ms: performance.now() - start });
}

function memoryCycle(dev: Device, opts: AllocOptions, i: number): void {
  const b = dev.alloc(4096 * (1 + (i % 4)), { ...opts, label: 'soak' });
  if (b.bytes) {
    b.view[i % b.size] = i & 0xff;
    if (b.view[i % b.size] !== (i & 0xff)) throw new Error(`soak: ${b.describe()} did not keep a CPU write`);
  }
  b.unmapFrom([dev.gpuId]);
  b.mapTo([dev.gpuId]);
  b.free();
}

function queueCycle(dev: Device, kind: 'PM4' | 'AQL' | 'SDMA'): void {
  if (kind === 'AQL') {
    const q = AqlQueue.create(dev);
    q.wait(q.barrier([]), 5000, 'soak barrier');
    q.destroy();
  } else {
    const q = kind === 'PM4' ? Pm4Queue.create(dev) : SdmaQueue.create(dev);
    q.wait(q.submit(new Uint32Array(0)), 5000, 'soak fence');
    q.destroy();
  }
}

function eventCycle(kfd: Kfd, dev: Device): void {
  const page = kfd.events(dev);
  const e = page.create(KFD_IOC_EVENT.SIGNAL, true);
  page.signal(e);
  if (!page.wait([e], 5000).completed) throw new Error(`soak: KFD event ${e.id} was signalled but the wait did not complete`);
  page.destroyEvent(e);
}

function session(host: Host, body: (kfd: Kfd, dev: Device) => void): void {
  const kfd = Kfd.open(host);
  try {
    body(kfd, kfd.device(0));
  } finally {
    kfd.close();
  }
}

/** Every kind of cycle a few times, so one-time costs (JIT, tables, pools) are in the baseline. */
function warmUp(host: Host): void {
  session(host, (kfd, dev) => {
    for (const k of MEMORY_KINDS) for (let i = 0; i < 8; i++) memoryCycle(dev, k.opts, i);
    for (const q of ['PM4', 'AQL', 'SDMA'] as const) queueCycle(dev, q);
    for (let i = 0; i < 8; i++) eventCycle(kfd, dev);
  });
  Kfd.open(host).close();
}

/** What was left behind: kernel objects (all must be gone) and process growth over BOUNDS. */
export function findLeaks(kernelAfter: LiveCounts | undefined, before: ProcessSample, after: ProcessSample): string[] {
  const leaks: string[] = [];
  for (const [k, v] of Object.entries(kernelAfter ?? {})) if (v !== 0) leaks.push(`the kernel still holds ${v} ${k}`);
  if (after.heapUsed - before.heapUsed > BOUNDS.heapBytes) leaks.push(`heap grew by ${after.heapUsed - before.heapUsed} bytes (bound ${BOUNDS.heapBytes})`);
  if (after.arrayBuffers - before.arrayBuffers > BOUNDS.arrayBufferBytes) leaks.push(`array-buffer memory grew by ${after.arrayBuffers - before.arrayBuffers} bytes (bound ${BOUNDS.arrayBufferBytes})`);
  if (before.fds >= 0 && after.fds - before.fds > BOUNDS.fds) leaks.push(`${after.fds - before.fds} more open file descriptors`);
  return leaks;
}

/** Runs the soak on `host` (a fresh one: its kernel must hold nothing yet) and measures what is left. */
export function runSoak(host: Host, counts: SoakCounts, progress: (line: string) => void = () => {}): SoakReport {
  warmUp(host);
  const kernelBefore = liveCounts(host);
  collectEngines(host);
  const before = sampleProcess();
  const phases: SoakPhase[] = [];
  session(host, (kfd, dev) => {
    for (const k of MEMORY_KINDS) {
      timed(phases, `alloc/map/free ${k.name}`, counts.allocCycles, (i) => memoryCycle(dev, k.opts, i));
      progress(`soak: ${phases.at(-1)!.name}: ${counts.allocCycles} cycles`);
    }
    for (const q of ['PM4', 'AQL', 'SDMA'] as const) {
      timed(phases, `${q} queue create/submit/destroy`, counts.queueCycles, () => queueCycle(dev, q));
      progress(`soak: ${phases.at(-1)!.name}: ${counts.queueCycles} cycles`);
    }
    timed(phases, 'event create/signal/wait/destroy', counts.eventCycles, () => eventCycle(kfd, dev));
    progress(`soak: events: ${counts.eventCycles} cycles`);
  });
  timed(phases, 'device open/close', counts.openCycles, () => {
    const kfd = Kfd.open(host);
    kfd.devices();
    kfd.close();
  });
  progress(`soak: device open/close: ${counts.openCycles} cycles`);
  const kernelAfter = liveCounts(host);
  collectEngines(host);
  const after = sampleProcess();
  const leaks = findLeaks(kernelAfter, before, after);
  return { device: host.description.device, phases, kernelBefore, kernelAfter, before, after, leaks };
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
const signedMib = (n: number): string => `${n >= 0 ? '+' : '−'}${mib(Math.abs(n))}`;

/** The report as the lines `npm run soak` prints (and the README quotes). */
export function formatSoak(r: SoakReport): string[] {
  const lines = [`soak on ${r.device}:`];
  for (const p of r.phases) lines.push(`  ${p.name.padEnd(36)} ${String(p.cycles).padStart(6)} cycles  ${(p.ms / 1000).toFixed(2).padStart(7)} s  ${((p.ms * 1000) / Math.max(1, p.cycles)).toFixed(0).padStart(6)} µs/cycle`);
  if (r.kernelAfter) lines.push(`  emulated kernel afterwards: ${Object.entries(r.kernelAfter).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  heap used: ${mib(r.before.heapUsed)} → ${mib(r.after.heapUsed)} (${signedMib(r.after.heapUsed - r.before.heapUsed)}, bound +${mib(BOUNDS.heapBytes)})`);
  lines.push(`  array buffers: ${mib(r.before.arrayBuffers)} → ${mib(r.after.arrayBuffers)} (${signedMib(r.after.arrayBuffers - r.before.arrayBuffers)}, bound +${mib(BOUNDS.arrayBufferBytes)})`);
  lines.push(`  rss: ${mib(r.before.rss)} → ${mib(r.after.rss)}`);
  if (r.before.fds >= 0) lines.push(`  open file descriptors: ${r.before.fds} → ${r.after.fds}`);
  lines.push(r.leaks.length ? `LEAKS: ${r.leaks.join('; ')}` : 'no leaks: the kernel holds nothing and the process is back within bounds');
  return lines;
}
