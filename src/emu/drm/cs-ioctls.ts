// Command submission and its fences (drivers/gpu/drm/amd/amdgpu/amdgpu_cs.c): amdgpu_cs_ioctl with
// the chunk parsing of amdgpu_cs_pass1/pass2, WAIT_CS, WAIT_FENCES and FENCE_TO_HANDLE.
import * as drm from '../../uapi/drm.js';
import { fail } from '../kfd/errors.js';
import { amdgpuDeadline, type DrmState } from './kernel.js';
import type { IbRef } from './rings.js';
import { fenceSignaled, STUB_FENCE, type Ctx, type CtxEntity, type DrmFile, type Fence, type GemObject, type Syncobj } from './state.js';
import { boListIn } from '../../uapi/drm-submit.js';
import { ctxEntity, ctxFence, lookupCtx, readBoList, AMDGPU_SCHED_JOBS } from './ctx-ioctls.js';
import { findFences, signalPoint } from './syncobj-ioctls.js';

const CH = drm.AMDGPU_CHUNK_ID;
/** AMDGPU_CS_GANG_SIZE: a submission may drive up to four entities at once. */
const GANG_SIZE = 4;
const PAGE = 4096;

interface Chunk {
  readonly id: number;
  readonly data: Uint8Array;
}

interface GangJob {
  readonly entity: CtxEntity;
  readonly ibs: IbRef[];
}

/** The chunk data as an array of `layout` records (length_dw * 4 / sizeof). */
function records<T>(c: Chunk, size: number, decode: (b: Uint8Array) => T): T[] {
  const n = Math.floor(c.data.byteLength / size);
  return Array.from({ length: n }, (_, i) => decode(c.data.subarray(i * size, (i + 1) * size)));
}

/** amdgpu_cs_pass1's copy: the chunk pointer array, then each chunk header and its length_dw dwords (EFAULT). */
function copyChunks(d: DrmState, cs: { num_chunks: number; chunks: bigint }): Chunk[] {
  const where = 'amdgpu_cs_pass1';
  const ptrs = d.k.user.read(cs.chunks, 8 * cs.num_chunks, where);
  const pv = new DataView(ptrs.buffer, ptrs.byteOffset, ptrs.byteLength);
  return Array.from({ length: cs.num_chunks }, (_, i) => {
    const head = drm.csChunk.decode(d.k.user.read(pv.getBigUint64(i * 8, true), drm.csChunk.size, where));
    return { id: head.chunk_id, data: d.k.user.read(head.chunk_data, head.length_dw * 4, where) };
  });
}

/** amdgpu_cs_job_idx: the IB joins the job of its entity, or starts a new gang member (at most four). */
function jobFor(d: DrmState, f: DrmFile, ctx: Ctx, gang: GangJob[], ib: { ip_type: number; ip_instance: number; ring: number }): GangJob {
  const entity = ctxEntity(d, f, ctx, ib.ip_type, ib.ip_instance, ib.ring, 'amdgpu_cs_job_idx');
  const existing = gang.find((j) => j.entity === entity);
  if (existing) return existing;
  if (gang.length === GANG_SIZE) fail('EINVAL', 'amdgpu_cs_job_idx', `more than ${GANG_SIZE} entities in one submission`);
  const job = { entity, ibs: [] };
  gang.push(job);
  return job;
}

/** amdgpu_cs_p1_user_fence: one page-sized BO, the 8-byte slot inside it, not a userptr. */
function userFenceOf(f: DrmFile, c: Chunk): { obj: GemObject; offset: number } {
  const where = 'amdgpu_cs_p1_user_fence';
  const u = drm.csChunkFence.decode(c.data);
  const obj = f.handles.get(u.handle);
  if (!obj) fail('EINVAL', where, `user fence handle ${u.handle} names no GEM object`);
  if (obj.size !== PAGE || u.offset > obj.size - 8) fail('EINVAL', where, `the user fence BO must be one page and the offset ${u.offset} at most ${PAGE - 8} (BO of ${obj.size} bytes)`);
  if (obj.placement === 'userptr') fail('EINVAL', where, 'the user fence BO is a userptr');
  return { obj, offset: u.offset };
}

interface PostDep {
  readonly syncobj: Syncobj;
  readonly point: bigint;
}

