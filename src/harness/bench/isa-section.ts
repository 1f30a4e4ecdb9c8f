// Shader-core speed of the emulated GPU (benchIsa): wave instructions per second and the slowdown
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
    for (const r of benchIsa(runs)) {
      if (r.error) {
        notes.push(`shader core ${r.name}: ${r.error}`);
        continue;
      }
      figures.push(figure({
        section: 'shader core',
        name: r.name,
        value: r.ips,
        unit: 'instructions/s',
        baseline: r.cpuBaselineSeconds,
        baselineLabel: 'plain TS doing the same work (s); ratio = emulated time / TS time',
        ratio: r.slowdown,
        timing: `wall clock, best of ${runs} run(s) each after a warm-up`,
        detail: `${r.instructions} wave instructions in ${(r.seconds * 1000).toFixed(2)} ms, plain TS ${(r.cpuBaselineSeconds * 1000).toFixed(2)} ms`,
      }));
    }
    ctx.step('shader core');
    return { figures, notes };
  },
};
