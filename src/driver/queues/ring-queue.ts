// What PM4 and SDMA queues share: a ring in host-visible memory, a monotonic write pointer, the
// read pointer the engine reports, back-pressure, the ring → write pointer → doorbell ordering, a
// timeline for fences, and a diagnostic dump of the ring around the read pointer.
import type { Mmio } from '../../os/host.js';
import { DriverError, UseAfterFreeError, WaitTimeoutError } from '../errors.js';
import type { Device, DeviceResource } from '../device.js';
import type { GpuBuffer } from '../memory.js';
import { Timeline, DEFAULT_WAIT_MS } from '../timeline.js';
import { KernargRing } from './kernarg-ring.js';

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

export interface SubmitOptions {
  /** Follow the packets with a timeline fence (default true). */
  readonly fence?: boolean;
  /** The operation's name in a trace. */
  readonly label?: string;
}
const FENCED: SubmitOptions = {};

/**
 * BigInts of the small write-pointer steps: adding one of these to a BigInt mirror costs less than
 * converting a number with BigInt() on every submission.
 */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));

/** Back-pressure waits give up after this long (the GPU is not consuming the ring). */
const RING_FULL_TIMEOUT_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export abstract class RingQueue implements DeviceResource {
  abstract readonly kind: 'pm4' | 'sdma';
  readonly label: string;
  readonly timeline: Timeline;
  readonly ringDwords: number;
  protected readonly ringWords: Uint32Array;
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
  /** `fences` as a BigInt, counted alongside (the completions carry it). */
  private fenceValue = 0n;
  /** The write pointer the doorbell last carried, in dwords, and as the doorbell's BigInt. */
  private publishedDwords = 0;
  private doorbellValue = 0n;
  /** Kernel arguments (and dispatch packets) of launches on this queue. */
  readonly kernargs: KernargRing;
  private destroyed = false;

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
  /** Writes a NOP of `dwords` at ring position `pos` (to pad up to the ring's end). */
  protected abstract writeNop(pos: number, dwords: number): void;
  /** Appends the fence for `value` (timeline write + mailbox + interrupt) to the stream. */
  protected abstract fencePackets(value: number): Uint32Array;
  /** Decodes the ring from `fromDwords` for `count` dwords into printable lines. */
  protected abstract decodeRing(dwords: Uint32Array, firstOffset: bigint): string[];

  get submitted(): bigint {
    return this.fenceValue;
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
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'submit');
    if (this.device.tracer) return this.submitTraced(packets, opts);
    this.place(packets);
    if (opts.fence ?? true) this.placeFence();
    this.publish();
    return { queue: this, value: this.fenceValue };
  }

  private placeFence(): void {
    this.place(this.fencePackets(++this.fences));
    this.fenceValue += 1n;
  }

  private submitTraced(packets: Uint32Array, opts: SubmitOptions): Completion {
    const tracer = this.device.tracer!;
    const slot = tracer.slot(this.device);
    this.place(this.timestampPackets(slot.va, 'start'));
    this.place(packets);
    this.place(this.timestampPackets(slot.va + 8n, 'end'));
    if (opts.fence ?? true) this.placeFence();
    this.publish();
    const value = this.fenceValue;
    tracer.track(this.device, this, this.label, opts.label ?? 'submit', slot, () => this.timeline.value >= value);
    return { queue: this, value };
  }

  private place(packets: Uint32Array): void {
    const n = packets.length;
    if (n >= this.ringDwords) throw new DriverError(this.device.name, `${this.label}: ${n} dwords of packets do not fit a ring of ${this.ringDwords} dwords`);
    // The ring size is a power of two (KFD checks it) and 2^32 is a multiple of it, so the mask is
    // exact even once the write pointer passes 2^32 dwords.
    let pos = this.wptrDwords & (this.ringDwords - 1);
    if (pos + n > this.ringDwords) {
      const pad = this.ringDwords - pos;
      this.reserve(pad);
      this.writeNop(pos, pad);
      this.wptrDwords += pad;
      pos = 0;
    }
    this.reserve(n);
    // A loop beats TypedArray.set's fixed cost for the few dozen dwords of a typical submission.
    const ring = this.ringWords;
    if (n <= 64) for (let i = 0; i < n; i++) ring[pos + i] = packets[i]!;
    else ring.set(packets, pos);
    this.wptrDwords += n;
  }

  /** Waits until `n` more dwords fit without overwriting what the engine has not read. */
  private reserve(n: number): void {
    if (this.wptrDwords + n - this.consumedSeen < this.ringDwords) return;
    const fits = (): boolean => {
      this.consumedSeen = Number(this.consumedDwords());
      return this.wptrDwords + n - this.consumedSeen < this.ringDwords;
    };
    if (fits()) return;
    this.publish();
    const start = performance.now();
    while (!fits()) {
      if (performance.now() - start > RING_FULL_TIMEOUT_MS) throw new WaitTimeoutError(this.device.name, `ring space on ${this.label} (the engine stopped consuming)`, RING_FULL_TIMEOUT_MS, `${this.diagnose()}\n${this.device.registerSnapshot()}`);
      Atomics.wait(sleeper, 0, 0, 0.05);
    }
  }

  /**
   * The write pointer to memory, then the doorbell. Only the doorbell needs an atomic store: it is
   * ordered after every earlier store (the ring's packets and the write pointer), which is what the
   * engine relies on when the doorbell wakes it.
   */
  private publish(): void {
    const step = (this.wptrDwords - this.publishedDwords) * this.doorbellUnitsPerDword;
    const v = (this.doorbellValue += step < SMALL_BIGINTS.length ? SMALL_BIGINTS[step]! : BigInt(step));
    this.publishedDwords = this.wptrDwords;
    this.wptrCell[0] = v;
    this.doorbell.store64(this.doorbellByte, v);
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
