// KFD event ioctls (kfd_chardev.c, kfd_events.c).
import * as kfd from '../../uapi/kfd.js';
import { fail } from './errors.js';
import type { KfdState } from './state.js';
import { lookupBo } from './memory-ioctls.js';
import { userBytes } from './user-memory.js';
import { EVENT_TABLE_ENTRIES } from '../engine/event-table.js';

const E = kfd.KFD_IOC_EVENT;
/** Event ids of events that are not signal events start past the signal slots (kfd_events.c). */
export const FIRST_NONSIGNAL_EVENT_ID = kfd.KFD_SIGNAL_EVENT_LIMIT;
/** wait_events timeout meaning "forever" (KFD_EVENT_TIMEOUT_INFINITE). */
const TIMEOUT_INFINITE = 0xffffffff;
const UNSIGNALED = 0xffffffffffffffffn;

function setEventPage(k: KfdState, pageHandle: bigint): void {
  const where = 'kfd_ioctl_create_event';
  const gpuId = Number(pageHandle >> 32n);
  if (!k.gpus.some((g) => g.gpuId === gpuId)) fail('EINVAL', where, `event_page_offset 0x${pageHandle.toString(16)} names no GPU (gpu_id ${gpuId})`);
  const bo = lookupBo(k, pageHandle, where);
  if (bo.kind !== 'gtt') fail('EINVAL', 'amdgpu_amdkfd_gpuvm_map_gtt_bo_to_kernel', `the event page must be a GTT BO, not ${bo.kind}`);
  if (k.eventPage) fail('EBUSY', 'kfd_event_page_set', 'the process already has an event page');
  if (bo.size < kfd.KFD_EVENT_PAGE_BYTES) fail('EINVAL', 'kfd_event_page_set', `event page BO has ${bo.size} bytes; KFD needs ${kfd.KFD_EVENT_PAGE_BYTES}`);
  k.eventPage = bo;
  for (const g of k.gpus) {
    g.share(bo.backing);
    g.link.call({ op: 'event-page', backingId: bo.backing.id, offset: bo.backingOffset });
  }
}

export function createEvent(k: KfdState, arg: Uint8Array): void {
  const a = kfd.createEventArgs.decode(arg);
  if (a.event_page_offset !== 0n) setEventPage(k, a.event_page_offset);
  let id: number;
  let index: number;
  if (a.event_type === E.SIGNAL || a.event_type === E.DEBUG_EVENT) {
    if (!k.eventPage) fail('EINVAL', 'create_signal_event', 'no event page: pass a GTT BO handle in event_page_offset with the first CREATE_EVENT');
    const used = [...k.eventRecords.values()].filter((e) => e.id < FIRST_NONSIGNAL_EVENT_ID).length;
    if (used >= kfd.KFD_SIGNAL_EVENT_LIMIT) fail('ENOSPC', 'create_signal_event', `signal event limit ${kfd.KFD_SIGNAL_EVENT_LIMIT} reached`);
    id = 0;
    while (k.eventRecords.has(id)) id++;
    index = id;
    const slots = new BigUint64Array(k.eventPage.backing.sab, k.eventPage.backingOffset, kfd.KFD_SIGNAL_EVENT_LIMIT);
    Atomics.store(slots, id, UNSIGNALED);
  } else {
    id = FIRST_NONSIGNAL_EVENT_ID;
    while (k.eventRecords.has(id)) id++;
    index = id - FIRST_NONSIGNAL_EVENT_ID + kfd.KFD_SIGNAL_EVENT_LIMIT;
    if (index >= EVENT_TABLE_ENTRIES) fail('ENOMEM', 'create_other_event', 'too many events');
  }
  k.events.add(index, { id, type: a.event_type, autoReset: a.auto_reset !== 0, slot: id });
  k.eventRecords.set(id, { id, index, type: a.event_type, autoReset: a.auto_reset !== 0 });
  const isSignal = a.event_type === E.SIGNAL || a.event_type === E.DEBUG_EVENT;
  kfd.createEventArgs.encode(
    {
      ...a,
      event_id: id,
      event_trigger_data: id,
      event_page_offset: isSignal ? kfd.KFD_MMAP.TYPE_EVENTS : a.event_page_offset,
      event_slot_index: isSignal ? id : a.event_slot_index,
    },
    arg,
  );
}

