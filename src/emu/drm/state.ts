// The emulated kernel's render-node state: GEM objects (drm_gem_object + amdgpu_bo), each open render
// file (drm_file + amdgpu_fpriv: handle table, contexts, BO lists, sync objects, its VM mappings),
// fences of the kernel rings and sync objects (drm_syncobj with its timeline points).
import type { EmuGpu } from '../gpu.js';
import type { Backing } from '../process/backing.js';
import type { ErrnoName } from '../../os/errno.js';
import { fail } from '../kfd/errors.js';

export type GemPlacement = 'vram' | 'gtt' | 'userptr';

export interface GemObject {
  readonly id: number;
  /** The device whose memory holds it (an import into another device's file shares it). */
  readonly gpu: EmuGpu;
  readonly size: number;
  readonly alignment: bigint;
  /** amdgpu_bo.preferred_domains (GEM_OP SET_PLACEMENT changes it). */
  preferredDomains: number;
  readonly flags: bigint;
  readonly placement: GemPlacement;
  readonly backing: Backing;
  readonly backingOffset: number;
  /** drm_vma_node offset: what GEM_MMAP returns and mmap of the render node takes. */
  readonly mmapOffset: bigint;
  metadata: { flags: bigint; tilingInfo: bigint; sizeBytes: number; data: readonly number[] };
  /** Handles in every file, plus dma-buf fds and KFD imports: the object goes when none is left. */
  refs: number;
  /** Fences of submissions that listed it (its reservation object), for GEM_WAIT_IDLE. */
  fences: Fence[];
  /** Where the kernel mapped it for a user fence (its GART address), once a CS used it so. */
  gartVa: bigint | undefined;
  released: boolean;
  /**
   * Memory a KFD BO owns (exported with EXPORT_DMABUF): its last reference hands it back to KFD (which
   * frees it, if its BO was freed meanwhile) instead of freeing it here.
   */
  kfdOwned?: { onRelease?: () => void };
}

export type RingIp = 'gfx' | 'compute' | 'dma';

/** What a fence needs of its ring: where the ring's fence word is, and whether it reached a sequence number. */
export interface FenceRing {
  readonly name: string;
  readonly fenceVa: bigint;
  signaled(seq: number): boolean;
}

/**
 * A dma_fence of a kernel ring: sequence number `seq` of `ring` (or a stub, already signalled), and the
 * error the kernel set on it when its job timed out or was cancelled by a reset.
 */
export interface Fence {
  readonly ring: FenceRing | undefined;
  readonly seq: number;
  error: ErrnoName | undefined;
  /** The context that submitted it: a job that hangs makes it guilty. */
  readonly ctx: Ctx | undefined;
}

export const STUB_FENCE: Fence = { ring: undefined, seq: 0, error: undefined, ctx: undefined };

export function fenceSignaled(f: Fence): boolean {
  return f.ring === undefined || f.ring.signaled(f.seq);
}

/**
 * A drm_syncobj: no fence, one fence (point 0: a binary syncobj) or a timeline of points, in the order
 * they were added (a dma_fence_chain). A point's fences are all a waiter on it needs (a fence taken from
 * another timeline point carries that point's predecessors).
 */
export interface Syncobj {
  points: { readonly point: bigint; readonly fences: readonly Fence[] }[];
  refs: number;
}

/** amdgpu_ctx_entity: the context's sequence of submissions on one (ip, ring) and its last 32 fences. */
export interface CtxEntity {
  readonly ip: RingIp;
  /** The sequence number the next submission gets (centity->sequence, starts at 1). */
  sequence: bigint;
  readonly fences: (Fence | undefined)[];
}

export interface Ctx {
  readonly id: number;
  readonly priority: number;
  readonly entities: Map<string, CtxEntity>;
  guilty: boolean;
  /** A reset happened while the context existed (AMDGPU_CTX_QUERY2_FLAGS_RESET). */
  resetSeen: boolean;
  stablePstate: number;
}

export interface VaMapping {
  readonly start: bigint;
  /** Exclusive. */
  readonly end: bigint;
  readonly obj: GemObject;
  readonly offset: bigint;
  readonly flags: number;
}

/** One open of a render node (drm_file): everything an ioctl on that fd can name. */
export class DrmFile {
  readonly handles = new Map<number, GemObject>();
  private nextHandle = 1;
  readonly contexts = new Map<number, Ctx>();
  private nextCtx = 1;
  readonly boLists = new Map<number, readonly GemObject[]>();
  private nextBoList = 1;
  readonly syncobjs = new Map<number, Syncobj>();
  private nextSyncobj = 1;
  /** Its VM's mappings (amdgpu_vm va tree), sorted by start. */
  mappings: VaMapping[] = [];

  constructor(readonly gpu: EmuGpu) {}

  /** drm_gem_handle_create: handles are idr ids from 1. */
  addHandle(obj: GemObject): number {
    const h = this.nextHandle++;
    this.handles.set(h, obj);
    obj.refs++;
    return h;
  }

  /** drm_gem_object_lookup: an unknown handle is ENOENT for every GEM ioctl that takes one. */
  gem(handle: number, where: string, missing: ErrnoName = 'ENOENT'): GemObject {
    const o = this.handles.get(handle);
    if (!o) fail(missing, where, `no GEM object with handle ${handle} in this render file (drm_gem_object_lookup)`);
    return o;
  }

  /** The handle this file already has for `obj` (drm_prime_lookup_buf_handle), if any. */
  handleOf(obj: GemObject): number | undefined {
    for (const [h, o] of this.handles) if (o === obj) return h;
    return undefined;
  }

  addContext(priority: number): Ctx {
    const ctx: Ctx = { id: this.nextCtx++, priority, entities: new Map(), guilty: false, resetSeen: false, stablePstate: 0 };
    this.contexts.set(ctx.id, ctx);
    return ctx;
  }

  addBoList(objs: readonly GemObject[]): number {
    const h = this.nextBoList++;
    this.boLists.set(h, objs);
    return h;
  }

  addSyncobj(s: Syncobj): number {
    const h = this.nextSyncobj++;
    this.syncobjs.set(h, s);
    s.refs++;
    return h;
  }

  /** drm_syncobj_find: a missing handle; each ioctl decides the errno. */
  syncobj(handle: number, where: string, missing: ErrnoName): Syncobj {
    const s = this.syncobjs.get(handle);
    if (!s) fail(missing, where, `no sync object with handle ${handle} in this render file (drm_syncobj_find)`);
    return s;
  }
}
