// What PM4 and SDMA queues share: a ring in host-visible memory, a monotonic write pointer, the
// read pointer the engine reports, back-pressure, the ring → write pointer → doorbell ordering, a
// timeline for fences, and a diagnostic dump of the ring around the read pointer.
import type { Mmio } from '../../os/host.js';
import { high32, storeUint53 } from '../../os/store-order.js';
import { DriverError, UseAfterFreeError, WaitTimeoutError } from '../errors.js';
import type { Device, DeviceResource } from '../device.js';
import type { GpuBuffer } from '../memory.js';
import { Timeline, DEFAULT_WAIT_MS, FAULT_CHECK_MS } from '../timeline.js';
import { KernargRing } from './kernarg-ring.js';
import { copyDwords, pairCopierFor, type PairCopier } from './dword-copy.js';

export interface QueueBuffers {
  readonly ring: GpuBuffer;
  /** One page holding the read pointer (offset 0) and the write pointer (offset 8) unless the kind places them elsewhere. */
  readonly pointers: GpuBuffer;
  readonly others: readonly GpuBuffer[];
}

/** A point on a queue's timeline: done when the timeline reaches `value`. */
export interface Completion {
  readonly queue: RingQueue;
  readonly value: bigint;
}

/** A completion whose BigInt is made only when `value` is read: a submission allocates one small object. */
class FenceCompletion implements Completion {
  constructor(readonly queue: RingQueue, private readonly fence: number) {}

  get value(): bigint {
    return BigInt(this.fence);
  }
}

/** A queue's fence packets for value 0, and the dwords its 64-bit value goes into. */
export interface FenceTemplate {
  readonly words: Uint32Array;
  readonly loAt: number;
  readonly hiAt: number;
}

/**
 * Packets followed by the queue's fence (and a one-dword NOP when that makes an odd count), encoded
 * once for repeated submission (withFence()): the caller patches `words` in place; each
 * enqueueFenced() copies it 8 bytes at a time with a copier generated for its length.
 */
export class FencedStream {
  /** The same bytes as 8-byte pairs (what the copier moves). */
  readonly pairs: Float64Array;
  readonly copy: PairCopier;

  constructor(readonly words: Uint32Array, readonly fenceAt: number) {
    this.pairs = new Float64Array(words.buffer, words.byteOffset, words.length >> 1);
    this.copy = pairCopierFor(this.pairs.length);
  }
}

export interface SubmitOptions {
  /** Follow the packets with a timeline fence (default true). */
  readonly fence?: boolean;
  /** The operation's name in a trace. */
  readonly label?: string;
}
const FENCED: SubmitOptions = {};

