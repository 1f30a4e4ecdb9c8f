// What an mmap of /dev/kfd maps (kfd_mmap): the offset's type bits choose the doorbell slice of a GPU,
// the process's event page or a GPU's MMIO remap page; each must be mapped whole.
import * as kfd from '../../uapi/kfd.js';
import { PAGE } from '../process/address-space.js';
import type { MmapTarget } from '../process/backing.js';
import { DOORBELL_SLICE_BYTES, type EmuGpu } from '../gpu.js';
import type { KfdState } from './state.js';

export function kfdMmapTarget(state: KfdState, gpus: readonly EmuGpu[], offset: bigint, len: number): MmapTarget {
  const type = offset & (3n << kfd.KFD_MMAP.TYPE_SHIFT);
  const gpuId = Number((offset & kfd.KFD_MMAP.GPU_ID_MASK) >> kfd.KFD_MMAP.GPU_ID_SHIFT);
  const gpu = gpus.find((g) => g.gpuId === gpuId);
  if (type === kfd.KFD_MMAP.TYPE_DOORBELL) {
    if (!gpu) return { errno: 'EINVAL', why: `doorbell mmap for unknown gpu_id ${gpuId}` };
    if (len !== DOORBELL_SLICE_BYTES) return { errno: 'EINVAL', why: `doorbell mmap must be the process slice of ${DOORBELL_SLICE_BYTES} bytes (kfd_doorbell_mmap)` };
    return { backing: gpu.doorbells, backingOffset: 0, label: 'doorbells' };
  }
  if (type === kfd.KFD_MMAP.TYPE_EVENTS) {
    const page = state.eventPage;
    if (!page) return { errno: 'EINVAL', why: 'no event page (kfd_event_mmap)' };
    if (len !== kfd.KFD_EVENT_PAGE_BYTES) return { errno: 'EINVAL', why: `event page mmap must be ${kfd.KFD_EVENT_PAGE_BYTES} bytes` };
    return { backing: page.backing, backingOffset: page.backingOffset, label: 'event page' };
  }
  if (type === kfd.KFD_MMAP.TYPE_MMIO) {
    if (!gpu) return { errno: 'EINVAL', why: `MMIO mmap for unknown gpu_id ${gpuId}` };
    if (len !== Number(PAGE)) return { errno: 'EINVAL', why: 'MMIO remap mmap must be one page (kfd_mmio_mmap)' };
    const bo = [...state.bos.values()].find((b) => b.kind === 'mmio-remap' && b.gpu === gpu);
    if (!bo) return { errno: 'EINVAL', why: 'no MMIO_REMAP buffer object allocated for this GPU' };
    return { backing: bo.backing, backingOffset: 0, label: 'mmio remap' };
  }
  return { errno: 'EINVAL', why: `mmap offset 0x${offset.toString(16)} is not a KFD mmap type (kfd_mmap)` };
}

/**
 * What an mmap of a render node maps: a GEM object's fake offset (the DRM side), or a KFD buffer object
 * exported through this node's file offsets (drm_vma_offset_lookup), mapped at most whole.
 */
export function renderBoMmapTarget(state: KfdState, gpu: EmuGpu, offset: bigint, len: number): MmapTarget {
  const bo = state.boByMmapOffset.get(offset);
  if (!bo) return { errno: 'EINVAL', why: `no buffer object at mmap offset 0x${offset.toString(16)} (drm_vma_offset_lookup)` };
  if (bo.gpu !== gpu && !bo.mappedOn.has(gpu)) return { errno: 'EACCES', why: 'the buffer object belongs to another render node' };
  if (len > bo.size) return { errno: 'EINVAL', why: `mapping ${len} bytes of a ${bo.size}-byte buffer object` };
  // VRAM without KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC may still be mapped: amdgpu_amdkfd_gpuvm_alloc_memory_of_gpu
  // sets AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED for PUBLIC and nothing otherwise (never NO_CPU_ACCESS), and
  // libhsakmt maps such BOs PROT_NONE to reserve their address (fmm.c).
  return { backing: bo.backing, backingOffset: bo.backingOffset, label: `${bo.kind} BO` };
}
