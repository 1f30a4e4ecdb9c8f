// Raw KFD ioctls on an emulated host, built from the uapi layouts alone (no src/driver), so a test can
// send exactly the bytes it wants and read back the errno and the arguments the kernel wrote.
import { EmuHost } from '../../src/emu/host.js';
import { OsError } from '../../src/os/errors.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, O_RDWR, PROT_READ, PROT_WRITE, type Mapping, type Mmio } from '../../src/os/host.js';

/** An ioctl on the emulated host as a test reads it: 'OK', or the kernel's errno name. */
export function ioctlOutcome(host: EmuHost, fd: number, request: number, bytes: Uint8Array): string {
  try {
    host.ioctl(fd, request, bytes);
    return 'OK';
  } catch (e) {
    if (e instanceof OsError) return e.code;
    throw e;
  }
}
import type { StructInput, StructValue, FieldSpec } from '../../src/uapi/codec.js';
import * as kfd from '../../src/uapi/kfd.js';
import { computeQueueSizes, type ComputeQueueSizes } from '../../src/hw/queue-sizes.js';

const NODES = '/sys/devices/virtual/kfd/kfd/topology/nodes';
const F = kfd.KFD_IOC_ALLOC_MEM_FLAGS;
export const PAGE = 4096;
/** kfd_doorbell_process_slice on SOC15: 1024 doorbells of 8 bytes (kfd_doorbell.c). */
export const DOORBELL_SLICE_BYTES = 8192;

/** What one ioctl did: 'OK' or the errno name, and the argument bytes as the caller got them back. */
export interface Outcome<V> {
  readonly errno: string;
  readonly out: V;
}

export interface GpuNode {
  readonly gpuId: number;
  readonly renderMinor: number;
  readonly properties: ReadonlyMap<string, number>;
}

export interface RawBo {
  readonly handle: bigint;
  readonly va: bigint;
  readonly size: number;
  readonly mmapOffset: bigint;
}

export class RawKfd {
  readonly host: EmuHost;
  readonly fd: number;
  readonly minor: number;
  readonly gpus: readonly GpuNode[];
  private readonly renderFds = new Map<number, number>();
  private nextVa = 0x100000000n;
  /** Every CPU mapping made through this object, so `closeAll` can leave the process empty. */
  private readonly cpuMappings: Mapping[] = [];

  constructor(spec: string) {
    this.host = new EmuHost(spec);
    this.fd = this.host.open('/dev/kfd', O_RDWR);
    this.minor = this.call(kfd.KFD_IOC.GET_VERSION, {}).minor_version;
    this.gpus = this.host
      .listDir(NODES)
      .map((n) => ({ gpuId: Number(this.host.readText(`${NODES}/${n}/gpu_id`).trim()), props: parseProperties(this.host.readText(`${NODES}/${n}/properties`)) }))
      .filter((n) => n.gpuId !== 0)
      .map((n) => ({ gpuId: n.gpuId, renderMinor: n.props.get('drm_render_minor')!, properties: n.props }));
  }

  get gpuId(): number {
    return this.gpus[0]!.gpuId;
  }

  /** The request with the caller's own bytes: the errno and the bytes the kernel copied back. */
  rawIoctl(request: number, bytes: Uint8Array, fd = this.fd): string {
    return ioctlOutcome(this.host, fd, request, bytes);
  }

  try<F extends readonly FieldSpec[]>(ioctl: kfd.KfdIoctl<F>, values: StructInput<F>): Outcome<StructValue<F>> {
    const bytes = ioctl.args.encode(values);
    const errno = this.rawIoctl(ioctl.request, bytes);
    return { errno, out: ioctl.args.decode(bytes) };
  }

  /** The ioctl must succeed; returns the arguments as the kernel left them. */
  call<F extends readonly FieldSpec[]>(ioctl: kfd.KfdIoctl<F>, values: StructInput<F>): StructValue<F> {
    const bytes = ioctl.args.encode(values);
    this.host.ioctl(this.fd, ioctl.request, bytes);
    return ioctl.args.decode(bytes);
  }

  errno<F extends readonly FieldSpec[]>(ioctl: kfd.KfdIoctl<F>, values: StructInput<F>): string {
    return this.try(ioctl, values).errno;
  }

