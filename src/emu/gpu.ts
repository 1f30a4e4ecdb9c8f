// One emulated GPU as the kernel side holds it: its topology instance, its engine thread, the
// process doorbell page and memory accounting.
import { EngineLink } from './engine-link.js';
import type { GpuInstance } from './models/system.js';
import type { EmuOptions } from './models/models.js';
import type { Backing, MemoryProvider } from './process/backing.js';
import { targetByName, type GpuTarget } from '../hw/targets.js';
import { computeQueueSizes, type ComputeQueueSizes } from '../hw/queue-sizes.js';

/** Doorbells are 64-bit on gfx9+; KFD gives each process 1024 of them per GPU (kfd_doorbell.c). */
export const DOORBELL_BYTES = 8;
export const DOORBELLS_PER_PROCESS = 1024;
export const DOORBELL_SLICE_BYTES = DOORBELL_BYTES * DOORBELLS_PER_PROCESS;

export class EmuGpu {
  readonly target: GpuTarget;
  readonly link: EngineLink;
  /** The process doorbell slice: user mode rings a queue with a plain 64-bit store into it. */
  readonly doorbells: Backing;
  readonly queueSizes: ComputeQueueSizes;
  vramUsed = 0n;
  /** Backings this GPU's engine thread has been given. */
  private readonly shared = new Set<number>();

  constructor(readonly instance: GpuInstance, options: EmuOptions, events: SharedArrayBuffer, memory: MemoryProvider, doorbellPollMs?: number) {
    const target = targetByName(instance.model.target);
    if (!target) throw new Error(`emulated model uses unknown target ${instance.model.target}`);
    this.target = target;
    this.doorbells = memory.allocate(DOORBELL_SLICE_BYTES, `doorbells of gpu ${instance.gpuId}`);
    const p = instance.properties;
    const n = (k: string): number => Number(p.get(k) ?? 0n);
    this.queueSizes = computeQueueSizes({
      gfxTargetVersion: n('gfx_target_version'),
      simdCount: n('simd_count'),
      simdPerCu: n('simd_per_cu'),
      numXcc: n('num_xcc') || 1,
      arrayCount: n('array_count'),
      simdArraysPerEngine: n('simd_arrays_per_engine'),
      ldsSizeKb: n('lds_size_in_kb'),
    });
    this.link = new EngineLink({
      gpuId: instance.gpuId,
      target: target.name,
      doorbells: this.doorbells.share,
      doorbellPollMs,
      events,
      inject: options.inject,
      paused: options.engines === 'paused',
      shaderWorkers: options.workers,
      exec: options.exec,
    });
  }

  get gpuId(): number {
    return this.instance.gpuId;
  }

  get vramBytes(): bigint {
    return this.instance.model.vramBytes;
  }

  property(key: string): number {
    return Number(this.instance.properties.get(key) ?? 0n);
  }

  /** Makes a backing store visible to the engine thread (once). */
  share(b: Backing): void {
    if (this.shared.has(b.id)) return;
    this.link.call({ op: 'backing', id: b.id, share: b.share, label: b.label });
    this.shared.add(b.id);
  }

  unshare(b: Backing): void {
    if (!this.shared.delete(b.id)) return;
    this.link.call({ op: 'drop-backing', id: b.id });
  }

  get sharedBackings(): number {
    return this.shared.size;
  }
}
