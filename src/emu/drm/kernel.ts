// The process-wide render-node side of the emulated kernel: the GEM objects of every render file, each
// GPU's kernel rings, the fds it hands out (dma-bufs, sync objects, sync files), waits with the
// kernel's timeout conventions, and freeing what in-flight work still uses only once it finished.
import type { EmuGpu } from '../gpu.js';
import type { Bo, DmabufImport, KfdExport, KfdState } from '../kfd/state.js';
import { OsError } from '../../os/errors.js';
import type { MmapTarget } from '../process/backing.js';
import { AMDGPU_GEM_CREATE, AMDGPU_GEM_DOMAIN } from '../../uapi/drm.js';
import { fail } from '../kfd/errors.js';
import { DrmDevice } from './rings.js';
import { fenceSignaled, type DrmFile, type Fence, type GemObject, type Syncobj } from './state.js';

/** A file the render node hands out besides itself: what an fd from PRIME or a syncobj export holds. */
export type DrmSideFile =
  | { readonly kind: 'dmabuf'; readonly obj: GemObject }
  | { readonly kind: 'syncobj'; readonly syncobj: Syncobj }
  | { readonly kind: 'sync-file'; readonly fences: readonly Fence[] };

/** What an mmap maps (the backing and where in it), or why the kernel refuses it. */
/** A dma-buf maps its object from offset 0 (dma_buf_mmap_internal); other side files have no mmap. */
export function sideFileMapping(file: DrmSideFile, offset: bigint, len: number): MmapTarget {
  if (file.kind !== 'dmabuf') return { errno: 'ENODEV', why: `a ${file.kind} fd has no mmap` };
  if (offset + BigInt(len) > BigInt(file.obj.size)) return { errno: 'EINVAL', why: `mapping ${len} bytes at 0x${offset.toString(16)} of a ${file.obj.size}-byte dma-buf` };
  return { backing: file.obj.backing, backingOffset: file.obj.backingOffset + Number(offset), label: 'dma-buf' };
}

/** The host's fd table, as far as the render node needs it. */
export interface DrmFdTable {
  install(file: DrmSideFile): number;
  /** The side file behind `fd`; undefined when fd is open but something else; throws EBADF when not open. */
  lookup(fd: number): DrmSideFile | undefined;
}

/** A deadline in performance.now() milliseconds, or no deadline. */
export type Deadline = number | 'forever';

/** CLOCK_MONOTONIC in ns (libuv's hrtime reads it), the clock absolute DRM timeouts are given in. */
function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

function deadlineIn(ns: bigint): number {
  return performance.now() + Number(ns) / 1e6;
}

/** amdgpu_gem_timeout: a u64 absolute CLOCK_MONOTONIC time; negative as s64 means wait forever. */
export function amdgpuDeadline(timeoutNs: bigint): Deadline {
  if (BigInt.asIntN(64, timeoutNs) < 0n) return 'forever';
  const left = timeoutNs - monotonicNs();
  return left <= 0n ? performance.now() : deadlineIn(left);
}

/** drm_timeout_abs_to_jiffies: an s64 absolute time; 0 or a time already past polls once. */
export function syncobjDeadline(timeoutNsec: bigint): Deadline {
  const left = timeoutNsec - monotonicNs();
  return timeoutNsec === 0n || left <= 0n ? performance.now() : deadlineIn(left);
}

export class DrmState {
  private readonly devices = new Map<EmuGpu, DrmDevice>();
  readonly files = new Set<DrmFile>();
  readonly gemByMmapOffset = new Map<bigint, GemObject>();
  private nextGemId = 1;

  constructor(
    readonly k: KfdState,
    readonly fds: DrmFdTable,
    private readonly hasGfx: (gpu: EmuGpu) => boolean,
  ) {}

  newGemId(): number {
    return this.nextGemId++;
  }

  /** The GPU's kernel rings, started on first use (as amdgpu does at driver load). */
  device(gpu: EmuGpu): DrmDevice {
    let d = this.devices.get(gpu);
    if (!d) {
      d = new DrmDevice(gpu, this.k.memory, this.hasGfx(gpu));
      this.devices.set(gpu, d);
    }
    return d;
  }

  /** Devices whose rings exist (no ring was ever started on the others). */
  get startedDevices(): readonly DrmDevice[] {
    return [...this.devices.values()];
  }

  /** Retires finished work on every device: what every render ioctl does first. */
  progress(): void {
    for (const d of this.devices.values()) d.progress();
  }

  /** Blocks the ioctl until `done()` or the deadline, with the devices making progress; true when done. */
  waitUntil(done: () => boolean, deadline: Deadline): boolean {
    const devices = [...this.devices.values()];
    if (devices.length === 0) return done();
    // One device's loop also makes the others progress (each iteration calls progress on this state).
    return devices[0]!.waitUntil(() => {
      for (const d of devices.slice(1)) d.progress();
      return done();
    }, deadline);
  }

  waitFences(fences: readonly Fence[], deadline: Deadline): boolean {
    return this.waitUntil(() => fences.every(fenceSignaled), deadline);
  }

  /** Every render file's VA mappings in `gpu`'s VM. */
  mappingsOn(gpu: EmuGpu): [bigint, bigint][] {
    return [...this.files].filter((f) => f.gpu === gpu).flatMap((f) => f.mappings.map((m): [bigint, bigint] => [m.start, m.end]));
  }

