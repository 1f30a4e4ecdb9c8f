// KFD queue ioctls (kfd_chardev.c set_queue_properties_from_user, kfd_queue.c
// kfd_queue_acquire_buffers, kfd_device_queue_manager.c allocate_sdma_queue).
import * as kfd from '../../uapi/kfd.js';
import { fail } from './errors.js';
import type { Bo, KfdState, QueueRecord } from './state.js';
import { requireBoundGpu } from './misc-ioctls.js';
import type { QueueDescriptor, QueueKind } from '../engine/protocol.js';
import type { EmuGpu } from '../gpu.js';

const T = kfd.KFD_IOC_QUEUE_TYPE;
const PAGE = 4096n;
/** KFD_MAX_NUM_OF_QUEUES_PER_PROCESS (kfd_priv.h). */
const MAX_QUEUES_PER_PROCESS = 1024;
/** Doorbell ids reserved for SDMA queues in each process slice start here (soc15 doorbell layout). */
const SDMA_DOORBELL_BASE = 0x100;

const isPow2 = (v: number): boolean => v > 0 && (v & (v - 1)) === 0;

/** The BO mapped on `gpu` whose first page contains `va` (amdgpu_vm_bo_lookup_mapping). */
function mappingAt(k: KfdState, gpu: EmuGpu, va: bigint): Bo | undefined {
  for (const bo of k.bos.values()) {
    if (bo.mappedOn.has(gpu) && va >= bo.va && va < bo.va + BigInt(bo.size)) return bo;
  }
  return undefined;
}

/**
 * kfd_queue_buffer_get: the address must lie in the first page of a mapped BO whose page count is
 * `expected` >> PAGE_SHIFT; when that is 0 (a ring under one page) only the first page is checked.
 */
function queueBuffer(k: KfdState, gpu: EmuGpu, va: bigint, expected: number, what: string): Bo {
  const where = 'kfd_queue_buffer_get';
  const bo = mappingAt(k, gpu, va);
  if (!bo) fail('EINVAL', where, `${what} at 0x${va.toString(16)} is not in a BO mapped on gpu_id ${gpu.gpuId}`);
  const pages = BigInt(expected) / PAGE;
  if (va / PAGE !== bo.va / PAGE || (pages !== 0n && BigInt(bo.size) / PAGE !== pages)) {
    fail('EINVAL', where, `${what}: expected a mapping of 0x${expected.toString(16)} bytes starting at the page of 0x${va.toString(16)}, found BO 0x${bo.va.toString(16)} of 0x${bo.size.toString(16)} bytes`);
  }
  return bo;
}

/** access_ok on x86-64: the range must end at or below TASK_SIZE_MAX (4-level paging). */
const TASK_SIZE_MAX = 0x00007ffffffff000n;
const accessOk = (addr: bigint, size: number): boolean => addr + BigInt(size) <= TASK_SIZE_MAX;

function kindOf(type: number): QueueKind {
  if (type === T.COMPUTE) return 'pm4';
  if (type === T.COMPUTE_AQL) return 'aql';
  return 'sdma';
}

function pickDoorbell(k: KfdState, gpu: EmuGpu, type: number, sdmaEngine: number): { byte: number; engine: number } {
  const used = new Set([...k.queues.values()].filter((q) => q.gpu === gpu).map((q) => q.desc.doorbellByte / 8));
  if (type === T.COMPUTE || type === T.COMPUTE_AQL) {
    for (let id = 0; id < SDMA_DOORBELL_BASE; id++) if (!used.has(id)) return { byte: id * 8, engine: 0 };
    return fail('ENOMEM', 'allocate_doorbell', `no free compute doorbell on gpu_id ${gpu.gpuId}`);
  }
  const engines = gpu.property('num_sdma_engines');
  const xgmi = gpu.property('num_sdma_xgmi_engines');
  const perEngine = gpu.property('num_sdma_queues_per_engine');
  const range = type === T.SDMA_XGMI ? [engines, engines + xgmi] : type === T.SDMA_BY_ENG_ID ? [sdmaEngine, sdmaEngine + 1] : [0, engines];
  // allocate_sdma_queue: round-robin over the engines of the kind, first free queue slot.
  for (let slot = 0; slot < perEngine; slot++) {
    for (let e = range[0]!; e < range[1]!; e++) {
      const id = SDMA_DOORBELL_BASE + e * perEngine + slot;
      if (!used.has(id)) return { byte: id * 8, engine: e };
    }
  }
  const which = type === T.SDMA_XGMI ? 'XGMI SDMA' : 'SDMA';
  return fail('ENOMEM', 'allocate_sdma_queue', `no more ${which} queues on gpu_id ${gpu.gpuId} (${(range[1]! - range[0]!) * perEngine} available)`);
}

