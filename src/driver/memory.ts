// GPU memory: buffers the device's backend allocates, with their CPU view where host-visible, the GPUs
// whose VMs map them, and the bounds checker's guarded placement. Use after free is refused here,
// before it can reach the kernel with a stale handle.
import { PAGE_SIZE, pageAlign } from '../os/host.js';
import { DriverError, UseAfterFreeError } from './errors.js';
import type { Allocation, Backend, Domain } from './backend/backend.js';

export type { Domain };

export interface AllocOptions {
  /** Where the memory lives: device memory, GPU-mapped system memory, or ordinary process memory. Default vram. */
  readonly domain?: Domain;
  /** Give the CPU a view of it. Default: true for gtt and userptr, false for vram. */
  readonly hostVisible?: boolean;
  /** CPU and GPU see each other's writes without cache maintenance (GTT: UNCACHED|COHERENT). */
  readonly uncached?: boolean;
  readonly executable?: boolean;
  /** Map it read-only into the GPU's VM: a GPU write faults. */
  readonly readOnly?: boolean;
  /**
   * Bounds-checking placement (vram and gtt): the buffer ends exactly at a page boundary, followed by
   * an unmapped guard page, and an unmapped guard page precedes its first page. A GPU access at or past
   * the end faults at the first bad byte on any GPU; one before the start faults once it leaves the
   * buffer's first page (at the first bad byte when the size is a multiple of 4096). `va` is then not
   * page-aligned (it is `4096 - size % 4096` bytes into its page). Default: the device's `checkBounds`.
   */
  readonly guard?: boolean;
  readonly label?: string;
}

/** Where a guarded buffer sits: the reserved range (guard pages included) and the BO inside it. */
export interface GuardPlacement {
  /** Start of the VA reservation: the guard page before the BO. */
  readonly reservedVa: bigint;
  readonly reservedBytes: number;
  /** The BO: page-aligned, `boBytes` long; the buffer is its last `size` bytes. */
  readonly boVa: bigint;
  readonly boBytes: number;
}

/** What a buffer needs from the device that owns it. */
export interface MemoryOwner {
  readonly backend: Backend;
  readonly gpuId: number;
  readonly name: string;
  forget(b: GpuBuffer): void;
}

export class GpuBuffer {
  private freed = false;
  /** GPUs (by gpu_id) whose VM maps this buffer. */
  readonly mappedOn = new Set<number>();

  readonly va: bigint;
  /** CPU view of the whole buffer, when host-visible. */
  readonly bytes: Uint8Array | undefined;

  constructor(
    readonly owner: MemoryOwner,
    /** What the backend allocated: the BO (the buffer is its last `size` bytes when guarded). */
    readonly allocation: Allocation,
    readonly size: number,
    readonly domain: Domain,
    readonly label: string,
    /** Set for a guarded buffer (AllocOptions.guard): `va` is then `boVa + boBytes - size`. */
    readonly guard?: GuardPlacement,
  ) {
    const head = allocation.size - size;
    this.va = allocation.va + BigInt(head);
    this.bytes = allocation.bytes?.subarray(head);
  }

  /** The backend's handle of the memory. */
  get handle(): bigint {
    return this.allocation.handle;
  }

  /** The backend's placement flags (KFD_IOC_ALLOC_MEM_FLAGS_* on KFD). */
  get flags(): number {
    return this.allocation.flags;
  }

  get isFreed(): boolean {
    return this.freed;
  }

  /** The CPU view; throws for device-only memory and after free (the mapping is gone). */
  get view(): Uint8Array {
    if (this.freed) throw new UseAfterFreeError(this.owner.name, this.describe(), 'CPU view');
    if (!this.bytes) throw new Error(`${this.owner.name}: ${this.describe()} is not host-visible (allocate with hostVisible: true)`);
    return this.bytes;
  }

  describe(): string {
    return `${this.label} (${this.domain}, ${this.size} bytes at 0x${this.va.toString(16)}${this.guard ? ', guarded' : ''})`;
  }

  /** The CPU reservation this buffer owns (for munmap): the guard pages and the BO, or the BO's pages. */
  get reservation(): { readonly va: bigint; readonly bytes: number } {
    return this.allocation.reservation;
  }

  /** Maps the buffer into more GPUs' VMs (peer access). */
  mapTo(gpuIds: readonly number[]): void {
    if (this.freed) throw new UseAfterFreeError(this.owner.name, this.describe(), 'map to GPUs');
    const todo = gpuIds.filter((id) => !this.mappedOn.has(id));
    if (todo.length === 0) return;
    const mapped = this.owner.backend.map(this.allocation, todo);
    for (const id of todo.slice(0, mapped)) this.mappedOn.add(id);
  }

  unmapFrom(gpuIds: readonly number[]): void {
    if (this.freed) throw new UseAfterFreeError(this.owner.name, this.describe(), 'unmap from GPUs');
    const todo = gpuIds.filter((id) => this.mappedOn.has(id));
    if (todo.length === 0) return;
    this.owner.backend.unmap(this.allocation, todo);
    for (const id of todo) this.mappedOn.delete(id);
  }

  /**
   * Unmaps from every GPU, drops the CPU mapping and VA reservation, then frees the BO. A second free
   * (also after the device's close() freed it) throws: it is a bug in the caller, and a silent success
   * would hide the one that also kept using the buffer.
   */
  free(): void {
    if (this.freed) throw new UseAfterFreeError(this.owner.name, this.describe(), 'free');
    this.unmapFrom([...this.mappedOn]);
    this.owner.backend.free(this.allocation);
    this.freed = true;
    this.owner.forget(this);
  }
}

export function allocate(owner: MemoryOwner, size: number, opts: AllocOptions = {}): GpuBuffer {
  if (!Number.isSafeInteger(size) || size <= 0) throw new DriverError(owner.name, `cannot allocate ${size} bytes: want a whole number of bytes ≥ 1`, { kind: 'input' });
  const domain = opts.domain ?? 'vram';
  const guarded = opts.guard === true;
  if (guarded && domain === 'userptr') throw new DriverError(owner.name, 'a guarded (bounds-checked) buffer must be vram or gtt: userptr memory is the caller\'s pages', { kind: 'input' });
  const len = pageAlign(size);
  const a = owner.backend.alloc({
    bytes: len,
    domain,
    hostVisible: opts.hostVisible ?? domain !== 'vram',
    uncached: opts.uncached ?? false,
    executable: opts.executable ?? false,
    readOnly: opts.readOnly ?? false,
    guardPages: guarded,
  });
  const label = opts.label ?? `${domain} buffer`;
  // A guarded buffer ends where its BO ends, so the guard page after it is the first byte past the end.
  const buf = guarded
    ? new GpuBuffer(owner, a, size, domain, label, { reservedVa: a.reservation.va, reservedBytes: a.reservation.bytes, boVa: a.va, boBytes: a.size })
    : new GpuBuffer(owner, a, len, domain, label);
  try {
    buf.mapTo([owner.gpuId]);
  } catch (e) {
    owner.backend.free(a);
    throw e;
  }
  return buf;
}

export { PAGE_SIZE };
