// What the threads running one dispatch share: a control block of Int32 words (the workgroup counter
// every thread claims from, the lowest workgroup that faulted, cancel, and how many pool threads still
// run), instruction counts, and the messages on each pool thread's port. Errors cross threads as data
// and are rebuilt as the same classes, so a fault reads exactly as it would from the engine thread.
import { GpuFault, type FaultKind, type ShaderFaultSite, type VmMapping } from '../../gpu-vm.js';
import type { ShaderCoreOptions } from '../core.js';
import { ShaderFault, type DispatchSetup, type LiveWave } from '../types.js';

export const CTRL = {
  /** The next unclaimed workgroup (flat index); claims past the end just find none. */
  NEXT: 0,
  /** The lowest workgroup that faulted (NO_FAULT if none): higher ones are not started, or abandoned. */
  STOP_AT: 1,
  /** 1 when the dispatch was cancelled (its queue destroyed). */
  ABORT: 2,
  /** Pool threads still running the current dispatch; the engine side waits on it. */
  RUNNING: 3,
  /** Bumped to ask the pool threads for their live waves (status reports). */
  STATUS: 4,
  /** Bumped with every renewal of the lease (pool threads waiting for one sleep on it). */
  LEASE: 5,
  /** Bumped after every message to the pool threads: an idle one sleeps on it (see shader-worker.ts). */
  POSTED: 6,
  WORDS: 8,
} as const;

/**
 * Pool threads run only while the thread that started the dispatch keeps stepping it: each step renews
 * a lease of this long (wall clock, shared by all threads). A queue the engine stops stepping (evicted
 * after a VM fault elsewhere) stops on the pool threads too, as it does in-thread, and burns no CPU.
 */
export const LEASE_MS = 100;

export const NO_FAULT = 0x7fffffff;

export type SerializedError =
  | { readonly kind: 'gpu'; readonly va: bigint; readonly write: boolean; readonly fault: FaultKind; readonly client: string; readonly lane: number | undefined; readonly shader: ShaderFaultSite | undefined }
  | { readonly kind: 'shader'; readonly pc: number; readonly fault: ShaderFault['kind']; readonly message: string }
  | { readonly kind: 'other'; readonly message: string; readonly stack: string | undefined };

export type ToWorker =
  | { readonly type: 'run'; readonly epoch: number; readonly setup: DispatchSetup; readonly total: number; readonly mappings: readonly VmMapping[] | undefined; readonly core: ShaderCoreOptions }
  | { readonly type: 'vm'; readonly mappings: readonly VmMapping[] };

export type FromWorker =
  | { readonly type: 'fault'; readonly epoch: number; readonly group: number; readonly error: SerializedError }
  | { readonly type: 'waves'; readonly epoch: number; readonly waves: readonly LiveWave[] }
  | { readonly type: 'done'; readonly epoch: number };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof GpuFault) return { kind: 'gpu', va: e.va, write: e.write, fault: e.kind, client: e.client, lane: e.lane, shader: e.shader };
  if (e instanceof ShaderFault) return { kind: 'shader', pc: e.pc, fault: e.kind, message: e.message };
  return { kind: 'other', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
}

export function rebuildError(s: SerializedError): Error {
  switch (s.kind) {
    case 'gpu': {
      const f = new GpuFault(s.va, s.write, s.fault, s.client);
      f.lane = s.lane;
      f.shader = s.shader;
      return f;
    }
    case 'shader':
      return new ShaderFault(s.pc, s.fault, s.message);
    case 'other': {
      const e = new Error(`shader worker thread: ${s.message}`);
      if (s.stack) e.stack = s.stack;
      return e;
    }
  }
}

/** Lowers STOP_AT to `group` unless a lower workgroup already faulted. */
export function stopAt(ctrl: Int32Array, group: number): void {
  for (;;) {
    const cur = Atomics.load(ctrl, CTRL.STOP_AT);
    if (cur <= group || Atomics.compareExchange(ctrl, CTRL.STOP_AT, cur, group) === cur) return;
  }
}
