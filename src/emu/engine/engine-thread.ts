// One GPU's engines: runs every queue of the GPU, interleaved, so compute and SDMA progress together,
// and serves the kernel side's requests between steps.
import { collectGarbage } from './gc.js';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { CTRL, type EngineRequest, type EngineSetup, type QueueDescriptor } from './protocol.js';
import { GpuVm, type GpuFault } from '../gpu-vm.js';
import { EventTable, type EventEntry } from './event-table.js';
import { KFD_IOC_EVENT, KFD_SIGNAL_EVENT_LIMIT } from '../../uapi/kfd.js';
import { gpuClock } from './clock.js';
import { writeReply } from './reply.js';
import type { EngineContext, QueueEngine, QueueEngineFactory, StepResult } from './context.js';
import type { BackingShare } from '../process/backing.js';
import { mapSharedFd } from '../../os/shared-memory.js';
import { setTimerSlack } from '../../os/timer-slack.js';
import { SpinWindow, type SpinLimits } from './spin-window.js';

/** 64-bit value KFD writes into an event page slot that has not been signaled (kfd_events.c). */
const UNSIGNALED_EVENT_SLOT = 0xffffffffffffffffn;
/** How long an idle engine sleeps between doorbell scans (a store without the kick is still seen). */
const IDLE_SCAN_MS = 20;
/**
 * How often a queue blocked on a memory condition re-checks it (hardware polls continuously; a CPU
 * store to the watched word rings no doorbell). The worker sets its timer slack to 1 ns, so the sleep
 * ends about this late rather than 50 µs later.
 */
const WAIT_POLL_MS = 0.01;
/**
 * After its last work the engine polls (doorbells, requests, waiting queues' memory conditions) for
 * 0.05 ms before it sleeps, as a real CP polls: the next doorbell of a launch-and-wait loop, or the word
 * a WAIT_REG_MEM watches, comes a few microseconds after the CPU saw the previous result, and is then
 * seen within a poll. Longer would only hold a core the rest of the process (tests, shader workers)
 * may need, except after sleeps that work soon ended: then up to 0.5 ms (spin-window.ts). With 0.05 ms
 * fixed, 5 of 24 runs of 2000 warm-up and 300 timed launch → waits on emu:gfx90a had a median of
 * 75-90 µs (engine and CPU thread each asleep when the other finished, each wake-up 50-400 µs on this
 * VM); adaptive, 0 of 12 (3.0-8.2 µs).
 * A 0.1 ms gap between polls (descheduled) twice within 20 ms (the cores are oversubscribed) stops
 * polling for 5 ms. Windows that end with nothing found back nothing off: with a 5 ms back-off after 4
 * of them in a row, the bench's AQL launch → wait median was 8-24 µs in 6 of 16 rounds of 1000
 * launches (1.9-4.0 µs in the rest); without it, 1.6-2.3 µs in all 16.
 */
export const ENGINE_SPIN: SpinLimits = { windowMs: 0.05, maxWindowMs: 0.5, preemptedMs: 0.1, preemptedAgainMs: 20, backoffMs: 5 };
const STEP_BUDGET = 64;
/** A served engine polls its doorbells every doorbellPollMs for this long after the last doorbell, then every SLOW_POLL_MS. */
const FAST_POLL_WINDOW_MS = 500;
const SLOW_POLL_MS = 2;

/** A queue as the step loop sees it: its engine, its doorbell's 64-bit word (-1: none) and the value last seen there. */
interface RunningQueue {
  readonly queue: QueueEngine;
  readonly doorbellWord: number;
  lastDoorbell: bigint;
  /** Its last step did work or found it waiting on memory: it wants its next turn soon. */
  busy: boolean;
}

/** This thread's view of a backing: the shared buffer itself, or its own mapping of the shared file. */
function viewOf(share: BackingShare, label: string): { bytes: Uint8Array; unmap?: () => void } {
  return share.kind === 'sab' ? { bytes: new Uint8Array(share.sab) } : mapSharedFd(share.fd, share.size, label);
}

