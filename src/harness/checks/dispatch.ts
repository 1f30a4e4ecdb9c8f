// Kernel dispatch of every corpus kernel on AQL and PM4 queues, results checked against the CPU.
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { AqlQueue } from '../../driver/queues/aql-queue.js';
import { CORPUS, type CorpusKernel } from '../corpus/index.js';
import { corpusTargetOf, runCorpusKernel } from '../corpus-run.js';
import { expect, Skip, type Check, type CheckContext } from '../check.js';

function dispatchCheck(k: CorpusKernel, kind: 'aql' | 'pm4'): Check {
  return {
    name: `dispatch.${kind}.${k.id}`,
    proves: `a ${kind.toUpperCase()} dispatch of ${k.kernel} (${k.exercises}) produces the CPU reference results`,
    run(ctx: CheckContext) {
      const target = corpusTargetOf(ctx.device);
      if (!target || !k.targets.includes(target)) throw new Skip(`no ${k.id} code object for ${ctx.device.target.name} (corpus targets: ${k.targets.join(', ')})`);
      const q = kind === 'aql' ? AqlQueue.create(ctx.device) : Pm4Queue.create(ctx.device);
      try {
        const r = runCorpusKernel(ctx.device, q, k, ctx.timeoutMs);
        expect(r.mismatch === undefined, `${k.id}: ${r.mismatch}`);
        return `grid ${k.grid.join('x')} block ${k.block.join('x')}: ${r.outputs.size} buffer(s) match${k.tolerance ? ` (${k.tolerance})` : ' exactly'}`;
      } finally {
        q.destroy();
      }
    },
  };
}

const runnable = CORPUS.filter((k) => k.expect === 'complete');

export const dispatchChecks: Check[] = [...runnable.map((k) => dispatchCheck(k, 'aql')), ...runnable.map((k) => dispatchCheck(k, 'pm4'))];
