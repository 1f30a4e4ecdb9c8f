// A timeline: a 64-bit counter in host-visible memory that a queue's fences raise, plus the backend
// event its interrupts fire. A CPU wait spins briefly, then sleeps in the backend (WAIT_EVENTS on KFD), re-checking the value
// after every wakeup (interrupts can be coalesced or lost; memory is the truth).
import { amdSignal, AMD_SIGNAL_BYTES, AMD_SIGNAL_KIND } from '../uapi/hsa.js';
import { GpuFaultError, WaitTimeoutError } from './errors.js';
import type { Device } from './device.js';
import type { BackendEvent, MemoryFault } from './backend/backend.js';
import type { Slice } from './suballoc.js';

/** How long a wait polls memory before sleeping on the event (a fence usually lands within this). */
const SPIN_MS = 0.2;
/** Longest single sleep in the kernel; the value is re-read after each. */
const SLEEP_SLICE_MS = 100;
/** How often a wait that polls memory asks KFD whether a memory fault evicted the queues (throwIfFaulted). */
export const FAULT_CHECK_MS = 10;
export const DEFAULT_WAIT_MS = 10_000;

export interface WaitStats {
  /** Waits that returned without sleeping. */
  spins: number;
  /** WAIT_EVENTS calls that came back because the event fired. */
  interruptWakeups: number;
  /** WAIT_EVENTS calls that came back on their timeout. */
  sleepTimeouts: number;
}

/**
 * `counter`: a u64 the GPU raises to each fence value. `amd-signal`: an amd_signal_t (AQL completion
 * signal) starting at COUNTDOWN_START that the packet processor decrements once per packet, so the
 * timeline value is COUNTDOWN_START - value.
 */
export type TimelineKind = 'counter' | 'amd-signal';
const COUNTDOWN_START = 1n << 62n;

export class Timeline {
  readonly slice: Slice;
  /** Address of the 64-bit cell the GPU writes (for amd-signal: the signal's address). */
  readonly va: bigint;
  readonly event: BackendEvent;
  private readonly cell: BigInt64Array;
  /** The same cell as two 32-bit halves, for reads without BigInt arithmetic. */
  private readonly halves: Int32Array;
  readonly stats: WaitStats = { spins: 0, interruptWakeups: 0, sleepTimeouts: 0 };

  constructor(private readonly device: Device, readonly label: string, readonly kind: TimelineKind = 'counter') {
    this.event = device.backend.createEvent();
    if (kind === 'counter') {
      this.slice = device.allocSmall(16, 16);
      this.cell = new BigInt64Array(this.slice.bytes.buffer, this.slice.bytes.byteOffset, 1);
      Atomics.store(this.cell, 0, 0n);
      this.halves = new Int32Array(this.slice.bytes.buffer, this.slice.bytes.byteOffset, 2);
    } else {
      this.slice = device.allocSmall(AMD_SIGNAL_BYTES, 64);
      const b = this.slice.bytes;
      amdSignal.encode({ kind: BigInt(AMD_SIGNAL_KIND.USER), value: COUNTDOWN_START, event_mailbox_ptr: this.event.mailboxVa, event_id: this.event.id }, b, 0);
      this.cell = new BigInt64Array(b.buffer, b.byteOffset + amdSignal.offsetOf('value'), 1);
      this.halves = new Int32Array(b.buffer, b.byteOffset + amdSignal.offsetOf('value'), 2);
    }
    this.va = this.slice.va;
  }

  /** The mailbox the GPU writes the event id to before raising the interrupt (KFD's event slot). */
  get mailboxVa(): bigint {
    return this.event.mailboxVa;
  }

  /**
   * The value as a number (exact below 2^53), read without BigInt arithmetic: high half, low half,
   * high half again, so a carry between the two reads is never mixed in.
   */
  get count(): number {
    let hi: number;
    let lo: number;
    do {
      hi = Atomics.load(this.halves, 1) >>> 0;
      lo = Atomics.load(this.halves, 0) >>> 0;
    } while ((Atomics.load(this.halves, 1) >>> 0) !== hi);
    // amd-signal: COUNTDOWN_START (2^62) - raw = (2^30 - hi) * 2^32 - lo.
    return this.kind === 'counter' ? hi * 4294967296 + lo : (0x40000000 - hi) * 4294967296 - lo;
  }

  get value(): bigint {
    const raw = Atomics.load(this.cell, 0);
    return this.kind === 'counter' ? raw : COUNTDOWN_START - raw;
  }

  /**
   * Blocks until the value reaches `target`. `diagnose` describes the queue for the timeout error.
   * A memory fault reported by KFD during the wait ends it with GpuFaultError.
   */
  wait(target: bigint, timeoutMs: number, what: string, diagnose: () => string): void {
    if (this.value >= target) {
      this.stats.spins++;
      return;
    }
    const start = performance.now();
    while (performance.now() - start < SPIN_MS) if (this.value >= target) return void this.stats.spins++;
    const backend = this.device.backend;
    for (;;) {
      // After a VM fault KFD evicts every queue of the process on that GPU, for good
      // (kfd_set_dbg_ev_from_interrupt → kfd_dqm_evict_pasid): unfinished work there never completes.
      const lost = this.device.vmFault;
      if (lost) {
        if (this.value >= target) return;
        throw this.faultError(lost, what, diagnose, true);
      }
      const left = timeoutMs - (performance.now() - start);
      if (left <= 0) throw new WaitTimeoutError(this.device.name, `${what} (timeline ${this.label} at ${this.value}, waiting for ${target})`, timeoutMs, `${diagnose()}\n${this.device.registerSnapshot()}`);
      const out = backend.waitEvents([this.event], Math.min(SLEEP_SLICE_MS, Math.ceil(left)));
      // The backend records a fault on the GPU it names, whoever's wait saw it; this device had none
      // before the wait (checked above), so it is this device's exactly when it is now its vmFault.
      const f = out.memoryFault;
      if (f && this.device.vmFault === f && this.value < target) throw this.faultError(f, what, diagnose, false);
      if (out.completed) this.stats.interruptWakeups++;
      else this.stats.sleepTimeouts++;
      if (this.value >= target) return;
    }
  }

  /**
   * For waits that poll memory rather than sleep on this timeline's event (free ring space): asks KFD,
   * without sleeping, whether a GPU memory fault was reported, and fails as wait() does when one was
   * (KFD evicted the queue: what it has not consumed it never will).
   */
  throwIfFaulted(what: string, diagnose: () => string): void {
    const earlier = this.device.vmFault !== undefined;
    if (!earlier) this.device.backend.waitEvents([], 0);
    const f = this.device.vmFault;
    if (f) throw this.faultError(f, what, diagnose, earlier);
  }

  private faultError(f: MemoryFault, what: string, diagnose: () => string, earlier: boolean): GpuFaultError {
    const kind = f.notPresent ? 'page not present' : f.readOnly ? 'write to read-only page' : f.noExecute ? 'no-execute' : 'unknown';
    const note = `${earlier ? 'this fault happened earlier; ' : ''}KFD evicted every queue of this process on gpu_id ${f.gpuId}: work not yet done there will not complete (close the session and open the device again)`;
    return new GpuFaultError(this.device.name, f.va, kind, f.gpuId, `while waiting for ${what}\n${note}\n${diagnose()}`, this.device.boundsFault(f.va));
  }

  destroy(): void {
    this.device.backend.destroyEvent(this.event);
    this.device.freeSmall(this.slice);
  }
}
