// The render-node path for one GPU (the DRM GEM/CS path of DESIGN.md's backend seam): memory is GEM
// objects at VAs this backend chooses (VaManager over DEV_INFO's range), mapped with GEM_VA and seen by
// the CPU through the render node's mmap offset; work goes through kernel-scheduled rings (CsQueue,
// contexts and CS on the same file). User-mode queues and KFD events are not part of this path.
import { MAP_ANONYMOUS, MAP_PRIVATE, PAGE_SIZE, PROT_READ, PROT_WRITE, type Host, type Mapping } from '../../os/host.js';
import { registerSnapshot } from '../../pci/snapshot.js';
import * as drm from '../../uapi/drm.js';
import { amdgpuDeviceInfo } from '../drm-info.js';
import { DriverError } from '../errors.js';
import type { GpuNode } from '../topology.js';
import type { AllocRequest, Allocation, Apertures, Backend, BackendEvent, CreatedQueue, QueueRequest, WaitOutcome } from './backend.js';
import { RenderNodeFile, renderNodeError } from './drm-file.js';
import { VaManager } from './drm-va.js';

const C = drm.AMDGPU_GEM_CREATE;
const P = drm.AMDGPU_VM_PAGE;

// The flat apertures amdgpu programs for the VMIDs render-node jobs run under (SH_MEM_BASES): shared
// (LDS) at 0x2000000000000000 and private (scratch) at 0x1000000000000000, 4 GiB each
// (gmc_v9_0.c … gmc_v12_0.c, *_early_init). KFD's VMIDs use other bases (kfd_flat_memory.c).
const SHARED_APERTURE = 0x2000000000000000n;
const PRIVATE_APERTURE = 0x1000000000000000n;
const APERTURE_BYTES = 4n << 30n;

/** What the backend keeps per GEM object besides the Allocation. */
interface GemRecord {
  readonly cpu: Mapping | undefined;
  /** The process pages behind a userptr object (released with it). */
  readonly userPages: Mapping | undefined;
  readonly vaFlags: number;
}

export class DrmBackend implements Backend {
  readonly file: RenderNodeFile;
  readonly apertures: Apertures;
  readonly va: VaManager;
  /** Render-node jobs report faults through their fences (CsQueue), not through a process-wide event. */
  readonly vmFault = undefined;
  private readonly gems = new Map<number, GemRecord>();
  /** Every live GEM handle, in creation order: the BO list each submission carries (rebuilt when it changes). */
  private handleList: number[] | undefined = [];

  constructor(host: Host, readonly node: GpuNode, readonly name: string) {
    this.file = new RenderNodeFile(host, node.drmRenderMinor);
    try {
      const info = amdgpuDeviceInfo(host, this.file.fd);
      const align = BigInt(Math.max(info.virtual_address_alignment, PAGE_SIZE));
      this.va = new VaManager(info.virtual_address_offset, info.virtual_address_max, align, name);
      this.apertures = {
        ldsBase: SHARED_APERTURE,
        ldsLimit: SHARED_APERTURE + APERTURE_BYTES - 1n,
        scratchBase: PRIVATE_APERTURE,
        scratchLimit: PRIVATE_APERTURE + APERTURE_BYTES - 1n,
        gpuvmBase: info.virtual_address_offset,
        gpuvmLimit: info.virtual_address_max - 1n,
      };
    } catch (e) {
      this.file.close();
      throw e;
    }
  }

  get host(): Host {
    return this.file.host;
  }

  /** The GEM handles of every live object: the BO list of a submission. */
  liveHandles(): readonly number[] {
    return (this.handleList ??= [...this.gems.keys()]);
  }

  private track(handle: number, record: GemRecord): void {
    this.gems.set(handle, record);
    this.handleList = undefined;
  }

