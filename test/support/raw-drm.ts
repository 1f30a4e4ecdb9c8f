// Raw render-node ioctls on an emulated host, built from the uapi layouts alone (no src/driver): GEM
// objects, VA mappings, contexts, command submission and waits, each returning the errno as a name.
import { EmuHost } from '../../src/emu/host.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, O_RDWR, PROT_READ, PROT_WRITE, type Mapping } from '../../src/os/host.js';
import type { FieldSpec, StructInput, StructValue } from '../../src/uapi/codec.js';
import * as drm from '../../src/uapi/drm.js';
import { ioctlOutcome } from './raw-kfd.js';
import { Pm4Builder } from '../../src/hw/pm4/builder.js';

export const PAGE = 4096;
const D = drm.AMDGPU_GEM_DOMAIN;
export const RWX = drm.AMDGPU_VM_PAGE.READABLE | drm.AMDGPU_VM_PAGE.WRITEABLE | drm.AMDGPU_VM_PAGE.EXECUTABLE;

export interface Outcome<V> {
  readonly errno: string;
  readonly out: V;
}

export interface ChunkSpec {
  readonly id: number;
  readonly data: Uint8Array;
}

export interface Gem {
  readonly handle: number;
  readonly size: number;
  readonly va: bigint;
  /** The CPU's view through the render node (GEM_MMAP + mmap). */
  readonly cpu: Mapping;
}

/** CLOCK_MONOTONIC now + `ms`, as an absolute DRM timeout in ns. */
export function absTimeout(ms: number): bigint {
  return process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
}

export class RawDrm {
  readonly host: EmuHost;
  fd: number;
  private nextVa = 0x1_0000_0000n;

  constructor(readonly spec: string, host?: EmuHost) {
    this.host = host ?? new EmuHost(spec);
    this.fd = this.open();
  }

  /** Another open of the same render node (its own drm_file). */
  open(): number {
    return this.host.open(`/dev/dri/renderD${this.host.gpus[0]!.instance.renderMinor}`, O_RDWR);
  }

  get family(): 'gfx9' | 'gfx11' | 'gfx12' | 'gfx10' {
    return this.host.gpus[0]!.target.family as 'gfx9' | 'gfx11' | 'gfx12' | 'gfx10';
  }

  rawIoctl(request: number, bytes: Uint8Array, fd = this.fd): string {
    return ioctlOutcome(this.host, fd, request, bytes);
  }

  try<F extends readonly FieldSpec[]>(ioctl: drm.DrmIoctl<F>, values: StructInput<F>, fd = this.fd): Outcome<StructValue<F>> {
    const bytes = ioctl.args.encode(values);
    const errno = this.rawIoctl(ioctl.request, bytes, fd);
    return { errno, out: ioctl.args.decode(bytes) };
  }

  /** The errno name of the ioctl's outcome ('OK' on success). */
  errno<F extends readonly FieldSpec[]>(ioctl: drm.DrmIoctl<F>, values: StructInput<F>, fd = this.fd): string {
    return this.try(ioctl, values, fd).errno;
  }

  call<F extends readonly FieldSpec[]>(ioctl: drm.DrmIoctl<F>, values: StructInput<F>, fd = this.fd): StructValue<F> {
    const bytes = ioctl.args.encode(values);
    this.host.ioctl(fd, ioctl.request, bytes);
    return ioctl.args.decode(bytes);
  }