export function csIoctl(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const cs = drm.csIn.decode(arg);
  // amdgpu_cs_parser_init
  if (cs.num_chunks === 0) fail('EINVAL', 'amdgpu_cs_parser_init', 'num_chunks is 0');
  const ctx = lookupCtx(f, cs.ctx_id, 'amdgpu_cs_parser_init');
  if (ctx.guilty) fail('ECANCELED', 'amdgpu_cs_parser_init', `context ${ctx.id} is guilty of a GPU hang`);
  // amdgpu_cs_pass1: sizes, the IBs' entities, the user fence and the BO_HANDLES list; unknown ids.
  const chunks = copyChunks(d, cs);
  const gang: GangJob[] = [];
  let leader: GangJob | undefined;
  let userFence: { obj: GemObject; offset: number } | undefined;
  let boList: GemObject[] | undefined;
  for (const c of chunks) {
    const size = c.data.byteLength;
    switch (c.id) {
      case CH.IB:
        if (size < drm.csChunkIb.size) fail('EINVAL', 'amdgpu_cs_pass1', `IB chunk of ${size} bytes, smaller than drm_amdgpu_cs_chunk_ib`);
        leader = jobFor(d, f, ctx, gang, drm.csChunkIb.decode(c.data));
        break;
      case CH.FENCE:
        if (size < drm.csChunkFence.size) fail('EINVAL', 'amdgpu_cs_pass1', `fence chunk of ${size} bytes`);
        if (userFence) fail('EINVAL', 'amdgpu_cs_pass1', 'only a single user fence is allowed');
        userFence = userFenceOf(f, c);
        break;
      case CH.BO_HANDLES:
        if (size < boListIn.size) fail('EINVAL', 'amdgpu_cs_pass1', `BO_HANDLES chunk of ${size} bytes`);
        if (boList) fail('EINVAL', 'amdgpu_cs_pass1', 'only a single BO list is allowed');
        boList = readBoList(d, f, boListIn.decode(c.data), 'amdgpu_cs_p1_bo_handles');
        break;
      case CH.CP_GFX_SHADOW:
        if (size < 32) fail('EINVAL', 'amdgpu_cs_pass1', `CP_GFX_SHADOW chunk of ${size} bytes`);
        break;
      case CH.DEPENDENCIES:
      case CH.SYNCOBJ_IN:
      case CH.SYNCOBJ_OUT:
      case CH.SCHEDULED_DEPENDENCIES:
      case CH.SYNCOBJ_TIMELINE_WAIT:
      case CH.SYNCOBJ_TIMELINE_SIGNAL:
        break;
      default:
        fail('EINVAL', 'amdgpu_cs_pass1', `unknown chunk id ${c.id}`);
    }
  }
  if (gang.length === 0) fail('EINVAL', 'amdgpu_cs_pass1', 'the submission has no IB');
  // amdgpu_cs_pass2: the IBs, dependencies and sync objects.
  const waits: Fence[] = [];
  let postDeps: PostDep[] | undefined;
  let cePreempt = 0;
  let dePreempt = 0;
  for (const c of chunks) {
    switch (c.id) {
      case CH.IB: {
        const ib = drm.csChunkIb.decode(c.data);
        if (ib.ip_type === drm.AMDGPU_HW_IP.GFX && ib.flags & drm.AMDGPU_IB_FLAG.PREEMPT) {
          if (ib.flags & drm.AMDGPU_IB_FLAG.CE) cePreempt++;
          else dePreempt++;
          if (cePreempt > 1 || dePreempt > 1) fail('EINVAL', 'amdgpu_cs_p2_ib', 'more than one preemptible IB');
        }
        jobFor(d, f, ctx, gang, ib).ibs.push({ va: ib.va_start, bytes: ib.ib_bytes });
        break;
      }
      case CH.DEPENDENCIES:
      case CH.SCHEDULED_DEPENDENCIES:
        for (const dep of records(c, drm.csChunkDep.size, (b) => drm.csChunkDep.decode(b))) {
          const depCtx = lookupCtx(f, dep.ctx_id, 'amdgpu_cs_p2_dependencies');
          const e = ctxEntity(d, f, depCtx, dep.ip_type, dep.ip_instance, dep.ring, 'amdgpu_cs_p2_dependencies');
          const fence = ctxFence(e, dep.handle, 'amdgpu_ctx_get_fence');
          if (fence) waits.push(fence);
        }
        break;
      case CH.SYNCOBJ_IN:
        for (const sem of records(c, drm.csChunkSem.size, (b) => drm.csChunkSem.decode(b))) waits.push(...findFences(f, sem.handle, 0n, 0, 'amdgpu_syncobj_lookup_and_add'));
        break;
      case CH.SYNCOBJ_TIMELINE_WAIT:
        for (const s of records(c, drm.csChunkSyncobj.size, (b) => drm.csChunkSyncobj.decode(b))) waits.push(...findFences(f, s.handle, s.point, s.flags, 'amdgpu_syncobj_lookup_and_add'));
        break;
      case CH.SYNCOBJ_OUT:
      case CH.SYNCOBJ_TIMELINE_SIGNAL: {
        if (postDeps) fail('EINVAL', c.id === CH.SYNCOBJ_OUT ? 'amdgpu_cs_p2_syncobj_out' : 'amdgpu_cs_p2_syncobj_timeline_signal', 'only one set of out sync objects is allowed');
        const list = c.id === CH.SYNCOBJ_OUT ? records(c, drm.csChunkSem.size, (b) => ({ handle: drm.csChunkSem.decode(b).handle, point: 0n })) : records(c, drm.csChunkSyncobj.size, (b) => drm.csChunkSyncobj.decode(b));
        postDeps = list.map((s) => ({ syncobj: f.syncobj(s.handle, 'drm_syncobj_find', 'EINVAL'), point: s.point }));
        break;
      }
      case CH.CP_GFX_SHADOW:
        // AMDGPU_CS_CHUNK_CP_GFX_SHADOW_FLAGS_INIT_SHADOW is the only flag (dword 6 of the chunk).
        if (new DataView(c.data.buffer, c.data.byteOffset).getUint32(24, true) & ~1) fail('EINVAL', 'amdgpu_cs_p2_shadow', 'unknown shadow flags');
        break;
    }
  }
  // amdgpu_cs_parser_bos: a list handle and a BO_HANDLES chunk together are EINVAL; an unknown handle ENOENT.
  if (cs.bo_list_handle) {
    if (boList) fail('EINVAL', 'amdgpu_cs_parser_bos', 'both a BO list handle and a BO_HANDLES chunk');
    const listed = f.boLists.get(cs.bo_list_handle);
    if (!listed) fail('ENOENT', 'amdgpu_bo_list_get', `no BO list ${cs.bo_list_handle}`);
    boList = [...listed];
  }
  submit(d, f, ctx, gang, leader!, waits.filter((w) => !fenceSignaled(w)), boList ?? [], userFence, postDeps ?? [], arg);
}

