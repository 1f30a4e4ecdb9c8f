// Submission contexts and BO lists of a render file (amdgpu_ctx.c amdgpu_ctx_ioctl, amdgpu_bo_list.c
// amdgpu_bo_list_ioctl), and the context entities command submission resolves (amdgpu_ctx_get_entity,
// amdgpu_ctx_get_fence).
import * as drm from '../../uapi/drm.js';
import { fail } from '../kfd/errors.js';
import type { DrmState } from './kernel.js';
import type { Ctx, CtxEntity, DrmFile, Fence, GemObject, RingIp } from './state.js';

const OP = drm.AMDGPU_CTX_OP;
const PRIO = drm.AMDGPU_CTX_PRIORITY;
const H = drm.AMDGPU_HW_IP;
/** amdgpu_ctx_num_entities: rings a context may name per IP type. */
const NUM_ENTITIES: readonly number[] = [1, 4, 2, 1, 1, 1, 1, 1, 1, 1];
/** amdgpu_sched_jobs (default 32): the fences a context entity remembers. */
export const AMDGPU_SCHED_JOBS = 32;

/** amdgpu_ctx_priority_is_valid (UNSET is not, since Linux 6.7). */
function priorityValid(p: number): boolean {
  return p === PRIO.VERY_LOW || p === PRIO.LOW || p === PRIO.NORMAL || p === PRIO.HIGH || p === PRIO.VERY_HIGH;
}

/** amdgpu_ctx_get: an unknown context id is EINVAL for every ioctl that names one. */
export function lookupCtx(f: DrmFile, id: number, where: string): Ctx {
  const ctx = f.contexts.get(id);
  if (!ctx) fail('EINVAL', where, `no context ${id} in this render file (amdgpu_ctx_get)`);
  return ctx;
}

function ringIpOf(ip: number): RingIp | undefined {
  return ip === H.GFX ? 'gfx' : ip === H.COMPUTE ? 'compute' : ip === H.DMA ? 'dma' : undefined;
}

/**
 * amdgpu_ctx_get_entity, then the run-queue check of amdgpu_cs_job_idx: an IP the GPU has no ring for
 * (GFX on a compute-only part, and the multimedia engines the emulator does not model) has no scheduler.
 */
export function ctxEntity(d: DrmState, f: DrmFile, ctx: Ctx, ip: number, instance: number, ring: number, where: string): CtxEntity {
  if (ip >= drm.AMDGPU_HW_IP_NUM) fail('EINVAL', 'amdgpu_ctx_get_entity', `unknown HW IP type ${ip}`);
  if (instance !== 0) fail('EINVAL', 'amdgpu_ctx_get_entity', `invalid ip instance ${instance}`);
  if (ring >= NUM_ENTITIES[ip]!) fail('EINVAL', 'amdgpu_ctx_get_entity', `invalid ring ${ring} for HW IP ${ip} (a context has ${NUM_ENTITIES[ip]})`);
  const key = `${ip}:${ring}`;
  let e = ctx.entities.get(key);
  if (!e) {
    const rip = ringIpOf(ip);
    if (!rip || !d.device(f.gpu).ring(rip)) fail('EINVAL', where, `no run queue for HW IP ${ip} on the emulated ${f.gpu.target.name}${rip ? '' : ' (multimedia engines are not emulated)'}`);
    e = { ip: rip, sequence: 1n, fences: new Array<Fence | undefined>(AMDGPU_SCHED_JOBS).fill(undefined) };
    ctx.entities.set(key, e);
  }
  return e;
}

/**
 * amdgpu_ctx_get_fence: ~0 names the newest; a sequence number not handed out yet is EINVAL; one older
 * than the last amdgpu_sched_jobs submissions is done (null).
 */
export function ctxFence(e: CtxEntity, seq: bigint, where: string): Fence | null {
  const s = seq === (1n << 64n) - 1n ? e.sequence - 1n : seq;
  if (s >= e.sequence) fail('EINVAL', where, `sequence number ${seq} was never returned by a submission on this context entity (next is ${e.sequence})`);
  if (s + BigInt(AMDGPU_SCHED_JOBS) < e.sequence) return null;
  return e.fences[Number(s % BigInt(AMDGPU_SCHED_JOBS))] ?? null;
}

