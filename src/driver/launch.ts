// Prepared kernel launches: the kernel arguments, the dispatch packet (AQL) or dispatch stream (PM4)
// are encoded once; each submit() copies them, patches the addresses of this launch's kernarg range
// and rings the doorbell — the cheapest way to launch the same kernel many times (the CPU cost the
// submission benchmark measures).
import type { Completion } from './queues/ring-queue.js';
import { AqlQueue, type AqlCompletion } from './queues/aql-queue.js';
import type { Pm4Queue } from './queues/pm4-queue.js';
import { kernelDispatchPacket } from '../uapi/hsa.js';
import { lo32, hi32 } from '../hw/dword-stream.js';

/** Byte offset of kernarg_address inside an AQL dispatch packet. */
const PACKET_KERNARG = kernelDispatchPacket.offsetOf('kernarg_address');
const PACKET_BYTES = 64;

export interface LaunchPlan {
  readonly label: string;
  /** What goes into the queue's kernarg ring per launch: the 64-byte AQL-format packet, then the kernel arguments. */
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


export class PreparedLaunch<Q extends Pm4Queue | AqlQueue> {
  constructor(readonly queue: Q, private readonly plan: LaunchPlan) {}

  submit(): Q extends AqlQueue ? AqlCompletion : Completion;
  submit(): Completion | AqlCompletion {
    const p = this.plan;
    if (p.fallback) return p.fallback();
    const q = this.queue;
    const ring = q.kernargs;
    const size = p.image.length;
    const at = ring.reserve(size, p.align, q);
    ring.bytes.set(p.image, at);
    const words = ring.words;
    const at4 = at >> 2;
    const packetVa = ring.vaNumber + at;
    const kernargVa = packetVa + PACKET_BYTES;
    if (p.kernargAt >= 0) {
      p.words[p.kernargAt] = lo32(kernargVa);
      p.words[p.kernargAt + 1] = hi32(kernargVa);
    }
    let c: Completion | AqlCompletion;
    if (q instanceof AqlQueue) {
      c = q.submitPacket(p.words, p.label);
    } else {
      words[at4 + PACKET_KERNARG / 4] = lo32(kernargVa);
      words[at4 + PACKET_KERNARG / 4 + 1] = hi32(kernargVa);
      if (p.packetAt >= 0) {
        p.words[p.packetAt] = lo32(packetVa);
        p.words[p.packetAt + 1] = hi32(packetVa);
      }
      c = q.submit(p.words, { label: p.label });
    }
    ring.commit(at, size, c.value);
    return c;
  }
}
