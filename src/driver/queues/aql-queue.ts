// An AQL compute queue: 64-byte packets, 64-bit dispatch ids. The CPU writes a packet body, then its
// header (atomically), then write_dispatch_id, then rings the doorbell with the packet's index. Every
// packet decrements the queue's completion signal (an amd_signal_t), which makes its timeline.
import type { Mmio } from '../../os/host.js';
import { amdQueue, kernelDispatchPacket, AMD_QUEUE_PROPERTIES, HSA_PACKET_TYPE, AQL_PACKET_BYTES } from '../../uapi/hsa.js';
import { writeDispatchPacket, writeBarrierPacket, writePm4IbPacket, decodeAqlPacket, formatAqlPacket, type DispatchPacket } from '../../hw/aql.js';
import { Pm4Builder } from '../../hw/pm4/builder.js';
import { lo32, hi32 } from '../../hw/dword-stream.js';
import { UseAfterFreeError, WaitTimeoutError } from '../errors.js';
import { releaseStore32, storeNextUint53, high32 } from '../../os/store-order.js';
import type { Device, DeviceResource } from '../device.js';
import type { GpuBuffer } from '../memory.js';
import { Timeline, DEFAULT_WAIT_MS, FAULT_CHECK_MS } from '../timeline.js';
import { computeQueueExtras } from './compute-memory.js';
import { Retirements } from './retire.js';
import { KernargRing } from './kernarg-ring.js';

export interface AqlCompletion {
  readonly queue: AqlQueue;
  readonly value: bigint;
}

/** A completion whose BigInt is made only when `value` is read: a submission allocates one small object. */
class PacketCompletion implements AqlCompletion {
  constructor(readonly queue: AqlQueue, private readonly packets: number) {}

  get value(): bigint {
    return BigInt(this.packets);
  }
}

const RING_FULL_TIMEOUT_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const READ_ID = amdQueue.offsetOf('read_dispatch_id');
const WRITE_ID = amdQueue.offsetOf('write_dispatch_id');
/** Dword index of kernarg_address inside a dispatch packet. */
const KERNARG_AT = kernelDispatchPacket.offsetOf('kernarg_address') / 4;

export class AqlQueue implements DeviceResource {
  readonly kind = 'aql' as const;
  readonly label: string;
  readonly timeline: Timeline;
  readonly packets: number;
  readonly retirements = new Retirements();
  /** Kernel arguments (and dispatch packets) of launches on this queue. */
  readonly kernargs: KernargRing;
  /** The completion signal's address as the two dwords a packet carries. */
  private readonly signalLo: number;
  private readonly signalHi: number;
  /** The completion signal's address as a number (GPU addresses are below 2^53). */
  private readonly signalVa: number;
  private readonly ringView: DataView;
  private readonly ringWords: Int32Array;
  /** The ring as 8-byte pairs (prepared packets are copied pair by pair). */
  private readonly ringPairs: Float64Array;
  /** The completion signal's address as the double whose bits it is (one 8-byte store into a packet). */
  private readonly signalPair: number;
  private readonly ids: BigUint64Array;
  /** The same fields as dwords. */
  private readonly idWords: Int32Array;
  /** Packets written (the next write_dispatch_id): a double, exact far beyond any queue's lifetime. */
  private written = 0;
  /** The engine's read_dispatch_id when last read: only moves forward, so it is re-read only when the ring looks full. */
  private readSeen = 0;
  private destroyed = false;