export class EngineThread implements EngineContext {
  readonly gpuId: number;
  readonly target: string;
  readonly vm = new GpuVm();
  readonly inject: ReadonlySet<string>;
  readonly paused: boolean;
  scratchVa: bigint | undefined;
  private readonly ctrl: Int32Array;
  private readonly doorbells: BigUint64Array;
  private readonly events: EventTable;
  private readonly backings = new Map<number, { bytes: Uint8Array; unmap?: () => void }>();
  private readonly queues = new Map<number, QueueEngine>();
  /** The queues in creation order with their doorbell words, for the step loop and the doorbell scan. */
  private running: RunningQueue[] = [];
  private eventPage: { bytes: Uint8Array; slots: BigUint64Array } | undefined;
  private handled = 0;
  private lastDoorbellAt = 0;
  /**
   * Set by a VM fault: every queue of the process on this GPU is evicted and stays so, queues created
   * afterwards included (kfd_set_dbg_ev_from_interrupt → kfd_dqm_evict_pasid for a process no
   * debugger holds; create_queue_cpsch marks new queues of an evicted process evicted). Only closing
   * the process (/dev/kfd) ends it.
   */
  private evicted: string | undefined;

  constructor(private readonly setup: EngineSetup, private readonly port: MessagePort, private readonly factories: Record<QueueDescriptor['kind'], QueueEngineFactory>) {
    this.gpuId = setup.gpuId;
    this.target = setup.target;
    this.inject = new Set(setup.inject);
    this.paused = setup.paused;
    this.ctrl = new Int32Array(setup.ctrl);
    const doorbells = viewOf(setup.doorbells, 'doorbells').bytes;
    this.doorbells = new BigUint64Array(doorbells.buffer, doorbells.byteOffset, doorbells.byteLength >>> 3);
    this.events = new EventTable(setup.events);
  }

  clock(): bigint {
    return gpuClock();
  }

  interrupt(ctxid: number, _source: string): void {
    if (!this.eventPage || this.inject.has('drop-interrupt')) return;
    // kfd_signal_event_interrupt: the context id names an event, which fires only if the GPU wrote its
    // event page slot first. When that lookup fails (no such event, or its slot still unsignaled), KFD
    // searches the whole page and fires every event whose slot was written.
    const slots = this.eventPage.slots;
    const named = ctxid < KFD_SIGNAL_EVENT_LIMIT ? this.events.entry(ctxid) : undefined;
    if (named && Atomics.load(slots, named.slot) !== UNSIGNALED_EVENT_SLOT) return this.setEventFromInterrupt(named, slots);
    for (let id = 1; id < KFD_SIGNAL_EVENT_LIMIT; id++) {
      if (Atomics.load(slots, id) === UNSIGNALED_EVENT_SLOT) continue;
      const e = this.events.entry(id);
      if (e) this.setEventFromInterrupt(e, slots);
    }
  }

  /** set_event_from_interrupt: only signal and debug events can be GPU-signaled; acknowledge_signal marks the slot unsignaled again. */
  private setEventFromInterrupt(e: EventEntry, slots: BigUint64Array): void {
    if (e.type !== KFD_IOC_EVENT.SIGNAL && e.type !== KFD_IOC_EVENT.DEBUG_EVENT) return;
    Atomics.store(slots, e.slot, UNSIGNALED_EVENT_SLOT);
    this.events.signal(e.index);
  }

  vmFault(fault: GpuFault): void {
    this.evicted ??= `VM fault at 0x${fault.va.toString(16)} (${fault.kind}) by ${fault.client}: KFD evicted every queue of the process on this GPU`;
    for (const i of this.events.ofType(KFD_IOC_EVENT.MEMORY)) {
      this.events.setMemoryException(i, { va: fault.va & ~0xfffn, gpuId: this.gpuId, notPresent: fault.kind === 'not-present', readOnly: fault.kind === 'read-only', noExecute: fault.kind === 'no-execute' });
      this.events.signal(i);
    }
  }

