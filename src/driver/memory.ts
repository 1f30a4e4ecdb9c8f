// GPU memory: buffer objects allocated through KFD, placed at a VA reserved in the process, mapped for
// the CPU where they are host-visible and into the GPUs' VMs (amdgpu_amdkfd_gpuvm.c expects: reserve
// VA, ALLOC_MEMORY_OF_GPU at it, mmap the BO over the reservation, MAP_MEMORY_TO_GPU).
import { MAP_ANONYMOUS, MAP_FIXED, MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED, PAGE_SIZE, PROT_NONE, PROT_READ, PROT_WRITE, pageAlign, type Host } from '../os/host.js';
import { KFD_IOC, KFD_IOC_ALLOC_MEM_FLAGS as F } from '../uapi/kfd.js';
import { OsError } from '../os/errors.js';
import { DriverError, UseAfterFreeError } from './errors.js';
import { ioctl } from './ioctl.js';

export type Domain = 'vram' | 'gtt' | 'userptr';

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
  readonly host: Host;
  readonly kfdFd: number;
  readonly renderFd: number;
  readonly gpuId: number;
  readonly name: string;
  /** Writes gpu_ids into process memory so MAP/UNMAP can point at them. */
  deviceIdArray(gpuIds: readonly number[]): bigint;
  forget(b: GpuBuffer): void;
}

export class GpuBuffer {
  private freed = false;
  /** GPUs (by gpu_id) whose VM maps this buffer. */
  readonly mappedOn = new Set<number>();

  constructor(
    readonly owner: MemoryOwner,
    readonly va: bigint,
    readonly size: number,
    readonly domain: Domain,
    readonly handle: bigint,
    readonly flags: number,
    /** CPU view of the whole buffer, when host-visible. */
    readonly bytes: Uint8Array | undefined,
    readonly label: string,
    /** Set for a guarded buffer (AllocOptions.guard): `va` is then `boVa + boBytes - size`. */
    readonly guard?: GuardPlacement,
  ) {}

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
  get reservation(): { va: bigint; bytes: number } {
    return this.guard ? { va: this.guard.reservedVa, bytes: this.guard.reservedBytes } : { va: this.va, bytes: pageAlign(this.size) };
  }

  /** Maps the buffer into more GPUs' VMs (peer access). */
  mapTo(gpuIds: readonly number[]): void {
    if (this.freed) throw new UseAfterFreeError(this.owner.name, this.describe(), 'map to GPUs');
    const todo = gpuIds.filter((id) => !this.mappedOn.has(id));
    if (todo.length === 0) return;
    const o = this.owner;
    const r = ioctl(o.host, o.kfdFd, KFD_IOC.MAP_MEMORY_TO_GPU, { handle: this.handle, device_ids_array_ptr: o.deviceIdArray(todo), n_devices: todo.length, n_success: 0 });
    for (const id of todo.slice(0, r.n_success)) this.mappedOn.add(id);
  }

  unmapFrom(gpuIds: readonly number[]): void {
    if (this.freed) throw new UseAfterFreeError(this.owner.name, this.describe(), 'unmap from GPUs');
    const todo = gpuIds.filter((id) => this.mappedOn.has(id));
    if (todo.length === 0) return;
    const o = this.owner;
    ioctl(o.host, o.kfdFd, KFD_IOC.UNMAP_MEMORY_FROM_GPU, { handle: this.handle, device_ids_array_ptr: o.deviceIdArray(todo), n_devices: todo.length, n_success: 0 });
    for (const id of todo) this.mappedOn.delete(id);
  }

  /** For releaseToKernel: the buffer is no longer this process's to free. */
  markReleased(): void {
    this.freed = true;
    this.owner.forget(this);
  }

  /**
   * Unmaps from every GPU, drops the CPU mapping and VA reservation, then frees the BO. A second free
   * (also after the device's close() freed it) throws: it is a bug in the caller, and a silent success
   * would hide the one that also kept using the buffer.
   */
  free(): void {
    if (this.freed) throw new UseAfterFreeError(this.owner.name, this.describe(), 'free');
    this.unmapFrom([...this.mappedOn]);
    const o = this.owner;
    const r = this.reservation;
    o.host.munmap(r.va, r.bytes);
    ioctl(o.host, o.kfdFd, KFD_IOC.FREE_MEMORY_OF_GPU, { handle: this.handle });
    this.freed = true;
    o.forget(this);
  }
}