  alloc(r: AllocRequest): Allocation {
    const host = this.host;
    let handle: number | undefined;
    let userPages: Mapping | undefined;
    let cpu: Mapping | undefined;
    let flags = 0;
    try {
      if (r.domain === 'userptr') {
        userPages = host.mmap(0n, r.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
        handle = this.file.gemUserptr(userPages.address, r.bytes);
      } else {
        if (r.domain === 'vram') flags = r.hostVisible ? C.CPU_ACCESS_REQUIRED : C.NO_CPU_ACCESS;
        handle = this.file.gemCreate(r.bytes, r.domain, flags);
        if (r.hostVisible) cpu = this.file.cpuMap(handle, r.bytes);
      }
    } catch (e) {
      if (handle !== undefined) this.file.gemClose(handle);
      if (userPages) host.munmap(userPages.address, userPages.length);
      throw renderNodeError(this.name, `cannot allocate ${r.bytes} bytes of ${r.domain}${r.hostVisible ? ' (host-visible)' : ''} memory`, e);
    }
    return this.place(handle, r.bytes, { cpu, userPages, vaFlags: vaFlags(r) }, r.guardPages, flags);
  }

  /** Takes a VA for an object (with a guard page each side when asked) and records it. */
  private place(handle: number, bytes: number, record: GemRecord, guardPages: boolean, flags: number): Allocation {
    const reservedBytes = guardPages ? bytes + 2 * PAGE_SIZE : bytes;
    const reservedVa = this.va.alloc(reservedBytes);
    const va = guardPages ? reservedVa + BigInt(PAGE_SIZE) : reservedVa;
    this.track(handle, record);
    const view = record.cpu?.bytes ?? record.userPages?.bytes;
    return { handle: BigInt(handle), va, size: bytes, bytes: view?.subarray(0, bytes), reservation: { va: reservedVa, bytes: reservedBytes }, flags };
  }

  /**
   * Closes the handle, drops the CPU mapping and gives the VA back. Work still running on the object
   * keeps it alive in the kernel until its fences signal (the GEM object holds the submission's fences);
   * the VA is free for new mappings once the object is unmapped (Backend.unmap, called first).
   */
  free(a: Allocation): void {
    const handle = Number(a.handle);
    const rec = this.gems.get(handle);
    if (!rec) throw new DriverError(this.name, `GEM handle ${handle} is not an object of this render node`);
    this.file.gemClose(handle);
    if (rec.cpu) this.host.munmap(rec.cpu.address, rec.cpu.length);
    if (rec.userPages) this.host.munmap(rec.userPages.address, rec.userPages.length);
    this.gems.delete(handle);
    this.handleList = undefined;
    this.va.free(a.reservation.va, a.reservation.bytes);
  }

  /** GEM_VA MAP into this file's VM. A render node's VM is its own GPU's: other gpu_ids are not mapped. */
  map(a: Allocation, gpuIds: readonly number[]): number {
    let n = 0;
    for (const id of gpuIds) {
      if (id !== this.node.gpuId) break;
      try {
        this.file.gemVa(drm.AMDGPU_VA_OP.MAP, Number(a.handle), a.va, a.size, this.record(a).vaFlags);
      } catch (e) {
        throw renderNodeError(this.name, `cannot map ${a.size} bytes at 0x${a.va.toString(16)} into the GPU VM`, e);
      }
      n++;
    }
    return n;
  }

  unmap(a: Allocation, gpuIds: readonly number[]): void {
    if (gpuIds.includes(this.node.gpuId)) this.file.gemVa(drm.AMDGPU_VA_OP.UNMAP, Number(a.handle), a.va, a.size, 0);
  }

  private record(a: Allocation): GemRecord {
    const rec = this.gems.get(Number(a.handle));
    if (!rec) throw new DriverError(this.name, `GEM handle ${a.handle} is not an object of this render node`);
    return rec;
  }

  /** A dma-buf fd for the memory (PRIME export); the caller closes it. */
  exportDmabuf(a: Allocation): number {
    try {
      return this.file.exportDmabuf(Number(a.handle));
    } catch (e) {
      throw renderNodeError(this.name, `cannot export GEM handle ${a.handle} as a dma-buf`, e);
    }
  }

  /** A dma-buf (from this or another driver) as a GEM object of this file, `bytes` long, with a CPU view. */
  importDmabuf(fd: number, bytes: number, hostVisible: boolean): Allocation {
    let handle: number | undefined;
    let cpu: Mapping | undefined;
    try {
      handle = this.file.importDmabuf(fd);
      if (hostVisible) cpu = this.file.cpuMap(handle, bytes);
    } catch (e) {
      if (handle !== undefined) this.file.gemClose(handle);
      throw renderNodeError(this.name, `cannot import dma-buf fd ${fd}`, e);
    }
    return this.place(handle, bytes, { cpu, userPages: undefined, vaFlags: P.READABLE | P.WRITEABLE }, false, 0);
  }

  createQueue(r: QueueRequest): CreatedQueue {
    throw new DriverError(this.name, `the render-node path has no user-mode ${r.kind} queues: submit through a CsQueue (kernel-scheduled rings), or open the device through KFD`, { kind: 'input' });
  }

  destroyQueue(queueId: number): void {
    throw new DriverError(this.name, `the render-node path has no user-mode queue ${queueId}`, { kind: 'input' });
  }

  createEvent(): BackendEvent {
    throw new DriverError(this.name, 'the render-node path signals through sync objects and CS fences, not KFD events', { kind: 'input' });
  }

  destroyEvent(): void {
    throw new DriverError(this.name, 'the render-node path has no KFD events', { kind: 'input' });
  }

  waitEvents(): WaitOutcome {
    throw new DriverError(this.name, 'the render-node path has no KFD events to wait for', { kind: 'input' });
  }

  registerSnapshot(): string {
    return registerSnapshot(this.host, this.node.pciAddress);
  }

  close(): void {
    this.file.close();
  }
}

/** GEM_VA flags: readable always, writable unless read-only, executable when asked, uncached as MTYPE_UC. */
function vaFlags(r: AllocRequest): number {
  let f = P.READABLE;
  if (!r.readOnly) f |= P.WRITEABLE;
  if (r.executable) f |= P.EXECUTABLE;
  if (r.uncached) f |= drm.AMDGPU_VM_MTYPE.UC;
  return f;
}
