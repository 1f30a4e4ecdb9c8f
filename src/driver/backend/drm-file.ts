// One open of a GPU's render node (a drm_file: its own GPU VM, GEM handles, contexts and sync objects)
// and the amdgpu ioctls the render-node path makes on it, each encoded from src/uapi. Arrays the kernel
// reads or writes through pointers (CS chunks, BO lists, syncobj handles) are laid out in an arena of
// process memory, rebuilt for every call.
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, O_CLOEXEC, O_RDWR, PROT_READ, PROT_WRITE, type Host, type Mapping } from '../../os/host.js';
import { OsError } from '../../os/errors.js';
import * as drm from '../../uapi/drm.js';
import type { FieldSpec, StructInput } from '../../uapi/codec.js';
import { DriverError } from '../errors.js';

const D = drm.AMDGPU_GEM_DOMAIN;
const ARENA_BYTES = 64 * 1024;

/** Bump allocation in a page of process memory, reset before each ioctl that needs it. */
class Arena {
  private used = 0;
  constructor(private readonly mem: Mapping) {}

  reset(): this {
    this.used = 0;
    return this;
  }

  /** `bytes` (copied in) at an 8-byte aligned address. */
  put(bytes: Uint8Array): bigint {
    const at = this.used;
    if (at + bytes.length > this.mem.length) throw new RangeError(`ioctl arena of ${this.mem.length} bytes cannot hold ${at + bytes.length}`);
    this.mem.bytes.set(bytes, at);
    this.used = (at + bytes.length + 7) & ~7;
    return this.mem.address + BigInt(at);
  }

  u32s(values: readonly number[]): bigint {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
    return this.put(b);
  }

  u64s(values: readonly bigint[]): bigint {
    return this.put(new Uint8Array(BigUint64Array.from(values).buffer));
  }

  /** Reads back `n` u64 the kernel wrote at `address` (an address `u64s` returned). */
  readU64s(address: bigint, n: number): bigint[] {
    const at = Number(address - this.mem.address);
    const dv = new DataView(this.mem.bytes.buffer, this.mem.bytes.byteOffset + at, n * 8);
    return Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
  }
}

/** The kernel rings the render-node path submits to (AMDGPU_HW_IP_COMPUTE and AMDGPU_HW_IP_DMA). */
export type CsIp = 'compute' | 'dma';
const IP: Record<CsIp, number> = { compute: drm.AMDGPU_HW_IP.COMPUTE, dma: drm.AMDGPU_HW_IP.DMA };

/** A sync object point: 0 is a binary syncobj's payload, anything else a timeline point. */
export interface SyncobjPoint {
  readonly handle: number;
  readonly point: bigint;
}

/** One command submission: its IB, the BOs it may touch, and the sync objects it waits for and signals. */
export interface CsRequest {
  readonly ip: CsIp;
  readonly ibVa: bigint;
  readonly ibBytes: number;
  /** Every BO the IB may touch (the kernel makes them resident and fences them). */
  readonly boHandles: readonly number[];
  readonly waitFor?: readonly SyncobjPoint[];
  readonly signal?: readonly SyncobjPoint[];
}

/** WAIT_CS's answer: done, still busy at the deadline, or the kernel's verdict on a failed job. */
export type CsWaitResult = 'done' | 'busy' | 'timed-out' | 'cancelled';

export class RenderNodeFile {
  readonly fd: number;
  private readonly arena: Arena;
  private readonly arenaMem: Mapping;

