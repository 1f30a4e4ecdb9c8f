// DRM sync objects (drivers/gpu/drm/drm_syncobj.c): binary and timeline, their fds, waits with
// WAIT_ALL / WAIT_FOR_SUBMIT / WAIT_AVAILABLE, signal, reset, query and transfer.
import * as drm from '../../uapi/drm.js';
import { fail } from '../kfd/errors.js';
import { readU32Array } from '../kfd/user-memory.js';
import { syncobjDeadline, type DrmState } from './kernel.js';
import { fenceSignaled, STUB_FENCE, type DrmFile, type Fence, type Syncobj } from './state.js';

const W = drm.DRM_SYNCOBJ_WAIT_FLAGS;
/** DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE (Linux ≥ 6.5): a hint this emulator has no use for. */
const WAIT_DEADLINE = 1 << 3;

/** The fences a waiter on `point` needs: the first link at or past it and every link before (dma_fence_chain_find_seqno). */
function pointFences(s: Syncobj, point: bigint): readonly Fence[] | 'none' | 'not-yet' {
  if (s.points.length === 0) return 'none';
  if (point === 0n) return s.points[s.points.length - 1]!.fences;
  const last = s.points[s.points.length - 1]!;
  // A binary syncobj's fence is no chain: a point on it is EINVAL, as is a point past the last link.
  if (last.point === 0n || last.point < point) return 'not-yet';
  const at = s.points.findIndex((p) => p.point >= point);
  return s.points.slice(0, at + 1).flatMap((p) => p.fences);
}

/**
 * drm_syncobj_find_fence: an unknown handle is ENOENT; no fence (or a point not yet submitted) is EINVAL,
 * unless WAIT_FOR_SUBMIT — which would wait for another thread to submit it. Nothing can submit while the
 * single-threaded emulated kernel is inside this ioctl, so that wait ends as the kernel's does when nothing
 * comes: ETIME.
 */
export function findFences(f: DrmFile, handle: number, point: bigint, flags: number, where: string): readonly Fence[] {
  const s = f.syncobj(handle, where, 'ENOENT');
  const r = pointFences(s, point);
  if (typeof r !== 'string') return r;
  if (flags & W.WAIT_FOR_SUBMIT) fail('ETIME', 'drm_syncobj_find_fence', `sync object ${handle} point ${point} was not submitted, and nothing can submit it while the emulated kernel waits`);
  return fail('EINVAL', 'drm_syncobj_find_fence', `sync object ${handle} has no fence${point ? ` for point ${point}` : ''}`);
}

/** drm_syncobj_replace_fence (point 0) or drm_syncobj_add_point. */
export function signalPoint(s: Syncobj, point: bigint, fences: readonly Fence[]): void {
  if (point === 0n) s.points = [{ point: 0n, fences }];
  else s.points.push({ point, fences });
}

function readHandles(d: DrmState, ptr: bigint, n: number, where: string): number[] {
  return readU32Array(d.k.user, ptr, n, where);
}

function readPoints(d: DrmState, ptr: bigint, n: number, where: string): bigint[] {
  const b = d.k.user.read(ptr, n * 8, where);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
}

/** drm_syncobj_array_find: every handle must exist (ENOENT). */
function findAll(f: DrmFile, handles: readonly number[], where: string): Syncobj[] {
  return handles.map((h) => f.syncobj(h, where, 'ENOENT'));
}

export function syncobjCreate(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  void d;
  const a = drm.drmSyncobjCreateArgs.decode(arg);
  if (a.flags & ~drm.DRM_SYNCOBJ_CREATE_SIGNALED) fail('EINVAL', 'drm_syncobj_create_ioctl', `flags 0x${a.flags.toString(16)}`);
  const s: Syncobj = { points: a.flags & drm.DRM_SYNCOBJ_CREATE_SIGNALED ? [{ point: 0n, fences: [STUB_FENCE] }] : [], refs: 0 };
  drm.drmSyncobjCreateArgs.encode({ ...a, handle: f.addSyncobj(s) }, arg);
}

export function syncobjDestroy(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  void d;
  const a = drm.drmSyncobjDestroyArgs.decode(arg);
  if (a.pad) fail('EINVAL', 'drm_syncobj_destroy_ioctl', 'pad is not 0');
  const s = f.syncobj(a.handle, 'drm_syncobj_destroy', 'EINVAL');
  f.syncobjs.delete(a.handle);
  s.refs--;
}