export function createQueue(k: KfdState, arg: Uint8Array): void {
  const where = 'set_queue_properties_from_user';
  // The kernel reads its own struct: 96 bytes from KFD 1.17 (sdma_engine_id), 88 before.
  const layout = k.kfdMinor >= 17 ? kfd.createQueueArgs : kfd.createQueueArgsPre117;
  const raw = layout.decode(arg) as ReturnType<typeof kfd.createQueueArgs.decode>;
  const a = { ...raw, sdma_engine_id: raw.sdma_engine_id ?? 0 };
  if ((a.queue_percentage & 0xff) > kfd.KFD_MAX_QUEUE_PERCENTAGE) fail('EINVAL', where, `queue_percentage ${a.queue_percentage & 0xff} > ${kfd.KFD_MAX_QUEUE_PERCENTAGE}`);
  if (a.queue_priority > kfd.KFD_MAX_QUEUE_PRIORITY) fail('EINVAL', where, `queue_priority ${a.queue_priority} > ${kfd.KFD_MAX_QUEUE_PRIORITY}`);
  if (a.ring_base_address !== 0n && !accessOk(a.ring_base_address, 8)) fail('EFAULT', where, `ring_base_address 0x${a.ring_base_address.toString(16)} is not a user address`);
  if (a.ring_size !== 0 && !isPow2(a.ring_size)) fail('EINVAL', where, `ring_size ${a.ring_size} is neither 0 nor a power of 2`);
  // Smaller rings (0 included) are raised to the minimum, and the caller sees the new size.
  const ringSize = Math.max(a.ring_size, kfd.KFD_MIN_QUEUE_RING_SIZE);
  // access_ok only rejects kernel addresses: NULL read/write pointers pass here.
  if (!accessOk(a.read_pointer_address, 4)) fail('EFAULT', where, `read_pointer_address 0x${a.read_pointer_address.toString(16)} is not a user address`);
  if (!accessOk(a.write_pointer_address, 4)) fail('EFAULT', where, `write_pointer_address 0x${a.write_pointer_address.toString(16)} is not a user address`);
  if (a.eop_buffer_address !== 0n && !accessOk(a.eop_buffer_address, 4)) fail('EFAULT', where, `eop_buffer_address 0x${a.eop_buffer_address.toString(16)} is not a user address`);
  if (a.ctx_save_restore_address !== 0n && !accessOk(a.ctx_save_restore_address, 4)) fail('EFAULT', where, `ctx_save_restore_address 0x${a.ctx_save_restore_address.toString(16)} is not a user address`);
  const types: number[] = [T.COMPUTE, T.SDMA, T.COMPUTE_AQL, T.SDMA_XGMI, ...(k.kfdMinor >= 17 ? [T.SDMA_BY_ENG_ID] : [])];
  if (!types.includes(a.queue_type)) fail('ENOTSUPP', where, `queue_type ${a.queue_type} is not a queue type of KFD 1.${k.kfdMinor}`);
  const g = requireBoundGpu(k, a.gpu_id, 'kfd_ioctl_create_queue', 'ESRCH');
  if (a.queue_type === T.SDMA_BY_ENG_ID) {
    const engines = g.property('num_sdma_engines') + g.property('num_sdma_xgmi_engines');
    if (a.sdma_engine_id > engines - 1) fail('EINVAL', 'kfd_ioctl_create_queue', `sdma_engine_id ${a.sdma_engine_id} exceeds the maximum id ${engines - 1}`);
  }
  const isCompute = a.queue_type === T.COMPUTE || a.queue_type === T.COMPUTE_AQL;

  // kfd_queue_acquire_buffers (Linux 6.12, KFD 1.17) checks the queue's buffers; older kernels did not.
  const buffers: Bo[] =
    k.kfdMinor >= 17
      ? [queueBuffer(k, g, a.write_pointer_address, 4096, 'write pointer'), queueBuffer(k, g, a.read_pointer_address, 4096, 'read pointer'), queueBuffer(k, g, a.ring_base_address, ringSize, 'ring')]
      : [];
  if (isCompute && k.kfdMinor >= 17) {
    const sizes = g.queueSizes;
    if (a.eop_buffer_address !== 0n) {
      if (Number(a.eop_buffer_size) !== sizes.eopBufferSize) fail('EINVAL', 'kfd_queue_acquire_buffers', `eop_buffer_size 0x${a.eop_buffer_size.toString(16)} is not the node's EOP size 0x${sizes.eopBufferSize.toString(16)}`);
      buffers.push(queueBuffer(k, g, a.eop_buffer_address, sizes.eopBufferSize, 'EOP buffer'));
    }
    if (a.ctl_stack_size !== sizes.ctlStackSize) fail('EINVAL', 'kfd_queue_acquire_buffers', `ctl_stack_size 0x${a.ctl_stack_size.toString(16)} is not the node's 0x${sizes.ctlStackSize.toString(16)}`);
    if (a.ctx_save_restore_size !== sizes.ctxSaveRestoreSize) fail('EINVAL', 'kfd_queue_acquire_buffers', `ctx_save_restore_size 0x${a.ctx_save_restore_size.toString(16)} is not the node's cwsr_size 0x${sizes.ctxSaveRestoreSize.toString(16)}`);
    buffers.push(queueBuffer(k, g, a.ctx_save_restore_address, sizes.cwsrAllocationSize, 'CWSR area'));
  }
  if (k.queues.size >= MAX_QUEUES_PER_PROCESS) fail('ENOSPC', 'pqm_create_queue', `process already has ${MAX_QUEUES_PER_PROCESS} queues`);
  const queueId = firstFreeQueueId(k);
  const { byte, engine } = pickDoorbell(k, g, a.queue_type, a.queue_type === T.SDMA_BY_ENG_ID ? a.sdma_engine_id : 0);
  const desc: QueueDescriptor = {
    queueId,
    kind: kindOf(a.queue_type),
    kfdType: a.queue_type,
    ringVa: a.ring_base_address,
    ringSize,
    rptrVa: a.read_pointer_address,
    wptrVa: a.write_pointer_address,
    doorbellByte: byte,
    eopVa: a.eop_buffer_address,
    eopSize: Number(a.eop_buffer_size),
    ctxSaveVa: a.ctx_save_restore_address,
    ctxSaveSize: a.ctx_save_restore_size,
    sdmaEngine: engine,
    priority: a.queue_priority,
    percentage: a.queue_percentage & 0xff,
  };
  g.link.call({ op: 'create-queue', queue: desc });
  const record: QueueRecord = { id: queueId, gpu: g, desc, buffers };
  k.queues.set(queueId, record);
  const doorbellOffset = kfd.KFD_MMAP.TYPE_DOORBELL | (BigInt(g.gpuId) << kfd.KFD_MMAP.GPU_ID_SHIFT) | BigInt(byte);
  layout.encode({ ...raw, ring_size: ringSize, queue_id: queueId, doorbell_offset: doorbellOffset }, arg);
}

