// Driving the emulated engines by hand through raw KFD (emu-engines*.test.ts): the models, CPU-side
// helpers, hand-written rings and events. Packets come from ./hand-packets.ts, never from src/hw.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as kfd from '../../src/uapi/kfd.js';
import type { Mapping, Mmio } from '../../src/os/host.js';
import type { EngineStatus } from '../../src/emu/host.js';
import { PAGE, type RawBo, type RawKfd } from './raw-kfd.js';
import type { Pm4Gen } from './hand-packets.js';

export const Q = kfd.KFD_IOC_QUEUE_TYPE;
export const EV = kfd.KFD_IOC_EVENT;
export const WAIT = kfd.KFD_IOC_WAIT_RESULT;
/** kfd_events.c: an event page slot that has not been signaled holds all ones. */
export const UNSIGNALED_SLOT = 0xffff_ffff_ffff_ffffn;
/** A GPU address no test maps: inside the user range, far from RawKfd.freshVa's allocations. */
export const UNMAPPED = 0x6000_0000_1234n;

export interface Model {
  readonly spec: string;
  /** PM4 generation: soc15d.h (gfx9) or nvd.h (gfx10+) packet forms. */
  readonly pm4: Pm4Gen;
  /** Width of the COPY_LINEAR count field: 30 bits in sdma_v6_0_0_pkt_open.h, 22 in vega10_sdma_pkt_open.h (SDMA 4.4.2 on gfx942). */
  readonly sdmaCountBits: number;
}
export const MODELS: readonly Model[] = [
  { spec: 'emu:gfx1100', pm4: 'gfx11', sdmaCountBits: 30 },
  { spec: 'emu:gfx942', pm4: 'gfx9', sdmaCountBits: 22 },
  // Aldebaran's SDMA 4.4.0 runs sdma_v4_0.c with the same vega10 packets.
  { spec: 'emu:gfx90a', pm4: 'gfx9', sdmaCountBits: 22 },
];


// ---- CPU-side helpers ----

export function view(m: Mapping): DataView {
  return new DataView(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
}

/** A 64-bit store the GPU sees whole (Atomics on the shared backing). */
export function store64(m: Mapping, offset: number, value: bigint): void {
  Atomics.store(new BigUint64Array(m.bytes.buffer, m.bytes.byteOffset + offset, 1), 0, value);
}

export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > end) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

export type QueueState = EngineStatus['queues'][number];

export function queueState(k: RawKfd, queueId: number): QueueState {
  const q = k.host.engineStatus()[0]!.queues.find((s) => s.queueId === queueId);
  assert.ok(q, `queue ${queueId} is not in the engine status`);
  return q;
}

export const hangOf = (k: RawKfd, queueId: number) => until(`queue ${queueId} to hang`, () => queueState(k, queueId).hang ?? undefined);

/** A queue whose ring is written by the CPU; `unit` is what the write pointer counts (PM4 dwords, SDMA bytes). */
export class RingQueue {
  private pos = 0;
  constructor(
    readonly id: number,
    readonly ringBytes: number,
    private readonly ring: Mapping,
    /** Write pointer at byte 0, read pointer at byte 8 (as the queue was created). */
    readonly pointers: Mapping,
    private readonly doorbell: { readonly mmio: Mmio; readonly byte: number },
    private readonly unit: 'dwords' | 'bytes',
  ) {}

  /** Copies packets into the ring at the CPU's write position (wrapping at the ring's end). */
  put(dwords: readonly number[]): void {
    const dv = view(this.ring);
    for (const d of dwords) {
      dv.setUint32(this.pos % this.ringBytes, d >>> 0, true);
      this.pos += 4;
    }
  }

  /** The write pointer covering everything put so far, in the queue's unit. */
  get wptr(): bigint {
    return BigInt(this.unit === 'dwords' ? this.pos / 4 : this.pos);
  }

  /** Publishes the write pointer to its memory, then stores it to the doorbell (the order the hardware needs). */
  submit(wptr = this.wptr): void {
    store64(this.pointers, 0, wptr);
    this.doorbell.mmio.store64(this.doorbell.byte, wptr);
  }

  get rptr32(): number {
    return view(this.pointers).getUint32(8, true);
  }

  get rptr64(): bigint {
    return view(this.pointers).getBigUint64(8, true);
  }
}

/** The EOP and CWSR buffers a compute queue needs, sized from sysfs (kfd_queue.c), mapped. */
export function computeBuffers(k: RawKfd) {
  const sizes = k.queueSizes();
  const eop = k.allocMapped(sizes.eopBufferSize);
  const cwsr = k.allocMapped(sizes.cwsrAllocationSize);
  return {
    eop_buffer_address: eop.va,
    eop_buffer_size: BigInt(sizes.eopBufferSize),
    ctx_save_restore_address: cwsr.va,
    ctx_save_restore_size: sizes.ctxSaveRestoreSize,
    ctl_stack_size: sizes.ctlStackSize,
  };
}

export function ringQueue(k: RawKfd, type: number, ringBytes: number): RingQueue {
  const ring = k.allocMapped(ringBytes);
  const pointers = k.allocMapped(PAGE);
  const r = k.createQueue({
    ring_base_address: ring.va,
    ring_size: ringBytes,
    write_pointer_address: pointers.va,
    read_pointer_address: pointers.va + 8n,
    gpu_id: k.gpuId,
    queue_type: type,
    queue_percentage: 100,
    queue_priority: 7,
    ...(type === Q.COMPUTE ? computeBuffers(k) : {}),
  });
  assert.equal(r.errno, 'OK');
  assert.equal(r.out.ring_size, ringBytes);
  return new RingQueue(r.out.queue_id, ringBytes, k.cpuView(ring), k.cpuView(pointers), k.doorbell(r.out.doorbell_offset), type === Q.COMPUTE ? 'dwords' : 'bytes');
}

/** A signal event whose slot lives in an event page this process hands to KFD and maps on the GPU. */
export function signalEvent(k: RawKfd): { readonly id: number; readonly slotVa: bigint; readonly slot: () => bigint } {
  const page: RawBo = k.allocMapped(kfd.KFD_EVENT_PAGE_BYTES);
  const ev = k.createEvent(EV.SIGNAL, { page });
  assert.ok(ev.id > 0 && ev.id < kfd.KFD_SIGNAL_EVENT_LIMIT, `signal event id ${ev.id}`);
  assert.equal(ev.slot, ev.id);
  const cpu = k.cpuView(page);
  return { id: ev.id, slotVa: page.va + BigInt(ev.slot * kfd.KFD_EVENT_SLOT_BYTES), slot: () => view(cpu).getBigUint64(ev.slot * kfd.KFD_EVENT_SLOT_BYTES, true) };
}

/** Closes everything the test opened and checks that the emulated kernel holds nothing for the process. */
export function closeAndCheckEmpty(k: RawKfd): void {
  k.closeAll();
  assert.deepEqual(k.host.liveObjects(), { bos: 0, queues: 0, events: 0, gpuMappings: 0, cpuMappings: 0, openFiles: 0 });
}

/** The decoded kfd_hsa_memory_exception_data a MEMORY event carried out of WAIT_EVENTS. */
export function memoryException(data: Uint8Array) {
  return kfd.hsaMemoryExceptionData.decode(data, kfd.EVENT_DATA_UNION_OFFSET);
}
