// Per-queue memory for kernel arguments: one host-visible buffer used as a ring, cut into a few equal
// chunks. A launch takes the next aligned range after the previous one: that is all the bookkeeping a
// launch does (one counter), so it costs no ioctl, no allocator search, no object and no closure.
// Reuse is tracked per chunk instead of per launch: leaving a chunk records the queue's last submitted
// value, and entering it again on the next lap waits until the queue's timeline passed that value
// (the arguments of launch N are still being read by the GPU while launch N+1 is written).
import { UseAfterFreeError, WaitTimeoutError } from '../errors.js';
import type { Device } from '../device.js';
import type { GpuBuffer } from '../memory.js';

/** A queue's kernarg ring (the submission benchmark's C and plain-JS yardsticks rotate through as much). */
export const KERNARG_RING_BYTES = 1 << 20;
/** Chunks per ring: a launch waits for retirement only when it enters a chunk, once per 1/CHUNKS of the ring. */
const CHUNKS = 16;
const FULL_TIMEOUT_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The queue a kernarg ring belongs to: its counts retire chunks, its state explains a stall. */
export interface KernargOwner {
  readonly timeline: { readonly count: number };
  /** Timeline value of the newest submission (every launch that used the ring is at or below it). */
  readonly submittedCount: number;
  diagnose(): string;
}

export class KernargRing {
  private buffer: GpuBuffer | undefined;
  /** Whole-buffer views, made once. */
  bytes: Uint8Array = new Uint8Array(0);
  data: DataView = new DataView(new ArrayBuffer(0));
  words: Int32Array = new Int32Array(0);
  dwords: Uint32Array = new Uint32Array(0);
  /** As 8-byte pairs (prepared launches copy their arguments pair by pair). */
  pairs: Float64Array = new Float64Array(0);
  /** The ring's GPU address as a number (exact: GPU virtual addresses are below 2^53). */
  vaNumber = 0;
  /** First free byte after the newest launch's range. */
  private head = 0;
  private chunkBytes = 0;
  /** The chunks the newest launches use: [openFirst, openLast]; launches fit until `openEnd` (bytes). */
  private openFirst = 0;
  private openLast = 0;
  private openEnd = 0;
  /** Per chunk, the queue's submitted value when the ring last left it (its launches retire at that value). */
  private readonly retiresAt = new Float64Array(CHUNKS);
  private destroyed = false;

  /** `what` the ring holds names its buffer and its stalls (kernel arguments, or a CS queue's indirect buffers). */
  constructor(private readonly device: Device, private readonly label: string, private readonly capacity = KERNARG_RING_BYTES, private readonly what = 'kernel arguments') {}

  get va(): bigint {
    return this.buffer!.va;
  }

  /**
   * The byte offset of `size` free bytes aligned to `align` (a power of two), waiting (up to a timeout)
   * for earlier launches of `queue` to retire when the range enters a chunk still in use.
   */
  reserve(size: number, align: number, queue: KernargOwner): number {
    const at = (this.head + align - 1) & -align;
    if (at + size <= this.openEnd) {
      this.head = at + size;
      return at;
    }
    return this.enter(at, size, queue);
  }

  /** The slow path of reserve: the range leaves the open chunks (or the ring is not allocated yet). */
  private enter(at: number, size: number, queue: KernargOwner): number {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'submit');
    if (!this.buffer) {
      this.buffer = this.device.alloc(Math.max(this.capacity, size), { domain: 'gtt', uncached: true, guard: false, label: `${this.label} ${this.what}` });
      const b = this.buffer.view;
      this.bytes = b;
      this.data = new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.words = new Int32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
      this.dwords = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
      this.pairs = new Float64Array(b.buffer, b.byteOffset, b.byteLength >> 3);
      this.vaNumber = Number(this.buffer.va);
      this.chunkBytes = Math.ceil(this.buffer.size / CHUNKS);
      at = 0;
    } else {
      // Leaving the open chunks: their launches are all submitted by now.
      for (let c = this.openFirst; c <= this.openLast; c++) this.retiresAt[c] = queue.submittedCount;
    }
    const cap = this.buffer.size;
    if (size > cap) throw new RangeError(`${this.label}: ${size} bytes of kernel arguments exceed the ${cap}-byte kernarg ring`);
    if (at + size > cap) at = 0;
    const first = Math.floor(at / this.chunkBytes);
    const last = Math.floor((at + size - 1) / this.chunkBytes);
    // A range that starts inside the open chunks continues this lap: only the chunks after them wait.
    const from = at >= this.openFirst * this.chunkBytes && at < this.openEnd ? this.openLast + 1 : first;
    let need = 0;
    for (let c = from; c <= last; c++) need = Math.max(need, this.retiresAt[c]!);
    if (queue.timeline.count < need) {
      const start = performance.now();
      while (queue.timeline.count < need) {
        if (performance.now() - start > FULL_TIMEOUT_MS) throw new WaitTimeoutError(this.device.name, `${this.what} space on ${this.label} (earlier submissions did not finish)`, FULL_TIMEOUT_MS, queue.diagnose());
        Atomics.wait(sleeper, 0, 0, 0.05);
      }
    }
    this.openFirst = first;
    this.openLast = last;
    this.openEnd = Math.min(cap, (last + 1) * this.chunkBytes);
    this.head = at + size;
    return at;
  }

  /** Frees the buffer; a reserve() after this throws (it would otherwise write to freed memory). */
  destroy(): void {
    this.buffer?.free();
    this.buffer = undefined;
    this.destroyed = true;
    this.openEnd = 0;
  }
}