  run(): void {
    // The short polls of waiting queues (WAIT_POLL_MS) must not be stretched by 50 µs each.
    setTimerSlack(1);
    let seenKick = Atomics.load(this.ctrl, CTRL.KICK);
    const spin = new SpinWindow(ENGINE_SPIN);
    /** The last sleep's length, until the step after it tells whether work was waiting (-1: none pending). */
    let sleptMs = -1;
    for (;;) {
      if (Atomics.load(this.ctrl, CTRL.STOP)) return;
      this.serveRequests();
      this.scanDoorbells();
      const result = this.stepAll();
      if (sleptMs >= 0) {
        spin.slept(sleptMs, result === 'progress');
        sleptMs = -1;
      }
      if (result === 'progress') {
        // Work in flight: also what the served sysfs's gpu_busy_percent samples.
        Atomics.store(this.ctrl, CTRL.BUSY, 1);
        spin.worked();
        continue;
      }
      Atomics.store(this.ctrl, CTRL.BUSY, result === 'waiting' ? 1 : 0);
      const kick = Atomics.load(this.ctrl, CTRL.KICK);
      if (kick !== seenKick) {
        seenKick = kick;
        continue;
      }
      if (spin.pollAgain(performance.now())) continue;
      // Marked before the wait checks KICK: a kick either sees the mark or changed KICK first, and then
      // the wait does not sleep.
      Atomics.store(this.ctrl, CTRL.SLEEPING, 1);
      const sleptAt = performance.now();
      Atomics.wait(this.ctrl, CTRL.KICK, kick, result === 'waiting' ? WAIT_POLL_MS : this.idleSleepMs());
      Atomics.store(this.ctrl, CTRL.SLEEPING, 0);
      sleptMs = performance.now() - sleptAt;
      seenKick = Atomics.load(this.ctrl, CTRL.KICK);
    }
  }

  /** How long an idle engine sleeps before it looks at the doorbells again. */
  private idleSleepMs(): number {
    const poll = this.setup.doorbellPollMs;
    if (poll === undefined) return IDLE_SCAN_MS;
    return performance.now() - this.lastDoorbellAt < FAST_POLL_WINDOW_MS ? poll : SLOW_POLL_MS;
  }

  /**
   * What a kernel ring sees: the same VM and clock, but its end-of-pipe interrupts are the kernel's fence
   * interrupts (amdgpu_fence_process; the kernel side reads the fence memory instead), its faults are not
   * KFD's to act on, and it runs even when user queues are paused for submission benchmarks.
   */
  private kernelRingContext(): EngineContext {
    const engine = this;
    return {
      gpuId: this.gpuId,
      target: this.target,
      vm: this.vm,
      clock: () => engine.clock(),
      interrupt: () => undefined,
      vmFault: () => undefined,
      inject: this.inject,
      paused: false,
      get scratchVa() {
        return engine.scratchVa;
      },
      othersHaveWork: (self) => engine.othersHaveWork(self),
    };
  }

  /** True when a request is pending: long-running engine work calls this to stay responsive. */
  requestPending(): boolean {
    return Atomics.load(this.ctrl, CTRL.REQUEST) !== this.handled;
  }

  private stepAll(): StepResult {
    let any: StepResult = 'idle';
    const running = this.running;
    for (let i = 0; i < running.length; i++) {
      const q = running[i]!.queue;
      if (this.evicted) return 'idle';
      if (q.hang) continue;
      const r = q.step(STEP_BUDGET);
      running[i]!.busy = r === 'progress' || r === 'waiting';
      if (r === 'progress') any = 'progress';
      else if (r === 'waiting' && any === 'idle') any = 'waiting';
      if (this.requestPending()) {
        this.serveRequests();
        // A queue created or destroyed meanwhile: the next loop steps the new list.
        if (this.running !== running) return any === 'idle' ? 'progress' : any;
      }
    }
    return any;
  }

  othersHaveWork(self: QueueEngine): boolean {
    if (this.requestPending()) return true;
    const running = this.running;
    for (let i = 0; i < running.length; i++) {
      const r = running[i]!;
      if (r.queue === self || r.queue.hang) continue;
      if (r.busy || (r.doorbellWord >= 0 && Atomics.load(this.doorbells, r.doorbellWord) !== r.lastDoorbell)) return true;
    }
    return false;
  }

  private scanDoorbells(): void {
    const running = this.running;
    for (let i = 0; i < running.length; i++) {
      const r = running[i]!;
      if (r.doorbellWord < 0) continue;
      const v = Atomics.load(this.doorbells, r.doorbellWord);
      if (v !== r.lastDoorbell) {
        r.lastDoorbell = v;
        this.lastDoorbellAt = performance.now();
        r.queue.doorbell(v);
      }
    }
  }

