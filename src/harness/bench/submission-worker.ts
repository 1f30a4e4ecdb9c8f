// Worker thread of the submission benchmark: measures the one path it is given (submission-path.ts),
// or the plain-JavaScript floor of one captured path (js-floor.ts), with a JIT state of its own, and
// posts the measurement back.
import { parentPort, workerData } from 'node:worker_threads';
import { measurePath, type SubmissionPathName, type SubmissionPlan } from './submission-path.js';
import { measureJsFloor } from './js-floor.js';
import type { CapturedPath } from './c-baseline.js';

export type SubmissionJob =
  | { readonly kind: 'path'; readonly name: SubmissionPathName; readonly plan: SubmissionPlan; readonly withDoorbell: boolean }
  | { readonly kind: 'floor'; readonly path: CapturedPath; readonly runs: number };

const job = workerData as SubmissionJob;
parentPort!.postMessage(job.kind === 'path' ? await measurePath(job.name, job.plan, job.withDoorbell) : measureJsFloor(job.path, job.runs));
