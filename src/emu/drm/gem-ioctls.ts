// GEM objects on the render node (drivers/gpu/drm/amd/amdgpu/amdgpu_gem.c, drm_gem.c): create, mmap
// offset, close, userptr, metadata, GEM_OP and WAIT_IDLE, with the kernel's checks and errnos.
import * as drm from '../../uapi/drm.js';
import { OsError } from '../../os/errors.js';
import type { Backing } from '../process/backing.js';
import { fail } from '../kfd/errors.js';
import { amdgpuDeadline, type DrmState } from './kernel.js';
import { fenceSignaled, type DrmFile, type GemObject, type GemPlacement } from './state.js';
import { removeMappingsOf } from './vm-ioctls.js';

const C = drm.AMDGPU_GEM_CREATE;
const D = drm.AMDGPU_GEM_DOMAIN;
const PAGE = 4096n;

/** amdgpu_gem_create_ioctl's settable flags in Linux 6.12 (later kernels add WIPE_ON_RELEASE, COHERENT …). */
const SETTABLE_FLAGS = BigInt(C.CPU_ACCESS_REQUIRED | C.NO_CPU_ACCESS | C.CPU_GTT_USWC | C.VRAM_CLEARED | C.VM_ALWAYS_VALID | C.EXPLICIT_SYNC | C.ENCRYPTED | C.GFX12_DCC | C.DISCARDABLE);

function hostMemory(d: DrmState, size: number, label: string, where: string): Backing {
  try {
    return d.k.memory.allocate(size, label);
  } catch (e) {
    if (!(e instanceof RangeError) && !(e instanceof OsError)) throw e;
    return fail('ENOMEM', where, `the emulator could not reserve ${size} bytes of host memory for ${label} (${e.message})`);
  }
}

function newObject(d: DrmState, f: DrmFile, o: { size: number; alignment: bigint; domains: number; flags: bigint; placement: GemPlacement; backing: Backing; backingOffset: number; mappable: boolean }): GemObject {
  const mmapOffset = o.mappable ? d.k.nextMmapPage : 0n;
  if (o.mappable) d.k.nextMmapPage += BigInt(o.size);
  const obj: GemObject = {
    id: d.newGemId(),
    gpu: f.gpu,
    size: o.size,
    alignment: o.alignment,
    preferredDomains: o.domains,
    flags: o.flags,
    placement: o.placement,
    backing: o.backing,
    backingOffset: o.backingOffset,
    mmapOffset,
    metadata: { flags: 0n, tilingInfo: 0n, sizeBytes: 0, data: [] },
    refs: 0,
    fences: [],
    gartVa: undefined,
    released: false,
  };
  if (o.mappable) d.gemByMmapOffset.set(mmapOffset, obj);
  return obj;
}

