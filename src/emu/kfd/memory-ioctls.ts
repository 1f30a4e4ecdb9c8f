// KFD memory ioctls: allocate, free, map and unmap buffer objects in the GPUs' VMs
// (kfd_chardev.c, amdgpu_amdkfd_gpuvm.c).
import * as kfd from '../../uapi/kfd.js';
import type { Backing } from '../process/backing.js';
import { OsError } from '../../os/errors.js';
import { fail } from './errors.js';
import { gpuById, type Bo, type BoKind, type KfdState } from './state.js';
import { readU32Array } from './user-memory.js';
import { requireBoundGpu, requireGpu, SVM_USER_BASE, GPUVM_LIMIT } from './misc-ioctls.js';
import { DOORBELL_SLICE_BYTES, type EmuGpu } from '../gpu.js';

const F = kfd.KFD_IOC_ALLOC_MEM_FLAGS;
const PAGE = 4096;
const PAGE_N = 4096n;


/**
 * Host memory for a buffer object. The emulator keeps GPU memory in host shared memory; when the host
 * cannot reserve that much, the allocation fails as the kernel's does when memory runs out (ENOMEM)
 * instead of surfacing a JavaScript RangeError.
 */
function hostBacking(k: KfdState, size: number, label: string): Backing {
  try {
    return k.memory.allocate(size, label);
  } catch (e) {
    if (!(e instanceof RangeError) && !(e instanceof OsError)) throw e;
    return fail('ENOMEM', 'amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu', `the emulator could not reserve ${size} bytes of host memory to back ${label} (${e.message})`);
  }
}

export function makeHandle(gpuId: number, id: number): bigint {
  return (BigInt(gpuId) << 32n) | BigInt(id);
}

/** First mmap offset DRM hands out for GEM objects (drm_gem.c DRM_FILE_PAGE_OFFSET_START, in bytes). */
export const DRM_FILE_OFFSET_START = 0x100000000n;

/**
 * amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu picks the domain by precedence, not by exclusivity: VRAM wins
 * over GTT, GTT over USERPTR, USERPTR over DOORBELL/MMIO_REMAP; no domain flag at all → -EINVAL.
 */
function kindOf(flags: number, where: string): Exclude<BoKind, 'dmabuf'> {
  if (flags & F.VRAM) return 'vram';
  if (flags & F.GTT) return 'gtt';
  if (flags & F.USERPTR) return 'userptr';
  if (flags & F.DOORBELL) return 'doorbell';
  if (flags & F.MMIO_REMAP) return 'mmio-remap';
  return fail('EINVAL', where, `flags 0x${(flags >>> 0).toString(16)} name no memory type (VRAM, GTT, USERPTR, DOORBELL or MMIO_REMAP)`);
}

export function systemMemoryLimit(k: KfdState, systemBytes: bigint): bigint {
  void k;
  return systemBytes - systemBytes / 16n;
}

