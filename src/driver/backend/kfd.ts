// The KFD compute path for one GPU: its render node (whose VM KFD acquires for this process), memory
// through KFD, queues through CREATE_QUEUE and the process doorbell slice, interrupts through the
// process event page, and register snapshots read through src/pci for hang reports.
import { MAP_SHARED, O_CLOEXEC, O_RDWR, PROT_READ, PROT_WRITE, type Mapping, type Mmio } from '../../os/host.js';
import { KFD_IOC, KFD_IOC_EVENT, KFD_IOC_QUEUE_TYPE, processDeviceApertures } from '../../uapi/kfd.js';
import { registerSnapshot } from '../../pci/snapshot.js';
import { DriverError } from '../errors.js';
import { OsError } from '../../os/errors.js';
import { ioctl } from '../ioctl.js';
import type { GpuNode } from '../topology.js';
import type { AllocRequest, Allocation, Apertures, Backend, BackendEvent, CreatedQueue, MemoryFault, QueueRequest, WaitOutcome } from './backend.js';
import { kfdAlloc, kfdFree, kfdImportDmabuf, kfdMap, kfdUnmap } from './kfd-memory.js';
import type { KfdProcess, KfdProcessGpu } from './kfd-process.js';

/** The per-process doorbell slice of a GPU on gfx9+ (kfd_doorbell_process_slice: 1024 × 8 bytes). */
export const DOORBELL_SLICE_BYTES = 8192;

export class KfdBackend implements Backend, KfdProcessGpu {
  readonly gpuId: number;
  readonly renderFd: number;
  readonly apertures: Apertures;
  vmFault: MemoryFault | undefined;
  private doorbells: { mapping: Mapping; mmio: Mmio } | undefined;

  constructor(readonly kfd: KfdProcess, readonly node: GpuNode, readonly name: string) {
    this.gpuId = node.gpuId;
    const host = kfd.host;
    this.renderFd = host.open(`/dev/dri/renderD${node.drmRenderMinor}`, O_RDWR | O_CLOEXEC);
    try {
      ioctl(host, kfd.fd, KFD_IOC.ACQUIRE_VM, { drm_fd: this.renderFd, gpu_id: this.gpuId });
      this.apertures = this.readApertures();
    } catch (e) {
      host.close(this.renderFd);
      throw e;
    }
  }

  private readApertures(): Apertures {
    const { host, fd, scratch } = this.kfd;
    const count = ioctl(host, fd, KFD_IOC.GET_PROCESS_APERTURES_NEW, { kfd_process_device_apertures_ptr: 0n, num_of_nodes: 0 }).num_of_nodes;
    const region = scratch.region(count * processDeviceApertures.size);
    ioctl(host, fd, KFD_IOC.GET_PROCESS_APERTURES_NEW, { kfd_process_device_apertures_ptr: region.address, num_of_nodes: count });
    for (let i = 0; i < count; i++) {
      const a = processDeviceApertures.decode(region.bytes, i * processDeviceApertures.size);
      if (a.gpu_id === this.gpuId) {
        return { ldsBase: a.lds_base, ldsLimit: a.lds_limit, scratchBase: a.scratch_base, scratchLimit: a.scratch_limit, gpuvmBase: a.gpuvm_base, gpuvmLimit: a.gpuvm_limit };
      }
    }
    throw new DriverError(this.name, 'GET_PROCESS_APERTURES_NEW did not list this GPU');
  }

  alloc(request: AllocRequest): Allocation {
    return kfdAlloc(this.kfd, this, request);
  }

  free(allocation: Allocation): void {
    kfdFree(this.kfd, allocation);
  }

  map(allocation: Allocation, gpuIds: readonly number[]): number {
    return kfdMap(this.kfd, allocation, gpuIds);
  }

  unmap(allocation: Allocation, gpuIds: readonly number[]): void {
    kfdUnmap(this.kfd, allocation, gpuIds);
  }