  static create(device: Device, opts: { packets?: number } = {}): AqlQueue {
    const packets = opts.packets ?? 1024;
    const ring = device.alloc(packets * AQL_PACKET_BYTES, { domain: 'gtt', uncached: true, guard: false, label: 'AQL ring' });
    const queueMem = device.alloc(4096, { domain: 'gtt', uncached: true, guard: false, label: 'amd_queue_t' });
    let extras: ReturnType<typeof computeQueueExtras> | undefined;
    try {
      const rv = new DataView(ring.view.buffer, ring.view.byteOffset, ring.size);
      for (let i = 0; i < packets; i++) rv.setUint16(i * AQL_PACKET_BYTES, HSA_PACKET_TYPE.INVALID, true);
      amdQueue.encode(
        {
          hsa_queue: { type: 0, features: 1, base_address: ring.va, doorbell_signal: 0n, size: packets, reserved1: 0, id: 0n },
          read_dispatch_id_field_base_byte_offset: READ_ID,
          // No ENABLE_PROFILING: nothing here reads a signal's start/end timestamps (the tracer brackets
          // packets with PM4 timestamps), and the packet processor would read its clock twice per packet.
          queue_properties: AMD_QUEUE_PROPERTIES.IS_PTR64,
        },
        queueMem.view,
        0,
      );
      extras = computeQueueExtras(device);
      const q = device.backend.createQueue({
        kind: 'aql', ringVa: ring.va, ringBytes: ring.size, rptrVa: queueMem.va + BigInt(READ_ID), wptrVa: queueMem.va + BigInt(WRITE_ID),
        eop: { va: extras.eop.va, size: extras.eop.size },
        cwsr: { va: extras.cwsr.va, size: device.queueSizes.ctxSaveRestoreSize, ctlStackSize: device.queueSizes.ctlStackSize },
      });
      return new AqlQueue(device, q.queueId, q.mmio, q.doorbellByte, ring, queueMem, [extras.eop, extras.cwsr]);
    } catch (e) {
      extras?.cwsr.free();
      extras?.eop.free();
      queueMem.free();
      ring.free();
      throw e;
    }
  }

  private constructor(
    readonly device: Device,
    readonly queueId: number,
    private readonly doorbell: Mmio,
    private readonly doorbellByte: number,
    private readonly ring: GpuBuffer,
    readonly queueMem: GpuBuffer,
    private readonly others: readonly GpuBuffer[],
  ) {
    this.label = `${device.name} AQL queue ${queueId}`;
    this.packets = ring.size / AQL_PACKET_BYTES;
    this.ringView = new DataView(ring.view.buffer, ring.view.byteOffset, ring.size);
    this.ringWords = new Int32Array(ring.view.buffer, ring.view.byteOffset, ring.size / 4);
    this.ringPairs = new Float64Array(ring.view.buffer, ring.view.byteOffset, ring.size / 8);
    this.ids = new BigUint64Array(queueMem.view.buffer, queueMem.view.byteOffset, 32);
    this.idWords = new Int32Array(queueMem.view.buffer, queueMem.view.byteOffset, 64);
    this.kernargs = new KernargRing(device, this.label);
    this.timeline = new Timeline(device, this.label, 'amd-signal');
    this.signalLo = lo32(this.timeline.va) | 0;
    this.signalHi = hi32(this.timeline.va) | 0;
    this.signalVa = Number(this.timeline.va);
    const pair = new Float64Array(1);
    new BigUint64Array(pair.buffer)[0] = this.timeline.va;
    this.signalPair = pair[0]!;
    device.own(this);
  }

  /** Address of the amd_queue_t (the kernel's queue_ptr). */
  get amdQueueVa(): bigint {
    return this.queueMem.va;
  }

  get submitted(): bigint {
    return BigInt(this.written);
  }

  /** `submitted` as a number (the kernarg ring's retirement mark). */
  get submittedCount(): number {
    return this.written;
  }

  private get readIndex(): bigint {
    return Atomics.load(this.ids, READ_ID / 8);
  }