export function allocMemoryOfGpu(k: KfdState, arg: Uint8Array, systemBytes: bigint): void {
  const where = 'kfd_ioctl_alloc_memory_of_gpu';
  const a = kfd.allocMemoryOfGpuArgs.decode(arg);
  if (a.size === 0n) fail('EINVAL', where, 'size is 0');
  const g = requireBoundGpu(k, a.gpu_id, where, 'ENODEV');
  // kfd_ioctl_alloc_memory_of_gpu checks the doorbell and MMIO sizes whatever else the flags say.
  if (a.flags & F.DOORBELL) {
    if (a.size !== BigInt(DOORBELL_SLICE_BYTES)) fail('EINVAL', where, `a doorbell BO must be exactly the process doorbell slice (${DOORBELL_SLICE_BYTES} bytes), not ${a.size}`);
  } else if (a.flags & F.MMIO_REMAP) {
    if (a.size !== BigInt(PAGE)) fail('EINVAL', where, `an MMIO_REMAP BO must be one page, not ${a.size} bytes`);
  }
  const kind = kindOf(a.flags, 'amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu');
  const size = Number((a.size + PAGE_N - 1n) & ~(PAGE_N - 1n));
  let backing: Backing;
  let backingOffset = 0;
  let mmapOffset = 0n;
  const gpuBits = BigInt(g.gpuId) << kfd.KFD_MMAP.GPU_ID_SHIFT;
  switch (kind) {
    case 'vram':
      if (g.vramUsed + BigInt(size) > g.vramBytes) fail('ENOMEM', 'amdgpu_amdkfd_reserve_mem_limit', `VRAM of gpu_id ${g.gpuId} exhausted: ${g.vramUsed} of ${g.vramBytes} bytes in use, ${size} more requested`);
      backing = hostBacking(k, size, `vram@0x${a.va_addr.toString(16)}`);
      g.vramUsed += BigInt(size);
      break;
    case 'gtt': {
      const used = [...k.bos.values()].filter((b) => b.kind === 'gtt').reduce((s, b) => s + BigInt(b.size), 0n);
      if (used + BigInt(size) > systemMemoryLimit(k, systemBytes)) fail('ENOMEM', 'amdgpu_amdkfd_reserve_mem_limit', `system memory limit reached: ${used} bytes of GTT in use, ${size} more requested`);
      backing = hostBacking(k, size, `gtt@0x${a.va_addr.toString(16)}`);
      break;
    }
    case 'userptr': {
      const userAddr = a.mmap_offset;
      if (userAddr === 0n) fail('EINVAL', 'amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu', 'USERPTR allocation with user address (mmap_offset) 0');
      if (userAddr % PAGE_N !== 0n || a.size % PAGE_N !== 0n) fail('EINVAL', 'amdgpu_ttm_tt_set_userptr', `user pointer 0x${userAddr.toString(16)} (+${a.size}) is not page-aligned`);
      const r = k.addressSpace.resolve(userAddr, size);
      if (!r) fail('EFAULT', 'amdgpu_ttm_tt_get_user_pages', `user range 0x${userAddr.toString(16)} (+${size}) is not mapped memory of this process`);
      backing = r.backing;
      backingOffset = r.offset;
      break;
    }
    case 'doorbell':
      backing = g.doorbells;
      mmapOffset = kfd.KFD_MMAP.TYPE_DOORBELL | gpuBits;
      break;
    case 'mmio-remap':
      backing = hostBacking(k, PAGE, 'mmio-remap');
      mmapOffset = kfd.KFD_MMAP.TYPE_MMIO | gpuBits;
      break;
  }
  const id = k.nextBoId++;
  const handle = makeHandle(g.gpuId, id);
  if (kind === 'vram' || kind === 'gtt') {
    mmapOffset = k.nextMmapPage;
    k.nextMmapPage += BigInt(size);
  }
  const bo: Bo = { handle, gpu: g, kind, size, flags: a.flags, va: a.va_addr, backing, backingOffset, mmapOffset, mappedOn: new Set() };
  k.bos.set(handle, bo);
  if (kind === 'vram' || kind === 'gtt') k.boByMmapOffset.set(mmapOffset, bo);
  kfd.allocMemoryOfGpuArgs.encode({ ...a, handle, mmap_offset: kind === 'userptr' ? a.mmap_offset : mmapOffset }, arg);
}

/**
 * A handle is gpu_id << 32 | idr id. kfd_process_device_data_by_id(GET_GPU_ID(handle)) fails with
 * -EINVAL; a valid GPU whose idr lacks the id fails with `missing` (-EINVAL for free and the event page,
 * -ENOMEM for map and unmap).
 */
export function lookupBo(k: KfdState, handle: bigint, where: string, missing: 'EINVAL' | 'ENOMEM' = 'EINVAL'): Bo {
  const gpuId = Number(handle >> 32n);
  if (!gpuById(k, gpuId)) fail('EINVAL', where, `handle 0x${handle.toString(16)} names no GPU (gpu_id ${gpuId})`);
  const bo = k.bos.get(handle);
  if (!bo) fail(missing, where, `no buffer object with handle 0x${handle.toString(16)} (kfd_process_device_translate_handle)`);
  return bo;
}

export function freeMemoryOfGpu(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_free_memory_of_gpu';
  const a = kfd.freeMemoryOfGpuArgs.decode(arg);
  if (k.eventPage?.bo?.handle === a.handle) fail('EPERM', where, 'the event page BO cannot be freed; KFD frees it at process termination');
  const bo = lookupBo(k, a.handle, where);
  if (bo.mappedOn.size > 0) fail('EBUSY', 'amdgpu_amdkfd_gpuvm_free_memory_of_gpu', `BO at VA 0x${bo.va.toString(16)} is still mapped on ${bo.mappedOn.size} GPU(s); unmap it first`);
  for (const q of k.queues.values()) {
    if (q.buffers.includes(bo)) fail('EBUSY', where, `BO at VA 0x${bo.va.toString(16)} is in use by queue ${q.id}; destroy the queue first`);
  }
  k.bos.delete(bo.handle);
  k.boByMmapOffset.delete(bo.mmapOffset);
  const free = (): void => {
    if (bo.kind === 'vram') bo.gpu.vramUsed -= BigInt(bo.size);
    releaseBacking(k, bo);
  };
  // The dma-buf keeps the memory (the BO's GEM reference) until its last holder lets go.
  if (bo.exported?.alive()) bo.exported.onRelease(free);
  else free();
}

