// One GPU opened for compute through a Backend (the KFD path, or another behind the same verbs): its
// memory and queues. close() releases everything it created; a device dropped without close() is reported.
import { computeQueueSizes, type ComputeQueueSizes } from '../hw/queue-sizes.js';
import type { GpuTarget } from '../hw/targets.js';
import { DriverError } from './errors.js';
import { allocate, GpuBuffer, PAGE_SIZE, type AllocOptions, type MemoryOwner } from './memory.js';
import type { BoundsFault } from './errors.js';
import { SubAllocator, type Slice, type SmallObjectPool } from './suballoc.js';
import type { GpuNode } from './topology.js';
import type { Tracer } from './tracer.js';
import type { Apertures, Backend, MemoryFault } from './backend/backend.js';

/** Something a device owns and must release on close (queues). */
export interface DeviceResource {
  destroy(): void;
  readonly label: string;
}

interface LeakReport {
  name: string;
  live: () => string;
}

const leaks = new FinalizationRegistry<LeakReport>((r) => {
  const what = r.live();
  if (what) process.emitWarning(`${r.name} was garbage-collected without close(); leaked ${what}`, 'AmdgpuTsLeak');
});

/** A launch with guarded buffers among its arguments. */
export interface GuardedLaunch {
  readonly kernel: string;
  readonly args: readonly { readonly index: number; readonly name: string | undefined; readonly buffer: GpuBuffer }[];
}
const MAX_GUARDED_LAUNCHES = 64;

export class Device implements MemoryOwner, SmallObjectPool {
  readonly node: GpuNode;
  readonly gpuId: number;
  readonly name: string;
  readonly target: GpuTarget;
  readonly queueSizes: ComputeQueueSizes;
  private readonly buffers = new Set<GpuBuffer>();
  private readonly resources = new Set<DeviceResource>();
  private smallPool: SubAllocator | undefined;
  private scratch: GpuBuffer | undefined;
  /**
   * The bounds checker: buffers allocated without an explicit `guard` option get the guarded
   * placement (AllocOptions.guard), and a GPU fault in a guard page is attributed to the buffer and
   * to the kernel argument it was passed as (GpuFaultError.bounds). The driver's own memory (rings,
   * signals, kernel arguments, code) is never guarded.
   */
  checkBounds = false;
  /** Recent launches with guarded buffer arguments, newest last: what a guard-page fault is attributed to. */
  private readonly guardedLaunches: GuardedLaunch[] = [];
  /** When set, every submission on this device's queues is timed on the GPU (see Tracer). */
  tracer: Tracer | undefined;
  private closed = false;

  constructor(readonly backend: Backend, readonly index: number) {
    const node = backend.node;
    this.node = node;
    this.gpuId = node.gpuId;
    this.name = backend.name;
    if (!node.target) throw new DriverError(this.name, `${node.gfxTarget} is not a target amdgpu-ts knows (gfx_target_version ${node.gfxTargetVersion})`);
    this.target = node.target;
    const sizes = computeQueueSizes(node);
    // Linux ≥ 6.12 rejects sizes other than the ones it prints in the topology, so those win.
    this.queueSizes = {
      ...sizes,
      ctlStackSize: node.ctlStackSize ?? sizes.ctlStackSize,
      ctxSaveRestoreSize: node.cwsrSize ?? sizes.ctxSaveRestoreSize,
      cwsrAllocationSize: node.cwsrSize !== undefined ? Math.ceil(((node.cwsrSize + sizes.debugMemorySize) * node.numXcc) / 4096) * 4096 : sizes.cwsrAllocationSize,
    };
    leaks.register(this, { name: this.name, live: () => this.liveSummary() }, this);
  }

  /** This process's apertures on the GPU (LDS, scratch, GPU VM). */
  get apertures(): Apertures {
    return this.backend.apertures;
  }

  /**
   * The first GPU memory fault reported for this GPU. KFD then evicted every queue this process has
   * on it (kfd_dqm_evict_pasid), queues created later included: waits for unfinished work fail at
   * once with this fault instead of running into their timeout. Reopening the device recovers.
   */
  get vmFault(): MemoryFault | undefined {
    return this.backend.vmFault;
  }

  private assertOpen(): void {
    if (this.closed) throw new DriverError(this.name, 'the device is closed', { kind: 'input' });
  }

  /** Allocates GPU memory (see AllocOptions); the device frees it on close() if you do not. */
  alloc(size: number, opts: AllocOptions = {}): GpuBuffer {
    this.assertOpen();
    const b = allocate(this, size, opts.guard === undefined ? { ...opts, guard: this.checkBounds } : opts);
    this.buffers.add(b);
    return b;
  }

  /**
   * Memory another driver object shares as a dma-buf fd (`bytes` long), as a buffer of this device
   * mapped into its VM. The fd stays the caller's; the buffer keeps the memory alive until freed.
   */
  importDmabuf(fd: number, bytes: number, opts: { readonly hostVisible?: boolean; readonly label?: string } = {}): GpuBuffer {
    this.assertOpen();
    const backend = this.backend;
    if (!backend.importDmabuf) throw new DriverError(this.name, 'this path to the GPU cannot import dma-bufs', { kind: 'input' });
    const a = backend.importDmabuf(fd, bytes, opts.hostVisible ?? true);
    const buf = new GpuBuffer(this, a, a.size, 'gtt', opts.label ?? 'imported dma-buf');
    try {
      buf.mapTo([this.gpuId]);
    } catch (e) {
      backend.free(a);
      throw e;
    }
    this.buffers.add(buf);
    return buf;
  }

