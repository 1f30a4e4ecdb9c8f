// A PM4 compute queue (KFD COMPUTE): the read pointer is reported as a 32-bit dword offset that wraps
// at the ring size; the write pointer and doorbell count dwords (64-bit, monotonic).
import type { Mmio } from '../../os/host.js';
import { Pm4Builder } from '../../hw/pm4/builder.js';
import { decodePm4, formatPm4Packet } from '../../hw/pm4/decode.js';
import { pm4Header, PM4_OP, PM4_NOP_SINGLE_COUNT } from '../../hw/pm4/opcodes.js';
import type { Device } from '../device.js';
import { RingQueue, type FenceTemplate, type QueueBuffers } from './ring-queue.js';
import { computeQueueExtras } from './compute-memory.js';

export interface QueueOptions {
  /** Ring size in bytes (a power of two ≥ 4 KiB). */
  readonly ringBytes?: number;
  readonly priority?: number;
}

export class Pm4Queue extends RingQueue {
  readonly kind = 'pm4' as const;
  private readonly fence = new Pm4Builder(this.device.target.family, 32);

  static create(device: Device, opts: QueueOptions = {}): Pm4Queue {
    const ringBytes = opts.ringBytes ?? 64 * 1024;
    const ring = device.alloc(ringBytes, { domain: 'gtt', uncached: true, guard: false, label: 'PM4 ring' });
    const pointers = device.alloc(4096, { domain: 'gtt', uncached: true, guard: false, label: 'PM4 read/write pointers' });
    let extras: ReturnType<typeof computeQueueExtras> | undefined;
    try {
      extras = computeQueueExtras(device);
      const q = device.backend.createQueue({
        kind: 'pm4', ringVa: ring.va, ringBytes, rptrVa: pointers.va, wptrVa: pointers.va + 8n,
        eop: { va: extras.eop.va, size: extras.eop.size },
        cwsr: { va: extras.cwsr.va, size: device.queueSizes.ctxSaveRestoreSize, ctlStackSize: device.queueSizes.ctlStackSize },
        ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      });
      return new Pm4Queue(device, q.queueId, q.mmio, q.doorbellByte, { ring, pointers, others: [extras.eop, extras.cwsr] });
    } catch (e) {
      extras?.cwsr.free();
      extras?.eop.free();
      pointers.free();
      ring.free();
      throw e;
    }
  }

  private constructor(device: Device, queueId: number, mmio: Mmio, doorbellByte: number, buffers: QueueBuffers) {
    super(device, queueId, mmio, doorbellByte, buffers, 'PM4', 0, 8);
  }

  /** A builder for this queue's generation (packets are copied into the ring by submit). */
  builder(): Pm4Builder {
    return new Pm4Builder(this.device.target.family);
  }

  protected consumedDwords(): bigint {
    const reported = BigInt(this.rptrView.getUint32(0, true));
    const size = BigInt(this.ringDwords);
    const wpos = this.wptr % size;
    return this.wptr - ((wpos - reported + size) % size);
  }

  protected readonly doorbellUnitsPerDword = 1;

  protected nopHeader(dwords: number): number {
    return dwords === 1 ? pm4Header(PM4_OP.NOP, PM4_NOP_SINGLE_COUNT + 1) : pm4Header(PM4_OP.NOP, dwords - 1);
  }

  /** The timeline value (64-bit, after caches are flushed), then the event mailbox with the interrupt. */
  protected fenceTemplate(): FenceTemplate {
    const t = this.timeline;
    const words = this.fence
      .reset()
      .releaseMem({ va: t.va, data: 'data64', value: 0n, flush: true })
      .releaseMem({ va: t.mailboxVa, data: 'data64', value: BigInt(t.event.id), interrupt: true, ctxid: t.event.id, flush: false })
      .dwords.slice();
    // RELEASE_MEM carries its 64-bit data in dwords 5 (DATA_LO) and 6 (DATA_HI) (packets.ts, nvd.h).
    return { words, loAt: 5, hiAt: 6 };
  }

  protected timestampPackets(va: bigint, at: 'start' | 'end'): Uint32Array {
    const b = this.fence.reset();
    if (at === 'start') b.copyClockToMemory(va);
    else b.releaseMem({ va, data: 'gpu_clock', flush: false });
    return b.dwords.slice();
  }

  protected decodeRing(dwords: Uint32Array, firstOffset: bigint): string[] {
    const fam = this.device.target.family;
    return decodePm4(dwords, fam).map((p) => formatPm4Packet({ ...p, offset: Number(firstOffset) + p.offset }, fam));
  }
}