/** amdgpu_cs_submit: the jobs go to their rings, the leader's fence becomes the context's next sequence number. */
function submit(d: DrmState, f: DrmFile, ctx: Ctx, gang: readonly GangJob[], leader: GangJob, waits: readonly Fence[], bos: readonly GemObject[], userFence: { obj: GemObject; offset: number } | undefined, postDeps: readonly PostDep[], arg: Uint8Array): void {
  const device = d.device(f.gpu);
  d.progress();
  const seq = leader.entity.sequence;
  // amdgpu_ctx_wait_prev_fence: the slot this submission's fence takes must be free (done).
  const prev = leader.entity.fences[Number(seq % BigInt(AMDGPU_SCHED_JOBS))];
  if (prev) d.waitFences([prev], 'forever');
  const fences: Fence[] = [];
  for (const job of gang) {
    const ring = device.ring(job.entity.ip)!;
    const uf = job === leader && userFence ? { va: device.gartVa(userFence.obj) + BigInt(userFence.offset), value: seq } : undefined;
    fences.push(ring.submit({ ibs: job.ibs, waits, userFence: uf, ctx }));
  }
  const fence = fences[gang.indexOf(leader)]!;
  leader.entity.fences[Number(seq % BigInt(AMDGPU_SCHED_JOBS))] = fence;
  leader.entity.sequence = seq + 1n;
  for (const obj of bos) obj.fences = [...obj.fences.filter((x) => !fenceSignaled(x)), ...fences];
  for (const p of postDeps) signalPoint(p.syncobj, p.point, fences);
  drm.csOut.encode({ handle: seq }, arg);
}