  /** A dma-buf fd for a buffer of this device (the caller closes it), where the path can export. */
  exportDmabuf(b: GpuBuffer): number {
    this.assertOpen();
    if (!this.backend.exportDmabuf) throw new DriverError(this.name, 'this path to the GPU cannot export dma-bufs', { kind: 'input' });
    if (b.owner !== this || b.isFreed) throw new DriverError(this.name, `${b.describe()} is not a live buffer of this device`, { kind: 'input' });
    return this.backend.exportDmabuf(b.allocation);
  }

  /** A small slice of host-visible, uncached GTT memory (signals, kernel arguments), without an ioctl. */
  allocSmall(size: number, align = 64): Slice {
    this.assertOpen();
    this.smallPool ??= new SubAllocator((n) => this.alloc(n, { domain: 'gtt', uncached: true, guard: false, label: 'small-object pool' }), 256 * 1024, `${this.name} small-object pool`);
    return this.smallPool.alloc(size, align);
  }

  /**
   * The device's scratch backing (private segments of kernels), at least `bytes` long. It only grows;
   * callers wait for work using the old one before asking for more.
   */
  scratchBuffer(bytes: number): GpuBuffer {
    this.assertOpen();
    if (!this.scratch || this.scratch.size < bytes) {
      this.scratch?.free();
      this.scratch = undefined;
      this.scratch = this.alloc(Math.ceil(bytes / 65536) * 65536, { domain: 'vram', guard: false, label: 'scratch backing' });
    }
    return this.scratch;
  }

  /** Remembers which guarded buffers a launch was given (Kernel.dispatch calls this). */
  noteLaunch(launch: GuardedLaunch): void {
    this.guardedLaunches.push(launch);
    if (this.guardedLaunches.length > MAX_GUARDED_LAUNCHES) this.guardedLaunches.shift();
  }

  /**
   * What a GPU memory fault at `va` says about a guarded buffer of this device: an access in the guard
   * page after one (past its end) or before one (before its start). KFD reports the faulting page, so
   * by default `va` is taken as a page and the result is a range of offsets; `exact` says `va` is the
   * faulting byte itself (a diagnostic that knows it, e.g. the emulated GPU's).
   */
  boundsFault(va: bigint, exact = false): BoundsFault | undefined {
    const page = BigInt(PAGE_SIZE);
    const first = exact ? va : va & ~(page - 1n);
    const last = exact ? va : first + page - 1n;
    for (const b of this.buffers) {
      const g = b.guard;
      if (!g) continue;
      const end = b.va + BigInt(b.size);
      const boEnd = g.boVa + BigInt(g.boBytes);
      let side: 'after' | 'before';
      let from: bigint;
      let to: bigint;
      if (first >= end && first < boEnd + page) [side, from, to] = ['after', first - end, last - end];
      else if (last < b.va && last >= g.reservedVa) [side, from, to] = ['before', b.va - last, b.va - first];
      // A fault reported in the buffer's own first page (a host that faults on single bytes, like the
      // emulated GPU's diagnostic) can only be an access to the bytes before its start there.
      else if (!exact && first === g.boVa && b.va > g.boVa) [side, from, to] = ['before', 1n, b.va - g.boVa];
      else continue;
      const launch = [...this.guardedLaunches].reverse().find((l) => l.args.some((x) => x.buffer === b));
      const arg = launch?.args.find((x) => x.buffer === b);
      return { buffer: b.describe(), bufferVa: b.va, bufferBytes: b.size, side, from, to, kernel: launch?.kernel, argIndex: arg?.index, argName: arg?.name };
    }
    return undefined;
  }

  freeSmall(slice: Slice): void {
    this.smallPool?.release(slice);
  }

  forget(b: GpuBuffer): void {
    this.buffers.delete(b);
  }

  /** Registers something (a queue) to be destroyed by close(). */
  own(r: DeviceResource): void {
    this.resources.add(r);
  }

  disown(r: DeviceResource): void {
    this.resources.delete(r);
  }

  get liveBuffers(): number {
    return this.buffers.size;
  }

  /** Slices of the small-object pool in use (signals, kernel arguments, IBs not yet retired). */
  get liveSmallObjects(): number {
    return this.smallPool?.liveSlices ?? 0;
  }

  get liveResources(): number {
    return this.resources.size;
  }

  liveSummary(): string {
    const parts: string[] = [];
    if (this.resources.size) parts.push(`${this.resources.size} queue(s)`);
    if (this.buffers.size) parts.push(`${this.buffers.size} buffer(s) (${[...this.buffers].reduce((n, b) => n + b.size, 0)} bytes)`);
    return parts.join(', ');
  }

  /**
   * The GPU's status registers (GRBM, CP, SDMA) decoded, for hang and timeout reports, as the backend
   * reads them; one line saying why not when they cannot be read (no root, no database).
   */
  registerSnapshot(): string {
    return this.backend.registerSnapshot();
  }

  /** Destroys every queue (first half of close, so shared event memory can go before the buffers). */
  releaseQueues(): void {
    for (const r of [...this.resources].reverse()) r.destroy();
    this.resources.clear();
  }

  close(): void {
    if (this.closed) return;
    this.releaseQueues();
    this.smallPool?.destroy();
    this.smallPool = undefined;
    this.scratch = undefined;
    for (const b of [...this.buffers].reverse()) b.free();
    this.backend.close();
    this.closed = true;
    leaks.unregister(this);
  }
}
