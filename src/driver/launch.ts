// Prepared kernel launches: the kernel arguments, the dispatch packet (AQL) or dispatch stream (PM4)
// are encoded once; each submit() or enqueue() copies them, patches the addresses of this launch's
// kernarg range and rings the doorbell — the cheapest way to launch the same kernel many times (the
// CPU cost the submission benchmark measures). One class per queue kind, so a launch neither branches
// on its kind nor carries what the other kind needs.
import type { Completion, FencedStream, SubmitOptions } from './queues/ring-queue.js';
import { AqlQueue, type AqlCompletion } from './queues/aql-queue.js';
import type { Pm4Queue } from './queues/pm4-queue.js';
import { kernelDispatchPacket } from '../uapi/hsa.js';
import { pairCopierFor, type PairCopier } from './queues/dword-copy.js';
import { high32 } from '../os/store-order.js';

/** Byte offset of kernarg_address inside an AQL dispatch packet. */
const PACKET_KERNARG = kernelDispatchPacket.offsetOf('kernarg_address');
const PACKET_BYTES = 64;

export interface LaunchPlan {
  readonly label: string;
  /**
   * What goes into the queue's kernarg ring per launch: for PM4 the 64-byte AQL-format packet (the
   * kernel's dispatch_ptr) then the kernel arguments; for AQL the kernel arguments only (the packet
   * processor points dispatch_ptr at the packet in the AQL ring).
   */
  readonly image: Uint8Array;
  readonly align: number;
  /** AQL: the packet's 16 dwords (header and setup in dword 0; the kernarg address is patched per launch). PM4: the dispatch stream. */
  readonly words: Uint32Array;
  /** PM4: dword index in `words` of the kernarg pointer's low dword (-1 when the kernel does not take it). */
  readonly kernargAt: number;
  /** PM4: dword index in `words` of the dispatch-packet pointer's low dword (-1 when the kernel does not take it). */
  readonly packetAt: number;
}

/**
 * A launch encoded once. enqueue() submits it and returns nothing (allocates nothing): no object,
 * closure or BigInt per launch; `queue.wait()` waits for it and everything before it. submit() does
 * the same and returns the completion.
 */
export interface PreparedLaunch<Q extends Pm4Queue | AqlQueue> {
  readonly queue: Q;
  submit(): Q extends AqlQueue ? AqlCompletion : Completion;
  enqueue(): void;
}

/** The kernarg image in whole 8-byte pairs (ranges are 8-byte aligned; the padding is never read) and its copier. */
class KernargImage {
  readonly pairs: Float64Array;
  readonly copy: PairCopier;
  /** Bytes reserved per launch: the image rounded up to whole pairs. */
  readonly size: number;
  readonly align: number;

  constructor(image: Uint8Array, align: number) {
    this.size = (image.length + 7) & ~7;
    const padded = new Uint8Array(this.size);
    padded.set(image);
    this.pairs = new Float64Array(padded.buffer);
    this.copy = pairCopierFor(this.pairs.length);
    this.align = Math.max(align, 8);
  }
}

/** AQL: the arguments into the kernarg ring, then the packet (with their address) into the AQL ring. */
class AqlLaunch implements PreparedLaunch<AqlQueue> {
  private readonly image: KernargImage;
  /** The packet as dwords and as 8-byte pairs; the queue writes the kernarg address and the completion signal itself. */
  private readonly words: Int32Array;
  private readonly packet: Float64Array;

  constructor(readonly queue: AqlQueue, private readonly plan: LaunchPlan) {
    this.image = new KernargImage(plan.image, plan.align);
    const packet = plan.words.slice().buffer;
    this.words = new Int32Array(packet);
    this.packet = new Float64Array(packet);
  }

  submit(): AqlCompletion {
    this.enqueue();
    return this.queue.latest();
  }

  enqueue(): void {
    const q = this.queue;
    const ring = q.kernargs;
    const image = this.image;
    const at = ring.reserve(image.size, image.align, q);
    image.copy(ring.pairs, at >> 3, image.pairs);
    q.enqueueLaunch(this.words, this.packet, ring.vaNumber + at, this.plan.label);
  }
}

/** PM4: the AQL-format packet and the arguments into the kernarg ring, then the dispatch stream (patched with their addresses). */
class Pm4Launch implements PreparedLaunch<Pm4Queue> {
  private readonly image: KernargImage;
  /** The dispatch stream followed by the queue's fence (RingQueue.withFence). */
  private readonly stream: FencedStream;
  private readonly submitOptions: SubmitOptions;

  constructor(readonly queue: Pm4Queue, private readonly plan: LaunchPlan) {
    this.image = new KernargImage(plan.image, plan.align);
    this.stream = queue.withFence(plan.words);
    this.submitOptions = { label: plan.label };
  }

  submit(): Completion {
    this.enqueue();
    return this.queue.latest();
  }

  enqueue(): void {
    const p = this.plan;
    const q = this.queue;
    const ring = q.kernargs;
    const image = this.image;
    const at = ring.reserve(image.size, image.align, q);
    image.copy(ring.pairs, at >> 3, image.pairs);
    const at4 = at >> 2;
    const dst = ring.words;
    const words = this.stream.words;
    const packetVa = ring.vaNumber + at;
    const kernargVa = packetVa + PACKET_BYTES;
    const lo = kernargVa | 0;
    const hi = high32(kernargVa);
    dst[at4 + PACKET_KERNARG / 4] = lo;
    dst[at4 + PACKET_KERNARG / 4 + 1] = hi;
    if (p.kernargAt >= 0) {
      words[p.kernargAt] = lo;
      words[p.kernargAt + 1] = hi;
    }
    if (p.packetAt >= 0) {
      words[p.packetAt] = packetVa | 0;
      words[p.packetAt + 1] = high32(packetVa);
    }
    q.enqueueFenced(this.stream, this.submitOptions);
  }
}

/** A launch that cannot reuse its encoding (scratch backing may move): every submission goes through `launch`. */
class UnpreparedLaunch<Q extends Pm4Queue | AqlQueue> implements PreparedLaunch<Q> {
  constructor(readonly queue: Q, private readonly launch: () => Completion | AqlCompletion) {}

  submit(): Q extends AqlQueue ? AqlCompletion : Completion;
  submit(): Completion | AqlCompletion {
    return this.launch();
  }

  enqueue(): void {
    this.launch();
  }
}

/** The prepared launch of `plan` on `queue`. */
export function prepareLaunch<Q extends Pm4Queue | AqlQueue>(queue: Q, plan: LaunchPlan): PreparedLaunch<Q> {
  const launch = queue instanceof AqlQueue ? new AqlLaunch(queue, plan) : new Pm4Launch(queue as Pm4Queue, plan);
  return launch as unknown as PreparedLaunch<Q>;
}

/** A launch that goes through `launch` every time (kernels whose encoding cannot be reused). */
export function unpreparedLaunch<Q extends Pm4Queue | AqlQueue>(queue: Q, launch: () => Completion | AqlCompletion): PreparedLaunch<Q> {
  return new UnpreparedLaunch(queue, launch);
}
