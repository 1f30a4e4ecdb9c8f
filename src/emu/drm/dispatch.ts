// The render node's buffer, submission and sync ioctls: command number → handler, with drm_ioctl's
// argument copying (drivers/gpu/drm/drm_ioctl.c).
import { DRM_IOC, type DrmIoctl } from '../../uapi/drm.js';
import { IOC_READ, IOC_WRITE, iocNr, iocSize } from '../../uapi/ioc.js';
import type { DrmState } from './kernel.js';
import type { DrmFile } from './state.js';
import * as gem from './gem-ioctls.js';
import { gemVa, removeAllMappings } from './vm-ioctls.js';
import { boListIoctl, ctxIoctl } from './ctx-ioctls.js';
import { csIoctl, fenceToHandle, waitCs, waitFences } from './cs-ioctls.js';
import * as sync from './syncobj-ioctls.js';
import { primeFdToHandle, primeHandleToFd } from './prime-ioctls.js';

type Handler = (d: DrmState, f: DrmFile, arg: Uint8Array) => void;

const TABLE = new Map<number, { readonly ioctl: DrmIoctl; readonly run: Handler }>();
function on(ioctl: DrmIoctl, run: Handler): void {
  TABLE.set(ioctl.nr, { ioctl, run });
}

on(DRM_IOC.GEM_CLOSE, gem.gemClose);
on(DRM_IOC.PRIME_HANDLE_TO_FD, primeHandleToFd);
on(DRM_IOC.PRIME_FD_TO_HANDLE, primeFdToHandle);
on(DRM_IOC.SYNCOBJ_CREATE, sync.syncobjCreate);
on(DRM_IOC.SYNCOBJ_DESTROY, sync.syncobjDestroy);
on(DRM_IOC.SYNCOBJ_HANDLE_TO_FD, sync.syncobjHandleToFd);
on(DRM_IOC.SYNCOBJ_FD_TO_HANDLE, sync.syncobjFdToHandle);
on(DRM_IOC.SYNCOBJ_WAIT, sync.syncobjWait);
on(DRM_IOC.SYNCOBJ_RESET, sync.syncobjReset);
on(DRM_IOC.SYNCOBJ_SIGNAL, sync.syncobjSignal);
on(DRM_IOC.SYNCOBJ_TIMELINE_WAIT, sync.syncobjTimelineWait);
on(DRM_IOC.SYNCOBJ_QUERY, sync.syncobjQuery);
on(DRM_IOC.SYNCOBJ_TRANSFER, sync.syncobjTransfer);
on(DRM_IOC.SYNCOBJ_TIMELINE_SIGNAL, sync.syncobjTimelineSignal);
on(DRM_IOC.AMDGPU_GEM_CREATE, gem.gemCreate);
on(DRM_IOC.AMDGPU_GEM_MMAP, gem.gemMmap);
on(DRM_IOC.AMDGPU_CTX, ctxIoctl);
on(DRM_IOC.AMDGPU_BO_LIST, boListIoctl);
on(DRM_IOC.AMDGPU_CS, csIoctl);
on(DRM_IOC.AMDGPU_GEM_METADATA, gem.gemMetadata);
on(DRM_IOC.AMDGPU_GEM_WAIT_IDLE, gem.gemWaitIdle);
on(DRM_IOC.AMDGPU_GEM_VA, gemVa);
on(DRM_IOC.AMDGPU_WAIT_CS, waitCs);
on(DRM_IOC.AMDGPU_GEM_OP, gem.gemOp);
on(DRM_IOC.AMDGPU_GEM_USERPTR, gem.gemUserptr);
on(DRM_IOC.AMDGPU_WAIT_FENCES, waitFences);
on(DRM_IOC.AMDGPU_FENCE_TO_HANDLE, fenceToHandle);

/**
 * drm_ioctl for the commands above; false when `request` is none of them. Only the command number picks
 * the handler; the kernel copies in (and back out) _IOC_SIZE(request) bytes where both the caller's and
 * its own definition have that direction, zero-fills up to its own size, and copies out even when the
 * handler failed.
 */
export function drmSubmitIoctl(d: DrmState, f: DrmFile, request: number, arg: Uint8Array): boolean {
  const entry = TABLE.get(iocNr(request));
  if (!entry) return false;
  const usize = iocSize(request);
  const dir = (request >>> 30) & (entry.ioctl.request >>> 30);
  const inSize = dir & IOC_WRITE ? usize : 0;
  const outSize = dir & IOC_READ ? usize : 0;
  const kdata = new Uint8Array(Math.max(inSize, outSize, entry.ioctl.args.size));
  kdata.set(arg.subarray(0, inSize));
  d.progress();
  try {
    entry.run(d, f, kdata);
  } finally {
    arg.set(kdata.subarray(0, outSize));
  }
  return true;
}

/** drm_file release: handles, contexts, BO lists and sync objects of the file go; its VM with them. */
export function releaseDrmFile(d: DrmState, f: DrmFile): void {
  removeAllMappings(d, f);
  for (const obj of f.handles.values()) d.unref(obj);
  f.handles.clear();
  f.contexts.clear();
  f.boLists.clear();
  for (const s of f.syncobjs.values()) s.refs--;
  f.syncobjs.clear();
  d.files.delete(f);
}