export function syncobjHandleToFd(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'drm_syncobj_handle_to_fd_ioctl';
  const a = drm.drmSyncobjHandle.decode(arg);
  if (a.pad) fail('EINVAL', where, 'pad is not 0');
  if (a.flags !== 0 && a.flags !== drm.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE) fail('EINVAL', where, `flags 0x${a.flags.toString(16)}`);
  let fd: number;
  if (a.flags) fd = d.fds.install({ kind: 'sync-file', fences: findFences(f, a.handle, 0n, 0, 'drm_syncobj_export_sync_file') });
  else {
    const s = f.syncobj(a.handle, 'drm_syncobj_handle_to_fd', 'EINVAL');
    s.refs++;
    fd = d.fds.install({ kind: 'syncobj', syncobj: s });
  }
  drm.drmSyncobjHandle.encode({ ...a, fd }, arg);
}

export function syncobjFdToHandle(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'drm_syncobj_fd_to_handle_ioctl';
  const a = drm.drmSyncobjHandle.decode(arg);
  if (a.pad) fail('EINVAL', where, 'pad is not 0');
  if (a.flags !== 0 && a.flags !== drm.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE) fail('EINVAL', where, `flags 0x${a.flags.toString(16)}`);
  if (a.flags) {
    const file = d.sideFile(a.fd, 'sync_file_get_fence', 'EINVAL');
    if (file.kind !== 'sync-file') fail('EINVAL', 'sync_file_get_fence', `fd ${a.fd} is not a sync file`);
    signalPoint(f.syncobj(a.handle, 'drm_syncobj_import_sync_file_fence', 'ENOENT'), 0n, file.fences);
    return;
  }
  const file = d.sideFile(a.fd, 'drm_syncobj_fd_to_handle', 'EINVAL');
  if (file.kind !== 'syncobj') fail('EINVAL', 'drm_syncobj_fd_to_handle', `fd ${a.fd} is not a sync object file`);
  drm.drmSyncobjHandle.encode({ ...a, handle: f.addSyncobj(file.syncobj) }, arg);
}

/**
 * drm_syncobj_array_wait_timeout: a syncobj without the fence (or point) is EINVAL unless WAIT_FOR_SUBMIT or
 * WAIT_AVAILABLE; WAIT_AVAILABLE is satisfied by the fence existing; a timeout is ETIME; first_signaled
 * is the first index that was signalled when the wait ended.
 */
function waitSyncobjs(d: DrmState, f: DrmFile, handles: readonly number[], points: readonly bigint[], flags: number, timeoutNsec: bigint, where: string): number {
  if (flags & ~(W.WAIT_ALL | W.WAIT_FOR_SUBMIT | W.WAIT_AVAILABLE | WAIT_DEADLINE)) fail('EINVAL', where, `flags 0x${flags.toString(16)}`);
  if (handles.length === 0) fail('EINVAL', where, 'count_handles is 0');
  const objs = findAll(f, handles, where);
  const lookups = objs.map((s, i) => pointFences(s, points[i] ?? 0n));
  if (!(flags & (W.WAIT_FOR_SUBMIT | W.WAIT_AVAILABLE)) && lookups.some((l) => typeof l === 'string')) fail('EINVAL', 'drm_syncobj_array_wait_timeout', 'a sync object has no fence to wait for (and no WAIT_FOR_SUBMIT)');
  const ready = (i: number): boolean => {
    const l = lookups[i]!;
    if (typeof l === 'string') return false;
    return (flags & W.WAIT_AVAILABLE) !== 0 || l.every(fenceSignaled);
  };
  const done = (): boolean => (flags & W.WAIT_ALL ? lookups.every((_, i) => ready(i)) : lookups.some((_, i) => ready(i)));
  // A fence nothing has submitted cannot appear while this single-threaded kernel waits: such a wait can
  // only time out, and ends so at once rather than at its deadline.
  const missing = lookups.filter((l) => typeof l === 'string').length;
  if (flags & W.WAIT_ALL ? missing > 0 : missing === lookups.length) fail('ETIME', where, 'a sync object has no fence submitted, and nothing can submit one while the emulated kernel waits');
  if (!d.waitUntil(done, syncobjDeadline(timeoutNsec))) fail('ETIME', where, 'the wait timed out');
  return lookups.findIndex((_, i) => ready(i));
}

