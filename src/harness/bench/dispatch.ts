// Dispatch rate (many launches of the empty corpus kernel back to back, one wait at the end) and
// dispatch-to-completion latency (launch one, wait for it, repeat) on PM4 and AQL queues.
import type { Device } from '../../driver/device.js';
import type { Kernel } from '../../driver/program.js';
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { AqlQueue } from '../../driver/queues/aql-queue.js';
import { corpusKernel } from '../corpus/index.js';
import { corpusProgram, corpusTargetOf } from '../corpus-run.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';
import { median, nowNs, percentile } from './stats.js';

interface Plan {
  /** Launches per rate measurement, grown until a batch takes `rateTargetNs`. */
  readonly maxBatch: number;
  readonly rateTargetNs: number;
  readonly latencySamples: number;
  readonly latencyBudgetNs: number;
  /** Launch → wait rounds run untimed first: the rate batches never call the wait's spin loop that often. */
  readonly latencyWarmup: number;
}

const planFor = (quick: boolean): Plan =>
  quick ? { maxBatch: 64, rateTargetNs: 20e6, latencySamples: 20, latencyBudgetNs: 50e6, latencyWarmup: 20 } : { maxBatch: 8192, rateTargetNs: 300e6, latencySamples: 1000, latencyBudgetNs: 500e6, latencyWarmup: 2000 };

const QUEUE_KINDS = ['PM4', 'AQL'] as const;

/** The empty corpus kernel on this device, or why it cannot run. */
export function emptyKernel(device: Device): Kernel | string {
  const target = corpusTargetOf(device);
  const k = corpusKernel('empty');
  if (!target || !k.targets.includes(target)) return `no corpus code object for ${device.target.name}`;
  return corpusProgram(device, k, target).kernel(k.kernel);
}

function launch(kernel: Kernel, q: Pm4Queue | AqlQueue): bigint {
  return kernel.dispatch(q, { grid: 1, block: 1 }).value;
}

/** Batches timed once the batch size is settled; the rate is their median. */
const RATE_BATCHES = 5;

function timedBatch(kernel: Kernel, q: Pm4Queue | AqlQueue, batch: number, timeoutMs: number): number {
  const t0 = nowNs();
  let last = 0n;
  for (let i = 0; i < batch; i++) last = launch(kernel, q);
  q.wait(last, timeoutMs, `${batch} back-to-back dispatches`);
  return nowNs() - t0;
}

/**
 * Dispatches per second: batches grow until one takes the target time (or reaches the largest size),
 * which also warms up the launch and engine code; then RATE_BATCHES batches of that size are timed and
 * the median taken (the sizing batches ran partly unoptimised code).
 */
function rate(kernel: Kernel, q: Pm4Queue | AqlQueue, plan: Plan, timeoutMs: number): { perSecond: number; batch: number; batches: number } {
  let batch = 8;
  for (;;) {
    const ns = timedBatch(kernel, q, batch, timeoutMs);
    if (ns >= plan.rateTargetNs || batch >= plan.maxBatch) break;
    batch = Math.min(plan.maxBatch, batch * Math.max(2, Math.ceil(plan.rateTargetNs / Math.max(ns, 1) / 2)));
  }
  const perSecond: number[] = [];
  for (let i = 0; i < RATE_BATCHES; i++) perSecond.push((batch * 1e9) / timedBatch(kernel, q, batch, timeoutMs));
  return { perSecond: median(perSecond), batch, batches: RATE_BATCHES };
}

function latency(kernel: Kernel, q: Pm4Queue | AqlQueue, plan: Plan, timeoutMs: number): number[] {
  dispatchLatencies(kernel, q, plan.latencyWarmup, plan.latencyBudgetNs, timeoutMs);
  return dispatchLatencies(kernel, q, plan.latencySamples, plan.latencyBudgetNs, timeoutMs);
}

/** Launch-to-completion times (µs) of the empty kernel: launch one, wait for it (the queue's wait: spin, then sleep on its event), repeat; at most `samples`, at least 5, stopping after `budgetNs`. */
export function dispatchLatencies(kernel: Kernel, q: Pm4Queue | AqlQueue, maxSamples: number, budgetNs: number, timeoutMs: number): number[] {
  const samples: number[] = [];
  const start = nowNs();
  while (samples.length < maxSamples && (samples.length < 5 || nowNs() - start < budgetNs)) {
    const t0 = nowNs();
    q.wait(launch(kernel, q), timeoutMs, 'one dispatch');
    samples.push((nowNs() - t0) / 1000);
  }
  return samples;
}

export const dispatchBench: BenchSection = {
  key: 'dispatch',
  name: 'dispatch rate and latency',
  steps: () => QUEUE_KINDS.length * 2,
  run(ctx: BenchContext) {
    const plan = planFor(ctx.quick);
    const figures: BenchFigure[] = [];
    const kernel = emptyKernel(ctx.device);
    if (typeof kernel === 'string') return { figures, notes: [`dispatch: ${kernel}`] };
    for (const kind of QUEUE_KINDS) {
      const q = kind === 'PM4' ? Pm4Queue.create(ctx.device) : AqlQueue.create(ctx.device);
      try {
        q.wait(launch(kernel, q), ctx.timeoutMs, 'warm-up dispatch');
        const r = rate(kernel, q, plan, ctx.timeoutMs);
        figures.push(figure({ section: 'dispatch', name: `${kind} dispatch rate`, value: r.perSecond, unit: 'dispatches/s', timing: 'wall clock', detail: `median of ${r.batches} batches of ${r.batch} launches of the empty kernel, one wait at the end of each` }));
        ctx.step(`${kind} dispatch rate`);
        const s = latency(kernel, q, plan, ctx.timeoutMs);
        const detail = `${s.length} samples after ${plan.latencyWarmup} untimed, launch → wait returns`;
        figures.push(figure({ section: 'dispatch', name: `${kind} dispatch latency median`, value: median(s), unit: 'µs', timing: 'wall clock', detail }));
        figures.push(figure({ section: 'dispatch', name: `${kind} dispatch latency p99`, value: percentile(s, 99), unit: 'µs', timing: 'wall clock', detail }));
        ctx.step(`${kind} dispatch latency`);
      } finally {
        q.destroy();
      }
    }
    return { figures, notes: [] };
  },
};
