// Prepared kernel launches: the kernel arguments, the dispatch packet (AQL) or dispatch stream (PM4)
// are encoded once; each submit() or enqueue() copies them, patches the addresses of this launch's
// kernarg range and rings the doorbell — the cheapest way to launch the same kernel many times (the
// CPU cost the submission benchmark measures).
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
  /** AQL: the packet's 16 dwords (header and setup in dword 0). PM4: the dispatch stream. */
  readonly words: Uint32Array;
  /** Dword index in `words` of the kernarg pointer's low dword. */
  readonly kernargAt: number;
  /** PM4: dword index in `words` of the dispatch-packet pointer's low dword (-1 when the kernel does not take it). */
  readonly packetAt: number;
  /** Launches that cannot reuse the encoding (scratch backing may move) go through this instead. */
  readonly fallback?: () => Completion | AqlCompletion;
}

/**
 * A launch encoded once. enqueue() copies the image into the queue's kernarg ring (straight-line stores),
 * patches the pointers that move (one typed-array store per dword) and hands the words to the queue:
 * no object, closure or BigInt per launch. submit() does the same and returns the completion.
 */
export class PreparedLaunch<Q extends Pm4Queue | AqlQueue> {
  /** The kernarg-ring image in whole 8-byte pairs (ranges are 8-byte aligned; the padding is never read). */
  private readonly image: Float64Array;
  private readonly copyImage: PairCopier;
  /** Bytes reserved per launch: the image rounded up to whole pairs. */
  private readonly size: number;
  private readonly align: number;
  private readonly aql: AqlQueue | undefined;
  /** AQL: the packet, as signed dwords and as 8-byte pairs. */
  private readonly packet: Int32Array;
  private readonly packetPairs: Float64Array;
  /** PM4: the dispatch stream followed by the queue's fence (RingQueue.withFence). */
  private readonly stream: FencedStream | undefined;
  private readonly submitOptions: SubmitOptions;

  constructor(readonly queue: Q, private readonly plan: LaunchPlan) {
    this.size = (plan.image.length + 7) & ~7;
    const padded = new Uint8Array(this.size);
    padded.set(plan.image);
    this.image = new Float64Array(padded.buffer);
    this.copyImage = pairCopierFor(this.image.length);
    this.align = Math.max(plan.align, 8);
    this.aql = queue instanceof AqlQueue ? queue : undefined;
    const packet = this.aql ? plan.words.slice().buffer : new ArrayBuffer(0);
    this.packet = new Int32Array(packet);
    this.packetPairs = new Float64Array(packet);
    this.stream = this.aql || plan.fallback ? undefined : (queue as Pm4Queue).withFence(plan.words);
    this.submitOptions = { label: plan.label };
  }

  submit(): Q extends AqlQueue ? AqlCompletion : Completion;
  submit(): Completion | AqlCompletion {
    if (this.plan.fallback) return this.plan.fallback();
    this.enqueue();
    return this.queue.latest();
  }

  /** Submits the launch and returns nothing (allocates nothing); `queue.wait()` waits for it and everything before it. */
  enqueue(): void {
    const p = this.plan;
    if (p.fallback) return void p.fallback();
    const q = this.queue;
    const ring = q.kernargs;
    const at = ring.reserve(this.size, this.align, q);
    this.copyImage(ring.pairs, at >> 3, this.image);
    const aql = this.aql;
    if (aql) {
      const packet = this.packet;
      const kernargVa = ring.vaNumber + at;
      packet[p.kernargAt] = kernargVa | 0;
      packet[p.kernargAt + 1] = high32(kernargVa);
      return aql.enqueuePrepared(packet, this.packetPairs, p.label);
    }
    const at4 = at >> 2;
    const dst = ring.words;
    const stream = this.stream!;
    const words = stream.words;
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
    (q as Pm4Queue).enqueueFenced(stream, this.submitOptions);
  }
}