  /** Anonymous process memory of `size` bytes (for the user pointers ioctls take and write through). */
  userMapping(size: number): Mapping {
    return this.host.mmap(0n, Math.max(size, PAGE), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
  }

  /** Anonymous process memory holding `bytes`; its address. */
  user(bytes: Uint8Array): bigint {
    const m = this.userMapping(bytes.length);
    m.bytes.set(bytes);
    return m.address;
  }

  userWords(words: readonly number[]): bigint {
    const b = new Uint8Array(words.length * 4);
    const dv = new DataView(b.buffer);
    words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    return this.user(b);
  }

  freshVa(size: number): bigint {
    const va = this.nextVa;
    this.nextVa += BigInt(Math.ceil(size / 0x200000) + 1) * 0x200000n;
    return va;
  }

  gemCreate(size: number, domains: number = D.GTT, flags = 0n, fd = this.fd): number {
    const bytes = drm.gemCreateArgs.encode({ in: { bo_size: BigInt(size), alignment: 0n, domains: BigInt(domains), domain_flags: flags } });
    this.host.ioctl(fd, drm.DRM_IOC.AMDGPU_GEM_CREATE.request, bytes);
    return drm.gemCreateOut.decode(bytes).handle;
  }

  mmapOffset(handle: number, fd = this.fd): bigint {
    const bytes = drm.gemMmapArgs.encode({ in: { handle, _pad: 0 } });
    this.host.ioctl(fd, drm.DRM_IOC.AMDGPU_GEM_MMAP.request, bytes);
    return drm.gemMmapOut.decode(bytes).addr_ptr;
  }

  cpuMap(handle: number, size: number, fd = this.fd): Mapping {
    return this.host.mmap(0n, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, this.mmapOffset(handle, fd));
  }

  vaOp(op: number, handle: number, va: bigint, size: number, offset = 0n, flags = RWX, fd = this.fd): string {
    return this.errno(drm.DRM_IOC.AMDGPU_GEM_VA, { handle, operation: op, flags, va_address: va, offset_in_bo: offset, map_size: BigInt(size) }, fd);
  }

  /** A GEM object created, CPU-mapped and mapped at a fresh VA in the GPU VM. */
  gem(size: number, domains: number = D.GTT, fd = this.fd): Gem {
    const handle = this.gemCreate(size, domains, 0n, fd);
    const cpu = this.cpuMap(handle, size, fd);
    const va = this.freshVa(size);
    const r = this.vaOp(drm.AMDGPU_VA_OP.MAP, handle, va, size, 0n, RWX, fd);
    if (r !== 'OK') throw new Error(`GEM_VA MAP: ${r}`);
    return { handle, size, va, cpu };
  }

  ctx(priority: number = drm.AMDGPU_CTX_PRIORITY.NORMAL, fd = this.fd): number {
    const bytes = drm.ctxArgs.encode({ in: { op: drm.AMDGPU_CTX_OP.ALLOC_CTX, flags: 0, ctx_id: 0, priority } });
    this.host.ioctl(fd, drm.DRM_IOC.AMDGPU_CTX.request, bytes);
    return drm.ctxOutAlloc.decode(bytes).ctx_id;
  }

  /** The CS ioctl with these chunks; returns the errno and the sequence number it handed out. */
  cs(ctxId: number, chunks: readonly ChunkSpec[], boListHandle = 0, fd = this.fd): { errno: string; seq: bigint } {
    const ptrs = chunks.map((c) => this.user(drm.csChunk.encode({ chunk_id: c.id, length_dw: c.data.length / 4, chunk_data: c.data.length ? this.user(c.data) : 0n })));
    const array = new Uint8Array(8 * Math.max(chunks.length, 1));
    const dv = new DataView(array.buffer);
    ptrs.forEach((p, i) => dv.setBigUint64(i * 8, p, true));
    const bytes = drm.csArgs.encode({ in: { ctx_id: ctxId, bo_list_handle: boListHandle, num_chunks: chunks.length, flags: 0, chunks: this.user(array) } });
    const errno = this.rawIoctl(drm.DRM_IOC.AMDGPU_CS.request, bytes, fd);
    return { errno, seq: drm.csOut.decode(bytes).handle };
  }

  /** WAIT_CS: the errno and the status (1 = still busy at the timeout). */
  waitCs(ctxId: number, ip: number, seq: bigint, timeout: bigint, fd = this.fd): { errno: string; busy: bigint } {
    const bytes = drm.waitCsArgs.encode({ in: { handle: seq, timeout, ip_type: ip, ip_instance: 0, ring: 0, ctx_id: ctxId } });
    const errno = this.rawIoctl(drm.DRM_IOC.AMDGPU_WAIT_CS.request, bytes, fd);
    return { errno, busy: drm.waitCsOut.decode(bytes).status };
  }

  /**
   * One WRITE_DATA of `value` to GPU address `va`, in an IB on COMPUTE ring 0 through CS, waited for
   * with WAIT_CS: the errno and status of the wait.
   */
  writeThroughCs(va: bigint, value: number): { errno: string; busy: bigint } {
    const ib = this.gem(4096);
    const dw = new Pm4Builder(this.family).writeData(va, [value]).dwords;
    ib.cpu.bytes.set(new Uint8Array(dw.buffer, dw.byteOffset, dw.byteLength));
    const ctx = this.ctx();
    const c = this.cs(ctx, [ibChunk(ib.va, dw.length, drm.AMDGPU_HW_IP.COMPUTE)]);
    return this.waitCs(ctx, drm.AMDGPU_HW_IP.COMPUTE, c.seq, absTimeout(5000));
  }

  syncobj(signaled = false): number {
    return this.call(drm.DRM_IOC.SYNCOBJ_CREATE, { handle: 0, flags: signaled ? drm.DRM_SYNCOBJ_CREATE_SIGNALED : 0 }).handle;
  }

  async shutdown(): Promise<void> {
    await this.host.shutdown();
  }
}

export function ibChunk(va: bigint, dwords: number, ip: number, ring = 0, flags = 0): ChunkSpec {
  return { id: drm.AMDGPU_CHUNK_ID.IB, data: drm.csChunkIb.encode({ _pad: 0, flags, va_start: va, ib_bytes: dwords * 4, ip_type: ip, ip_instance: 0, ring }) };
}

export function semChunk(id: number, handles: readonly number[]): ChunkSpec {
  const b = new Uint8Array(4 * handles.length);
  handles.forEach((h, i) => new DataView(b.buffer).setUint32(i * 4, h, true));
  return { id, data: b };
}

export function syncobjChunk(id: number, list: readonly { handle: number; point: bigint; flags?: number }[]): ChunkSpec {
  const size = drm.csChunkSyncobj.size;
  const b = new Uint8Array(size * list.length);
  list.forEach((s, i) => drm.csChunkSyncobj.encode({ handle: s.handle, flags: s.flags ?? 0, point: s.point }, b, i * size));
  return { id, data: b };
}

export function depChunk(deps: readonly { ctx: number; ip: number; seq: bigint }[]): ChunkSpec {
  const size = drm.csChunkDep.size;
  const b = new Uint8Array(size * deps.length);
  deps.forEach((x, i) => drm.csChunkDep.encode({ ip_type: x.ip, ip_instance: 0, ring: 0, ctx_id: x.ctx, handle: x.seq }, b, i * size));
  return { id: drm.AMDGPU_CHUNK_ID.DEPENDENCIES, data: b };
}

export async function withDrm(spec: string, f: (d: RawDrm) => void | Promise<void>): Promise<void> {
  const d = new RawDrm(spec);
  try {
    await f(d);
  } finally {
    await d.shutdown();
  }
}
