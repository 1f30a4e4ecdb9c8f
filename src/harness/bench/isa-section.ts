// Shader-core speed of the emulated GPU (benchIsa): wave instructions per second of the per-instruction
// executor and of compiled blocks side by side, the speed-up between them, and each one's slowdown
// against the same computation in plain TypeScript. Only meaningful when the device is emulated.
import { benchIsa } from './isa-bench.js';
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
    ctx.step('shader core');
    return { figures, notes };
  },
};