/**
 * Lets go of a buffer the kernel owns from now on (the KFD event page: FREE_MEMORY_OF_GPU refuses it
 * with EPERM and kfd_process_destroy frees it when /dev/kfd closes): drops the CPU mapping only.
 */
export function releaseToKernel(b: GpuBuffer): void {
  if (b.isFreed) return;
  const r = b.reservation;
  b.owner.host.munmap(r.va, r.bytes);
  b.markReleased();
}

export function allocFlags(opts: AllocOptions): number {
  const domain = opts.domain ?? 'vram';
  let f = F.NO_SUBSTITUTE;
  if (!opts.readOnly) f |= F.WRITABLE;
  if (opts.executable) f |= F.EXECUTABLE;
  if (domain === 'vram') {
    f |= F.VRAM;
    if (opts.hostVisible) f |= F.PUBLIC;
  } else if (domain === 'gtt') {
    f |= F.GTT;
    if (opts.uncached) f |= F.UNCACHED | F.COHERENT;
  } else {
    f |= F.USERPTR;
    if (opts.uncached) f |= F.UNCACHED | F.COHERENT;
  }
  return f >>> 0;
}

export function allocate(owner: MemoryOwner, size: number, opts: AllocOptions = {}): GpuBuffer {
  if (!Number.isSafeInteger(size) || size <= 0) throw new DriverError(owner.name, `cannot allocate ${size} bytes: want a whole number of bytes ≥ 1`, { kind: 'input' });
  const domain = opts.domain ?? 'vram';
  const hostVisible = opts.hostVisible ?? domain !== 'vram';
  const flags = allocFlags({ ...opts, domain, hostVisible });
  const len = pageAlign(size);
  const host = owner.host;
  const label = opts.label ?? `${domain} buffer`;
  const guarded = opts.guard === true;
  if (guarded && domain === 'userptr') throw new DriverError(owner.name, 'a guarded (bounds-checked) buffer must be vram or gtt: userptr memory is the caller\'s pages', { kind: 'input' });
  // A guarded buffer reserves a guard page on each side of its BO; nothing is ever mapped there.
  const reservedBytes = guarded ? len + 2 * PAGE_SIZE : len;
  let reservedVa: bigint;
  let va: bigint;
  let userAddr = 0n;
  let cpu: Uint8Array | undefined;
  if (domain === 'userptr') {
    const m = host.mmap(0n, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
    va = reservedVa = m.address;
    userAddr = m.address;
    cpu = m.bytes;
  } else {
    reservedVa = host.mmap(0n, reservedBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0n).address;
    va = guarded ? reservedVa + BigInt(PAGE_SIZE) : reservedVa;
  }
  let handle: bigint | undefined;
  try {
    const r = ioctl(host, owner.kfdFd, KFD_IOC.ALLOC_MEMORY_OF_GPU, { va_addr: va, size: BigInt(len), gpu_id: owner.gpuId, flags, mmap_offset: userAddr });
    handle = r.handle;
    if (domain !== 'userptr' && hostVisible) cpu = host.mmap(va, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, owner.renderFd, r.mmap_offset).bytes;
  } catch (e) {
    host.munmap(reservedVa, reservedBytes);
    if (handle !== undefined) ioctl(host, owner.kfdFd, KFD_IOC.FREE_MEMORY_OF_GPU, { handle });
    // The kernel's error names only the call; say which GPU could not get what.
    const what = `${handle === undefined ? 'allocate' : 'map for the CPU'} ${len} bytes of ${domain}${hostVisible ? ' (host-visible)' : ''} memory`;
    if (e instanceof OsError) throw new DriverError(owner.name, `cannot ${what}: ${e.code} (${e.message})`, { cause: e });
    throw e;
  }
  const head = guarded ? len - size : 0;
  const buf = guarded
    ? new GpuBuffer(owner, va + BigInt(head), size, domain, handle, flags, cpu?.subarray(head, len), label, { reservedVa, reservedBytes, boVa: va, boBytes: len })
    : new GpuBuffer(owner, va, len, domain, handle, flags, cpu?.subarray(0, len), label);
  try {
    buf.mapTo([owner.gpuId]);
  } catch (e) {
    host.munmap(reservedVa, reservedBytes);
    ioctl(host, owner.kfdFd, KFD_IOC.FREE_MEMORY_OF_GPU, { handle });
    throw e;
  }
  return buf;
}

export { PAGE_SIZE };
