// The submission path: the CPU cost of building and submitting one kernel dispatch (PM4, AQL) and one
// SDMA copy, in a loop against the emulated GPU with paused engines, next to a C program doing the
// same stores (the exact bytes our driver wrote for one submission) in a loop of the same count.
// Each path runs in a worker thread of its own (submission-path.ts), as a program submitting only
// that kind of work: in one thread, the paths' shared code would be timed with the type feedback of
// whichever ran before, and the figures would depend on their order. The same stores written as plain
// JavaScript with no driver (js-floor.ts), also each in a thread of its own, show how much of the
// ratio to C the language alone takes.
import { Worker } from 'node:worker_threads';
import { PAUSED_DEVICE } from './paused-host.js';
import { runCBaseline, type CapturedPath } from './c-baseline.js';
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

export const submissionBench: BenchSection = {
  key: 'submission',
  name: 'submission path',
  steps: () => SUBMISSION_PATHS.length + 1 + FLOOR_PATHS.length,
  async run(ctx: BenchContext) {
    const plan = submissionPlan(ctx.quick);
    const figures: BenchFigure[] = [];
    const notes: string[] = [];
    const measured: PathMeasurement[] = [];
    for (const name of SUBMISSION_PATHS) {
      measured.push(await measureInWorker(name, plan, measured.length === 0));
      ctx.step(name);
    }
    const c = runCBaseline(measured.map((m) => m.captured), plan.runs);
    ctx.step('C baseline');
    if (!c.available) notes.push(`submission path: C baseline unavailable: ${c.reason}`);
    for (const m of measured) {
      const cNs = c.available ? c.nsPerSubmission.get(m.name)! : null;
      const side = m.captured.sideBytes.length;
      figures.push(figure({
        section: 'submission',
        name: m.name,
        value: m.best,
        unit: 'ns/submission',
        baseline: cNs,
        baselineLabel: c.available ? `C (${c.compiler}) writing the same ${m.captured.dwords.length * 4} ring bytes${side ? ` + ${side} argument bytes` : ''} and the doorbell` : null,
        ratio: cNs ? m.best / cNs : null,
        timing: `wall clock, best of ${plan.runs} run(s) of ${m.count}`,
        detail: `${PAUSED_DEVICE}, in a thread of its own; ${m.captured.dwords.length} dwords per submission; ${m.consumed ? `timed in batches of ${BATCH}, the engine consumed every batch (read pointer caught up) before the next` : 'THE ENGINE DID NOT CONSUME THE RING'}`,
      }));
      if (!m.consumed) notes.push(`submission path ${m.name}: the paused engine did not consume the ring`);
    }
    for (const name of FLOOR_PATHS) {
      const m = measured.find((x) => x.name === name)!;
      const floorNs = await floorInWorker(m.captured, plan.runs);
      ctx.step(`${name} (plain-JS floor)`);
      const cNs = c.available ? c.nsPerSubmission.get(name)! : null;
      const prepared = measured.find((x) => x.name === `${name} (prepared)`);
      figures.push(figure({
        section: 'submission',
        name: `${name}: its stores in plain JS (floor)`,
        value: floorNs,
        unit: 'ns/submission',
        baseline: cNs,
        baselineLabel: c.available ? `the same C program (${c.compiler})` : null,
        ratio: cNs ? floorNs / cNs : null,
        timing: `wall clock, best of ${plan.runs} run(s) of ${m.count}, in a thread of its own`,
        detail: `the stores the C program makes (same bytes, ring, argument pool and count) as straight-line JavaScript over shared typed arrays with the driver's store primitives and no driver code: no TypeScript path can cost less; the driver costs ${(m.best / floorNs).toFixed(2)}× this${prepared ? `, ${(prepared.best / floorNs).toFixed(2)}× prepared` : ''}`,
      }));
    }
    const doorbell = measured[0]?.doorbell;
    if (doorbell) figures.push(doorbell);
    return { figures, notes };
  },
};
