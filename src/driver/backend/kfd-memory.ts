// KFD memory (amdgpu_amdkfd_gpuvm.c expects this order): reserve VA in the process, ALLOC_MEMORY_OF_GPU
// at it, mmap the BO over the reservation through the render node, MAP_MEMORY_TO_GPU.
import { MAP_ANONYMOUS, MAP_FIXED, MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED, PAGE_SIZE, PROT_NONE, PROT_READ, PROT_WRITE, type Host } from '../../os/host.js';
import { KFD_IOC, KFD_IOC_ALLOC_MEM_FLAGS as F } from '../../uapi/kfd.js';
import { OsError } from '../../os/errors.js';
import { DriverError } from '../errors.js';
import { ioctl } from '../ioctl.js';
import type { IoctlScratch } from '../scratch.js';
import type { AllocRequest, Allocation } from './backend.js';

/** The process's /dev/kfd as the memory calls need it. */
export interface KfdFile {
  readonly host: Host;
  readonly fd: number;
  readonly scratch: IoctlScratch;
}

/** The GPU an allocation is made on. */
export interface KfdGpu {
  readonly name: string;
  readonly gpuId: number;
  readonly renderFd: number;
}

export function allocFlags(r: Pick<AllocRequest, 'domain' | 'hostVisible' | 'uncached' | 'executable' | 'readOnly'>): number {
  let f = F.NO_SUBSTITUTE;
  if (!r.readOnly) f |= F.WRITABLE;
  if (r.executable) f |= F.EXECUTABLE;
  if (r.domain === 'vram') {
    f |= F.VRAM;
    if (r.hostVisible) f |= F.PUBLIC;
  } else if (r.domain === 'gtt') {
    f |= F.GTT;
    if (r.uncached) f |= F.UNCACHED | F.COHERENT;
  } else {
    f |= F.USERPTR;
    if (r.uncached) f |= F.UNCACHED | F.COHERENT;
  }
  return f >>> 0;
}

export function kfdAlloc(kfd: KfdFile, gpu: KfdGpu, r: AllocRequest): Allocation {
  const host = kfd.host;
  const flags = allocFlags(r);
  const len = r.bytes;
  // A guarded buffer reserves a guard page on each side of its BO; nothing is ever mapped there.
  const reservedBytes = r.guardPages ? len + 2 * PAGE_SIZE : len;
  let reservedVa: bigint;
  let va: bigint;
  let userAddr = 0n;
  let cpu: Uint8Array | undefined;
  if (r.domain === 'userptr') {
    const m = host.mmap(0n, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
    va = reservedVa = m.address;
    userAddr = m.address;
    cpu = m.bytes;
  } else {
    reservedVa = host.mmap(0n, reservedBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0n).address;
    va = r.guardPages ? reservedVa + BigInt(PAGE_SIZE) : reservedVa;
  }
  let handle: bigint | undefined;
  try {
    const out = ioctl(host, kfd.fd, KFD_IOC.ALLOC_MEMORY_OF_GPU, { va_addr: va, size: BigInt(len), gpu_id: gpu.gpuId, flags, mmap_offset: userAddr });
    handle = out.handle;
    if (r.domain !== 'userptr' && r.hostVisible) cpu = host.mmap(va, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, gpu.renderFd, out.mmap_offset).bytes;
  } catch (e) {
    host.munmap(reservedVa, reservedBytes);
    if (handle !== undefined) ioctl(host, kfd.fd, KFD_IOC.FREE_MEMORY_OF_GPU, { handle });
    // The kernel's error names only the call; say which GPU could not get what.
    const what = `${handle === undefined ? 'allocate' : 'map for the CPU'} ${len} bytes of ${r.domain}${r.hostVisible ? ' (host-visible)' : ''} memory`;
    if (e instanceof OsError) throw new DriverError(gpu.name, `cannot ${what}: ${e.code} (${e.message})`, { cause: e });
    throw e;
  }
  return { handle, va, size: len, bytes: cpu?.subarray(0, len), reservation: { va: reservedVa, bytes: reservedBytes }, flags };
}

/**
 * AMDKFD_IOC_IMPORT_DMABUF: another driver's dma-buf (a render-node GEM object) as a KFD BO at a VA
 * reserved in the process like kfdAlloc's, with the CPU view through the dma-buf's own mmap
 * (amdgpu_amdkfd_gpuvm_import_dmabuf_fd keeps a reference to the object until the BO is freed).
 */
export function kfdImportDmabuf(kfd: KfdFile, gpu: KfdGpu, fd: number, bytes: number, hostVisible: boolean): Allocation {
  const host = kfd.host;
  const len = Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
  const va = host.mmap(0n, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0n).address;
  let handle: bigint | undefined;
  let cpu: Uint8Array | undefined;
  try {
    handle = ioctl(host, kfd.fd, KFD_IOC.IMPORT_DMABUF, { va_addr: va, handle: 0n, gpu_id: gpu.gpuId, dmabuf_fd: fd }).handle;
    if (hostVisible) cpu = host.mmap(va, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0n).bytes;
  } catch (e) {
    host.munmap(va, len);
    if (handle !== undefined) ioctl(host, kfd.fd, KFD_IOC.FREE_MEMORY_OF_GPU, { handle });
    if (e instanceof OsError) throw new DriverError(gpu.name, `cannot import dma-buf fd ${fd} (${len} bytes): ${e.code} (${e.message})`, { cause: e });
    throw e;
  }
  return { handle, va, size: len, bytes: cpu?.subarray(0, len), reservation: { va, bytes: len }, flags: 0 };
}

export function kfdMap(kfd: KfdFile, a: Allocation, gpuIds: readonly number[]): number {
  return ioctl(kfd.host, kfd.fd, KFD_IOC.MAP_MEMORY_TO_GPU, { handle: a.handle, device_ids_array_ptr: kfd.scratch.u32Array(gpuIds), n_devices: gpuIds.length, n_success: 0 }).n_success;
}

export function kfdUnmap(kfd: KfdFile, a: Allocation, gpuIds: readonly number[]): void {
  ioctl(kfd.host, kfd.fd, KFD_IOC.UNMAP_MEMORY_FROM_GPU, { handle: a.handle, device_ids_array_ptr: kfd.scratch.u32Array(gpuIds), n_devices: gpuIds.length, n_success: 0 });
}

/** Drops the CPU mapping and VA reservation, then frees the BO. */
export function kfdFree(kfd: KfdFile, a: Allocation): void {
  kfd.host.munmap(a.reservation.va, a.reservation.bytes);
  ioctl(kfd.host, kfd.fd, KFD_IOC.FREE_MEMORY_OF_GPU, { handle: a.handle });
}

/**
 * Lets go of memory the kernel owns from now on (the KFD event page: FREE_MEMORY_OF_GPU refuses it
 * with EPERM and kfd_process_destroy frees it when /dev/kfd closes): drops the CPU mapping only.
 */
export function kfdRelease(kfd: KfdFile, a: Allocation): void {
  kfd.host.munmap(a.reservation.va, a.reservation.bytes);
}
