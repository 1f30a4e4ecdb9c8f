// One thread's share of a parallel dispatch: the ordinary shader core running the workgroups this
// thread claims from the shared counter, one at a time. A fault ends this thread's share and marks
// its workgroup as the stop point: workgroups after it are not started (as when the dispatch ran in
// order) and those before it still run, so the fault reported is that of the lowest faulting workgroup
// whatever the number of threads.
import type { GpuVm } from '../../gpu-vm.js';
import { startSlice, type ShaderCoreOptions } from '../core.js';
import type { DispatchSetup, LiveWave, RunningDispatch } from '../types.js';
import { CTRL, stopAt } from './protocol.js';

export const wavesPerGroup = (s: DispatchSetup): number => Math.ceil((s.workgroupSize[0] * s.workgroupSize[1] * s.workgroupSize[2]) / s.waveSize);

/** Bytes of private segment `threads` threads need at once: one workgroup's waves each (see core.ts). */
export function scratchBytesFor(s: DispatchSetup, threads: number): number {
  return s.scratch ? threads * wavesPerGroup(s) * s.waveSize * Math.ceil(s.scratch.bytesPerLane / 4) * 4 : 0;
}

export class SliceRunner {
  /** The workgroup this thread runs now, -1 before the first and after the last. */
  private group = -1;
  private finished = false;
  private readonly run: RunningDispatch;
  fault: { readonly group: number; readonly error: unknown } | undefined;

  /** `thread`: this thread's place among those running the dispatch (0 = the one that started it). */
  constructor(setup: DispatchSetup, vm: GpuVm, private readonly ctrl: Int32Array, private readonly total: number, thread: number, core: ShaderCoreOptions) {
    this.run = startSlice(setup, vm, { concurrent: true, claim: () => this.claim(), firstScratchWave: thread * wavesPerGroup(setup) }, core);
  }

  get done(): boolean {
    return this.finished;
  }

  get instructions(): number {
    return this.run.instructions;
  }

  liveWaves(): LiveWave[] {
    return this.finished ? [] : (this.run.liveWaves?.() ?? []);
  }

  /** Runs about `budget` instructions of this thread's share; false once it has finished. */
  step(budget: number): boolean {
    if (this.finished) return false;
    if (this.stopped()) {
      this.finished = true;
      return false;
    }
    try {
      if (this.run.step(budget) === 'done') this.finished = true;
    } catch (e) {
      this.fault = { group: this.group, error: e };
      stopAt(this.ctrl, this.group);
      this.finished = true;
    }
    return !this.finished;
  }

  /** Cancelled, or running a workgroup after one that faulted (its work would not have happened). */
  private stopped(): boolean {
    return Atomics.load(this.ctrl, CTRL.ABORT) !== 0 || this.group > Atomics.load(this.ctrl, CTRL.STOP_AT);
  }

  private claim(): number {
    const g = Atomics.add(this.ctrl, CTRL.NEXT, 1);
    const open = g < this.total && Atomics.load(this.ctrl, CTRL.ABORT) === 0 && g <= Atomics.load(this.ctrl, CTRL.STOP_AT);
    this.group = open ? g : -1;
    return this.group;
  }
}
