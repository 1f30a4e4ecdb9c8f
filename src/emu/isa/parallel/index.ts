// The shader core with workgroups on worker threads: `workers` threads run a dispatch (the one that
// steps it and workers - 1 pool threads). A dispatch of one workgroup, a single-thread setting, a pool
// held by another dispatch, or memory that is not a SharedArrayBuffer (a served client's shared files)
// runs in-thread in order, exactly as the plain shader core: that path stays the reference.
import { availableParallelism } from 'node:os';
import { GpuFault, type GpuVm } from '../../gpu-vm.js';
import { createShaderCore, type ShaderCoreOptions } from '../core.js';
import type { DispatchSetup, RunningDispatch, ShaderCore } from '../types.js';
import { ParallelDispatch } from './dispatch.js';
import { ShaderWorkerPool } from './pool.js';
import { scratchBytesFor } from './slice.js';

/** Threads per dispatch when the device does not say: one per core, at most four. */
export const defaultShaderWorkers = (): number => Math.min(availableParallelism(), 4);

/** The claim counter is an Int32: larger grids run in order. */
const MAX_PARALLEL_GROUPS = 0x7fff_0000;

/**
 * Whether the scratch backing holds a private segment per thread: hardware sizes it for every wave that
 * can be resident (TMPRING_SIZE.WAVES; the driver maps that much), a minimal CP may map one workgroup's.
 */
function scratchFits(setup: DispatchSetup, vm: GpuVm, workers: number): boolean {
  if (!setup.scratch) return true;
  try {
    vm.span(setup.scratch.base, scratchBytesFor(setup, workers), true, 'shader');
    return true;
  } catch (e) {
    if (e instanceof GpuFault) return false;
    throw e;
  }
}

/** `workers` threads per dispatch; the rest of the options (exec mode) apply to every thread's share. */
export function createParallelShaderCore(options: { workers?: number } & ShaderCoreOptions = {}): ShaderCore {
  const workers = Math.max(1, Math.floor(options.workers ?? defaultShaderWorkers()));
  const core: ShaderCoreOptions = { ...(options.exec ? { exec: options.exec } : {}), ...(options.hotAfter !== undefined ? { hotAfter: options.hotAfter } : {}) };
  const serial = createShaderCore(core);
  let pool: ShaderWorkerPool | undefined;
  const shared = new WeakMap<GpuVm, number>();
  /** True when every mapping is a SharedArrayBuffer the pool threads can reach (checked once per page-table version). */
  const reachable = (vm: GpuVm): boolean => {
    if (shared.get(vm) === vm.version) return true;
    if (!vm.all().every((m) => m.bytes.buffer instanceof SharedArrayBuffer)) return false;
    shared.set(vm, vm.version);
    return true;
  };
  return {
    start(setup: DispatchSetup, vm: GpuVm): RunningDispatch {
      const [nx, ny, nz] = setup.workgroups;
      const total = nx * ny * nz;
      if (workers < 2 || total < 2 || total > MAX_PARALLEL_GROUPS || !reachable(vm) || !scratchFits(setup, vm, workers)) return serial.start(setup, vm);
      pool ??= new ShaderWorkerPool(workers - 1);
      if (!pool.available()) return serial.start(setup, vm);
      return new ParallelDispatch(pool, setup, vm, total, core);
    },
    close(): void {
      pool?.close();
      pool = undefined;
    },
  };
}