function firstFreeQueueId(k: KfdState): number {
  for (let id = 0; ; id++) if (!k.queues.has(id)) return id;
}

export function destroyQueue(k: KfdState, arg: Uint8Array): unknown {
  const a = kfd.destroyQueueArgs.decode(arg);
  const q = k.queues.get(a.queue_id);
  if (!q) fail('EINVAL', 'pqm_destroy_queue', `no queue ${a.queue_id} in this process`);
  const hang = q.gpu.link.call({ op: 'destroy-queue', queueId: q.id });
  k.queues.delete(q.id);
  return hang;
}

export function updateQueue(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_ioctl_update_queue';
  const a = kfd.updateQueueArgs.decode(arg);
  if ((a.queue_percentage & 0xff) > kfd.KFD_MAX_QUEUE_PERCENTAGE) fail('EINVAL', where, `queue_percentage ${a.queue_percentage & 0xff} > ${kfd.KFD_MAX_QUEUE_PERCENTAGE}`);
  if (a.queue_priority > kfd.KFD_MAX_QUEUE_PRIORITY) fail('EINVAL', where, `queue_priority ${a.queue_priority} > ${kfd.KFD_MAX_QUEUE_PRIORITY}`);
  if (a.ring_base_address !== 0n && !accessOk(a.ring_base_address, 8)) fail('EFAULT', where, `ring_base_address 0x${a.ring_base_address.toString(16)} is not a user address`);
  if (a.ring_size !== 0 && !isPow2(a.ring_size)) fail('EINVAL', where, `ring_size ${a.ring_size} is not a power of 2`);
  const q = k.queues.get(a.queue_id);
  if (!q) fail('EFAULT', 'pqm_update_queue_properties', `no queue ${a.queue_id} in this process`);
  const ringSize = Math.max(a.ring_size, kfd.KFD_MIN_QUEUE_RING_SIZE);
  q.gpu.link.call({ op: 'update-queue', queueId: q.id, ringVa: a.ring_base_address, ringSize, percentage: a.queue_percentage & 0xff, priority: a.queue_priority });
}