  /** Reserves the next slot (waiting while the ring is full) and returns its byte offset. */
  private slot(): number {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'submit');
    if (this.retirements.size) this.retirements.collect(this.timeline.count);
    if (this.written - this.readSeen >= this.packets) this.waitForSlot();
    // packets is a power of two (the ring size KFD accepts), so the mask is exact past 2^32 packets too.
    return (this.written & (this.packets - 1)) * AQL_PACKET_BYTES;
  }

  /** The slow path of slot(), apart so that slot() stays small enough to inline: waits while the ring is full. */
  private waitForSlot(): void {
    const start = performance.now();
    let faultChecked = start;
    while (this.written - (this.readSeen = Number(this.readIndex)) >= this.packets) {
      const now = performance.now();
      if (now - faultChecked > FAULT_CHECK_MS) {
        faultChecked = now;
        this.timeline.throwIfFaulted(`a free packet slot on ${this.label}`, () => this.diagnose());
      }
      if (now - start > RING_FULL_TIMEOUT_MS) throw new WaitTimeoutError(this.device.name, `a free packet slot on ${this.label}`, RING_FULL_TIMEOUT_MS, `${this.diagnose()}\n${this.device.registerSnapshot()}`);
      Atomics.wait(sleeper, 0, 0, 0.05);
    }
  }

  /** Publishes the packet just written: write_dispatch_id, then the doorbell with the packet's index. */
  private ring1(): void {
    const index = this.written++;
    this.storeWriteId(this.written);
    this.doorbell.ringDoorbell(this.doorbellByte, index);
  }

  /**
   * write_dispatch_id = `value` (the packets written, one more than it holds), as a plain store: the
   * doorbell's release store orders it, as it orders the packet.
   */
  private storeWriteId(value: number): void {
    storeNextUint53(this.ids, this.idWords, WRITE_ID / 8, value);
  }

  /** The completion of the newest packet (what submitPacket() returns; for after enqueuePacket()). */
  latest(): AqlCompletion {
    return new PacketCompletion(this, this.written);
  }

  dispatch(p: Omit<DispatchPacket, 'completionSignal'>, label = 'dispatch'): AqlCompletion {
    if (this.device.tracer) return this.traced(label, () => this.writeDispatch(p));
    this.writeDispatch(p);
    return this.latest();
  }

  /**
   * Submits a packet given as its 16 dwords (header and setup in dword 0, written last), e.g. a
   * prepared kernel launch. The completion signal field is set to the queue's own.
   */
  submitPacket(words: Int32Array | Uint32Array, label = 'packet'): AqlCompletion {
    this.enqueuePacket(words, label);
    return this.latest();
  }

  /** submitPacket() without a completion to return: nothing is allocated. wait() waits for it (and everything before). */
  enqueuePacket(words: Int32Array | Uint32Array, label = 'packet'): void {
    if (this.device.tracer) return void this.tracedPacket(words, label);
    this.writePacket(words);
  }

  /**
   * Submits a launch prepared once: `packet` is its 64 bytes as 8-byte pairs (header and setup in
   * dword 0, written last); the kernel-argument address and the queue's completion signal are written
   * in their place.
   */
  enqueueLaunch(words: Int32Array, packet: Float64Array, kernargVa: number, label: string): void {
    // One guard for everything unusual (a tracer, a destroyed queue, memory to retire, a ring that
    // looks full): small enough for the optimizing compiler to inline into the caller, which then
    // makes one call (writeLaunch) per launch.
    const written = this.written;
    if (written - this.readSeen >= this.packets || this.retirements.size !== 0 || this.destroyed || this.device.tracer) return this.enqueueLaunchSlowly(words, packet, kernargVa, label);
    this.writeLaunch(written, words, packet, kernargVa);
  }

  private enqueueLaunchSlowly(words: Int32Array, packet: Float64Array, kernargVa: number, label: string): void {
    if (this.device.tracer) {
      const patched = words.slice();
      patched[KERNARG_AT] = kernargVa | 0;
      patched[KERNARG_AT + 1] = high32(kernargVa);
      return void this.tracedPacket(patched, label);
    }
    this.slot();
    this.writeLaunch(this.written, words, packet, kernargVa);
  }

  /** A prepared launch's packet into slot `written` (which has room), then write_dispatch_id and the doorbell. */
  private writeLaunch(written: number, words: Int32Array, packet: Float64Array, kernargVa: number): void {
    const at = (written & (this.packets - 1)) * (AQL_PACKET_BYTES / 4);
    const ring = this.ringWords;
    const pairs = this.ringPairs;
    const at2 = at >> 1;
    // The header's pair goes as its second dword (the header is stored last), the address as two
    // dwords: patching them into `packet` and copying the pair would read back, as one load, a pair
    // just stored as halves, which stalls the CPU's store forwarding.
    ring[at + 1] = words[1]!;
    pairs[at2 + 1] = packet[1]!;
    pairs[at2 + 2] = packet[2]!;
    pairs[at2 + 3] = packet[3]!;
    pairs[at2 + 4] = packet[4]!;
    ring[at + KERNARG_AT] = kernargVa | 0;
    ring[at + KERNARG_AT + 1] = high32(kernargVa);
    pairs[at2 + 6] = packet[6]!;
    pairs[at2 + 7] = this.signalPair;
    releaseStore32(ring, at, words[0]!);
    this.written = written + 1;
    this.storeWriteId(written + 1);
    this.doorbell.ringDoorbell(this.doorbellByte, written);
  }

  /** Apart from enqueuePacket(): a closure there would cost every call a context allocation. */
  private tracedPacket(words: Int32Array | Uint32Array, label: string): AqlCompletion {
    return this.traced(label, () => this.writePacket(words));
  }

  private writePacket(words: Int32Array | Uint32Array): void {
    const at = this.slot() >> 2;
    const ring = this.ringWords;
    // Unrolled: a loop over the 13 dwords costs node several times the straight stores (measured).
    ring[at + 1] = words[1]!;
    ring[at + 2] = words[2]!;
    ring[at + 3] = words[3]!;
    ring[at + 4] = words[4]!;
    ring[at + 5] = words[5]!;
    ring[at + 6] = words[6]!;
    ring[at + 7] = words[7]!;
    ring[at + 8] = words[8]!;
    ring[at + 9] = words[9]!;
    ring[at + 10] = words[10]!;
    ring[at + 11] = words[11]!;
    ring[at + 12] = words[12]!;
    ring[at + 13] = words[13]!;
    ring[at + 14] = this.signalLo;
    ring[at + 15] = this.signalHi;
    // The header last, as a release store: the packet processor may be looking at the slot.
    releaseStore32(ring, at, words[0]!);
    this.ring1();
  }

  private writeDispatch(p: Omit<DispatchPacket, 'completionSignal'>): void {
    // The queue's own completion signal replaces the packet's (which the type leaves out).
    writeDispatchPacket(this.ringView, this.ringWords, this.slot(), p as DispatchPacket, this.signalVa);
    this.ring1();
  }

  /** With a tracer on the device, brackets `submit` with PM4 timestamp packets (start of pipe, end of pipe). */
  private traced(label: string, submit: () => void): AqlCompletion {
    const tracer = this.device.tracer!;
    const slot = tracer.slot(this.device);
    const b = new Pm4Builder(this.device.target.family, 16);
    this.pm4(b.copyClockToMemory(slot.va).dwords);
    submit();
    const c = this.pm4(b.reset().releaseMem({ va: slot.va + 8n, data: 'gpu_clock', flush: false }).dwords);
    tracer.track(this.device, this, this.label, label, slot, () => this.timeline.value >= c.value);
    return c;
  }

  /** Waits (on the GPU) for up to five AQL signals; `or` waits for any of them. */
  barrier(deps: readonly bigint[], kind: 'and' | 'or' = 'and'): AqlCompletion {
    writeBarrierPacket(this.ringView, this.ringWords, this.slot(), kind, deps, this.timeline.va);
    this.ring1();
    return this.latest();
  }

  /** Runs PM4 packets (waits, writes, timestamps) through the AMD vendor PM4-IB packet. */
  pm4(dwords: Uint32Array): AqlCompletion {
    const at = this.slot();
    const ib = this.device.allocSmall(dwords.length * 4, 256);
    new Uint32Array(ib.bytes.buffer, ib.bytes.byteOffset, dwords.length).set(dwords);
    writePm4IbPacket(this.ringView, this.ringWords, at, ib.va, dwords.length, this.timeline.va);
    this.ring1();
    const c = this.latest();
    this.retirements.add(c.value, () => this.device.freeSmall(ib));
    return c;
  }

  wait(c: AqlCompletion | bigint = this.submitted, timeoutMs = DEFAULT_WAIT_MS, what?: string): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'wait');
    const value = typeof c === 'bigint' ? c : c.value;
    this.timeline.wait(value, timeoutMs, what ?? `packet ${value - 1n} of ${this.label}`, () => this.diagnose());
    this.retirements.collect(this.timeline.count);
  }

  isDone(c: AqlCompletion): boolean {
    return this.timeline.value >= c.value;
  }

  diagnose(): string {
    const read = this.readIndex;
    const written = this.submitted;
    const lines = [`${this.label}: read_dispatch_id ${read}, write_dispatch_id ${written} (${written - read} pending), completed ${this.timeline.value}`];
    for (let i = read; i < written && i < read + 8n; i++) {
      const at = Number(i % BigInt(this.packets)) * AQL_PACKET_BYTES;
      lines.push(`${i === read ? '=>' : '  '} ${formatAqlPacket(decodeAqlPacket(this.ringView, at), Number(i))}`);
    }
    return lines.join('\n');
  }

  /** Destroys the queue and frees its memory; a second destroy (also after the device's close()) throws. */
  destroy(): void {
    if (this.destroyed) throw new UseAfterFreeError(this.device.name, this.label, 'destroy');
    this.destroyed = true;
    this.device.disown(this);
    this.device.backend.destroyQueue(this.queueId);
    this.retirements.drain();
    this.kernargs.destroy();
    this.timeline.destroy();
    for (const b of [this.ring, this.queueMem, ...this.others]) b.free();
  }
}