  private serveRequests(): void {
    const target = Atomics.load(this.ctrl, CTRL.REQUEST);
    while (this.handled !== target) {
      const msg = receiveMessageOnPort(this.port);
      if (!msg) continue; // posted before the sequence bump; it is on its way
      let reply: unknown;
      try {
        reply = this.handle(msg.message as EngineRequest) ?? null;
      } catch (e) {
        reply = { error: e instanceof Error ? e.message : String(e) };
      }
      writeReply(this.setup.reports, reply);
      this.handled = (this.handled + 1) | 0;
      Atomics.store(this.ctrl, CTRL.ACK, this.handled);
      Atomics.notify(this.ctrl, CTRL.ACK);
    }
  }

  private handle(req: EngineRequest): unknown {
    switch (req.op) {
      case 'backing':
        this.backings.set(req.id, viewOf(req.share, req.label));
        return undefined;
      case 'drop-backing': {
        const view = this.backings.get(req.id);
        this.backings.delete(req.id);
        if (this.eventPage && view && this.eventPage.bytes === view.bytes) this.eventPage = undefined;
        view?.unmap?.();
        return undefined;
      }
      case 'process-exit':
        this.evicted = undefined;
        return undefined;
      case 'collect-garbage':
        collectGarbage();
        return undefined;
      case 'map': {
        const bytes = this.backings.get(req.backingId)?.bytes;
        if (!bytes) throw new Error(`map of unknown backing ${req.backingId}`);
        this.vm.map({ start: req.start, end: req.start + BigInt(req.size), bytes, offset: req.offset, writable: req.writable, executable: req.executable, label: req.label });
        return undefined;
      }
      case 'unmap':
        this.vm.unmap(req.start);
        return undefined;
      case 'restrict':
        this.vm.restrict(req.start, req.validStart, req.validEnd);
        return undefined;
      case 'create-queue': {
        const q = this.factories[req.queue.kind](req.queue, req.queue.kernelRing ? this.kernelRingContext() : this);
        this.queues.set(req.queue.queueId, q);
        // A new hardware queue starts from a known doorbell value, so a value left in the slot by an
        // earlier queue with the same doorbell is not taken for new work: 0 for ring queues (write
        // pointer 0), all ones for AQL (whose first doorbell value is packet index 0).
        const initial = req.queue.kind === 'aql' ? 0xffffffffffffffffn : 0n;
        const doorbellWord = req.queue.doorbellByte < 0 ? -1 : req.queue.doorbellByte >> 3;
        if (doorbellWord >= 0) Atomics.store(this.doorbells, doorbellWord, initial);
        const others = this.running.filter((r) => r.queue.desc.queueId !== req.queue.queueId);
        this.running = [...others, { queue: q, doorbellWord, lastDoorbell: initial, busy: false }];
        return undefined;
      }
      case 'ring-wptr':
        this.queues.get(req.queueId)?.doorbell(req.wptr);
        return undefined;
      case 'update-queue':
        this.queues.get(req.queueId)?.updateRing?.(req.ringVa, req.ringSize);
        return undefined;
      case 'destroy-queue': {
        const q = this.queues.get(req.queueId);
        q?.destroy?.();
        this.queues.delete(req.queueId);
        this.running = this.running.filter((r) => r.queue !== q);
        return q?.hang ?? null;
      }
      case 'event-page': {
        const bytes = this.backings.get(req.backingId)?.bytes;
        this.eventPage = bytes ? { bytes, slots: new BigUint64Array(bytes.buffer, bytes.byteOffset + req.offset, KFD_SIGNAL_EVENT_LIMIT) } : undefined;
        return undefined;
      }
      case 'scratch':
        this.scratchVa = req.va;
        return undefined;
      case 'status':
        return {
          gpuId: this.gpuId,
          mappings: this.vm.count,
          evicted: this.evicted ?? null,
          queues: [...this.queues.values()].map((q) => {
            const st = q.status();
            return { queueId: q.desc.queueId, kind: q.desc.kind, ...st, state: this.evicted && !q.hang ? `evicted (was ${st.state})` : st.state, hang: q.hang ?? null };
          }),
        };
    }
  }
}
