// KFD event ioctls (kfd_chardev.c, kfd_events.c).
import * as kfd from '../../uapi/kfd.js';
import { fail } from './errors.js';
import type { EventPage, KfdState } from './state.js';
import { requireBoundGpu } from './misc-ioctls.js';
import { lookupBo } from './memory-ioctls.js';
import { EVENT_TABLE_ENTRIES } from '../engine/event-table.js';

const E = kfd.KFD_IOC_EVENT;
/** Event ids of events that are not signal events start past the signal slots (kfd_events.c). */
export const FIRST_NONSIGNAL_EVENT_ID = kfd.KFD_SIGNAL_EVENT_LIMIT;
/** wait_events timeout meaning "forever" (KFD_EVENT_TIMEOUT_INFINITE). */
const TIMEOUT_INFINITE = 0xffffffff;
const UNSIGNALED = 0xffffffffffffffffn;
/** sizeof(struct kfd_event_waiter) on x86-64 (wait_queue_entry 40 + event pointer 8 + two bools, padded). */
const EVENT_WAITER_BYTES = 56;
/** KMALLOC_MAX_SIZE with 4 KiB pages and MAX_PAGE_ORDER 10: larger kcalloc requests return NULL. */
const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;

/** allocate_signal_page: without a user page KFD allocates its own, and old user mode mapped 256 slots. */
const KERNEL_SIGNAL_PAGE_SLOTS = 256;
/** kfd_event_init_process reserves event id 0 (interrupts without a context id). */
const FIRST_SIGNAL_EVENT_ID = 1;

function signalSlots(page: EventPage): BigUint64Array {
  const b = page.backing.bytes;
  return new BigUint64Array(b.buffer, b.byteOffset + page.backingOffset, kfd.KFD_SIGNAL_EVENT_LIMIT);
}

function installEventPage(k: KfdState, page: EventPage): void {
  signalSlots(page).fill(UNSIGNALED);
  k.eventPage = page;
  for (const g of k.gpus) {
    g.share(page.backing);
    g.link.call({ op: 'event-page', backingId: page.backing.id, offset: page.backingOffset });
  }
}

/** kfd_kmap_event_page: the handle of a GTT BO given with a CREATE_EVENT becomes the signal page. */
function setEventPage(k: KfdState, pageHandle: bigint): void {
  const where = 'kfd_kmap_event_page';
  if (k.eventPage) fail('EINVAL', where, 'the process already has an event page (one given earlier, or the one KFD allocated for an earlier signal event)');
  requireBoundGpu(k, Number(pageHandle >> 32n), where, 'ENODEV');
  const bo = lookupBo(k, pageHandle, where);
  if (bo.kind !== 'gtt') fail('EINVAL', 'amdgpu_amdkfd_gpuvm_map_gtt_bo_to_kernel', `the event page must be a GTT BO, not ${bo.kind}`);
  // kfd_event_page_set clears KFD_SIGNAL_EVENT_LIMIT slots whatever the BO size; the emulator refuses a
  // smaller BO instead of writing past it.
  if (bo.size < kfd.KFD_EVENT_PAGE_BYTES) fail('EINVAL', 'kfd_event_page_set', `event page BO has ${bo.size} bytes; KFD needs ${kfd.KFD_EVENT_PAGE_BYTES}`);
  installEventPage(k, { backing: bo.backing, backingOffset: bo.backingOffset, bo, slots: Math.min(bo.size / kfd.KFD_EVENT_SLOT_BYTES, kfd.KFD_SIGNAL_EVENT_LIMIT) });
}