/** amdgpu_gem_create_ioctl → amdgpu_gem_object_create → amdgpu_bo_create. */
export function gemCreate(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_gem_create_ioctl';
  const a = drm.gemCreateIn.decode(arg);
  let flags = a.domain_flags;
  if (flags & ~SETTABLE_FLAGS) fail('EINVAL', where, `domain_flags 0x${flags.toString(16)} has bits outside the settable mask 0x${SETTABLE_FLAGS.toString(16)}`);
  if (a.domains & ~BigInt(drm.AMDGPU_GEM_DOMAIN_MASK)) fail('EINVAL', where, `domains 0x${a.domains.toString(16)} has bits outside AMDGPU_GEM_DOMAIN_MASK`);
  // amdgpu_is_tmz: the emulated GPU reports no TMZ (AMDGPU_IDS_FLAGS_TMZ clear in DEV_INFO).
  if (flags & BigInt(C.ENCRYPTED)) fail('EINVAL', where, 'AMDGPU_GEM_CREATE_ENCRYPTED needs TMZ, which the GPU does not have enabled');
  flags |= BigInt(C.VRAM_CLEARED); // "always clear VRAM"
  const domains = Number(a.domains);
  if (domains & (D.GDS | D.GWS | D.OA)) {
    if (flags & BigInt(C.VM_ALWAYS_VALID)) fail('EINVAL', where, 'a GDS/GWS/OA BO cannot be per-VM (VM_ALWAYS_VALID)');
    fail('ENOMEM', 'amdgpu_bo_create', 'GDS, GWS and OA are not emulated: the emulated GPU has none to allocate');
  }
  // The emulator refuses an empty BO; the kernel's answer depends on which TTM manager gets it.
  if (a.bo_size === 0n) fail('EINVAL', 'amdgpu_bo_create', 'bo_size is 0');
  const size = Number((a.bo_size + PAGE - 1n) & ~(PAGE - 1n));
  // A VRAM-only request that does not fit is retried with GTT added (the ioctl's retry label).
  const gpu = f.gpu;
  const placement: GemPlacement = domains & D.VRAM && gpu.vramUsed + BigInt(size) <= gpu.vramBytes ? 'vram' : 'gtt';
  const backing = hostMemory(d, size, `${placement} GEM object`, 'amdgpu_bo_create');
  if (placement === 'vram') gpu.vramUsed += BigInt(size);
  const obj = newObject(d, f, { size, alignment: a.alignment, domains, flags, placement, backing, backingOffset: 0, mappable: true });
  const handle = f.addHandle(obj);
  arg.fill(0, 0, drm.gemCreateArgs.size);
  drm.gemCreateOut.encode({ handle }, arg);
}

/** amdgpu_gem_mmap_ioctl → amdgpu_mode_dumb_mmap: the fake offset to mmap the render node at. */
export function gemMmap(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  void d;
  const where = 'amdgpu_mode_dumb_mmap';
  const { handle } = drm.gemMmapIn.decode(arg);
  arg.fill(0, 0, drm.gemMmapArgs.size);
  const obj = f.gem(handle, where);
  if (obj.placement === 'userptr') fail('EPERM', where, 'a userptr BO has no CPU mapping through the render node');
  if (obj.flags & BigInt(C.NO_CPU_ACCESS)) fail('EPERM', where, 'the BO was created with AMDGPU_GEM_CREATE_NO_CPU_ACCESS');
  drm.gemMmapOut.encode({ addr_ptr: obj.mmapOffset }, arg);
}

/**
 * drm_gem_close_ioctl → drm_gem_handle_delete (an unknown handle is EINVAL); amdgpu_gem_object_close
 * takes the BO out of this file's VM once its last handle here goes. Work in flight keeps both the
 * mappings and the memory until it finished.
 */
export function gemClose(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const { handle } = drm.drmGemCloseArgs.decode(arg);
  const obj = f.handles.get(handle);
  if (!obj) fail('EINVAL', 'drm_gem_handle_delete', `no GEM handle ${handle} in this render file`);
  f.handles.delete(handle);
  if (f.handleOf(obj) === undefined) removeMappingsOf(d, f, obj);
  d.unref(obj);
}

/** amdgpu_gem_userptr_ioctl: process memory as a GTT BO. */
export function gemUserptr(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_gem_userptr_ioctl';
  const U = drm.AMDGPU_GEM_USERPTR;
  const a = drm.gemUserptrArgs.decode(arg);
  if ((a.addr | a.size) & (PAGE - 1n)) fail('EINVAL', where, `addr 0x${a.addr.toString(16)} or size ${a.size} is not page-aligned`);
  if (a.flags & ~(U.READONLY | U.ANONONLY | U.VALIDATE | U.REGISTER)) fail('EINVAL', where, `unknown flags 0x${a.flags.toString(16)}`);
  if (!(a.flags & U.READONLY) && !(a.flags & U.REGISTER)) fail('EACCES', where, 'a writable userptr needs AMDGPU_GEM_USERPTR_REGISTER (an MMU notifier)');
  if (a.size === 0n) fail('EINVAL', 'amdgpu_bo_create', 'size is 0');
  const size = Number(a.size);
  // The pages are looked up now; the kernel does so at VALIDATE or at the first CS, failing with EFAULT too.
  const r = d.k.addressSpace.resolve(a.addr, size);
  if (!r) fail('EFAULT', 'amdgpu_ttm_tt_get_user_pages', `user range 0x${a.addr.toString(16)} (+${size}) is not mapped memory of this process`);
  const obj = newObject(d, f, { size, alignment: 0n, domains: drm.AMDGPU_GEM_DOMAIN.GTT, flags: 0n, placement: 'userptr', backing: r.backing, backingOffset: r.offset, mappable: false });
  drm.gemUserptrArgs.encode({ ...a, handle: f.addHandle(obj) }, arg);
}

