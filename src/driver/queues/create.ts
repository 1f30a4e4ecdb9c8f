// CREATE_QUEUE and the doorbell page: the kernel-facing half of making a queue.
import { MAP_SHARED, PROT_READ, PROT_WRITE, type Mapping, type Mmio } from '../../os/host.js';
import { KFD_IOC, KFD_IOC_QUEUE_TYPE } from '../../uapi/kfd.js';
import { ioctl } from '../ioctl.js';
import type { Device } from '../device.js';

/** The per-process doorbell slice of a GPU on gfx9+ (kfd_doorbell_process_slice: 1024 × 8 bytes). */
export const DOORBELL_SLICE_BYTES = 8192;

export interface CreatedQueue {
  readonly queueId: number;
  readonly mmio: Mmio;
  readonly doorbellByte: number;
}

export interface QueueRequest {
  readonly type: number;
  readonly ringVa: bigint;
  readonly ringBytes: number;
  readonly rptrVa: bigint;
  readonly wptrVa: bigint;
  readonly eop?: { readonly va: bigint; readonly size: number };
  readonly cwsr?: { readonly va: bigint; readonly size: number; readonly ctlStackSize: number };
  readonly sdmaEngine?: number;
  readonly priority?: number;
}

/** The doorbell slice of one device, mapped on its first queue and unmapped when the device closes. */
export class DoorbellPage {
  private mapping: Mapping | undefined;
  private mmio: Mmio | undefined;

  constructor(private readonly device: Device) {}

  accessor(doorbellOffset: bigint): { mmio: Mmio; byte: number } {
    if (!this.mapping) {
      const base = doorbellOffset & ~BigInt(DOORBELL_SLICE_BYTES - 1);
      this.mapping = this.device.host.mmap(0n, DOORBELL_SLICE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, this.device.kfdFd, base);
      this.mmio = this.device.host.mmio(this.mapping);
    }
    return { mmio: this.mmio!, byte: Number(doorbellOffset & BigInt(DOORBELL_SLICE_BYTES - 1)) };
  }

  unmap(): void {
    if (this.mapping) this.device.host.munmap(this.mapping.address, this.mapping.length);
    this.mapping = undefined;
    this.mmio = undefined;
  }
}

export function createKfdQueue(device: Device, r: QueueRequest): CreatedQueue {
  const k = device.kfd;
  // The 88-byte (pre-1.17) layout is a prefix of the 96-byte one; the codec writes only its own fields.
  const def = k.createQueueIoctl as typeof KFD_IOC.CREATE_QUEUE;
  const out = ioctl(device.host, device.kfdFd, def, {
    ring_base_address: r.ringVa,
    ring_size: r.ringBytes,
    write_pointer_address: r.wptrVa,
    read_pointer_address: r.rptrVa,
    gpu_id: device.gpuId,
    queue_type: r.type,
    queue_percentage: 100,
    queue_priority: r.priority ?? 7,
    eop_buffer_address: r.eop?.va ?? 0n,
    eop_buffer_size: BigInt(r.eop?.size ?? 0),
    ctx_save_restore_address: r.cwsr?.va ?? 0n,
    ctx_save_restore_size: r.cwsr?.size ?? 0,
    ctl_stack_size: r.cwsr?.ctlStackSize ?? 0,
    ...(r.type === KFD_IOC_QUEUE_TYPE.SDMA_BY_ENG_ID ? { sdma_engine_id: r.sdmaEngine ?? 0 } : {}),
  });
  const { mmio, byte } = device.doorbells.accessor(out.doorbell_offset);
  return { queueId: out.queue_id, mmio, doorbellByte: byte };
}

/** EOP and context-save buffers a compute queue must own, sized as kfd_queue.c expects. */
export function computeQueueExtras(device: Device): { eop: ReturnType<Device['alloc']>; cwsr: ReturnType<Device['alloc']> } {
  const s = device.queueSizes;
  const eop = device.alloc(s.eopBufferSize, { domain: 'vram', guard: false, label: 'queue EOP buffer' });
  try {
    const cwsr = device.alloc(s.cwsrAllocationSize, { domain: 'gtt', guard: false, label: 'queue context-save area' });
    return { eop, cwsr };
  } catch (e) {
    eop.free();
    throw e;
  }
}