/** kfd_event_create → create_signal_event (ids from 1, up to the mapped slots) or create_other_event. */
export function createEvent(k: KfdState, arg: Uint8Array): void {
  const a = kfd.createEventArgs.decode(arg);
  if (a.event_page_offset !== 0n) setEventPage(k, a.event_page_offset);
  const isSignal = a.event_type === E.SIGNAL || a.event_type === E.DEBUG_EVENT;
  let id: number;
  let index: number;
  if (isSignal) {
    const used = [...k.eventRecords.values()].filter((e) => e.id < FIRST_NONSIGNAL_EVENT_ID).length + FIRST_SIGNAL_EVENT_ID;
    if (k.eventPage && used >= k.eventPage.slots) fail('ENOSPC', 'create_signal_event', `all ${k.eventPage.slots} signal slots of the event page are in use (event id 0 is reserved)`);
    if (!k.eventPage) installEventPage(k, { backing: k.memory.allocate(kfd.KFD_EVENT_PAGE_BYTES, 'KFD signal page'), backingOffset: 0, bo: undefined, slots: KERNEL_SIGNAL_PAGE_SLOTS });
    id = FIRST_SIGNAL_EVENT_ID;
    while (k.eventRecords.has(id)) id++;
    index = id;
    const slots = signalSlots(k.eventPage!);
    Atomics.store(slots, id, UNSIGNALED);
  } else {
    id = FIRST_NONSIGNAL_EVENT_ID;
    while (k.eventRecords.has(id)) id++;
    index = id - FIRST_NONSIGNAL_EVENT_ID + kfd.KFD_SIGNAL_EVENT_LIMIT;
    if (index >= EVENT_TABLE_ENTRIES) fail('ENOMEM', 'create_other_event', 'too many events');
  }
  k.events.add(index, { id, type: a.event_type, autoReset: a.auto_reset !== 0, slot: id });
  k.eventRecords.set(id, { id, index, type: a.event_type, autoReset: a.auto_reset !== 0 });
  kfd.createEventArgs.encode(
    {
      ...a,
      event_id: id,
      event_trigger_data: id,
      event_page_offset: isSignal ? kfd.KFD_MMAP.TYPE_EVENTS : 0n,
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
  if (e.type !== E.SIGNAL) fail('EINVAL', 'kfd_reset_event', `event ${e.id} is not a signal event and cannot be reset by the CPU`);
  k.events.reset(e.index);
}

/** One KFD_IOC_WAIT_EVENTS in progress, checked without blocking (a served client's wait sleeps asynchronously). */
export interface EventWait {
  /** performance.now() at which the wait times out (Infinity for KFD's infinite timeout). */
  readonly deadline: number;
  /** Completes the wait when its condition holds, copying the event data out; true then. */
  poll(): boolean;
  /** Ends the wait as timed out. */
  timeOut(): void;
}

/**
 * kfd_wait_on_events: blocks the caller until the events fire or the timeout (ms) passes. Any failure
 * leaves wait_result KFD_IOC_WAIT_RESULT_FAIL in the arguments the caller gets back.
 */
export function waitEvents(k: KfdState, arg: Uint8Array): void {
  const w = beginWaitEvents(k, arg);
  for (;;) {
    const gen = k.events.generation;
    if (w.poll()) return;
    const left = w.deadline - performance.now();
    if (left <= 0) return w.timeOut();
    k.events.waitForChange(gen, Math.min(left, 1000));
  }
}

/** Validates a wait (init_event_waiter) and returns it, not yet checked. */
export function beginWaitEvents(k: KfdState, arg: Uint8Array): EventWait {
  try {
    return prepareWait(k, arg);
  } catch (e) {
    kfd.waitEventsArgs.encode({ ...kfd.waitEventsArgs.decode(arg), wait_result: kfd.KFD_IOC_WAIT_RESULT.FAIL }, arg);
    throw e;
  }
}

function prepareWait(k: KfdState, arg: Uint8Array): EventWait {
  const where = 'kfd_wait_on_events';
  const a = kfd.waitEventsArgs.decode(arg);
  if (a.num_events * EVENT_WAITER_BYTES > KMALLOC_MAX_SIZE) fail('ENOMEM', 'alloc_event_waiters', `${a.num_events} waiters do not fit in one kcalloc`);
  const size = kfd.eventData.size;
  const data = k.user.read(a.events_ptr, a.num_events * size, where);
  const entries = Array.from({ length: a.num_events }, (_, i) => {
    const d = kfd.eventData.decode(data, i * size);
    return lookupEvent(k, d.event_id, 'init_event_waiter');
  });
  // test_event_condition: "any" completes on the first fired event; otherwise the fired count must equal
  // num_events — so a wait on no events at all completes at once, in either mode.
  const done = (): boolean => {
    const fired = entries.filter((e) => k.events.isSignaled(e.index)).length;
    return (!a.wait_for_all && fired > 0) || fired === entries.length;
  };
  return {
    deadline: a.timeout === TIMEOUT_INFINITE ? Infinity : performance.now() + a.timeout,
    poll: () => {
      if (!done()) return false;
      entries.forEach((e, i) => {
        if (!k.events.isSignaled(e.index)) return;
        copyEventData(k, e.index, e.type, data, i * size);
        if (e.autoReset) k.events.reset(e.index);
      });
      k.user.write(a.events_ptr, data, where);
      kfd.waitEventsArgs.encode({ ...a, wait_result: kfd.KFD_IOC_WAIT_RESULT.COMPLETE }, arg);
      return true;
    },
    timeOut: () => kfd.waitEventsArgs.encode({ ...a, wait_result: kfd.KFD_IOC_WAIT_RESULT.TIMEOUT }, arg),
  };
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
