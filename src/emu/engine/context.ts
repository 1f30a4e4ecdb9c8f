// What a queue engine can reach: the GPU's VM, its clock, interrupts and fault reporting.
import type { LiveWave } from '../isa/types.js';
import type { GpuVm, GpuFault } from '../gpu-vm.js';
import type { QueueDescriptor } from './protocol.js';

/** Why a queue stopped for good: a malformed or unsupported packet, or a memory fault. */
export interface HangReport {
  readonly queueId: number;
  readonly kind: string;
  /** The kernel ring's name (comp_1.0.0, sdma0 …) when a render-node submission hung. */
  readonly ring?: string;
  readonly reason: string;
  /** Ring read pointer (in the queue's own units) at the offending packet, and the write pointer. */
  readonly rptr: string;
  readonly wptr: string;
  /** The offending packet and its neighbours, decoded. */
  readonly packets: readonly string[];
  /** The exact faulting address (KFD's event reports only its page) and, for a shader, the wave's site. */
  readonly fault?: { readonly va: string; readonly write: boolean; readonly kind: string; readonly client: string; readonly shader?: HangShaderSite };
}

/** The engine thread's answer to a status request: per GPU, its mappings, eviction and every queue's state. */
export interface EngineStatus {
  readonly gpuId: number;
  readonly mappings: number;
  /** Why every queue of the process on this GPU is evicted (a VM fault), or null. */
  readonly evicted: string | null;
  readonly queues: readonly { queueId: number; kind: string; rptr: string; wptr: string; state: string; waves?: readonly LiveWave[]; hang: HangReport | null; ringVa?: string; ringSize?: number }[];
}

/** Where a shader's memory fault happened: pc (absolute GPU address), lane, workgroup, wave in workgroup. */
export interface HangShaderSite {
  readonly pc: string;
  readonly lane: number | null;
  readonly workgroup: readonly number[];
  readonly wave: number;
  readonly instruction: string;
}

export type StepResult =
  /** Did work; call again. */
  | 'progress'
  /** Nothing to do until the next doorbell. */
  | 'idle'
  /** Blocked on a condition in memory (WAIT_REG_MEM, POLL_REGMEM, AQL barrier): poll again soon. */
  | 'waiting'
  /** Stopped for good. */
  | 'hung';

export interface QueueEngine {
  readonly desc: QueueDescriptor;
  /** Runs for at most about `budget` units of work (packets, bytes/4096, instructions/64). */
  step(budget: number): StepResult;
  /** New doorbell value (its meaning depends on the queue kind). */
  doorbell(value: bigint): void;
  readonly hang: HangReport | undefined;
  /** Read/write pointer state for diagnostics. */
  status(): { rptr: string; wptr: string; state: string; waves?: LiveWave[]; ringVa?: string; ringSize?: number };
  updateRing?(ringVa: bigint, ringSize: number): void;
  /** The queue is being destroyed: stop what it runs (a dispatch on worker threads). */
  destroy?(): void;
}

export interface EngineContext {
  readonly gpuId: number;
  readonly target: string;
  readonly vm: GpuVm;
  /** GPU clock counter (100 MHz, shared by every GPU and the CPU's GET_CLOCK_COUNTERS). */
  clock(): bigint;
  /** An interrupt from an engine with a context id (RELEASE_MEM int_ctxid, SDMA TRAP int_context). */
  interrupt(ctxid: number, source: string): void;
  /** A VM fault: KFD signals memory-exception events; the caller marks its queue hung. */
  vmFault(fault: GpuFault): void;
  readonly inject: ReadonlySet<string>;
  /** Engines consume submitted work without executing it (submission-cost benchmarks). */
  readonly paused: boolean;
  /** The last scratch backing address given by SET_SCRATCH_BACKING_VA, if any. */
  readonly scratchVa: bigint | undefined;
  /**
   * Whether the engine owes another of its queues a turn (it did work or waits on memory at its last
   * step, or has an unseen doorbell), or the kernel side a request: a long transfer then yields.
   */
  othersHaveWork(self: QueueEngine): boolean;
}

export type QueueEngineFactory = (desc: QueueDescriptor, ctx: EngineContext) => QueueEngine;
