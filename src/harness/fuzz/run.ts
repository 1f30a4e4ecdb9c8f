// The fuzz driver behind `npm run fuzz` and test/fuzz.test.ts: runs each target in batches of
// fast-check runs, batch i from seed base + i, for a number of batches or until a time budget is
// spent, and reports per-target counts and, for a failure, the batch seed, the fast-check path of the
// failing input and a command that replays exactly that input.
import * as fc from 'fast-check';
import { TARGETS } from './targets.js';
import { describeError, type FuzzTarget, type TargetName, type TargetSession } from './target.js';

export interface FuzzFailure {
  readonly target: TargetName;
  readonly seed: number;
  readonly path: string;
  readonly message: string;
  /** The command that replays this one input. */
  readonly repro: string;
}

export interface TargetReport {
  readonly target: TargetName;
  inputs: number;
  batches: number;
  ms: number;
  readonly counts: Map<string, number>;
  readonly failures: FuzzFailure[];
}

export interface FuzzOptions {
  readonly targets: readonly TargetName[];
  /** Batch i runs from seed (seed + i) | 0. */
  readonly seed: number;
  /** Time budget for all targets together (split evenly); without it, `batches` batches per target. */
  readonly seconds?: number;
  readonly batches?: number;
  /** Runs per batch (default: the target's own batch size). */
  readonly runs?: number;
  /** Replays one input: the fast-check path printed with a failure (needs the failing batch's seed). */
  readonly path?: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export const batchSeed = (base: number, i: number): number => (base + i) | 0;

export function reproCommand(target: TargetName, seed: number, path: string, runs: number): string {
  return `npm run fuzz -- --target ${target} --seed ${seed} --runs ${runs} --path ${path}`;
}

/** Runs one batch on an open session; returns the inputs tried and the failure, if any. */
export async function runBatch(t: FuzzTarget, s: TargetSession, seed: number, runs: number, path?: string): Promise<{ inputs: number; failure?: FuzzFailure }> {
  const details = await fc.check(s.property, { seed, numRuns: runs, endOnFailure: true, ...(path ? { path } : {}) });
  const inputs = details.numRuns + (details.failed ? 1 : 0);
  if (!details.failed) return { inputs };
  const p = details.counterexamplePath ?? path ?? '';
  const message = details.errorInstance !== undefined ? describeError(details.errorInstance) : `property failed on ${fc.stringify(details.counterexample)}`;
  return { inputs, failure: { target: t.name, seed, path: p, message, repro: reproCommand(t.name, seed, p, runs) } };
}

export async function runFuzz(opts: FuzzOptions): Promise<TargetReport[]> {
  const reports: TargetReport[] = [];
  const perTargetMs = opts.seconds !== undefined ? (opts.seconds * 1000) / opts.targets.length : undefined;
  for (const name of opts.targets) {
    const t = TARGETS[name];
    const runs = opts.runs ?? t.batch;
    const r: TargetReport = { target: name, inputs: 0, batches: 0, ms: 0, counts: new Map(), failures: [] };
    reports.push(r);
    const start = performance.now();
    let session = await t.open();
    try {
      for (let i = 0; ; i++) {
        if (perTargetMs === undefined ? i >= (opts.path ? 1 : (opts.batches ?? 1)) : i > 0 && performance.now() - start >= perTargetMs) break;
        const seed = batchSeed(opts.seed, i);
        const b = await runBatch(t, session, seed, runs, opts.path);
        r.inputs += b.inputs;
        r.batches++;
        if (b.failure) {
          r.failures.push(b.failure);
          opts.log?.(`${name}: FAILED at seed ${seed} path ${b.failure.path}: ${b.failure.message.split('\n')[0]}`);
          // A failure may leave the session's resources broken (a crashed engine thread): start afresh.
          for (const [k, v] of session.counts) r.counts.set(k, (r.counts.get(k) ?? 0) + v);
          await session.close().catch(() => undefined);
          session = await t.open();
        }
      }
    } finally {
      for (const [k, v] of session.counts) r.counts.set(k, (r.counts.get(k) ?? 0) + v);
      await session.close();
      r.ms = performance.now() - start;
    }
    opts.log?.(`${name}: ${r.inputs} inputs in ${r.batches} batches, ${(r.ms / 1000).toFixed(1)} s, ${r.failures.length} failures`);
  }
  return reports;
}

export function formatReports(reports: readonly TargetReport[]): string[] {
  const lines = ['target     inputs   batches   seconds  failures  outcomes'];
  for (const r of reports) {
    const outcomes = [...r.counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`${r.target.padEnd(9)} ${String(r.inputs).padStart(7)} ${String(r.batches).padStart(9)} ${(r.ms / 1000).toFixed(1).padStart(9)} ${String(r.failures.length).padStart(9)}  ${outcomes}`);
  }
  for (const r of reports) {
    for (const f of r.failures) {
      lines.push('', `FAILURE ${f.target} seed ${f.seed} path ${f.path}`, ...f.message.split('\n').map((l) => `  ${l}`), `  reproduce: ${f.repro}`);
    }
  }
  return lines;
}
