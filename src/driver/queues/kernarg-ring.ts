// Per-queue memory for kernel arguments: one host-visible buffer used as a ring. Each launch takes the
// next aligned range and gives it back once the queue's timeline passes that launch's completion, so
// a launch costs no ioctl, no allocator search and no closure (the arguments of launch N are still
// being read by the GPU while launch N+1 is written: ranges are only reused after they retire).
import { WaitTimeoutError } from '../errors.js';
import type { Device } from '../device.js';
import type { GpuBuffer } from '../memory.js';

const DEFAULT_BYTES = 1 << 20;
const FULL_TIMEOUT_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The queue a kernarg ring belongs to: its timeline retires ranges, its state explains a stall. */
export interface KernargOwner {
  readonly timeline: { readonly count: number };
  diagnose(): string;
}

export class KernargRing {
  private buffer: GpuBuffer | undefined;
  /** Whole-buffer views, made once. */
  bytes: Uint8Array = new Uint8Array(0);
  data: DataView = new DataView(new ArrayBuffer(0));
  words: Int32Array = new Int32Array(0);
  private head = 0;
  // In-flight ranges in submission order (parallel arrays, oldest at `first`).
  private starts: number[] = [];
  private values: number[] = [];
  private first = 0;

  /** `what` the ring holds names its buffer and its stalls (kernel arguments, or a CS queue's indirect buffers). */
  constructor(private readonly device: Device, private readonly label: string, private readonly capacity = DEFAULT_BYTES, private readonly what = 'kernel arguments') {}

  get va(): bigint {
    return this.buffer!.va;
  }

  /** The ring's GPU address as a number (exact: GPU virtual addresses are below 2^53). */
  vaNumber = 0;

  private get live(): number {
    return this.starts.length - this.first;
  }

  private retire(done: number): void {
    while (this.first < this.starts.length && this.values[this.first]! <= done) this.first++;
    if (this.first === this.starts.length) {
      this.starts.length = this.values.length = this.first = 0;
      this.head = 0;
    } else if (this.first > 1024) {
      this.starts = this.starts.slice(this.first);
      this.values = this.values.slice(this.first);
      this.first = 0;
    }
  }

  /**
   * The byte offset of `size` free bytes aligned to `align`, waiting (up to a timeout) for earlier
   * launches of `queue` to retire when the ring is full.
   */
  reserve(size: number, align: number, queue: KernargOwner): number {
    if (!this.buffer) {
      this.buffer = this.device.alloc(Math.max(this.capacity, size), { domain: 'gtt', uncached: true, guard: false, label: `${this.label} ${this.what}` });
      const b = this.buffer.view;
      this.bytes = b;
      this.data = new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.words = new Int32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
      this.vaNumber = Number(this.buffer.va);
    }
    const cap = this.buffer.size;
    if (size > cap) throw new RangeError(`${this.label}: ${size} bytes of kernel arguments exceed the ${cap}-byte kernarg ring`);
    let start = 0;
    for (;;) {
      if (this.live) this.retire(queue.timeline.count);
      const at = Math.ceil(this.head / align) * align;
      if (this.live === 0) return 0;
      const oldest = this.starts[this.first]!;
      // Live data is [oldest, head) when head is past it, else it wraps: [oldest, cap) and [0, head).
      if (this.head > oldest) {
        if (at + size <= cap) return at;
        if (size < oldest) return 0;
      } else if (at + size < oldest) return at;
      if (start === 0) start = performance.now();
      else if (performance.now() - start > FULL_TIMEOUT_MS) throw new WaitTimeoutError(this.device.name, `${this.what} space on ${this.label} (earlier submissions did not finish)`, FULL_TIMEOUT_MS, queue.diagnose());
      Atomics.wait(sleeper, 0, 0, 0.05);
    }
  }

  /** Marks [at, at+size) in use until the queue's timeline reaches `value`. */
  commit(at: number, size: number, value: bigint): void {
    this.starts.push(at);
    this.values.push(Number(value));
    this.head = at + size;
  }

  destroy(): void {
    this.buffer?.free();
    this.buffer = undefined;
  }
}