/** amdgpu_cs_wait_ioctl: status 1 when the wait timed out; a finished job's error is returned. */
export function waitCs(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_cs_wait_ioctl';
  const a = drm.waitCsIn.decode(arg);
  const ctx = lookupCtx(f, a.ctx_id, where);
  const e = ctxEntity(d, f, ctx, a.ip_type, a.ip_instance, a.ring, where);
  const fence = ctxFence(e, a.handle, 'amdgpu_ctx_get_fence');
  let busy = false;
  if (fence) {
    busy = !d.waitFences([fence], amdgpuDeadline(a.timeout));
    if (!busy && fence.error) fail(fence.error, where, `the submission's job ${fence.error === 'ETIME' ? 'hung and was reset' : 'was cancelled by a reset'} (see the ring's hang report)`);
  }
  arg.fill(0, 0, drm.waitCsArgs.size);
  drm.waitCsOut.encode({ status: busy ? 1n : 0n }, arg);
}

/** amdgpu_cs_get_fence: the drm_amdgpu_fence's context, entity and sequence number (null: long done). */
function fenceOf(d: DrmState, f: DrmFile, x: { ctx_id: number; ip_type: number; ip_instance: number; ring: number; seq_no: bigint }, where: string): Fence | null {
  const ctx = lookupCtx(f, x.ctx_id, where);
  return ctxFence(ctxEntity(d, f, ctx, x.ip_type, x.ip_instance, x.ring, where), x.seq_no, 'amdgpu_ctx_get_fence');
}

/** amdgpu_cs_wait_fences_ioctl: wait for all (status 1 = all signalled) or any (first_signaled) of them. */
export function waitFences(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_cs_wait_fences_ioctl';
  const a = drm.waitFencesIn.decode(arg);
  const raw = d.k.user.read(a.fences, a.fence_count * drm.amdgpuFence.size, where);
  const list = Array.from({ length: a.fence_count }, (_, i) => drm.amdgpuFence.decode(raw.subarray(i * drm.amdgpuFence.size)));
  const deadline = amdgpuDeadline(a.timeout_ns);
  let status = 0;
  let first = 0;
  if (a.wait_all) {
    // amdgpu_cs_wait_all_fences: one after the other; a timeout stops the loop with status 0.
    status = 1;
    for (const x of list) {
      const fence = fenceOf(d, f, x, 'amdgpu_cs_wait_all_fences');
      if (!fence) continue;
      if (!d.waitFences([fence], deadline)) {
        status = 0;
        break;
      }
      if (fence.error) fail(fence.error, 'amdgpu_cs_wait_all_fences', 'a job of the set was reset');
    }
  } else {
    // amdgpu_cs_wait_any_fence: a fence long done (null) ends it at once.
    const fences = list.map((x) => fenceOf(d, f, x, 'amdgpu_cs_wait_any_fence'));
    const done = fences.findIndex((x) => x === null);
    if (done >= 0) {
      status = 1;
      first = done;
    } else if (d.waitUntil(() => fences.some((x) => fenceSignaled(x!)), deadline)) {
      status = 1;
      first = fences.findIndex((x) => fenceSignaled(x!));
    }
    arg.fill(0, 0, drm.waitFencesArgs.size);
    drm.waitFencesOut.encode({ status, first_signaled: first }, arg);
    const err = status ? fences[first]?.error : undefined;
    if (err) fail(err, 'amdgpu_cs_wait_any_fence', 'the first signalled job was reset');
    return;
  }
  arg.fill(0, 0, drm.waitFencesArgs.size);
  drm.waitFencesOut.encode({ status, first_signaled: first }, arg);
}

/** amdgpu_cs_fence_to_handle_ioctl: a submission's fence as a sync object, its fd, or a sync file. */
export function fenceToHandle(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_cs_fence_to_handle_ioctl';
  const a = drm.fenceToHandleIn.decode(arg);
  const fence = fenceOf(d, f, a.fence, where) ?? STUB_FENCE;
  const T = drm.AMDGPU_FENCE_TO_HANDLE;
  let handle: number;
  switch (a.what) {
    case T.GET_SYNCOBJ:
      handle = f.addSyncobj({ points: [{ point: 0n, fences: [fence] }], refs: 0 });
      break;
    case T.GET_SYNCOBJ_FD:
      handle = d.fds.install({ kind: 'syncobj', syncobj: { points: [{ point: 0n, fences: [fence] }], refs: 1 } });
      break;
    case T.GET_SYNC_FILE_FD:
      handle = d.fds.install({ kind: 'sync-file', fences: [fence] });
      break;
    default:
      return fail('EINVAL', where, `unknown what ${a.what}`);
  }
  drm.fenceToHandleOut.encode({ handle }, arg);
}