function lookupEvent(k: KfdState, id: number, where: string) {
  const e = k.eventRecords.get(id);
  if (!e) fail('EINVAL', where, `no event ${id} in this process`);
  return e;
}

export function destroyEvent(k: KfdState, arg: Uint8Array): void {
  const a = kfd.destroyEventArgs.decode(arg);
  const e = lookupEvent(k, a.event_id, 'kfd_event_destroy');
  k.events.remove(e.index);
  k.eventRecords.delete(e.id);
}

export function setEvent(k: KfdState, arg: Uint8Array): void {
  const a = kfd.setEventArgs.decode(arg);
  const e = lookupEvent(k, a.event_id, 'kfd_set_event');
  if (e.type !== E.SIGNAL) fail('EINVAL', 'kfd_set_event', `event ${e.id} is not a signal event and cannot be signaled by the CPU`);
  k.events.signal(e.index);
}

export function resetEvent(k: KfdState, arg: Uint8Array): void {
  const a = kfd.resetEventArgs.decode(arg);
  const e = lookupEvent(k, a.event_id, 'kfd_reset_event');
  k.events.reset(e.index);
}

/** kfd_wait_on_events: blocks the caller until the events fire or the timeout (ms) passes. */
export function waitEvents(k: KfdState, arg: Uint8Array): void {
  const where = 'kfd_wait_on_events';
  const a = kfd.waitEventsArgs.decode(arg);
  const size = kfd.eventData.size;
  const data = userBytes(k.addressSpace, a.events_ptr, a.num_events * size, where);
  const entries = Array.from({ length: a.num_events }, (_, i) => {
    const d = kfd.eventData.decode(data, i * size);
    return lookupEvent(k, d.event_id, where);
  });
  const done = (): boolean => {
    const fired = entries.map((e) => k.events.isSignaled(e.index));
    return a.wait_for_all ? fired.every(Boolean) : fired.some(Boolean);
  };
  const deadline = a.timeout === TIMEOUT_INFINITE ? Infinity : performance.now() + a.timeout;
  let complete = false;
  for (;;) {
    const gen = k.events.generation;
    if (done()) {
      complete = true;
      break;
    }
    const left = deadline - performance.now();
    if (left <= 0) break;
    k.events.waitForChange(gen, Math.min(left, 1000));
  }
  if (complete) {
    entries.forEach((e, i) => {
      if (!k.events.isSignaled(e.index)) return;
      copyEventData(k, e.index, e.type, data, i * size);
      if (e.autoReset) k.events.reset(e.index);
    });
  }
  kfd.waitEventsArgs.encode({ ...a, wait_result: complete ? kfd.KFD_IOC_WAIT_RESULT.COMPLETE : kfd.KFD_IOC_WAIT_RESULT.TIMEOUT }, arg);
}

function copyEventData(k: KfdState, index: number, type: number, out: Uint8Array, at: number): void {
  if (type === E.MEMORY) {
    const m = k.events.memoryException(index);
    if (!m) return;
    kfd.hsaMemoryExceptionData.encode({ failure: { NotPresent: m.notPresent ? 1 : 0, ReadOnly: m.readOnly ? 1 : 0, NoExecute: m.noExecute ? 1 : 0, imprecise: 0 }, va: m.va, gpu_id: m.gpuId, ErrorType: 0 }, out, at);
  } else if (type === E.HW_EXCEPTION) {
    const h = k.events.hwException(index);
    if (!h) return;
    kfd.hsaHwExceptionData.encode({ reset_type: h.resetType, reset_cause: h.resetCause, memory_lost: h.memoryLost ? 1 : 0, gpu_id: h.gpuId }, out, at);
  }
}
