// A dispatch whose workgroups run on several threads: the pool threads and the thread that steps it
// (the engine thread, which keeps its own share in step-sized pieces, so it still serves requests and
// other queues between steps). It finishes when every thread's share is done; if workgroups faulted,
// the lowest one's fault is thrown, as the in-order dispatch would have thrown it.
import type { GpuVm } from '../../gpu-vm.js';
import type { ShaderCoreOptions } from '../core.js';
import type { DispatchSetup, LiveWave, RunningDispatch } from '../types.js';
import { CTRL, rebuildError, type SerializedError } from './protocol.js';
import type { ShaderWorkerPool } from './pool.js';
import { SliceRunner } from './slice.js';

/** Longest the stepping thread sleeps in one step while only pool threads have work left. */
const IDLE_WAIT_MS = 1;
/** Instructions of this thread's share between lease renewals. */
const LOCAL_PIECE = 65_536;
/** How long a status report waits for the pool threads' live waves. */
const STATUS_WAIT_MS = 200;

export class ParallelDispatch implements RunningDispatch {
  private readonly local: SliceRunner;
  private readonly faults: { group: number; error: SerializedError }[] = [];
  private finished = false;

  constructor(private readonly pool: ShaderWorkerPool, setup: DispatchSetup, private readonly vm: GpuVm, total: number, core: ShaderCoreOptions) {
    pool.begin(setup, vm, total, core);
    this.local = new SliceRunner(setup, vm, pool.ctrl, total, 0, core);
  }

  get instructions(): number {
    let n = this.local.instructions;
    for (const c of this.pool.counts) n += c;
    return n;
  }

  step(budget: number): 'running' | 'done' {
    if (this.finished) return 'done';
    this.pool.syncVm(this.vm);
    this.pool.renewLease();
    if (!this.local.done) {
      // In pieces, renewing the lease, so a large budget does not leave the pool threads waiting for one.
      for (let left = budget; left > 0 && this.local.step(Math.min(left, LOCAL_PIECE)); left -= LOCAL_PIECE) this.pool.renewLease();
    } else {
      const running = this.pool.running;
      if (running !== 0) Atomics.wait(this.pool.ctrl, CTRL.RUNNING, running, IDLE_WAIT_MS);
    }
    this.collect();
    if (!this.local.done || this.pool.running !== 0) return 'running';
    this.collect();
    this.finished = true;
    this.pool.release();
    this.throwLowestFault();
    return 'done';
  }

  liveWaves(): LiveWave[] {
    const waves = this.local.liveWaves();
    if (this.finished || this.pool.running === 0) return waves;
    const asked = Atomics.add(this.pool.ctrl, CTRL.STATUS, 1) + 1;
    let answers = 0;
    const until = performance.now() + STATUS_WAIT_MS;
    // Pool threads that finished their share do not answer; one that is running answers within a chunk.
    while (answers < this.pool.running && performance.now() < until) {
      for (const m of this.pool.receive()) {
        if (m.type === 'waves') {
          answers++;
          waves.push(...m.waves);
        } else this.note(m);
      }
      // Pool threads notify STATUS after they answer.
      Atomics.wait(this.pool.ctrl, CTRL.STATUS, asked, 1);
    }
    return waves.sort((a, b) => compareGroups(a.workgroup, b.workgroup) || a.wave - b.wave);
  }

  /** The queue that ran the dispatch is gone: every thread stops at its next look. */
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.pool.cancel();
  }

  private collect(): void {
    for (const m of this.pool.receive()) this.note(m);
  }

  private note(m: ReturnType<ShaderWorkerPool['receive']>[number]): void {
    if (m.type === 'fault') this.faults.push({ group: m.group, error: m.error });
  }

  private throwLowestFault(): void {
    let lowest: { group: number; error: unknown } | undefined = this.local.fault;
    for (const f of this.faults) if (!lowest || f.group < lowest.group) lowest = { group: f.group, error: rebuildError(f.error) };
    if (lowest) throw lowest.error;
  }
}

function compareGroups(a: readonly number[], b: readonly number[]): number {
  return a[2]! - b[2]! || a[1]! - b[1]! || a[0]! - b[0]!;
}
