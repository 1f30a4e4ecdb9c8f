// Shader-core speed of the emulated GPU (benchIsa): wave instructions per second of the per-instruction
// executor and of compiled blocks side by side, the speed-up between them, and each one's slowdown
// against the same computation in plain TypeScript. Only meaningful when the device is emulated.
import { benchIsa, benchWorkerScaling } from './isa-bench.js';
import { availableParallelism, loadavg } from 'node:os';
import { defaultShaderWorkers } from '../../emu/isa/parallel/index.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';

export const isaBench: BenchSection = {
  key: 'shader',
  name: 'shader core',
  steps: ({ emulated }) => (emulated ? 1 : 0),
  run(ctx: BenchContext) {
    if (!ctx.emulated) return { figures: [], notes: ['shader core: the device is real, its shader core is not ours to measure'] };
    const figures: BenchFigure[] = [];
    const notes: string[] = [];
    const runs = ctx.quick ? 1 : 3;
    const timing = `wall clock, best of ${runs} run(s) each after a warm-up`;
    const tsLabel = 'plain TS doing the same work (s); ratio = emulated time / TS time';
    for (const r of benchIsa(runs)) {
      if (r.error) {
        notes.push(`shader core ${r.name}: ${r.error}`);
        continue;
      }
      const ms = (s: number): string => (s * 1000).toFixed(2);
      figures.push(figure({
        section: 'shader core', name: `${r.name} interp`, value: r.interp.ips, unit: 'instructions/s',
        baseline: r.cpuBaselineSeconds, baselineLabel: tsLabel, ratio: r.interp.slowdown, timing,
        detail: `per-instruction executor: ${r.interp.instructions} wave instructions in ${ms(r.interp.seconds)} ms, plain TS ${ms(r.cpuBaselineSeconds)} ms`,
      }));
      figures.push(figure({
        section: 'shader core', name: `${r.name} block`, value: r.block.ips, unit: 'instructions/s',
        baseline: r.cpuBaselineSeconds, baselineLabel: tsLabel, ratio: r.block.slowdown, timing,
        detail: `compiled blocks: ${r.block.instructions} wave instructions in ${ms(r.block.seconds)} ms, plain TS ${ms(r.cpuBaselineSeconds)} ms`,
      }));
      figures.push(figure({
        section: 'shader core', name: `${r.name} block vs interp`, value: r.block.ips, unit: 'instructions/s',
        baseline: r.interp.ips, baselineLabel: 'the per-instruction executor in the same run (instructions/s); ratio = block / interp speed', ratio: r.block.ips / r.interp.ips, timing,
        detail: `${ms(r.block.seconds)} ms against ${ms(r.interp.seconds)} ms`,
      }));
    }
    // Workgroups on worker threads: 1 thread against 2 in the same run (and the default count when more).
    // Best of 10: on a shared 2-core machine one run in a few is slowed by others, on either side.
    const scalingRuns = ctx.quick ? 1 : 10;
    for (const workers of [...new Set([2, defaultShaderWorkers()])]) {
      for (const r of benchWorkerScaling(scalingRuns, workers, !ctx.quick)) {
        if (r.error) {
          notes.push(`shader core ${r.name}: ${r.error}`);
          continue;
        }
        figures.push(figure({
          section: 'shader core',
          name: r.name,
          value: r.instructions / r.manySeconds,
          unit: 'instructions/s',
          baseline: r.instructions / r.oneSeconds,
          baselineLabel: 'the same dispatch on 1 thread (instructions/s); ratio = speed-up from more workers',
          ratio: r.speedup,
          timing: `wall clock, 1 and ${workers} workers in turns, best of ${scalingRuns} each after a warm-up`,
          detail: `${r.instructions} wave instructions: 1 worker ${(r.oneSeconds * 1000).toFixed(2)} ms, ${workers} workers ${(r.manySeconds * 1000).toFixed(2)} ms; ` +
            `CPU per dispatch, all threads, median: ${(r.oneCpuSeconds * 1000).toFixed(2)} ms and ${(r.manyCpuSeconds * 1000).toFixed(2)} ms (×${(r.manyCpuSeconds / r.oneCpuSeconds).toFixed(2)}: what the extra threads cost in work, apart from other processes' load); ` +
            `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)}`,
        }));
      }
    }
    ctx.step('shader core');
    return { figures, notes };
  },
};
