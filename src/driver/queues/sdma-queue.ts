// An SDMA queue: read and write pointers are 64-bit byte counts (monotonic); copies larger than one
// packet allows are split.
import type { Mmio } from '../../os/host.js';
import { SdmaBuilder } from '../../hw/sdma/builder.js';
import { decodeSdma, formatSdmaPacket, sdmaVersionOf } from '../../hw/sdma/decode.js';
import { SDMA_OP, type SdmaVersion } from '../../hw/sdma/packets.js';
import type { Device } from '../device.js';
import { RingQueue, type Completion, type FencedStream, type FenceTemplate, type QueueBuffers, type SubmitOptions } from './ring-queue.js';

export interface SdmaQueueOptions {
  readonly ringBytes?: number;
  /** Use an XGMI SDMA engine (peer copies between GPUs of a hive). */
  readonly xgmi?: boolean;
  /** A specific SDMA engine (KFD ≥ 1.17). */
  readonly engine?: number;
}

const UNLABELLED = {};

/**
 * A copy encoded once (its COPY_LINEAR packet and the queue's fence) for repeated submission: each
 * enqueue() copies the stream into the ring, patches the fence value and rings the doorbell.
 */
export class PreparedCopy {
  private readonly options: SubmitOptions;

  constructor(readonly queue: SdmaQueue, private readonly stream: FencedStream, readonly bytes: number) {
    this.options = { label: `copy ${bytes} B` };
  }

  /** Submits the copy and returns nothing (allocates nothing); `queue.wait()` waits for it and everything before it. */
  enqueue(): void {
    this.queue.enqueueFenced(this.stream, this.options);
  }

  submit(): Completion {
    this.enqueue();
    return this.queue.latest();
  }
}

export class SdmaQueue extends RingQueue {
  readonly kind = 'sdma' as const;
  readonly version: SdmaVersion = sdmaVersionOf(this.device.target.sdma);
  private readonly fenceBuilder = new SdmaBuilder(this.version, 32);
  /** Reused by copy(): submit() copies the packets into the ring, so one builder per queue is enough. */
  private readonly copyBuilder = new SdmaBuilder(this.version, 64);
  /** The last single-packet copy encoded with its fence (withFence), reused while the same copy is submitted again. */
  private lastCopy: FencedStream | undefined;
  private lastCopyDst = 0n;
  private lastCopySrc = 0n;
  private lastCopyBytes = 0;

  static create(device: Device, opts: SdmaQueueOptions = {}): SdmaQueue {
    const ringBytes = opts.ringBytes ?? 256 * 1024;
    const ring = device.alloc(ringBytes, { domain: 'gtt', uncached: true, guard: false, label: 'SDMA ring' });
    const pointers = device.alloc(4096, { domain: 'gtt', uncached: true, guard: false, label: 'SDMA read/write pointers' });
    try {
      const q = device.backend.createQueue({ kind: 'sdma', ringVa: ring.va, ringBytes, rptrVa: pointers.va, wptrVa: pointers.va + 8n, sdma: { engine: opts.engine, xgmi: opts.xgmi } });
      return new SdmaQueue(device, q.queueId, q.mmio, q.doorbellByte, { ring, pointers, others: [] }, opts.xgmi ? 'SDMA-XGMI' : 'SDMA');
    } catch (e) {
      pointers.free();
      ring.free();
      throw e;
    }
  }

  private constructor(device: Device, queueId: number, mmio: Mmio, doorbellByte: number, buffers: QueueBuffers, name: string) {
    super(device, queueId, mmio, doorbellByte, buffers, name, 0, 8);
  }

  builder(): SdmaBuilder {
    return new SdmaBuilder(this.version);
  }

  /** Copies `bytes` from `src` to `dst` (GPU addresses), in as many packets as needed. */
  copy(dst: bigint, src: bigint, bytes: number): Completion {
    // The common case, one packet, kept small so that it inlines into the caller (whose unused
    // completion then costs no allocation): no label string unless a tracer will show it.
    if (bytes > 0 && bytes <= this.copyBuilder.limits.maxCopyBytes) {
      this.enqueueFenced(this.copyStream(dst, src, bytes), this.device.tracer ? { label: `copy ${bytes} B` } : UNLABELLED);
      return this.latest();
    }
    return this.copyInPieces(dst, src, bytes);
  }

  private copyInPieces(dst: bigint, src: bigint, bytes: number): Completion {
    const b = this.copyBuilder;
    const perSubmit = Math.max(1, Math.floor((this.ringDwords / 4) / 7)) * b.limits.maxCopyBytes;
    let c: Completion | undefined;
    for (let off = 0; off < bytes; off += perSubmit) {
      const n = Math.min(perSubmit, bytes - off);
      c = this.submit(b.reset().copy(dst + BigInt(off), src + BigInt(off), n).dwords, { label: `copy ${n} B` });
    }
    return c ?? this.submit(new Uint32Array(0), { label: 'copy 0 B' });
  }

  /** Encodes a copy of at most one packet's size (`copyBuilder.limits.maxCopyBytes`) once, for repeated submission. */
  prepareCopy(dst: bigint, src: bigint, bytes: number): PreparedCopy {
    return new PreparedCopy(this, this.withFence(this.copyBuilder.reset().copyLinear(dst, src, bytes).dwords), bytes);
  }

  /** One COPY_LINEAR packet and the fence; a copy repeated with the same operands reuses its encoding. */
  private copyStream(dst: bigint, src: bigint, bytes: number): FencedStream {
    // The byte count (a number) first: it tells most different copies apart without a BigInt compare.
    const last = this.lastCopy;
    if (last !== undefined && this.lastCopyBytes === bytes && this.lastCopyDst === dst && this.lastCopySrc === src) return last;
    const stream = this.withFence(this.copyBuilder.reset().copyLinear(dst, src, bytes).dwords);
    this.lastCopy = stream;
    this.lastCopyDst = dst;
    this.lastCopySrc = src;
    this.lastCopyBytes = bytes;
    return stream;
  }

  fill(dst: bigint, pattern: number, bytes: number): Completion {
    return this.submit(this.builder().fill(dst, pattern, bytes).dwords, { label: `fill ${bytes} B` });
  }

  protected consumedDwords(): bigint {
    return this.rptrView.getBigUint64(0, true) >> 2n;
  }

  protected readonly doorbellUnitsPerDword = 4;

  protected nopHeader(dwords: number): number {
    return (SDMA_OP.NOP | ((dwords - 1) << 16)) >>> 0;
  }

  /** Timeline value (high dword first), the event id into the mailbox, then the interrupt. */
  protected fenceTemplate(): FenceTemplate {
    const t = this.timeline;
    const words = this.fenceBuilder.reset().fence64(t.va, 0n).fence64(t.mailboxVa, BigInt(t.event.id)).trap(t.event.id).dwords.slice();
    // fence64 writes the high dword (first FENCE's data, dword 3) before the low one (second FENCE, dword 7).
    return { words, loAt: 7, hiAt: 3 };
  }

  protected timestampPackets(va: bigint): Uint32Array {
    return this.fenceBuilder.reset().timestamp(va).dwords.slice();
  }

  protected decodeRing(dwords: Uint32Array, firstOffset: bigint): string[] {
    return decodeSdma(dwords, this.version).map((p) => formatSdmaPacket({ ...p, offset: Number(firstOffset) + p.offset }, this.version));
  }
}
