// The render node's buffer, submission and synchronisation ABI: layouts of drm.h (syncobj, PRIME) and
// amdgpu_drm.h (BO lists, userptr, metadata, waits, GEM_OP, fence_to_handle) as Linux 6.12 declares
// them. C unions are declared as their largest member (see drm.ts); drm.ts builds the ioctl table.
import { array, struct } from './codec.js';

// ---- DRM core: PRIME and sync objects (drm.h) ----

export const drmPrimeHandle = struct('drm_prime_handle', [['handle', 'u32'], ['flags', 'u32'], ['fd', 'i32']]);
/** drm_prime_handle.flags: DRM_CLOEXEC is O_CLOEXEC, DRM_RDWR is O_RDWR (drm.h); the only flags PRIME accepts. */
export const DRM_PRIME_FLAGS = { CLOEXEC: 0o2000000, RDWR: 0o2 } as const;

export const drmSyncobjHandle = struct('drm_syncobj_handle', [['handle', 'u32'], ['flags', 'u32'], ['fd', 'i32'], ['pad', 'u32']]);
export const drmSyncobjTransfer = struct('drm_syncobj_transfer', [
  ['src_handle', 'u32'],
  ['dst_handle', 'u32'],
  ['src_point', 'u64'],
  ['dst_point', 'u64'],
  ['flags', 'u32'],
  ['pad', 'u32'],
]);
/**
 * struct drm_syncobj_timeline_wait before Linux 6.5 (40 bytes; 6.5 appended deadline_nsec), for the same
 * reason as drm_syncobj_wait: drm_ioctl zero-fills what a shorter request leaves out.
 */
export const drmSyncobjTimelineWait = struct('drm_syncobj_timeline_wait', [
  ['handles', 'u64'],
  ['points', 'u64'],
  ['timeout_nsec', 'i64'],
  ['count_handles', 'u32'],
  ['flags', 'u32'],
  ['first_signaled', 'u32'],
  ['pad', 'u32'],
]);
export const drmSyncobjArray = struct('drm_syncobj_array', [['handles', 'u64'], ['count_handles', 'u32'], ['pad', 'u32']]);
export const drmSyncobjTimelineArray = struct('drm_syncobj_timeline_array', [
  ['handles', 'u64'],
  ['points', 'u64'],
  ['count_handles', 'u32'],
  ['flags', 'u32'],
]);
export const DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE = 1;
export const DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE = 1;
export const DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED = 1;

// ---- amdgpu: BO lists, userptr, metadata, GEM_OP ----

export const boListIn = struct('drm_amdgpu_bo_list_in', [
  ['operation', 'u32'],
  ['list_handle', 'u32'],
  ['bo_number', 'u32'],
  ['bo_info_size', 'u32'],
  ['bo_info_ptr', 'u64'],
]);
export const boListEntry = struct('drm_amdgpu_bo_list_entry', [['bo_handle', 'u32'], ['bo_priority', 'u32']]);
export const boListOut = struct('drm_amdgpu_bo_list_out', [['list_handle', 'u32'], ['_pad', 'u32']]);
export const boListArgs = struct('union drm_amdgpu_bo_list', [['in', boListIn]]);
export const AMDGPU_BO_LIST_OP = { CREATE: 0, DESTROY: 1, UPDATE: 2 } as const;

export const gemUserptrArgs = struct('drm_amdgpu_gem_userptr', [['addr', 'u64'], ['size', 'u64'], ['flags', 'u32'], ['handle', 'u32']]);
export const AMDGPU_GEM_USERPTR = { READONLY: 1 << 0, ANONONLY: 1 << 1, VALIDATE: 1 << 2, REGISTER: 1 << 3 } as const;

export const gemMetadataData = struct('drm_amdgpu_gem_metadata.data', [
  ['flags', 'u64'],
  ['tiling_info', 'u64'],
  ['data_size_bytes', 'u32'],
  ['data', array('u32', 64)],
]);
export const gemMetadataArgs = struct('drm_amdgpu_gem_metadata', [['handle', 'u32'], ['op', 'u32'], ['data', gemMetadataData]]);
export const AMDGPU_GEM_METADATA_OP = { SET_METADATA: 1, GET_METADATA: 2 } as const;

export const gemOpArgs = struct('drm_amdgpu_gem_op', [['handle', 'u32'], ['op', 'u32'], ['value', 'u64']]);
export const AMDGPU_GEM_OP = { GET_GEM_CREATE_INFO: 0, SET_PLACEMENT: 1 } as const;

// ---- amdgpu: waits ----

export const gemWaitIdleIn = struct('drm_amdgpu_gem_wait_idle_in', [['handle', 'u32'], ['flags', 'u32'], ['timeout', 'u64']]);
export const gemWaitIdleOut = struct('drm_amdgpu_gem_wait_idle_out', [['status', 'u32'], ['domain', 'u32']]);
export const gemWaitIdleArgs = struct('union drm_amdgpu_gem_wait_idle', [['in', gemWaitIdleIn]]);

export const waitCsIn = struct('drm_amdgpu_wait_cs_in', [
  ['handle', 'u64'],
  ['timeout', 'u64'],
  ['ip_type', 'u32'],
  ['ip_instance', 'u32'],
  ['ring', 'u32'],
  ['ctx_id', 'u32'],
]);
export const waitCsOut = struct('drm_amdgpu_wait_cs_out', [['status', 'u64']]);
export const waitCsArgs = struct('union drm_amdgpu_wait_cs', [['in', waitCsIn]]);

export const amdgpuFence = struct('drm_amdgpu_fence', [
  ['ctx_id', 'u32'],
  ['ip_type', 'u32'],
  ['ip_instance', 'u32'],
  ['ring', 'u32'],
  ['seq_no', 'u64'],
]);
export const waitFencesIn = struct('drm_amdgpu_wait_fences_in', [['fences', 'u64'], ['fence_count', 'u32'], ['wait_all', 'u32'], ['timeout_ns', 'u64']]);
export const waitFencesOut = struct('drm_amdgpu_wait_fences_out', [['status', 'u32'], ['first_signaled', 'u32']]);
export const waitFencesArgs = struct('union drm_amdgpu_wait_fences', [['in', waitFencesIn]]);

export const fenceToHandleIn = struct('union drm_amdgpu_fence_to_handle.in', [['fence', amdgpuFence], ['what', 'u32'], ['pad', 'u32']]);
export const fenceToHandleOut = struct('union drm_amdgpu_fence_to_handle.out', [['handle', 'u32']]);
export const fenceToHandleArgs = struct('union drm_amdgpu_fence_to_handle', [['in', fenceToHandleIn]]);
export const AMDGPU_FENCE_TO_HANDLE = { GET_SYNCOBJ: 0, GET_SYNCOBJ_FD: 1, GET_SYNC_FILE_FD: 2 } as const;

/** drm_amdgpu_ctx_out.state.reset_status values. */
export const AMDGPU_CTX_RESET = { NO_RESET: 0, GUILTY_RESET: 1, INNOCENT_RESET: 2, UNKNOWN_RESET: 3 } as const;
