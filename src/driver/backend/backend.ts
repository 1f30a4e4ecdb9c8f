// The seam between the driver and the kernel (DESIGN.md, src/driver/backend): the few verbs a Device
// needs from whatever path reaches the GPU. Memory, queues, timelines and programs above talk to a
// Backend and never ask which one runs.
//
// Implementations: KfdBackend (the KFD compute path: /dev/kfd plus the render node's VM), DrmBackend
// (the render-node path: alloc = GEM_CREATE + a VA it chooses + GEM_MMAP, map = GEM_VA; its work goes
// through kernel-scheduled rings, queues/cs-queue.ts, so it has no user-mode queues or KFD events) and
// PciBackend (diagnostics only: device info and register snapshots through src/pci). Memory crosses
// between the KFD and render-node worlds as dma-bufs (exportDmabuf / importDmabuf).
//
// Every verb is synchronous: the driver's waits sleep inside the verb (waitEvents), never on a promise.
import type { Mmio } from '../../os/host.js';
import type { HwException, MemoryException } from '../../uapi/kfd.js';
import type { GpuNode } from '../topology.js';

/** The GPU-virtual apertures of this process on one GPU. */
export interface Apertures {
  readonly ldsBase: bigint;
  readonly ldsLimit: bigint;
  readonly scratchBase: bigint;
  readonly scratchLimit: bigint;
  readonly gpuvmBase: bigint;
  readonly gpuvmLimit: bigint;
}

export type Domain = 'vram' | 'gtt' | 'userptr';

/** What memory to allocate. The caller has validated it; `bytes` is a whole number of pages. */
export interface AllocRequest {
  readonly bytes: number;
  readonly domain: Domain;
  /** Give the CPU a view (`Allocation.bytes`). */
  readonly hostVisible: boolean;
  /** CPU and GPU see each other's writes without cache maintenance. */
  readonly uncached: boolean;
  readonly executable: boolean;
  /** A GPU write faults. */
  readonly readOnly: boolean;
  /** Reserve one never-mapped page of VA before and after the memory (the bounds checker's guard pages). */
  readonly guardPages: boolean;
}

/** Memory a backend allocated: not yet mapped into any GPU's VM (see Backend.map). */
export interface Allocation {
  /** The backend's handle (a KFD buffer handle, a GEM handle). */
  readonly handle: bigint;
  /** GPU (and, where the CPU maps it, CPU) virtual address of the first byte. */
  readonly va: bigint;
  readonly size: number;
  /** The CPU view of all `size` bytes, when host-visible. */
  readonly bytes: Uint8Array | undefined;
  /** The whole VA range this allocation holds, guard pages included (it is released by free). */
  readonly reservation: { readonly va: bigint; readonly bytes: number };
  /** The backend's placement flags (KFD_IOC_ALLOC_MEM_FLAGS_* on KFD), for diagnostics and tests. */
  readonly flags: number;
}

export type QueueKind = 'pm4' | 'aql' | 'sdma';

/** A queue's memory as the driver laid it out; the backend tells the kernel (or the hardware) about it. */
export interface QueueRequest {
  readonly kind: QueueKind;
  readonly ringVa: bigint;
  readonly ringBytes: number;
  readonly rptrVa: bigint;
  readonly wptrVa: bigint;
  /** Compute queues: the end-of-pipe buffer. */
  readonly eop?: { readonly va: bigint; readonly size: number };
  /** Compute queues: the context-save area and its control stack size. */
  readonly cwsr?: { readonly va: bigint; readonly size: number; readonly ctlStackSize: number };
  /** SDMA queues: a given engine, or one on the XGMI (peer) engines. */
  readonly sdma?: { readonly engine?: number; readonly xgmi?: boolean };
  readonly priority?: number;
}

/** A live queue: its id and the doorbell that starts it (byte offset of its 64-bit slot in `mmio`). */
export interface CreatedQueue {
  readonly queueId: number;
  readonly mmio: Mmio;
  readonly doorbellByte: number;
}

/** An interrupt source the GPU can raise: writing `id` to `mailboxVa`, then interrupting with it. */
export interface BackendEvent {
  readonly id: number;
  readonly mailboxVa: bigint;
}

/** A GPU VM fault as KFD's event data gives it. */
export type MemoryFault = MemoryException;
export type { HwException };

export interface WaitOutcome {
  /** One of the events fired (not a timeout). */
  readonly completed: boolean;
  /** A GPU memory fault reported during the wait (on any GPU of the process). */
  readonly memoryFault: MemoryFault | undefined;
  readonly hwException: HwException | undefined;
}

/** One GPU as a path to it offers it. */
export interface Backend {
  /** The GPU as messages name it ("GPU 0 (gfx1100, gpu_id 1234)"). */
  readonly name: string;
  /** Device info: the GPU's topology node (target, sizes, PCI address). */
  readonly node: GpuNode;
  /** This process's apertures on the GPU. */
  readonly apertures: Apertures;

  /** Allocates memory at a VA the backend chooses, with the CPU view when host-visible. */
  alloc(request: AllocRequest): Allocation;
  /** Releases the memory and its VA; it must be unmapped from every GPU first. */
  free(allocation: Allocation): void;
  /** Maps into GPUs' VMs (by gpu_id, this one or peers); returns how many of `gpuIds`, in order, succeeded. */
  map(allocation: Allocation, gpuIds: readonly number[]): number;
  unmap(allocation: Allocation, gpuIds: readonly number[]): void;
  /** A dma-buf fd for the memory (PRIME export), where the path can export; the caller closes the fd. */
  exportDmabuf?(allocation: Allocation): number;
  /** A dma-buf of `bytes` bytes as memory of this GPU, at a VA the backend chooses (not yet mapped: see map). */
  importDmabuf?(fd: number, bytes: number, hostVisible: boolean): Allocation;

  createQueue(request: QueueRequest): CreatedQueue;
  destroyQueue(queueId: number): void;

  /** An auto-reset event a fence can raise (see BackendEvent). */
  createEvent(): BackendEvent;
  destroyEvent(event: BackendEvent): void;
  /** Sleeps until one of `events` fires, a fault or hardware exception is reported, or `timeoutMs` passes. */
  waitEvents(events: readonly BackendEvent[], timeoutMs: number): WaitOutcome;

  /**
   * The first GPU memory fault reported for this GPU, if any. On KFD it means every queue of the
   * process on this GPU was evicted for good: waits for unfinished work there must fail at once.
   */
  readonly vmFault: MemoryFault | undefined;
  /** For hang and timeout reports: the GPU's status registers decoded, or one line saying why not. */
  registerSnapshot(): string;

  /** Releases what the backend holds for this GPU (doorbell mappings, files). Memory and queues go first. */
  close(): void;
}