  /** Runs `fn` once every device has finished what was submitted so far. */
  afterAllInFlight(fn: () => void): void {
    const devices = [...this.devices.values()];
    let left = devices.length;
    if (left === 0) return fn();
    for (const d of devices) d.afterInFlight(() => {
      if (--left === 0) fn();
    });
  }

  /**
   * amdgpu_amdkfd_gpuvm_import_dmabuf_fd's view of a dma-buf fd: dma_buf_get (EBADF, EINVAL for a file
   * that is no dma-buf), then an object that prefers neither VRAM nor GTT is EINVAL. The KFD BO holds a
   * reference on the object until it is freed.
   */
  importForKfd(fd: number): DmabufImport {
    const where = 'amdgpu_amdkfd_gpuvm_import_dmabuf_fd';
    const file = this.sideFile(fd, 'dma_buf_get', 'EBADF');
    if (file.kind !== 'dmabuf') fail('EINVAL', 'dma_buf_get', `fd ${fd} is not a dma-buf`);
    const obj = file.obj;
    if (!(obj.preferredDomains & (AMDGPU_GEM_DOMAIN.VRAM | AMDGPU_GEM_DOMAIN.GTT))) fail('EINVAL', where, 'the object prefers neither VRAM nor GTT');
    obj.refs++;
    return { size: obj.size, backing: obj.backing, backingOffset: obj.backingOffset, vram: (obj.preferredDomains & AMDGPU_GEM_DOMAIN.VRAM) !== 0, release: () => this.unref(obj) };
  }

  /**
   * amdgpu_amdkfd_gpuvm_export_dmabuf: a KFD BO's memory as a GEM object behind a dma-buf. The object
   * keeps no handle in any file; each fd() is a new fd to the same dma-buf.
   */
  exportForKfd(bo: Bo): KfdExport {
    const vram = bo.kind === 'vram';
    const obj: GemObject = {
      id: this.newGemId(),
      gpu: bo.gpu,
      size: bo.size,
      alignment: 0n,
      preferredDomains: vram ? AMDGPU_GEM_DOMAIN.VRAM : AMDGPU_GEM_DOMAIN.GTT,
      flags: 0n,
      placement: vram ? 'vram' : 'gtt',
      backing: bo.backing,
      backingOffset: bo.backingOffset,
      mmapOffset: 0n,
      metadata: { flags: 0n, tilingInfo: 0n, sizeBytes: 0, data: [] },
      refs: 0,
      fences: [],
      gartVa: undefined,
      released: false,
      kfdOwned: {},
    };
    return {
      fd: () => {
        obj.released = false;
        obj.refs++;
        return this.fds.install({ kind: 'dmabuf', obj });
      },
      alive: () => obj.refs > 0,
      onRelease: (fn) => {
        obj.kfdOwned = { onRelease: fn };
      },
    };
  }

  /** An mmap of the render node at a GEM object's offset (undefined: no GEM object there). */
  gemMapping(offset: bigint, len: number): MmapTarget | undefined {
    const gem = this.gemByMmapOffset.get(offset);
    if (!gem) return undefined;
    if (len > gem.size) return { errno: 'EINVAL', why: `mapping ${len} bytes of a ${gem.size}-byte GEM object` };
    // amdgpu_gem_object_mmap refuses objects created without CPU access.
    if (gem.flags & BigInt(AMDGPU_GEM_CREATE.NO_CPU_ACCESS)) return { errno: 'EPERM', why: 'the GEM object was created with AMDGPU_GEM_CREATE_NO_CPU_ACCESS' };
    return { backing: gem.backing, backingOffset: gem.backingOffset, label: `${gem.placement} GEM object` };
  }

  /** Drops one reference; the last one frees the object once no in-flight work can use it. */
  unref(obj: GemObject): void {
    if (--obj.refs > 0 || obj.released) return;
    obj.released = true;
    this.gemByMmapOffset.delete(obj.mmapOffset);
    this.afterAllInFlight(() => {
      for (const d of this.devices.values()) d.releaseGart(obj);
      if (obj.kfdOwned) return obj.kfdOwned.onRelease?.();
      for (const g of this.k.gpus) g.unshare(obj.backing);
      if (obj.placement === 'vram') obj.gpu.vramUsed -= BigInt(obj.size);
      if (obj.placement !== 'userptr') this.k.memory.retire(obj.backing);
    });
  }

  /**
   * The side file of an fd given to an ioctl; `closed` is the errno for an fd that is not open (dma_buf_get
   * says EBADF, the syncobj and sync-file lookups EINVAL), `notOurs` for an fd of another kind of file.
   */
  sideFile(fd: number, where: string, closed: 'EINVAL' | 'EBADF', notOurs: 'EINVAL' = 'EINVAL'): DrmSideFile {
    let f: DrmSideFile | undefined;
    try {
      f = this.fds.lookup(fd);
    } catch (e) {
      if (e instanceof OsError) fail(closed, where, `fd ${fd} is not open`);
      throw e;
    }
    if (!f) fail(notOurs, where, `fd ${fd} is not a file of that kind`);
    return f;
  }
}