export function ctxIoctl(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  void d;
  const where = 'amdgpu_ctx_ioctl';
  const a = drm.ctxIn.decode(arg);
  // "Garbage values in the priority field result in the priority being set to NORMAL."
  const priority = priorityValid(a.priority) ? a.priority : PRIO.NORMAL;
  switch (a.op) {
    case OP.ALLOC_CTX: {
      // amdgpu_ctx_priority_permit: above NORMAL needs CAP_SYS_NICE or DRM master; an emulated client has neither.
      if (priority > PRIO.NORMAL) fail('EACCES', 'amdgpu_ctx_priority_permit', `priority ${priority} needs CAP_SYS_NICE or DRM master`);
      const ctx = f.addContext(priority);
      drm.ctxOutAlloc.encode({ ctx_id: ctx.id, _pad: 0 }, arg);
      return;
    }
    case OP.FREE_CTX:
      if (!f.contexts.delete(a.ctx_id)) fail('EINVAL', 'amdgpu_ctx_free', `no context ${a.ctx_id}`);
      return;
    case OP.QUERY_STATE: {
      const ctx = lookupCtx(f, a.ctx_id, 'amdgpu_ctx_query');
      const reset = ctx.resetSeen;
      ctx.resetSeen = false;
      drm.ctxOutState.encode({ flags: 0n, hangs: 0, reset_status: reset ? drm.AMDGPU_CTX_RESET.UNKNOWN_RESET : drm.AMDGPU_CTX_RESET.NO_RESET }, arg);
      return;
    }
    case OP.QUERY_STATE2: {
      const ctx = lookupCtx(f, a.ctx_id, 'amdgpu_ctx_query2');
      // AMDGPU_CTX_QUERY2_FLAGS_RESET (1) and _GUILTY (4).
      const flags = (ctx.resetSeen ? 1n : 0n) | (ctx.guilty ? 4n : 0n);
      drm.ctxOutState.encode({ flags, hangs: 0, reset_status: 0 }, arg);
      return;
    }
    case OP.GET_STABLE_PSTATE: {
      if (a.flags) fail('EINVAL', where, 'GET_STABLE_PSTATE takes no flags');
      const ctx = lookupCtx(f, a.ctx_id, where);
      drm.ctxOutPstate.encode({ flags: ctx.stablePstate, _pad: 0 }, arg);
      return;
    }
    case OP.SET_STABLE_PSTATE: {
      // AMDGPU_CTX_STABLE_PSTATE_FLAGS_MASK: NONE … PEAK.
      if (a.flags & ~0xf) fail('EINVAL', where, `stable pstate flags 0x${a.flags.toString(16)} outside the mask`);
      lookupCtx(f, a.ctx_id, where).stablePstate = a.flags;
      return;
    }
  }
  fail('EINVAL', where, `unknown op ${a.op}`);
}

/**
 * amdgpu_bo_create_list_entry_array + amdgpu_bo_list_create: entries are copied with the caller's
 * entry size (shorter ones zero-extended); every handle must name a GEM object (ENOENT).
 */
export function readBoList(d: DrmState, f: DrmFile, a: { bo_number: number; bo_info_size: number; bo_info_ptr: bigint }, where: string): GemObject[] {
  const raw = d.k.user.read(a.bo_info_ptr, a.bo_number * a.bo_info_size, where);
  const objs: GemObject[] = [];
  for (let i = 0; i < a.bo_number; i++) {
    const entry = new Uint8Array(drm.boListEntry.size);
    entry.set(raw.subarray(i * a.bo_info_size, i * a.bo_info_size + Math.min(a.bo_info_size, entry.length)));
    const { bo_handle } = drm.boListEntry.decode(entry);
    objs.push(f.gem(bo_handle, 'amdgpu_bo_list_create'));
  }
  return objs;
}

export function boListIoctl(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_bo_list_ioctl';
  const a = drm.boListIn.decode(arg);
  const O = drm.AMDGPU_BO_LIST_OP;
  switch (a.operation) {
    case O.CREATE: {
      const list = readBoList(d, f, a, where);
      arg.fill(0, 0, drm.boListArgs.size);
      drm.boListOut.encode({ list_handle: f.addBoList(list), _pad: 0 }, arg);
      return;
    }
    case O.DESTROY:
      f.boLists.delete(a.list_handle); // amdgpu_bo_list_destroy: a missing handle is not an error
      return;
    case O.UPDATE: {
      const list = readBoList(d, f, a, where);
      if (!f.boLists.has(a.list_handle)) fail('ENOENT', 'idr_replace', `no BO list ${a.list_handle}`);
      f.boLists.set(a.list_handle, list);
      arg.fill(0, 0, drm.boListArgs.size);
      drm.boListOut.encode({ list_handle: a.list_handle, _pad: 0 }, arg);
      return;
    }
  }
  fail('EINVAL', where, `unknown operation ${a.operation}`);
}