/** Back-pressure waits give up after this long (the GPU is not consuming the ring). */
const RING_FULL_TIMEOUT_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export abstract class RingQueue implements DeviceResource {
  abstract readonly kind: 'pm4' | 'sdma';
  readonly label: string;
  readonly timeline: Timeline;
  readonly ringDwords: number;
  protected readonly ringWords: Uint32Array;
  /** The ring as 8-byte pairs (rings are page-aligned): prepared streams are copied pair by pair. */
  private readonly ringPairs: Float64Array;
  private readonly wptrCell: BigUint64Array;
  protected readonly rptrView: DataView;
  /** Write pointer in dwords (monotonic; a double is exact far beyond any ring's lifetime). */
  private wptrDwords = 0;
  /**
   * The engine's consumption as last read from its read pointer. It only moves forward, so a space
   * check against this stale value is safe; the read pointer is re-read only when it says "full".
   */
  private consumedSeen = 0;
  /** The last fence value submitted (a number: exact far beyond any queue's lifetime). */
  private fences = 0;
  /** Kernel arguments (and dispatch packets) of launches on this queue. */
  readonly kernargs: KernargRing;
  private destroyed = false;
  private fenceWords: FenceTemplate | undefined;

  protected constructor(
    readonly device: Device,
    readonly queueId: number,
    protected readonly doorbell: Mmio,
    protected readonly doorbellByte: number,
    protected readonly buffers: QueueBuffers,
    name: string,
    rptrOffset: number,
    wptrOffset: number,
  ) {
    this.label = `${device.name} ${name} queue ${queueId}`;
    this.ringDwords = buffers.ring.size >> 2;
    const rb = buffers.ring.view;
    this.ringWords = new Uint32Array(rb.buffer, rb.byteOffset, this.ringDwords);
    this.ringPairs = new Float64Array(rb.buffer, rb.byteOffset, this.ringDwords >> 1);
    const pb = buffers.pointers.view;
    this.wptrCell = new BigUint64Array(pb.buffer, pb.byteOffset + wptrOffset, 1);
    this.rptrView = new DataView(pb.buffer, pb.byteOffset + rptrOffset, 8);
    this.kernargs = new KernargRing(device, this.label);
    this.timeline = new Timeline(device, this.label);
    device.own(this);
  }

  /** Dwords the engine has consumed so far, from its reported read pointer. */
  protected abstract consumedDwords(): bigint;
  /** Doorbell (and write-pointer memory) units per dword of write pointer: 1 for PM4 (dwords), 4 for SDMA (bytes). */
  protected abstract readonly doorbellUnitsPerDword: 1 | 4;
  /** The header of a NOP of `dwords` dwords (header included; its body is zeros). */
  protected abstract nopHeader(dwords: number): number;
  /** The fence (timeline write + mailbox + interrupt) for value 0; submissions patch in their value. */
  protected abstract fenceTemplate(): FenceTemplate;
  /** Decodes the ring from `fromDwords` for `count` dwords into printable lines. */
  protected abstract decodeRing(dwords: Uint32Array, firstOffset: bigint): string[];

  get submitted(): bigint {
    return BigInt(this.fences);
  }

  /** `submitted` as a number (the kernarg ring's retirement mark). */
  get submittedCount(): number {
    return this.fences;
  }

  /** Write pointer in dwords (monotonic). */
  protected get wptr(): bigint {
    return BigInt(this.wptrDwords);
  }

  /** Timestamp packets writing the GPU clock to `va` when the engine reaches them (start) or after all earlier work (end). */
  protected abstract timestampPackets(va: bigint, at: 'start' | 'end'): Uint32Array;

  /**
   * Copies `packets` into the ring (never straddling its end), then publishes the write pointer and
   * rings the doorbell. A timeline fence follows unless `fence` is false; the completion is returned.
   * With a tracer on the device, the submission is bracketed by GPU timestamps named `label`.
   */
  submit(packets: Uint32Array, opts: SubmitOptions = FENCED): Completion {
    this.enqueue(packets, opts);
    return this.latest();
  }

  /** The completion of the newest fence (what submit() returns; for after enqueue()). */
  latest(): Completion {
    return new FenceCompletion(this, this.fences);
  }

  /**
   * submit() without a completion to return: nothing is allocated. Wait for it (and everything before
   * it) with wait(), which defaults to `submitted`.
   */
  enqueue(packets: Uint32Array, opts: SubmitOptions = FENCED): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'submit');
    if (this.device.tracer) return void this.submitTraced(packets, opts);
    if (opts.fence ?? true) {
      const f = this.fenceTemplateOnce();
      this.place(packets, f.words, packets.length, f);
    } else this.place(packets, undefined, -1, undefined);
    this.publish();
  }

  /**
   * `packets` followed by this queue's fence, as one stream for enqueueFenced(): a prepared
   * submission copies it into the ring in one piece and patches the fence value there.
   */
  withFence(packets: Uint32Array): FencedStream {
    const f = this.fenceTemplateOnce().words;
    const n = packets.length + f.length;
    const stream = new Uint32Array((n + 1) & ~1);
    stream.set(packets);
    stream.set(f, packets.length);
    if (n & 1) stream[n] = this.nopHeader(1);
    return new FencedStream(stream, packets.length);
  }

  /** Submits a stream made by withFence() (its packets patched by the caller), with the next fence value; returns nothing. */
  enqueueFenced(stream: FencedStream, opts: SubmitOptions = FENCED): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'submit');
    if (this.device.tracer) return void this.submitTraced(stream.words.subarray(0, stream.fenceAt), opts);
    const f = this.fenceWords!;
    const n = stream.words.length;
    // The pairs land 8-byte aligned: after a submission of an odd count, a one-dword NOP first.
    let pos = this.room(n + (this.wptrDwords & 1));
    const ring = this.ringWords;
    if (pos & 1) {
      ring[pos++] = this.nopHeader(1);
      this.wptrDwords++;
    }
    stream.copy(this.ringPairs, pos >> 1, stream.pairs);
    const at = pos + stream.fenceAt;
    const value = ++this.fences;
    ring[at + f.loAt] = value >>> 0;
    ring[at + f.hiAt] = high32(value);
    this.wptrDwords += n;
    this.publish();
  }

  private fenceTemplateOnce(): FenceTemplate {
    return (this.fenceWords ??= this.fenceTemplate());
  }

  private submitTraced(packets: Uint32Array, opts: SubmitOptions): Completion {
    const tracer = this.device.tracer!;
    const slot = tracer.slot(this.device);
    this.place(this.timestampPackets(slot.va, 'start'), undefined, -1, undefined);
    this.place(packets, undefined, -1, undefined);
    const end = this.timestampPackets(slot.va + 8n, 'end');
    if (opts.fence ?? true) {
      const f = this.fenceTemplateOnce();
      this.place(end, f.words, end.length, f);
    } else this.place(end, undefined, -1, undefined);
    this.publish();
    const value = BigInt(this.fences);
    tracer.track(this.device, this, this.label, opts.label ?? 'submit', slot, () => this.timeline.value >= value);
    return { queue: this, value };
  }

  /**
   * Copies `packets` and then `tail` (when given) into the ring, contiguous: a NOP pads the ring's end
   * when they would straddle it. With a fence `f` starting at dword `fenceAt` of what was placed, the
   * next fence value is patched into the ring there.
   */
  private place(packets: Uint32Array, tail: Uint32Array | undefined, fenceAt: number, f: FenceTemplate | undefined): void {
    const n = packets.length;
    const total = n + (tail ? tail.length : 0);
    const pos = this.room(total);
    const ring = this.ringWords;
    copyDwords(ring, pos, packets);
    if (tail) copyDwords(ring, pos + n, tail);
    if (f) {
      const at = pos + fenceAt;
      const value = ++this.fences;
      ring[at + f.loAt] = value >>> 0;
      ring[at + f.hiAt] = high32(value);
    }
    this.wptrDwords += total;
  }

  /**
   * The ring position where `total` contiguous dwords go next, once they fit: a NOP pads the ring's
   * end when they would straddle it. The caller advances the write pointer after writing them.
   */
  private room(total: number): number {
    // The ring size is a power of two (KFD checks it) and 2^32 is a multiple of it, so the mask is
    // exact even once the write pointer passes 2^32 dwords.
    const pos = this.wptrDwords & (this.ringDwords - 1);
    // The common case first, small enough to be inlined into the submission: no wrap, room known.
    if (pos + total <= this.ringDwords && this.wptrDwords + total - this.consumedSeen < this.ringDwords) return pos;
    return this.roomSlowly(pos, total);
  }

  /** room() when the dwords would straddle the ring's end or the ring may be full. */
  private roomSlowly(pos: number, total: number): number {
    if (total >= this.ringDwords) throw new DriverError(this.device.name, `${this.label}: ${total} dwords of packets do not fit a ring of ${this.ringDwords} dwords`);
    if (pos + total > this.ringDwords) {
      const pad = this.ringDwords - pos;
      this.reserve(pad);
      this.ringWords[pos] = this.nopHeader(pad);
      this.ringWords.fill(0, pos + 1, pos + pad);
      this.wptrDwords += pad;
      this.reserve(total);
      return 0;
    }
    this.reserve(total);
    return pos;
  }

  /** Waits until `n` more dwords fit without overwriting what the engine has not read. */
  private reserve(n: number): void {
    if (this.wptrDwords + n - this.consumedSeen < this.ringDwords) return;
    this.waitForSpace(n);
  }

  /** The slow path of reserve(), apart: its closure would otherwise cost every reserve() a context allocation. */
  private waitForSpace(n: number): void {
    const fits = (): boolean => {
      this.consumedSeen = Number(this.consumedDwords());
      return this.wptrDwords + n - this.consumedSeen < this.ringDwords;
    };
    if (fits()) return;
    this.publish();
    const start = performance.now();
    let faultChecked = start;
    while (!fits()) {
      const now = performance.now();
      if (now - faultChecked > FAULT_CHECK_MS) {
        faultChecked = now;
        this.timeline.throwIfFaulted(`ring space on ${this.label}`, () => this.diagnose());
      }
      if (now - start > RING_FULL_TIMEOUT_MS) throw new WaitTimeoutError(this.device.name, `ring space on ${this.label} (the engine stopped consuming)`, RING_FULL_TIMEOUT_MS, `${this.diagnose()}\n${this.device.registerSnapshot()}`);
      Atomics.wait(sleeper, 0, 0, 0.05);
    }
  }

  /**
   * The write pointer to memory, then the doorbell, both from numbers (no BigInt is allocated). The
   * doorbell is a release store, ordered after every earlier store (the ring's packets and the write
   * pointer), which is what the engine relies on when the doorbell wakes it.
   */
  private publish(): void {
    const v = this.wptrDwords * this.doorbellUnitsPerDword;
    storeUint53(this.wptrCell, 0, v);
    this.doorbell.ringDoorbell(this.doorbellByte, v);
  }

  /** Blocks until the completion's fence landed (or the timeout; the error dumps the ring). */
  wait(c: Completion | bigint = this.submitted, timeoutMs = DEFAULT_WAIT_MS, what?: string): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'wait');
    const value = typeof c === 'bigint' ? c : c.value;
    this.timeline.wait(value, timeoutMs, what ?? `fence ${value} of ${this.label}`, () => this.diagnose());
  }

  isDone(c: Completion): boolean {
    return this.timeline.value >= c.value;
  }

  /** The queue's state as the CPU can see it: pointers and the packets around the read pointer. */
  diagnose(): string {
    const consumed = this.consumedDwords();
    const pending = this.wptr - consumed;
    const lines = [`${this.label}: read pointer ${consumed} dwords, write pointer ${this.wptr} dwords (${pending} pending), timeline ${this.timeline.value} of ${this.fences}`];
    if (pending > 0n) {
      const count = Number(pending < 256n ? pending : 256n);
      const start = Number(consumed % BigInt(this.ringDwords));
      const dw = new Uint32Array(count);
      for (let i = 0; i < count; i++) dw[i] = this.ringWords[(start + i) % this.ringDwords]!;
      lines.push(...this.decodeRing(dw, consumed).map((l, i) => `${i === 0 ? '=>' : '  '} ${l}`));
    }
    return lines.join('\n');
  }

  /** Destroys the queue and frees its memory; a second destroy (also after the device's close()) throws. */
  destroy(): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'destroy');
    this.destroyed = true;
    this.device.disown(this);
    this.device.backend.destroyQueue(this.queueId);
    this.kernargs.destroy();
    this.timeline.destroy();
    for (const b of [this.buffers.ring, this.buffers.pointers, ...this.buffers.others]) b.free();
  }
}