  /**
   * AMDKFD_IOC_EXPORT_DMABUF (KFD ≥ 1.12): the memory as a dma-buf fd the render node (or another
   * driver) can import; the memory outlives FREE_MEMORY_OF_GPU while the fd or an import holds it.
   */
  exportDmabuf(a: Allocation): number {
    const v = this.kfd.version;
    const since = KFD_IOC.EXPORT_DMABUF.since;
    if (v.minor < since) throw new DriverError(this.name, `KFD ${v.major}.${v.minor} has no AMDKFD_IOC_EXPORT_DMABUF (KFD 1.${since} and later)`, { kind: 'input' });
    try {
      return ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.EXPORT_DMABUF, { handle: a.handle, flags: O_CLOEXEC, dmabuf_fd: 0 }).dmabuf_fd;
    } catch (e) {
      if (e instanceof OsError) throw new DriverError(this.name, `cannot export KFD buffer 0x${a.handle.toString(16)} as a dma-buf: ${e.code} (${e.message})`, { cause: e });
      throw e;
    }
  }

  importDmabuf(fd: number, bytes: number, hostVisible: boolean): Allocation {
    return kfdImportDmabuf(this.kfd, this, fd, bytes, hostVisible);
  }

  createQueue(r: QueueRequest): CreatedQueue {
    // The 88-byte (pre-1.17) layout is a prefix of the 96-byte one; the codec writes only its own fields.
    const def = this.kfd.createQueueIoctl as typeof KFD_IOC.CREATE_QUEUE;
    const type = queueType(r);
    const out = ioctl(this.kfd.host, this.kfd.fd, def, {
      ring_base_address: r.ringVa,
      ring_size: r.ringBytes,
      write_pointer_address: r.wptrVa,
      read_pointer_address: r.rptrVa,
      gpu_id: this.gpuId,
      queue_type: type,
      queue_percentage: 100,
      queue_priority: r.priority ?? 7,
      eop_buffer_address: r.eop?.va ?? 0n,
      eop_buffer_size: BigInt(r.eop?.size ?? 0),
      ctx_save_restore_address: r.cwsr?.va ?? 0n,
      ctx_save_restore_size: r.cwsr?.size ?? 0,
      ctl_stack_size: r.cwsr?.ctlStackSize ?? 0,
      ...(type === KFD_IOC_QUEUE_TYPE.SDMA_BY_ENG_ID ? { sdma_engine_id: r.sdma?.engine ?? 0 } : {}),
    });
    const { mmio, byte } = this.doorbell(out.doorbell_offset);
    return { queueId: out.queue_id, mmio, doorbellByte: byte };
  }

  destroyQueue(queueId: number): void {
    ioctl(this.kfd.host, this.kfd.fd, KFD_IOC.DESTROY_QUEUE, { queue_id: queueId });
  }

  /** The doorbell slice, mapped on this GPU's first queue and unmapped when the backend closes. */
  private doorbell(doorbellOffset: bigint): { mmio: Mmio; byte: number } {
    if (!this.doorbells) {
      const base = doorbellOffset & ~BigInt(DOORBELL_SLICE_BYTES - 1);
      const mapping = this.kfd.host.mmap(0n, DOORBELL_SLICE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, this.kfd.fd, base);
      this.doorbells = { mapping, mmio: this.kfd.host.mmio(mapping) };
    }
    return { mmio: this.doorbells.mmio, byte: Number(doorbellOffset & BigInt(DOORBELL_SLICE_BYTES - 1)) };
  }

  createEvent(): BackendEvent {
    return this.kfd.events(this).create(KFD_IOC_EVENT.SIGNAL, true);
  }

  destroyEvent(event: BackendEvent): void {
    this.kfd.events(this).destroyEvent(event);
  }

  waitEvents(events: readonly BackendEvent[], timeoutMs: number): WaitOutcome {
    return this.kfd.wait(this, events, timeoutMs);
  }

  registerSnapshot(): string {
    return registerSnapshot(this.kfd.host, this.node.pciAddress);
  }

  close(): void {
    if (this.doorbells) this.kfd.host.munmap(this.doorbells.mapping.address, this.doorbells.mapping.length);
    this.doorbells = undefined;
    this.kfd.host.close(this.renderFd);
  }
}

function queueType(r: QueueRequest): number {
  if (r.kind === 'pm4') return KFD_IOC_QUEUE_TYPE.COMPUTE;
  if (r.kind === 'aql') return KFD_IOC_QUEUE_TYPE.COMPUTE_AQL;
  if (r.sdma?.engine !== undefined) return KFD_IOC_QUEUE_TYPE.SDMA_BY_ENG_ID;
  return r.sdma?.xgmi ? KFD_IOC_QUEUE_TYPE.SDMA_XGMI : KFD_IOC_QUEUE_TYPE.SDMA;
}
