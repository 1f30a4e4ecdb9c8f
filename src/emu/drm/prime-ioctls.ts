// PRIME (drivers/gpu/drm/drm_prime.c, amdgpu_dma_buf.c): a GEM handle as a dma-buf fd and back. The
// emulated dma-buf's uses are FD_TO_HANDLE on a render file (of any emulated GPU: the memory is shared)
// and mmap.
import * as drm from '../../uapi/drm.js';
import { fail } from '../kfd/errors.js';
import type { DrmState } from './kernel.js';
import type { DrmFile } from './state.js';

export function primeHandleToFd(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'drm_prime_handle_to_fd_ioctl';
  const a = drm.drmPrimeHandle.decode(arg);
  if (a.flags & ~(drm.DRM_PRIME_FLAGS.CLOEXEC | drm.DRM_PRIME_FLAGS.RDWR)) fail('EINVAL', where, `flags 0x${a.flags.toString(16)} (only DRM_CLOEXEC and DRM_RDWR)`);
  const obj = f.gem(a.handle, 'drm_gem_prime_handle_to_fd');
  // amdgpu_gem_prime_export: userptr BOs and per-VM BOs cannot be shared.
  if (obj.placement === 'userptr' || obj.flags & BigInt(drm.AMDGPU_GEM_CREATE.VM_ALWAYS_VALID)) fail('EPERM', 'amdgpu_gem_prime_export', 'a userptr or VM_ALWAYS_VALID BO cannot be exported');
  obj.refs++;
  drm.drmPrimeHandle.encode({ ...a, fd: d.fds.install({ kind: 'dmabuf', obj }) }, arg);
}

/**
 * drm_gem_prime_fd_to_handle: dma_buf_get (EBADF for a closed fd, EINVAL for a file that is no dma-buf);
 * a file that already has a handle for the object gets the same handle back.
 */
export function primeFdToHandle(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const a = drm.drmPrimeHandle.decode(arg);
  const file = d.sideFile(a.fd, 'dma_buf_get', 'EBADF');
  if (file.kind !== 'dmabuf') fail('EINVAL', 'dma_buf_get', `fd ${a.fd} is not a dma-buf`);
  const handle = f.handleOf(file.obj) ?? f.addHandle(file.obj);
  drm.drmPrimeHandle.encode({ ...a, handle }, arg);
}
