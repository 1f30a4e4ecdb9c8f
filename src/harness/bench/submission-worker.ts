// Worker thread of the submission benchmark: measures the one path it is given (submission-path.ts)
// with a JIT state of its own, and posts the measurement back.
import { parentPort, workerData } from 'node:worker_threads';
import { measurePath, type SubmissionPathName, type SubmissionPlan } from './submission-path.js';

interface Job {
  readonly name: SubmissionPathName;
  readonly plan: SubmissionPlan;
  readonly withDoorbell: boolean;
}

const job = workerData as Job;
parentPort!.postMessage(await measurePath(job.name, job.plan, job.withDoorbell));
