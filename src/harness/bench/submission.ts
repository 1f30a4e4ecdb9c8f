// The submission path: the CPU cost of building and submitting one kernel dispatch (PM4, AQL) and one
// SDMA copy, in a loop against the emulated GPU with paused engines, next to a C program doing the
// same stores (the exact bytes our driver wrote for one submission) in a loop of the same count.
// Each path runs in a worker thread of its own (submission-path.ts), as a program submitting only
// that kind of work: in one thread, the paths' shared code would be timed with the type feedback of
// whichever ran before, and the figures would depend on their order. The same stores written as plain
// JavaScript with no driver (js-floor.ts), also each in a thread of its own, show how much of the
// ratio to C the language alone takes. The section runs in rounds (paths, C program, floors, again),
// each figure the best of its rounds: measured once each, the C program ran seconds after the paths,
// and a slow spell of the shared host on either side swung the ratios (AQL ÷ C 11.6-15.1 prepared
// between runs of the same build).
import { Worker } from 'node:worker_threads';
import { PAUSED_DEVICE } from './paused-host.js';
import { buildCBaseline, type CapturedPath, type CProgram } from './c-baseline.js';
import { BATCH, SUBMISSION_PATHS, submissionPlan, type PathMeasurement, type SubmissionPathName, type SubmissionPlan } from './submission-path.js';
import type { SubmissionJob } from './submission-worker.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';

function inWorker<T>(job: SubmissionJob, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./submission-worker.js', import.meta.url), { workerData: job });
    let result: T | undefined;
    let answered = false;
    worker.once('message', (m: T) => {
      result = m;
      answered = true;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (answered ? resolve(result!) : reject(new Error(`submission path ${what}: the measuring thread exited (code ${code}) without a result`))));
  });
}

const measureInWorker = (name: SubmissionPathName, plan: SubmissionPlan, withDoorbell: boolean): Promise<PathMeasurement> => inWorker({ kind: 'path', name, plan, withDoorbell }, name);

const floorInWorker = (path: CapturedPath, runs: number): Promise<number> => inWorker({ kind: 'floor', path, runs }, `${path.name} (plain-JS floor)`);

/** The paths whose stores get a plain-JavaScript floor: a prepared path stores the same bytes as its plain one. */
const FLOOR_PATHS: readonly SubmissionPathName[] = ['PM4 dispatch', 'AQL dispatch', 'SDMA copy 4 KiB'];

/** The smaller of two measurements (NaN-free: Infinity stands for none yet). */
const keepBest = (m: Map<string, number>, key: string, ns: number): void => void m.set(key, Math.min(m.get(key) ?? Infinity, ns));

export const submissionBench: BenchSection = {
  key: 'submission',
  name: 'submission path',
  steps: ({ quick }) => submissionPlan(quick).rounds * (SUBMISSION_PATHS.length + 1 + FLOOR_PATHS.length),
  async run(ctx: BenchContext) {
    const plan = submissionPlan(ctx.quick);
    const figures: BenchFigure[] = [];
    const notes: string[] = [];
    /** The first round's measurement of each path: its captured stores (what the yardsticks replay), count and doorbell figure. */
    const first = new Map<SubmissionPathName, PathMeasurement>();
    const pathNs = new Map<string, number>();
    const floorNs = new Map<string, number>();
    const cNs = new Map<string, number>();
    const unconsumed = new Set<string>();
    let c: CProgram | { readonly reason: string } | undefined;
    let cFailed: string | undefined;
    try {
      for (let round = 0; round < plan.rounds; round++) {
        for (const name of SUBMISSION_PATHS) {
          const m = await measureInWorker(name, plan, round === 0 && first.size === 0);
          if (round === 0) first.set(name, m);
          keepBest(pathNs, name, m.best);
          if (!m.consumed) unconsumed.add(name);
          ctx.step(name);
        }
        c ??= buildCBaseline(SUBMISSION_PATHS.map((n) => first.get(n)!.captured));
        if ('run' in c && cFailed === undefined) {
          const out = c.run(plan.runs);
          if (typeof out === 'string') cFailed = out;
          else for (const [name, ns] of out) keepBest(cNs, name, ns);
        }
        ctx.step('C baseline');
        for (const name of FLOOR_PATHS) {
          keepBest(floorNs, name, await floorInWorker(first.get(name)!.captured, plan.runs));
          ctx.step(`${name} (plain-JS floor)`);
        }
      }
    } finally {
      if (c && 'dispose' in c) c.dispose();
    }
    const cReason = c && !('run' in c) ? c.reason : cFailed;
    if (cReason) notes.push(`submission path: C baseline unavailable: ${cReason}`);
    const compiler = c && 'run' in c && !cReason ? c.compiler : undefined;
    const rounds = plan.rounds > 1 ? `, best of ${plan.rounds} rounds taken in turns with the C program's and the floor's` : '';
    for (const name of SUBMISSION_PATHS) {
      const m = first.get(name)!;
      const ns = pathNs.get(name)!;
      const base = compiler ? cNs.get(name)! : null;
      const side = m.captured.sideBytes.length;
      const consumed = !unconsumed.has(name);
      figures.push(figure({
        section: 'submission',
        name,
        value: ns,
        unit: 'ns/submission',
        baseline: base,
        baselineLabel: compiler ? `C (${compiler}) writing the same ${m.captured.dwords.length * 4} ring bytes${side ? ` + ${side} argument bytes` : ''} and the doorbell` : null,
        ratio: base ? ns / base : null,
        timing: `wall clock, best of ${plan.runs} run(s) of ${m.count}${rounds}`,
        detail: `${PAUSED_DEVICE}, in a thread of its own; ${m.captured.dwords.length} dwords per submission; ${consumed ? `timed in batches of ${BATCH}, the engine consumed every batch (read pointer caught up) before the next` : 'THE ENGINE DID NOT CONSUME THE RING'}`,
      }));
      if (!consumed) notes.push(`submission path ${name}: the paused engine did not consume the ring`);
    }
    for (const name of FLOOR_PATHS) {
      const m = first.get(name)!;
      const ns = floorNs.get(name)!;
      const base = compiler ? cNs.get(name)! : null;
      const plain = pathNs.get(name)!;
      const prepared = pathNs.get(`${name} (prepared)`);
      figures.push(figure({
        section: 'submission',
        name: `${name}: its stores in plain JS (floor)`,
        value: ns,
        unit: 'ns/submission',
        baseline: base,
        baselineLabel: compiler ? `the same C program (${compiler})` : null,
        ratio: base ? ns / base : null,
        timing: `wall clock, best of ${plan.runs} run(s) of ${m.count}, in a thread of its own${rounds}`,
        detail: `the stores the C program makes (same bytes, ring, argument pool and count) as straight-line JavaScript over shared typed arrays with the driver's store primitives and no driver code: no TypeScript path can cost less; the driver costs ${(plain / ns).toFixed(2)}× this${prepared !== undefined ? `, ${(prepared / ns).toFixed(2)}× prepared` : ''}`,
      }));
    }
    const doorbell = first.get(SUBMISSION_PATHS[0])?.doorbell;
    if (doorbell) figures.push(doorbell);
    return { figures, notes };
  },
};
