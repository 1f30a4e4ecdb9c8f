// What the render node says about itself: the DRM driver version and the amdgpu INFO queries for
// device facts and memory heaps. Pointer arguments point into IoctlScratch, process memory whose
// address both the real kernel and the emulator can write through.
import type { Host } from '../os/host.js';
import type { StructValue, FieldSpec, StructLayout } from '../uapi/codec.js';
import * as drm from '../uapi/drm.js';
import { IoctlScratch } from './scratch.js';

export interface DrmVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly name: string;
  readonly date: string;
  readonly desc: string;
}

export interface Heap {
  readonly total: bigint;
  /** Total minus what the kernel has pinned or reserved. */
  readonly usable: bigint;
  readonly used: bigint;
  /** The largest single allocation the kernel advises (3/4 of usable). */
  readonly maxAllocation: bigint;
}

export interface AmdgpuMemoryInfo {
  readonly vram: Heap;
  readonly cpuVisibleVram: Heap;
  readonly gtt: Heap;
}

export type AmdgpuDeviceInfo = StructValue<typeof drm.infoDevice extends StructLayout<infer F> ? F : never>;

/** Runs `use` with the caller's scratch, or with a temporary one released afterwards. */
function withScratch<T>(host: Host, scratch: IoctlScratch | undefined, use: (s: IoctlScratch) => T): T {
  if (scratch) return use(scratch);
  const own = new IoctlScratch(host, 4096);
  try {
    return use(own);
  } finally {
    own.release();
  }
}

/**
 * DRM_IOCTL_VERSION, in the two calls drmGetVersion makes: the first with no buffers learns the
 * string lengths, the second passes buffers of those lengths (the kernel writes no terminating NUL).
 */
export function drmVersion(host: Host, renderFd: number, scratch?: IoctlScratch): DrmVersion {
  const def = drm.DRM_IOC.VERSION;
  const sizes = drm.drmVersionArgs.encode({});
  host.ioctl(renderFd, def.request, sizes, def.name);
  const lens = drm.drmVersionArgs.decode(sizes);
  const nameLen = Number(lens.name_len);
  const dateLen = Number(lens.date_len);
  const descLen = Number(lens.desc_len);
  return withScratch(host, scratch, (s) => {
    const region = s.region(nameLen + dateLen + descLen);
    const at = (offset: number): bigint => region.address + BigInt(offset);
    const arg = drm.drmVersionArgs.encode({
      name_len: BigInt(nameLen),
      name: at(0),
      date_len: BigInt(dateLen),
      date: at(nameLen),
      desc_len: BigInt(descLen),
      desc: at(nameLen + dateLen),
    });
    host.ioctl(renderFd, def.request, arg, def.name);
    const v = drm.drmVersionArgs.decode(arg);
    const text = (from: number, len: number): string => new TextDecoder().decode(region.bytes.subarray(from, from + len));
    return {
      major: v.version_major,
      minor: v.version_minor,
      patch: v.version_patchlevel,
      name: text(0, Math.min(nameLen, Number(v.name_len))),
      date: text(nameLen, Math.min(dateLen, Number(v.date_len))),
      desc: text(nameLen + dateLen, Math.min(descLen, Number(v.desc_len))),
    };
  });
}

/**
 * One DRM_IOCTL_AMDGPU_INFO query whose answer is `layout`: the kernel copies min(return_size,
 * its struct size) bytes, so fields an older kernel does not know stay zero.
 */
function infoQuery<F extends readonly FieldSpec[]>(host: Host, renderFd: number, scratch: IoctlScratch | undefined, query: number, layout: StructLayout<F>, words?: readonly number[]): StructValue<F> {
  return withScratch(host, scratch, (s) => {
    const region = s.region(layout.size);
    const arg = drm.amdgpuInfoRequest({ query, returnPointer: region.address, returnSize: layout.size, ...(words ? { words } : {}) });
    host.ioctl(renderFd, drm.DRM_IOC.AMDGPU_INFO.request, arg, drm.DRM_IOC.AMDGPU_INFO.name);
    return layout.decode(region.bytes);
  });
}

export function amdgpuDeviceInfo(host: Host, renderFd: number, scratch?: IoctlScratch): AmdgpuDeviceInfo {
  return infoQuery(host, renderFd, scratch, drm.AMDGPU_INFO.DEV_INFO, drm.infoDevice);
}

export function amdgpuMemoryInfo(host: Host, renderFd: number, scratch?: IoctlScratch): AmdgpuMemoryInfo {
  const m = infoQuery(host, renderFd, scratch, drm.AMDGPU_INFO.MEMORY, drm.memoryInfo);
  const heap = (h: typeof m.vram): Heap => ({ total: h.total_heap_size, usable: h.usable_heap_size, used: h.heap_usage, maxAllocation: h.max_allocation });
  return { vram: heap(m.vram), cpuVisibleVram: heap(m.cpu_accessible_vram), gtt: heap(m.gtt) };
}

/** AMDGPU_INFO_FW_VERSION for one firmware (AMDGPU_INFO_FW_*). */
export function amdgpuFirmwareVersion(host: Host, renderFd: number, fwType: number, index = 0, scratch?: IoctlScratch): { ver: number; feature: number } {
  return infoQuery(host, renderFd, scratch, drm.AMDGPU_INFO.FW_VERSION, drm.infoFirmware, [fwType, 0, index]);
}