/** amdgpu_gem_metadata_ioctl: tiling flags and up to 256 bytes of UMD metadata kept with the BO. */
export function gemMetadata(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  void d;
  const where = 'amdgpu_gem_metadata_ioctl';
  const a = drm.gemMetadataArgs.decode(arg);
  const obj = f.gem(a.handle, where);
  const OP = drm.AMDGPU_GEM_METADATA_OP;
  const maxBytes = 4 * a.data.data.length;
  if (a.op === OP.SET_METADATA) {
    if (a.data.data_size_bytes > maxBytes) fail('EINVAL', where, `data_size_bytes ${a.data.data_size_bytes} > ${maxBytes}`);
    obj.metadata = { flags: a.data.flags, tilingInfo: a.data.tiling_info, sizeBytes: a.data.data_size_bytes, data: a.data.data.slice(0, Math.ceil(a.data.data_size_bytes / 4)) };
  } else if (a.op === OP.GET_METADATA) {
    const data = [...obj.metadata.data, ...new Array<number>(a.data.data.length - obj.metadata.data.length).fill(0)];
    drm.gemMetadataArgs.encode({ ...a, data: { flags: obj.metadata.flags, tiling_info: obj.metadata.tilingInfo, data_size_bytes: obj.metadata.sizeBytes, data } }, arg);
  }
  // Any other op falls through both branches and returns the reservation's 0: a no-op success.
}

/** amdgpu_gem_op_ioctl: GET_GEM_CREATE_INFO copies the creation parameters out; SET_PLACEMENT. */
export function gemOp(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_gem_op_ioctl';
  const a = drm.gemOpArgs.decode(arg);
  const obj = f.gem(a.handle, where);
  const OP = drm.AMDGPU_GEM_OP;
  switch (a.op) {
    case OP.GET_GEM_CREATE_INFO: {
      const info = drm.gemCreateIn.encode({ bo_size: BigInt(obj.size), alignment: (obj.alignment + PAGE - 1n) & ~(PAGE - 1n), domains: BigInt(obj.preferredDomains), domain_flags: obj.flags });
      d.k.user.write(a.value, info, where);
      return;
    }
    case OP.SET_PLACEMENT:
      if (obj.placement === 'userptr') fail('EPERM', where, 'a userptr BO cannot change placement');
      obj.preferredDomains = Number(a.value & BigInt(D.VRAM | D.GTT | D.CPU));
      return;
  }
  fail('EINVAL', where, `unknown op ${a.op}`);
}

/** amdgpu_gem_wait_idle_ioctl: waits for every fence of the BO's reservation; status 1 = still busy. */
export function gemWaitIdle(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const a = drm.gemWaitIdleIn.decode(arg);
  const obj = f.gem(a.handle, 'amdgpu_gem_wait_idle_ioctl');
  const idle = d.waitFences(obj.fences, amdgpuDeadline(a.timeout));
  obj.fences = obj.fences.filter((x) => !fenceSignaled(x));
  arg.fill(0, 0, drm.gemWaitIdleArgs.size);
  drm.gemWaitIdleOut.encode({ status: idle ? 0 : 1, domain: 0 }, arg);
}