/**
 * kfd_ioctl_export_dmabuf: a handle whose GPU or BO does not exist → EINVAL; amdgpu_gem_prime_export
 * refuses userptr memory (EPERM). The BO has one dma-buf (kfd_mem_export_dmabuf caches it); each call
 * hands out a new fd to it.
 */
export function exportDmabuf(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_export_dmabuf';
  const a = kfd.exportDmabufArgs.decode(arg);
  if (!gpuById(k, Number(a.handle >> 32n))) fail('EINVAL', where, `handle 0x${a.handle.toString(16)} names no GPU`);
  const bo = k.bos.get(a.handle);
  if (!bo) fail('EINVAL', 'kfd_process_device_translate_handle', `no buffer object with handle 0x${a.handle.toString(16)}`);
  if (bo.kind === 'userptr') fail('EPERM', 'amdgpu_gem_prime_export', 'userptr memory cannot be exported');
  if (bo.kind !== 'vram' && bo.kind !== 'gtt' && bo.kind !== 'dmabuf') fail('EINVAL', where, `a ${bo.kind} BO has no GEM object to export in the emulator`);
  bo.exported ??= k.exportDmabuf(bo);
  kfd.exportDmabufArgs.encode({ ...a, dmabuf_fd: bo.exported.fd() }, arg);
}

/** Drops the kernel's hold on a freed BO's memory: the engines forget it, and memory the BO owned is retired. */
export function releaseBacking(k: KfdState, bo: Bo): void {
  // An imported dma-buf's memory belongs to its GEM object, which the engines may still use through it.
  if (bo.release) return bo.release();
  for (const g of k.gpus) g.unshare(bo.backing);
  if (bo.kind === 'vram' || bo.kind === 'gtt' || bo.kind === 'mmio-remap') k.memory.retire(bo.backing);
}

function deviceIds(k: KfdState, ptr: bigint, n: number, where: string): number[] {
  return readU32Array(k.user, ptr, n, where);
}

function mappedRange(bo: Bo): [bigint, bigint] {
  return [bo.va, bo.va + BigInt(bo.size)];
}

function checkVa(k: KfdState, bo: Bo, g: EmuGpu, where: string): void {
  const [start, end] = mappedRange(bo);
  if (start % PAGE_N !== 0n) fail('EINVAL', 'amdgpu_vm_bo_map', `VA 0x${start.toString(16)} is not page-aligned`);
  if (start < SVM_USER_BASE || end - 1n > GPUVM_LIMIT) fail('EINVAL', 'amdgpu_vm_bo_map', `VA range 0x${start.toString(16)}-0x${end.toString(16)} is outside the GPUVM aperture`);
  for (const other of k.bos.values()) {
    if (other === bo || !other.mappedOn.has(g)) continue;
    const [s, e] = mappedRange(other);
    if (s < end && start < e) fail('EINVAL', 'amdgpu_vm_bo_map', `VA 0x${start.toString(16)}-0x${end.toString(16)} overlaps the BO at 0x${s.toString(16)}-0x${e.toString(16)} on gpu_id ${g.gpuId} (${where})`);
  }
  // The render files' GEM_VA mappings share the GPU's VM (ACQUIRE_VM adopts the render file's VM).
  for (const [s, e] of k.renderMappings(g)) {
    if (s < end && start < e) fail('EINVAL', 'amdgpu_vm_bo_map', `VA 0x${start.toString(16)}-0x${end.toString(16)} overlaps a render-node GEM mapping at 0x${s.toString(16)}-0x${e.toString(16)} on gpu_id ${g.gpuId} (${where})`);
  }
}