  constructor(readonly host: Host, minor: number) {
    this.fd = host.open(`/dev/dri/renderD${minor}`, O_RDWR | O_CLOEXEC);
    try {
      this.arenaMem = host.mmap(0n, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
    } catch (e) {
      host.close(this.fd);
      throw e;
    }
    this.arena = new Arena(this.arenaMem);
  }

  /** The ioctl on this file; returns the argument block as the kernel left it (unions decode from it). */
  call<F extends readonly FieldSpec[]>(def: drm.DrmIoctl<F>, value: StructInput<F>): Uint8Array {
    const buf = def.args.encode(value);
    this.host.ioctl(this.fd, def.request, buf, def.name);
    return buf;
  }

  gemCreate(bytes: number, domain: 'vram' | 'gtt', flags: number): number {
    const out = this.call(drm.DRM_IOC.AMDGPU_GEM_CREATE, { in: { bo_size: BigInt(bytes), alignment: 4096n, domains: BigInt(domain === 'vram' ? D.VRAM : D.GTT), domain_flags: BigInt(flags) } });
    return drm.gemCreateOut.decode(out).handle;
  }

  /** GEM_USERPTR: process pages as a GEM object (libdrm's amdgpu_create_bo_from_user_mem flags). */
  gemUserptr(address: bigint, bytes: number): number {
    const U = drm.AMDGPU_GEM_USERPTR;
    return drm.gemUserptrArgs.decode(this.call(drm.DRM_IOC.AMDGPU_GEM_USERPTR, { addr: address, size: BigInt(bytes), flags: U.ANONONLY | U.VALIDATE | U.REGISTER, handle: 0 })).handle;
  }

  /** The CPU's view of a GEM object: GEM_MMAP's fake offset, then mmap of the render node there. */
  cpuMap(handle: number, bytes: number): Mapping {
    const offset = drm.gemMmapOut.decode(this.call(drm.DRM_IOC.AMDGPU_GEM_MMAP, { in: { handle, _pad: 0 } })).addr_ptr;
    return this.host.mmap(0n, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, this.fd, offset);
  }

  gemVa(operation: number, handle: number, va: bigint, bytes: number, flags: number): void {
    this.call(drm.DRM_IOC.AMDGPU_GEM_VA, { handle, _pad: 0, operation, flags, va_address: va, offset_in_bo: 0n, map_size: BigInt(bytes) });
  }

  gemClose(handle: number): void {
    this.call(drm.DRM_IOC.GEM_CLOSE, { handle, pad: 0 });
  }

  /** PRIME export: a dma-buf fd for the object (read-write, close-on-exec). */
  exportDmabuf(handle: number): number {
    const F = drm.DRM_PRIME_FLAGS;
    return drm.drmPrimeHandle.decode(this.call(drm.DRM_IOC.PRIME_HANDLE_TO_FD, { handle, flags: F.CLOEXEC | F.RDWR, fd: 0 })).fd;
  }

  importDmabuf(fd: number): number {
    return drm.drmPrimeHandle.decode(this.call(drm.DRM_IOC.PRIME_FD_TO_HANDLE, { handle: 0, flags: 0, fd })).handle;
  }

  ctxAlloc(priority: number = drm.AMDGPU_CTX_PRIORITY.NORMAL): number {
    return drm.ctxOutAlloc.decode(this.call(drm.DRM_IOC.AMDGPU_CTX, { in: { op: drm.AMDGPU_CTX_OP.ALLOC_CTX, flags: 0, ctx_id: 0, priority } })).ctx_id;
  }

  ctxFree(ctxId: number): void {
    this.call(drm.DRM_IOC.AMDGPU_CTX, { in: { op: drm.AMDGPU_CTX_OP.FREE_CTX, flags: 0, ctx_id: ctxId, priority: 0 } });
  }

  /** AMDGPU_CTX_OP_QUERY_STATE2 flags (AMDGPU_CTX_QUERY2_FLAGS_*: RESET 1, VRAMLOST 2, GUILTY 4, RAS_CE 8, RAS_UE 16). */
  ctxState(ctxId: number): bigint {
    return drm.ctxOutState.decode(this.call(drm.DRM_IOC.AMDGPU_CTX, { in: { op: drm.AMDGPU_CTX_OP.QUERY_STATE2, flags: 0, ctx_id: ctxId, priority: 0 } })).flags;
  }

  /**
   * DRM_IOCTL_AMDGPU_CS: the IB chunk, the BO list as a BO_HANDLES chunk, binary syncobjs as
   * SYNCOBJ_IN/OUT and timeline points as SYNCOBJ_TIMELINE_WAIT/SIGNAL (amdgpu_cs_parser_init order is
   * free). Returns the submission's sequence number on the context's entity for that ring.
   */
  cs(ctxId: number, r: CsRequest): bigint {
    const a = this.arena.reset();
    const CH = drm.AMDGPU_CHUNK_ID;
    const chunks: { id: number; data: Uint8Array }[] = [
      { id: CH.IB, data: drm.csChunkIb.encode({ _pad: 0, flags: 0, va_start: r.ibVa, ib_bytes: r.ibBytes, ip_type: IP[r.ip], ip_instance: 0, ring: 0 }) },
    ];
    if (r.boHandles.length) {
      const entries = new Uint8Array(r.boHandles.length * drm.boListEntry.size);
      const dv = new DataView(entries.buffer);
      r.boHandles.forEach((h, i) => dv.setUint32(i * drm.boListEntry.size, h, true));
      chunks.push({ id: CH.BO_HANDLES, data: drm.boListIn.encode({ operation: 0, list_handle: 0, bo_number: r.boHandles.length, bo_info_size: drm.boListEntry.size, bo_info_ptr: a.put(entries) }) });
    }
    // The kernel takes one set of out-syncobjs per submission (amdgpu_cs_p2_syncobj_out and _timeline_signal
    // refuse a second with EINVAL); a timeline chunk's point 0 is a binary syncobj's payload, so a mix of
    // binary and timeline signals goes out as one TIMELINE_SIGNAL chunk. In-chunks may repeat.
    const sem = (id: number, list: readonly SyncobjPoint[]): void => {
      const asTimeline = id === CH.SYNCOBJ_OUT && list.some((s) => s.point !== 0n);
      const binary = asTimeline ? [] : list.filter((s) => s.point === 0n);
      const timeline = asTimeline ? list : list.filter((s) => s.point !== 0n);
      if (binary.length) {
        const b = new Uint8Array(binary.length * drm.csChunkSem.size);
        binary.forEach((s, i) => drm.csChunkSem.encode({ handle: s.handle }, b, i * drm.csChunkSem.size));
        chunks.push({ id, data: b });
      }
      if (timeline.length) {
        const b = new Uint8Array(timeline.length * drm.csChunkSyncobj.size);
        timeline.forEach((s, i) => drm.csChunkSyncobj.encode({ handle: s.handle, flags: 0, point: s.point }, b, i * drm.csChunkSyncobj.size));
        chunks.push({ id: id === CH.SYNCOBJ_IN ? CH.SYNCOBJ_TIMELINE_WAIT : CH.SYNCOBJ_TIMELINE_SIGNAL, data: b });
      }
    };
    if (r.waitFor?.length) sem(CH.SYNCOBJ_IN, r.waitFor);
    if (r.signal?.length) sem(CH.SYNCOBJ_OUT, r.signal);
    const headers = chunks.map((c) => drm.csChunk.encode({ chunk_id: c.id, length_dw: c.data.length >> 2, chunk_data: a.put(c.data) }));
    const ptrs = a.u64s(headers.map((h) => a.put(h)));
    return drm.csOut.decode(this.call(drm.DRM_IOC.AMDGPU_CS, { in: { ctx_id: ctxId, bo_list_handle: 0, num_chunks: chunks.length, flags: 0, chunks: ptrs } })).handle;
  }

  /** WAIT_CS until the absolute CLOCK_MONOTONIC time `deadlineNs` (0: just ask). */
  waitCs(ctxId: number, ip: CsIp, seq: bigint, deadlineNs: bigint): CsWaitResult {
    try {
      const out = this.call(drm.DRM_IOC.AMDGPU_WAIT_CS, { in: { handle: seq, timeout: deadlineNs, ip_type: IP[ip], ip_instance: 0, ring: 0, ctx_id: ctxId } });
      return drm.waitCsOut.decode(out).status === 0n ? 'done' : 'busy';
    } catch (e) {
      // The job's fence carries an error: ETIME when the kernel's lockup timeout killed it
      // (amdgpu_job_timedout), ECANCELED when it was dropped behind one that was.
      if (e instanceof OsError && e.code === 'ETIME') return 'timed-out';
      if (e instanceof OsError && e.code === 'ECANCELED') return 'cancelled';
      throw e;
    }
  }

  syncobjCreate(signaled: boolean): number {
    return drm.drmSyncobjCreateArgs.decode(this.call(drm.DRM_IOC.SYNCOBJ_CREATE, { handle: 0, flags: signaled ? drm.DRM_SYNCOBJ_CREATE_SIGNALED : 0 })).handle;
  }

  syncobjDestroy(handle: number): void {
    this.call(drm.DRM_IOC.SYNCOBJ_DESTROY, { handle, pad: 0 });
  }

  /** Waits for a timeline point (0: the binary payload) until the absolute `deadlineNs`; false on timeout. */
  syncobjWait(handle: number, point: bigint, deadlineNs: bigint): boolean {
    const a = this.arena.reset();
    try {
      // WAIT_FOR_SUBMIT: a point whose submission has not been made yet is waited for, not an error.
      this.call(drm.DRM_IOC.SYNCOBJ_TIMELINE_WAIT, { handles: a.u32s([handle]), points: a.u64s([point]), timeout_nsec: deadlineNs, count_handles: 1, flags: drm.DRM_SYNCOBJ_WAIT_FLAGS.WAIT_FOR_SUBMIT, first_signaled: 0, pad: 0 });
      return true;
    } catch (e) {
      if (e instanceof OsError && e.code === 'ETIME') return false;
      throw e;
    }
  }

  /** The last signalled point of a timeline syncobj. */
  syncobjQuery(handle: number): bigint {
    const a = this.arena.reset();
    const points = a.u64s([0n]);
    this.call(drm.DRM_IOC.SYNCOBJ_QUERY, { handles: a.u32s([handle]), points, count_handles: 1, flags: 0 });
    return a.readU64s(points, 1)[0]!;
  }

  /** Signals a timeline point from the CPU (0: the binary payload). */
  syncobjSignal(handle: number, point: bigint): void {
    const a = this.arena.reset();
    this.call(drm.DRM_IOC.SYNCOBJ_TIMELINE_SIGNAL, { handles: a.u32s([handle]), points: a.u64s([point]), count_handles: 1, flags: 0 });
  }

  close(): void {
    this.host.munmap(this.arenaMem.address, this.arenaMem.length);
    this.host.close(this.fd);
  }
}

/** Wraps an OsError from the render node into a DriverError that says what the driver was doing. */
export function renderNodeError(device: string, what: string, e: unknown): unknown {
  if (e instanceof OsError) return new DriverError(device, `${what}: ${e.code} (${e.message})`, { cause: e });
  return e;
}
