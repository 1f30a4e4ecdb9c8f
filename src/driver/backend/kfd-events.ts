// KFD events: the process event page (GTT memory handed to KFD with the first CREATE_EVENT, so GPU
// writes of an event id into its slot plus an interrupt with that id wake WAIT_EVENTS), and waits.
import { KFD_EVENT_SLOT_BYTES, KFD_IOC, KFD_IOC_EVENT, KFD_IOC_WAIT_RESULT, eventData, hsaHwExceptionData, hsaMemoryExceptionData } from '../../uapi/kfd.js';
import { ioctl } from '../ioctl.js';
import { UseAfterFreeError } from '../errors.js';
import type { Allocation, BackendEvent, WaitOutcome } from './backend.js';
import { kfdRelease, type KfdFile } from './kfd-memory.js';

export interface KfdEvent extends BackendEvent {
  readonly type: number;
  readonly slot: number;
}

export class EventPage {
  readonly memoryEvent: KfdEvent;
  readonly hwEvent: KfdEvent;
  private readonly events = new Map<number, KfdEvent>();
  private pageGiven = false;

  /** `page`: KFD_EVENT_PAGE_BYTES of uncached GTT, mapped into every GPU that writes mailbox slots. */
  constructor(private readonly kfd: KfdFile, readonly page: Allocation) {
    // Auto-reset, as ROCr creates them: a fault is reported by the wait that sees it, once
    // (kfd_reset_event refuses non-signal events, so they cannot be re-armed by hand).
    this.memoryEvent = this.create(KFD_IOC_EVENT.MEMORY, true);
    this.hwEvent = this.create(KFD_IOC_EVENT.HW_EXCEPTION, true);
  }

  create(type: number, autoReset: boolean): KfdEvent {
    const r = ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.CREATE_EVENT, {
      event_page_offset: this.pageGiven ? 0n : this.page.handle,
      event_type: type,
      auto_reset: autoReset ? 1 : 0,
      node_id: 0,
    });
    this.pageGiven = true;
    const e: KfdEvent = { id: r.event_id, type, slot: r.event_slot_index, mailboxVa: this.page.va + BigInt(r.event_slot_index * KFD_EVENT_SLOT_BYTES) };
    this.events.set(e.id, e);
    return e;
  }

  /** Signals the event from the CPU (SET_EVENT, as hsaKmtSetEvent): a waiter on it wakes. */
  signal(e: BackendEvent): void {
    if (this.events.get(e.id) !== e) throw new UseAfterFreeError('/dev/kfd', `KFD event ${e.id}`, 'signal');
    ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.SET_EVENT, { event_id: e.id });
  }

  /** Destroys an event of this page; destroying one twice (or one this page never made) throws. */
  destroyEvent(e: BackendEvent): void {
    if (this.events.get(e.id) !== e) throw new UseAfterFreeError('/dev/kfd', `KFD event ${e.id}`, 'destroy');
    this.events.delete(e.id);
    ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.DESTROY_EVENT, { event_id: e.id });
  }

  /**
   * Sleeps in the kernel until one of `events` (or a memory/hardware exception) fires, or `timeoutMs`
   * passes.
   */
  wait(events: readonly BackendEvent[], timeoutMs: number): WaitOutcome {
    // A destroyed event's id may already name a newer event: waiting on it would be a silent wrong wait.
    for (const e of events) if (this.events.get(e.id) !== e) throw new UseAfterFreeError('/dev/kfd', `KFD event ${e.id}`, 'wait');
    const all = [...events, this.memoryEvent, this.hwEvent];
    const region = this.kfd.scratch.region(all.length * eventData.size);
    all.forEach((e, i) => eventData.encode({ event_id: e.id }, region.bytes, i * eventData.size));
    const r = ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.WAIT_EVENTS, { events_ptr: region.address, num_events: all.length, wait_for_all: 0, timeout: Math.max(0, Math.round(timeoutMs)), wait_result: 0 });
    const memAt = events.length * eventData.size;
    const m = hsaMemoryExceptionData.decode(region.bytes, memAt);
    const h = hsaHwExceptionData.decode(region.bytes, memAt + eventData.size);
    return {
      completed: r.wait_result === KFD_IOC_WAIT_RESULT.COMPLETE,
      memoryFault: m.gpu_id ? { va: m.va, gpuId: m.gpu_id, notPresent: m.failure.NotPresent !== 0, readOnly: m.failure.ReadOnly !== 0, noExecute: m.failure.NoExecute !== 0 } : undefined,
      hwException: h.gpu_id ? { gpuId: h.gpu_id, resetType: h.reset_type, resetCause: h.reset_cause, memoryLost: h.memory_lost !== 0 } : undefined,
    };
  }

  get liveEvents(): number {
    return this.events.size;
  }

  destroy(): void {
    for (const e of [...this.events.values()]) this.destroyEvent(e);
    kfdRelease(this.kfd, this.page);
  }
}
