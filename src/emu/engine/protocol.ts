// Messages from the emulated kernel (main thread) to a GPU's engine thread, and the shared control
// words both sides use.
import type { BackingShare } from '../process/backing.js';

/** Int32 indices of the control block shared with an engine thread. */
export const CTRL = {
  /** Bumped by every doorbell store: the engine thread sleeps on it. */
  KICK: 0,
  /** Sequence number of the last request posted by the kernel side. */
  REQUEST: 1,
  /** Sequence number of the last request the engine thread finished. */
  ACK: 2,
  /** Set to 1 when the engine thread should exit. */
  STOP: 3,
  /** Non-zero while any engine has work in flight (for idle waits in tests). */
  BUSY: 4,
  /** Count of packets/commands the engines consumed (diagnostics). */
  PACKETS: 5,
  /** Set to 1 if the engine thread died; the reply buffer then holds the error. */
  CRASHED: 6,
  /** 1 while the engine thread sleeps on KICK: a kick notifies only then (Atomics.notify takes a process-wide lock). */
  SLEEPING: 7,
  WORDS: 8,
} as const;

export type QueueKind = 'pm4' | 'aql' | 'sdma';

export interface QueueDescriptor {
  readonly queueId: number;
  readonly kind: QueueKind;
  /** KFD queue type (COMPUTE, SDMA, COMPUTE_AQL, SDMA_XGMI, SDMA_BY_ENG_ID). */
  readonly kfdType: number;
  readonly ringVa: bigint;
  readonly ringSize: number;
  readonly rptrVa: bigint;
  readonly wptrVa: bigint;
  /** Byte offset of this queue's 64-bit doorbell in the process doorbell page of the GPU. */
  readonly doorbellByte: number;
  readonly eopVa: bigint;
  readonly eopSize: number;
  readonly ctxSaveVa: bigint;
  readonly ctxSaveSize: number;
  readonly sdmaEngine: number;
  readonly priority: number;
  readonly percentage: number;
  /**
   * A ring of the kernel itself (the render node's command submission): named as amdgpu names its rings,
   * it has no doorbell in the process page (doorbellByte -1; the kernel moves its write pointer with
   * 'ring-wptr'), its interrupts go to the kernel's fence processing rather than to KFD events, and its
   * faults stop the ring without evicting the process's user queues.
   */
  readonly kernelRing?: string;
}

export type EngineRequest =
  | { readonly op: 'backing'; readonly id: number; readonly share: BackingShare; readonly label: string }
  | { readonly op: 'drop-backing'; readonly id: number }
  | { readonly op: 'map'; readonly start: bigint; readonly size: number; readonly backingId: number; readonly offset: number; readonly writable: boolean; readonly executable: boolean; readonly label: string }
  | { readonly op: 'unmap'; readonly start: bigint }
  /** The byte-exact bounds diagnostic: only [validStart, validEnd) of the mapping at `start` may be accessed. */
  | { readonly op: 'restrict'; readonly start: bigint; readonly validStart: bigint; readonly validEnd: bigint }
  | { readonly op: 'create-queue'; readonly queue: QueueDescriptor }
  | { readonly op: 'update-queue'; readonly queueId: number; readonly ringVa: bigint; readonly ringSize: number; readonly percentage: number; readonly priority: number }
  | { readonly op: 'destroy-queue'; readonly queueId: number }
  /** The kernel committed work to one of its rings (amdgpu_ring_commit → set_wptr). */
  | { readonly op: 'ring-wptr'; readonly queueId: number; readonly wptr: bigint }
  | { readonly op: 'event-page'; readonly backingId: number; readonly offset: number }
  | { readonly op: 'scratch'; readonly va: bigint }
  | { readonly op: 'status' }
  /** The process is gone (kfd_process_wq_release): a later process starts with no queue evicted. */
  | { readonly op: 'process-exit' }
  /** A full garbage collection in the engine thread (leak measurements: freed backings are only released by its GC). */
  | { readonly op: 'collect-garbage' };

export interface EngineSetup {
  readonly gpuId: number;
  readonly target: string;
  readonly ctrl: SharedArrayBuffer;
  readonly doorbells: BackingShare;
  /**
   * How often to scan doorbells when nothing kicks the engine: a served client rings with a plain store
   * into shared memory, so the engine must poll (undefined: only the in-process kick and a slow scan).
   */
  readonly doorbellPollMs: number | undefined;
  readonly events: SharedArrayBuffer;
  /** Where the engine thread writes JSON diagnostics (hang/fault reports) for the kernel side. */
  readonly reports: SharedArrayBuffer;
  readonly inject: readonly string[];
  readonly paused: boolean;
  /** Threads that run a dispatch's workgroups (the device's ?workers=N); undefined: the shader core's default. */
  readonly shaderWorkers: number | undefined;
  /** The shader core's execution mode (compiled blocks or per instruction). */
  readonly exec: 'block' | 'interp';
}