  renderFd(gpuId = this.gpuId): number {
    let fd = this.renderFds.get(gpuId);
    if (fd === undefined) {
      const node = this.gpus.find((g) => g.gpuId === gpuId)!;
      fd = this.host.open(`/dev/dri/renderD${node.renderMinor}`, O_RDWR);
      this.renderFds.set(gpuId, fd);
    }
    return fd;
  }

  acquireVm(gpuId = this.gpuId): void {
    this.call(kfd.KFD_IOC.ACQUIRE_VM, { drm_fd: this.renderFd(gpuId), gpu_id: gpuId });
  }

  /** Anonymous process memory, for the user pointers ioctls take. */
  userMemory(bytes: number): Mapping {
    return this.track(this.host.mmap(0n, Math.max(bytes, PAGE), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n));
  }

  private track(m: Mapping): Mapping {
    this.cpuMappings.push(m);
    return m;
  }

  /** A u32 array in process memory (device_ids_array_ptr). */
  u32Array(values: readonly number[]): bigint {
    const m = this.userMemory(values.length * 4);
    const dv = new DataView(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
    return m.address;
  }

  freshVa(size: number): bigint {
    const va = this.nextVa;
    this.nextVa += BigInt(Math.ceil(size / 0x200000) + 1) * 0x200000n;
    return va;
  }

  alloc(size: number, flags: number = F.GTT | F.WRITABLE, gpuId = this.gpuId, va = this.freshVa(size)): RawBo {
    const r = this.call(kfd.KFD_IOC.ALLOC_MEMORY_OF_GPU, { va_addr: va, size: BigInt(size), gpu_id: gpuId, flags: flags >>> 0 });
    return { handle: r.handle, va, size, mmapOffset: r.mmap_offset };
  }

  map(bo: RawBo, gpuIds: readonly number[] = [this.gpuId]): void {
    this.call(kfd.KFD_IOC.MAP_MEMORY_TO_GPU, { handle: bo.handle, device_ids_array_ptr: this.u32Array(gpuIds), n_devices: gpuIds.length, n_success: 0 });
  }

  allocMapped(size: number, flags: number = F.GTT | F.WRITABLE): RawBo {
    const bo = this.alloc(size, flags);
    this.map(bo);
    return bo;
  }

  /** The CWSR, control-stack and EOP sizes of a GPU node, from its sysfs properties (kfd_queue.c). */
  queueSizes(gpuId = this.gpuId): ComputeQueueSizes {
    const p = this.gpus.find((g) => g.gpuId === gpuId)!.properties;
    const num = (k: string): number => p.get(k) ?? 0;
    return computeQueueSizes({
      gfxTargetVersion: num('gfx_target_version'),
      simdCount: num('simd_count'),
      simdPerCu: num('simd_per_cu'),
      numXcc: num('num_xcc') || 1,
      arrayCount: num('array_count'),
      simdArraysPerEngine: num('simd_arrays_per_engine'),
      ldsSizeKb: num('lds_size_in_kb'),
    });
  }

  /**
   * The arguments of a compute queue whose ring, pointers, EOP and CWSR buffers are mapped with the
   * sizes kfd_queue_acquire_buffers expects; `override` replaces any field.
   */
  computeQueueArgs(): StructInput<CreateQueueFields> {
    const sizes = this.queueSizes();
    const ring = this.allocMapped(PAGE * 4);
    const pointers = this.allocMapped(PAGE);
    const eop = this.allocMapped(sizes.eopBufferSize);
    const cwsr = this.allocMapped(sizes.cwsrAllocationSize);
    return {
      ring_base_address: ring.va,
      ring_size: PAGE * 4,
      write_pointer_address: pointers.va,
      read_pointer_address: pointers.va + 8n,
      gpu_id: this.gpuId,
      queue_type: kfd.KFD_IOC_QUEUE_TYPE.COMPUTE_AQL,
      queue_percentage: 100,
      queue_priority: 7,
      eop_buffer_address: eop.va,
      eop_buffer_size: BigInt(sizes.eopBufferSize),
      ctx_save_restore_address: cwsr.va,
      ctx_save_restore_size: sizes.ctxSaveRestoreSize,
      ctl_stack_size: sizes.ctlStackSize,
    };
  }

  /** CREATE_QUEUE with the layout of this kernel version. */
  createQueue(values: StructInput<CreateQueueFields>): Outcome<StructValue<CreateQueueFields>> {
    const ioctl = kfd.createQueueIoctlFor(this.minor) as kfd.KfdIoctl<CreateQueueFields>;
    return this.try(ioctl, values);
  }

  /** The CPU's view of a BO: mmap of the render node at the BO's mmap_offset (as libhsakmt does). */
  cpuView(bo: RawBo, gpuId = this.gpuId): Mapping {
    return this.track(this.host.mmap(0n, bo.size, PROT_READ | PROT_WRITE, MAP_SHARED, this.renderFd(gpuId), bo.mmapOffset));
  }

  /**
   * The doorbell of a queue: CREATE_QUEUE's doorbell_offset names the GPU's process doorbell slice
   * (mmap'd on /dev/kfd at the offset with the low 13 bits cleared, one 8 KiB slice) and, in its low
   * bits, the byte of this queue's doorbell in the slice (kfd_chardev.c kfd_ioctl_create_queue).
   */
  doorbell(doorbellOffset: bigint): { readonly mmio: Mmio; readonly byte: number } {
    const slice = this.track(this.host.mmap(0n, DOORBELL_SLICE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, this.fd, doorbellOffset & ~BigInt(DOORBELL_SLICE_BYTES - 1)));
    return { mmio: this.host.mmio(slice), byte: Number(doorbellOffset & BigInt(DOORBELL_SLICE_BYTES - 1)) };
  }

  /** CREATE_EVENT; `page` (a GTT BO of KFD_EVENT_PAGE_BYTES) is handed over as the event page. */
  createEvent(type: number, opts: { page?: RawBo; autoReset?: boolean } = {}): { readonly id: number; readonly slot: number } {
    const r = this.call(kfd.KFD_IOC.CREATE_EVENT, { event_page_offset: opts.page?.handle ?? 0n, event_type: type, auto_reset: opts.autoReset === false ? 0 : 1, node_id: 0 });
    return { id: r.event_id, slot: r.event_slot_index };
  }

  /**
   * WAIT_EVENTS on `ids` (any of them); returns the wait result and each event's kfd_event_data as
   * the kernel left it.
   */
  waitEvents(ids: readonly number[], timeoutMs: number): { readonly result: number; readonly data: readonly Uint8Array[] } {
    const size = kfd.eventData.size;
    const list = this.userMemory(ids.length * size);
    ids.forEach((id, i) => kfd.eventData.encode({ event_id: id }, list.bytes, i * size));
    const r = this.call(kfd.KFD_IOC.WAIT_EVENTS, { events_ptr: list.address, num_events: ids.length, wait_for_all: 0, timeout: timeoutMs });
    return { result: r.wait_result, data: ids.map((_, i) => list.bytes.slice(i * size, (i + 1) * size)) };
  }

  /** Unmaps every CPU mapping made here and closes the render nodes and /dev/kfd (process teardown). */
  closeAll(): void {
    for (const m of this.cpuMappings.splice(0)) this.host.munmap(m.address, m.length);
    for (const fd of this.renderFds.values()) this.host.close(fd);
    this.renderFds.clear();
    this.host.close(this.fd);
  }

  async shutdown(): Promise<void> {
    await this.host.shutdown();
  }
}

type CreateQueueFields = typeof kfd.KFD_IOC.CREATE_QUEUE extends kfd.KfdIoctl<infer Q> ? Q : never;

function parseProperties(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

/** Runs `body` on a fresh emulated KFD (opened, optionally with every GPU's VM acquired), always shutting it down. */
export async function withKfd(spec: string, body: (k: RawKfd) => void | Promise<void>, opts: { acquire?: boolean } = { acquire: true }): Promise<void> {
  const k = new RawKfd(spec);
  try {
    if (opts.acquire !== false) for (const g of k.gpus) k.acquireVm(g.gpuId);
    await body(k);
  } finally {
    await k.shutdown();
  }
}
