// KFD events: the process event page (a GTT buffer handed to KFD with the first CREATE_EVENT, so GPU
// writes of an event id into its slot plus an interrupt with that id wake WAIT_EVENTS), and waits.
import { KFD_EVENT_PAGE_BYTES, KFD_EVENT_SLOT_BYTES, KFD_IOC, KFD_IOC_EVENT, KFD_IOC_WAIT_RESULT, eventData, hsaHwExceptionData, hsaMemoryExceptionData } from '../uapi/kfd.js';
import { ioctl } from './ioctl.js';
import { UseAfterFreeError } from './errors.js';
import { releaseToKernel, type GpuBuffer } from './memory.js';
import type { Device } from './device.js';
import type { Kfd } from './kfd.js';

export interface KfdEvent {
  readonly id: number;
  readonly type: number;
  readonly slot: number;
  /** GPU address of the event's mailbox slot in the event page. */
  readonly mailboxVa: bigint;
}

export interface MemoryFault {
  readonly va: bigint;
  readonly gpuId: number;
  readonly notPresent: boolean;
  readonly readOnly: boolean;
  readonly noExecute: boolean;
}

export interface HwException {
  readonly gpuId: number;
  readonly resetType: number;
  readonly resetCause: number;
  readonly memoryLost: boolean;
}

export interface WaitOutcome {
  readonly completed: boolean;
  readonly memoryFault: MemoryFault | undefined;
  readonly hwException: HwException | undefined;
}

export class EventPage {
  readonly buffer: GpuBuffer;
  readonly memoryEvent: KfdEvent;
  readonly hwEvent: KfdEvent;
  private readonly events = new Map<number, KfdEvent>();
  private pageGiven = false;

  constructor(private readonly kfd: Kfd, owner: Device) {
    this.buffer = owner.alloc(KFD_EVENT_PAGE_BYTES, { domain: 'gtt', uncached: true, guard: false, label: 'KFD event page' });
    // The page serves every device of the process and the kernel refuses to free it (EPERM): it is
    // the session's, not the allocating device's, so that device's close() must not try.
    owner.forget(this.buffer);
    // Auto-reset, as ROCr creates them: a fault is reported by the wait that sees it, once
    // (kfd_reset_event refuses non-signal events, so they cannot be re-armed by hand).
    this.memoryEvent = this.create(KFD_IOC_EVENT.MEMORY, true);
    this.hwEvent = this.create(KFD_IOC_EVENT.HW_EXCEPTION, true);
  }

  /** Lets another GPU write mailbox slots. */
  attach(device: Device): void {
    this.buffer.mapTo([device.gpuId]);
  }

  create(type: number, autoReset: boolean): KfdEvent {
    const r = ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.CREATE_EVENT, {
      event_page_offset: this.pageGiven ? 0n : this.buffer.handle,
      event_type: type,
      auto_reset: autoReset ? 1 : 0,
      node_id: 0,
    });
    this.pageGiven = true;
    const e: KfdEvent = { id: r.event_id, type, slot: r.event_slot_index, mailboxVa: this.buffer.va + BigInt(r.event_slot_index * KFD_EVENT_SLOT_BYTES) };
    this.events.set(e.id, e);
    return e;
  }

  /** Signals the event from the CPU (SET_EVENT, as hsaKmtSetEvent): a waiter on it wakes. */
  signal(e: KfdEvent): void {
    if (this.events.get(e.id) !== e) throw new UseAfterFreeError('/dev/kfd', `KFD event ${e.id}`, 'signal');
    ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.SET_EVENT, { event_id: e.id });
  }

  /** Destroys an event of this page; destroying one twice (or one this page never made) throws. */
  destroyEvent(e: KfdEvent): void {
    if (this.events.get(e.id) !== e) throw new UseAfterFreeError('/dev/kfd', `KFD event ${e.id}`, 'destroy');
    this.events.delete(e.id);
    ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.DESTROY_EVENT, { event_id: e.id });
  }

  /**
   * Sleeps in the kernel until one of `events` (or a memory/hardware exception) fires, or `timeoutMs`
   * passes.
   */
  wait(events: readonly KfdEvent[], timeoutMs: number): WaitOutcome {
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
    releaseToKernel(this.buffer);
  }
}