export function syncobjWait(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'drm_syncobj_wait_ioctl';
  const a = drm.drmSyncobjWaitArgs.decode(arg);
  if (a.count_handles === 0) fail('EINVAL', where, 'count_handles is 0');
  const handles = readHandles(d, a.handles, a.count_handles, where);
  const first = waitSyncobjs(d, f, handles, [], a.flags, a.timeout_nsec, where);
  drm.drmSyncobjWaitArgs.encode({ ...a, first_signaled: Math.max(first, 0) }, arg);
}

export function syncobjTimelineWait(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'drm_syncobj_timeline_wait_ioctl';
  const a = drm.drmSyncobjTimelineWait.decode(arg);
  if (a.count_handles === 0) fail('EINVAL', where, 'count_handles is 0');
  const handles = readHandles(d, a.handles, a.count_handles, where);
  const points = readPoints(d, a.points, a.count_handles, where);
  const first = waitSyncobjs(d, f, handles, points, a.flags, a.timeout_nsec, where);
  drm.drmSyncobjTimelineWait.encode({ ...a, first_signaled: Math.max(first, 0) }, arg);
}

/** RESET and SIGNAL: pad and an empty array are EINVAL, unknown handles ENOENT. */
function arrayOp(d: DrmState, f: DrmFile, arg: Uint8Array, where: string, apply: (s: Syncobj) => void): void {
  const a = drm.drmSyncobjArray.decode(arg);
  if (a.pad) fail('EINVAL', where, 'pad is not 0');
  if (a.count_handles === 0) fail('EINVAL', where, 'count_handles is 0');
  findAll(f, readHandles(d, a.handles, a.count_handles, where), where).forEach(apply);
}

export function syncobjReset(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  arrayOp(d, f, arg, 'drm_syncobj_reset_ioctl', (s) => (s.points = []));
}

export function syncobjSignal(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  arrayOp(d, f, arg, 'drm_syncobj_signal_ioctl', (s) => signalPoint(s, 0n, [STUB_FENCE]));
}

export function syncobjTimelineSignal(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'drm_syncobj_timeline_signal_ioctl';
  const a = drm.drmSyncobjTimelineArray.decode(arg);
  if (a.flags !== 0) fail('EINVAL', where, `flags 0x${a.flags.toString(16)}`);
  if (a.count_handles === 0) fail('EINVAL', where, 'count_handles is 0');
  const objs = findAll(f, readHandles(d, a.handles, a.count_handles, where), where);
  const points = readPoints(d, a.points, a.count_handles, where);
  objs.forEach((s, i) => signalPoint(s, points[i]!, [STUB_FENCE]));
}

/**
 * drm_syncobj_query_ioctl: per handle the last signalled point of the timeline (the last submitted one
 * with LAST_SUBMITTED); 0 for a binary syncobj or an empty one.
 */
export function syncobjQuery(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'drm_syncobj_query_ioctl';
  const a = drm.drmSyncobjTimelineArray.decode(arg);
  if (a.flags & ~drm.DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED) fail('EINVAL', where, `flags 0x${a.flags.toString(16)}`);
  if (a.count_handles === 0) fail('EINVAL', where, 'count_handles is 0');
  const objs = findAll(f, readHandles(d, a.handles, a.count_handles, where), where);
  const out = new Uint8Array(8 * objs.length);
  const dv = new DataView(out.buffer);
  objs.forEach((s, i) => {
    let point = 0n;
    if (a.flags) point = s.points[s.points.length - 1]?.point ?? 0n;
    else for (const p of s.points) if (p.fences.every(fenceSignaled)) point = p.point; else break;
    dv.setBigUint64(i * 8, point, true);
  });
  d.k.user.write(a.points, out, where);
}

/** drm_syncobj_transfer_ioctl: a point (or the fence) of one syncobj becomes a point (or the fence) of another. */
export function syncobjTransfer(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  void d;
  const where = 'drm_syncobj_transfer_ioctl';
  const a = drm.drmSyncobjTransfer.decode(arg);
  if (a.pad) fail('EINVAL', where, 'pad is not 0');
  const dst = f.syncobj(a.dst_handle, a.dst_point ? 'drm_syncobj_transfer_to_timeline' : 'drm_syncobj_transfer_to_binary', 'ENOENT');
  const fences = findFences(f, a.src_handle, a.src_point, a.flags, where);
  signalPoint(dst, a.dst_point, fences);
}
