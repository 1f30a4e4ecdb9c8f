// The emulated kernel's per-process KFD state: buffer objects, queues, events, per-GPU VM state.
import type { EmuGpu } from '../gpu.js';
import type { Backing, MemoryProvider } from '../process/backing.js';
import type { UserMemory } from './user-memory.js';
import type { AddressSpace } from '../process/address-space.js';
import type { EventTable } from '../engine/event-table.js';
import type { QueueDescriptor } from '../engine/protocol.js';

/** 'dmabuf': memory another driver object owns (a render-node GEM object imported with IMPORT_DMABUF). */
export type BoKind = 'vram' | 'gtt' | 'userptr' | 'doorbell' | 'mmio-remap' | 'dmabuf';

export interface Bo {
  readonly handle: bigint;
  readonly gpu: EmuGpu;
  readonly kind: BoKind;
  readonly size: number;
  readonly flags: number;
  readonly va: bigint;
  readonly backing: Backing;
  readonly backingOffset: number;
  /** Offset to mmap it through the render node (VRAM/GTT), or through /dev/kfd (doorbell, MMIO). */
  readonly mmapOffset: bigint;
  readonly mappedOn: Set<EmuGpu>;
  /** For an imported dma-buf: drops the reference the import took on its owner. */
  readonly release?: () => void;
  /** The dma-buf EXPORT_DMABUF made of it (kfd_mem_export_dmabuf keeps one per BO). */
  exported?: KfdExport;
}

/** A KFD BO's dma-buf as the render node holds it. */
export interface KfdExport {
  readonly fd: () => number;
  /** Something (an fd, an import) still holds the dma-buf. */
  readonly alive: () => boolean;
  /** Runs `fn` when the last holder lets go (the KFD BO was freed first). */
  readonly onRelease: (fn: () => void) => void;
}

/** What AMDKFD_IOC_IMPORT_DMABUF gets from a dma-buf fd: its memory, and a reference to give back. */
export interface DmabufImport {
  readonly size: number;
  readonly backing: Backing;
  readonly backingOffset: number;
  /** The object prefers VRAM (the KFD BO is flagged VRAM, else GTT). */
  readonly vram: boolean;
  release(): void;
}

export interface QueueRecord {
  readonly id: number;
  readonly gpu: EmuGpu;
  readonly desc: QueueDescriptor;
  /** Buffer objects the queue's addresses live in (kfd_queue_acquire_buffers holds references). */
  readonly buffers: readonly Bo[];
}

export interface EventRecord {
  readonly id: number;
  readonly index: number;
  readonly type: number;
  readonly autoReset: boolean;
}

/** The process's signal page (kfd_signal_page): the user's GTT BO, or one KFD allocated itself. */
export interface EventPage {
  readonly backing: Backing;
  readonly backingOffset: number;
  /** The BO handed over in event_page_offset; undefined when KFD allocated the page. */
  readonly bo: Bo | undefined;
  /** signal_mapped_size / 8: the signal slots, event id 0 included, that event ids may use. */
  readonly slots: number;
}

export interface KfdState {
  readonly gpus: readonly EmuGpu[];
  readonly addressSpace: AddressSpace;
  /** Where buffer objects and kernel pages get their memory. */
  readonly memory: MemoryProvider;
  /** The calling process's memory, for pointers inside ioctl arguments. */
  readonly user: UserMemory;
  readonly events: EventTable;
  readonly kfdMinor: number;
  /** GPUs whose VM this process acquired (ACQUIRE_VM), with the render node fd it was given. */
  readonly vmAcquired: Map<EmuGpu, number>;
  readonly bos: Map<bigint, Bo>;
  readonly boByMmapOffset: Map<bigint, Bo>;
  readonly queues: Map<number, QueueRecord>;
  readonly eventRecords: Map<number, EventRecord>;
  eventPage: EventPage | undefined;
  runtimeEnabled: boolean;
  nextBoId: number;
  nextMmapPage: bigint;
  /** Render-node fds of this process, by GPU (so ACQUIRE_VM can check the fd it is given). */
  readonly renderFds: Map<number, EmuGpu>;
  /** The render node's dma_buf_get + amdgpu_gem_prime_import for a dma-buf fd (throws KfdError). */
  importDmabuf: (fd: number) => DmabufImport;
  /** The render files' GEM_VA mappings in a GPU's VM (start, exclusive end). */
  renderMappings: (gpu: EmuGpu) => readonly (readonly [bigint, bigint])[];
  /** amdgpu_gem_prime_export of a KFD BO's memory: the dma-buf the render node then holds. */
  exportDmabuf: (bo: Bo) => KfdExport;
}

export function gpuById(state: KfdState, gpuId: number): EmuGpu | undefined {
  return state.gpus.find((g) => g.gpuId === gpuId);
}