export function mapMemoryToGpu(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_map_memory_to_gpu';
  const a = kfd.mapMemoryToGpuArgs.decode(arg);
  if (a.n_devices === 0) fail('EINVAL', where, 'n_devices is 0');
  if (a.n_success > a.n_devices) fail('EINVAL', where, `n_success ${a.n_success} > n_devices ${a.n_devices}`);
  const ids = deviceIds(k, a.device_ids_array_ptr, a.n_devices, where);
  requireBoundGpu(k, Number(a.handle >> 32n), where, 'ENODEV');
  const bo = lookupBo(k, a.handle, where, 'ENOMEM');
  // Devices are mapped one by one; n_success counts the ones done and reaches the caller even when a
  // later device fails (kfd_ioctl copies the arguments back on error).
  for (let i = a.n_success; i < ids.length; i++) {
    const g = requireBoundGpu(k, ids[i]!, where, 'ENODEV');
    if (!bo.mappedOn.has(g)) {
      checkVa(k, bo, g, where);
      g.share(bo.backing);
      g.link.call({ op: 'map', start: bo.va, size: bo.size, backingId: bo.backing.id, offset: bo.backingOffset, writable: (bo.flags & F.WRITABLE) !== 0, executable: (bo.flags & F.EXECUTABLE) !== 0, label: `${bo.kind} BO 0x${bo.handle.toString(16)}` });
      bo.mappedOn.add(g);
    }
    kfd.mapMemoryToGpuArgs.encode({ ...a, n_success: i + 1 }, arg);
  }
}

export function unmapMemoryFromGpu(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_unmap_memory_from_gpu';
  const a = kfd.unmapMemoryFromGpuArgs.decode(arg);
  if (a.n_devices === 0) fail('EINVAL', where, 'n_devices is 0');
  if (a.n_success > a.n_devices) fail('EINVAL', where, `n_success ${a.n_success} > n_devices ${a.n_devices}`);
  const ids = deviceIds(k, a.device_ids_array_ptr, a.n_devices, where);
  const bo = lookupBo(k, a.handle, where, 'ENOMEM');
  for (let i = a.n_success; i < ids.length; i++) {
    const g = requireGpu(k, ids[i]!, where);
    if (!bo.mappedOn.has(g)) fail('EINVAL', 'amdgpu_amdkfd_gpuvm_unmap_memory_from_gpu', `BO at VA 0x${bo.va.toString(16)} is not mapped on gpu_id ${g.gpuId}`);
    // unmap_bo_from_gpuvm (KFD ≥ 1.17): a BO a user queue holds (kfd_queue_acquire_buffers) stays mapped.
    const user = [...k.queues.values()].find((q) => q.gpu === g && q.buffers.includes(bo));
    if (user) fail('EBUSY', 'unmap_bo_from_gpuvm', `BO at VA 0x${bo.va.toString(16)} is a buffer of queue ${user.id}; destroy the queue first`);
    g.link.call({ op: 'unmap', start: bo.va });
    bo.mappedOn.delete(g);
    kfd.unmapMemoryFromGpuArgs.encode({ ...a, n_success: i + 1 }, arg);
  }
}

/**
 * kfd_ioctl_import_dmabuf → amdgpu_amdkfd_gpuvm_import_dmabuf_fd: the dma-buf (EBADF for a closed fd,
 * EINVAL for another file; an object preferring neither VRAM nor GTT is EINVAL) becomes a KFD BO at
 * va_addr, flagged VRAM or GTT as the object prefers, writable and executable.
 */
export function importDmabuf(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_import_dmabuf';
  const a = kfd.importDmabufArgs.decode(arg);
  const g = requireBoundGpu(k, a.gpu_id, where, 'ENODEV');
  const imp = k.importDmabuf(a.dmabuf_fd);
  const flags = (imp.vram ? F.VRAM : F.GTT) | F.WRITABLE | F.EXECUTABLE;
  const handle = makeHandle(g.gpuId, k.nextBoId++);
  const bo: Bo = { handle, gpu: g, kind: 'dmabuf', size: imp.size, flags, va: a.va_addr, backing: imp.backing, backingOffset: imp.backingOffset, mmapOffset: 0n, mappedOn: new Set(), release: () => imp.release() };
  k.bos.set(handle, bo);
  kfd.importDmabufArgs.encode({ ...a, handle }, arg);
}

export function availableMemory(k: KfdState, arg: Uint8Array): void {
  const a = kfd.getAvailableMemoryArgs.decode(arg);
  // kfd_lock_pdd_by_id: no kfd_bind_process_to_device, so this works before ACQUIRE_VM.
  const g = requireGpu(k, a.gpu_id, 'kfd_ioctl_get_available_memory');
  kfd.getAvailableMemoryArgs.encode({ ...a, available: g.vramBytes - g.vramUsed }, arg);
}
