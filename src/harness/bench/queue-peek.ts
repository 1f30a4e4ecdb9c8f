// Read-only looks inside queues that the submission benchmark needs and the driver does not publish:
// the ring's bytes (to capture exactly what one submission wrote) and how much the engine has not
// consumed yet (to show that back-pressure never stalled the loop). Bench-only; the driver's public
// API is unchanged.
import type { GpuBuffer } from '../../driver/memory.js';
import { AqlQueue } from '../../driver/queues/aql-queue.js';
import type { RingQueue } from '../../driver/queues/ring-queue.js';
import type { Timeline } from '../../driver/timeline.js';
import { amdQueue, amdSignal } from '../../uapi/hsa.js';

interface RingQueueInsides {
  readonly buffers: { readonly ring: GpuBuffer };
  readonly wptr: bigint;
  consumedDwords(): bigint;
}

export function ringBytesOf(q: RingQueue | AqlQueue): Uint8Array {
  if (q instanceof AqlQueue) return (q as unknown as { ring: GpuBuffer }).ring.view;
  return (q as unknown as RingQueueInsides).buffers.ring.view;
}

const READ_ID_SLOT = amdQueue.offsetOf('read_dispatch_id') / 8;

/** Dwords (PM4, SDMA) or packets (AQL) submitted but not yet consumed by the engine. */
export function unconsumed(q: RingQueue | AqlQueue): bigint {
  if (q instanceof AqlQueue) {
    const ids = new BigUint64Array(q.queueMem.view.buffer, q.queueMem.view.byteOffset, READ_ID_SLOT + 1);
    return q.submitted - Atomics.load(ids, READ_ID_SLOT);
  }
  const r = q as unknown as RingQueueInsides;
  return r.wptr - r.consumedDwords();
}

/**
 * Makes the timeline read `target`, as the fence of a finished submission would: the paused engines
 * consume fences without executing them, so the benchmark plays that part of the GPU (this lets the
 * driver retire kernel-argument slices the way it does in steady state on hardware).
 */
export function landTimeline(t: Timeline, target: bigint): void {
  const b = t.slice.bytes;
  const cell = new BigInt64Array(b.buffer, b.byteOffset + (t.kind === 'counter' ? 0 : amdSignal.offsetOf('value')), 1);
  const delta = target - t.value;
  if (delta <= 0n) return;
  Atomics.store(cell, 0, t.kind === 'counter' ? Atomics.load(cell, 0) + delta : Atomics.load(cell, 0) - delta);
}
