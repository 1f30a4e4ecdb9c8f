// The served path (unmodified ROCm user space behind the preload library) against our own driver
// in-process, on the same emulated GPU model (emu:gfx90a, the newest target ROCm 5.2.3 knows):
//  - rocminfo's wall time, served;
//  - the empty-kernel dispatch round trip through ROCr (test/served/hsa_bench.c: packet, doorbell,
//    hsa_signal_wait_scacquire) against our AQL queue's launch → wait (the dispatch section's loop);
//  - doorbell → engine: an empty BARRIER_AND packet, timed from the doorbell to its completion signal
//    reaching its value while the CPU spins on it. Served, the engine finds the doorbell by polling the
//    client's doorbell page; in-process, the doorbell store wakes it.
// Needs cc, rocminfo and ROCr's headers and library (Debian: gcc rocminfo libhsa-runtime-dev);
// without them the section is skipped with a note naming what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmdgpuError } from '../../errors.js';
import { selectHost } from '../../host-select.js';
import { Kfd } from '../../driver/kfd.js';
import { AqlQueue } from '../../driver/queues/aql-queue.js';
import { parseEmuSpec } from '../../emu/models/models.js';
import { runServed, type ServedRunResult } from '../../emu/serve/run.js';
import { SERVED_DOORBELL_POLL_MS } from '../../emu/serve/session.js';
import { packagePath } from '../../os/package-root.js';
import { dispatchLatencies, emptyKernel } from './dispatch.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection, type SectionResult } from './types.js';
import { median, nowNs, percentile, spinUntil } from './stats.js';

export const SERVED_DEVICE = 'emu:gfx90a';
const INSTALL_HINT = 'apt-get install -y gcc rocminfo libhsa-runtime-dev';

interface Plan {
  readonly rocminfoRuns: number;
  readonly dispatches: number;
  readonly barriers: number;
  /**
   * Untimed dispatches (and barriers) first, on both sides: the emulated engine, and our driver, run
   * their packet paths optimized only after the first thousands (with 5, our in-process dispatch
   * median was 20-28 µs against 2-4 µs warm).
   */
  readonly warmup: number;
}

const planFor = (quick: boolean): Plan => (quick ? { rocminfoRuns: 1, dispatches: 20, barriers: 50, warmup: 5 } : { rocminfoRuns: 3, dispatches: 300, barriers: 1000, warmup: 2000 });

/** What hsa_bench.c printed. */
interface HsaBenchOutput {
  readonly dispatch: { readonly n: number; readonly median_us: number; readonly p90_us: number };
  readonly barrier: { readonly n: number; readonly median_us: number; readonly p90_us: number; readonly max_us: number };
}

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * Compiles test/served/hsa_bench.c into `dir`: the executable's path, or what is missing (a compiler,
 * rocminfo, ROCr's headers or library). A compile that fails for another reason is an error.
 */
export function buildHsaBench(dir: string, compiler = process.env.CC ?? 'cc'): { exe: string } | { missing: string[] } {
  const missing: string[] = [];
  const src = packagePath('test', 'served', 'hsa_bench.c');
  if (!existsSync(src)) missing.push(`${src} (not in this install)`);
  if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).error) missing.push(`C compiler (${compiler})`);
  if (!onPath('rocminfo')) missing.push('rocminfo');
  if (missing.length) return { missing };
  const exe = join(dir, 'hsa_bench');
  const cc = spawnSync(compiler, ['-O2', '-Wall', '-Wextra', '-o', exe, src, '-lhsa-runtime64'], { encoding: 'utf8' });
  if (cc.status === 0) return { exe };
  if (/hsa\/hsa\.h/.test(cc.stderr)) return { missing: ['ROCr headers (hsa/hsa.h)'] };
  if (/-lhsa-runtime64/.test(cc.stderr)) return { missing: ['ROCr library (libhsa-runtime64.so)'] };
  throw new AmdgpuError('runtime', `served: ${compiler} could not build ${src}: ${cc.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
}

function served(command: string, args: readonly string[], what: string, timeoutMs: number): Promise<ServedRunResult> {
  return runServed({ spec: parseEmuSpec(SERVED_DEVICE), command, args, stdio: 'pipe', timeoutMs }).then((r) => {
    if (r.exitCode === 0) return r;
    const why = r.timedOut ? `killed after ${timeoutMs} ms` : r.signal ? `ended by ${r.signal}` : `exit ${r.exitCode}`;
    const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new AmdgpuError('runtime', `served: ${what} on ${SERVED_DEVICE} failed (${why})${tail ? `: ${tail}` : ''}`);
  });
}

/** Our driver on the same model, in this process: AQL empty-kernel round trips, then empty barriers with the CPU spinning on the queue's signal. */
async function inProcess(plan: Plan, timeoutMs: number): Promise<{ dispatch: number[]; barrier: number[] }> {
  const host = selectHost(SERVED_DEVICE);
  let kfd: Kfd | undefined;
  try {
    kfd = Kfd.open(host);
    const device = kfd.device(0);
    const kernel = emptyKernel(device);
    if (typeof kernel === 'string') throw new AmdgpuError('runtime', `served: ${kernel}`);
    const q = AqlQueue.create(device);
    try {
      for (let i = 0; i < plan.warmup; i++) q.wait(kernel.dispatch(q, { grid: 1, block: 1 }), timeoutMs, 'warm-up dispatch');
      const dispatch = dispatchLatencies(kernel, q, plan.dispatches, Number.POSITIVE_INFINITY, timeoutMs);
      const barrier: number[] = [];
      for (let i = -plan.warmup; i < plan.barriers; i++) {
        const t0 = nowNs();
        const target = Number(q.barrier([]).value);
        spinUntil(() => q.timeline.count >= target, timeoutMs, `empty barrier ${i} on ${q.label}`);
        if (i >= 0) barrier.push((nowNs() - t0) / 1000);
      }
      return { dispatch, barrier };
    } finally {
      q.destroy();
    }
  } finally {
    kfd?.close();
    await host.shutdown();
  }
}

export const servedBench: BenchSection = {
  key: 'served',
  name: 'served ROCr vs in-process',
  steps: () => 4,
  async run(ctx: BenchContext): Promise<SectionResult> {
    const plan = planFor(ctx.quick);
    const figures: BenchFigure[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'amdgpu-ts-bench-served-'));
    try {
      const built = buildHsaBench(dir);
      if ('missing' in built) {
        for (let i = 0; i < 4; i++) ctx.step('skipped');
        return { figures, notes: [`served: skipped: ${built.missing.join(', ')} missing (install with: ${INSTALL_HINT})`] };
      }
      const runTimeoutMs = Math.max(60_000, ctx.timeoutMs);

      const walls: number[] = [];
      for (let i = 0; i < plan.rocminfoRuns; i++) {
        const r = await served('rocminfo', [], 'rocminfo', runTimeoutMs);
        if (!r.stdout.includes('gfx90a')) throw new AmdgpuError('runtime', `served: rocminfo on ${SERVED_DEVICE} listed no gfx90a agent`);
        walls.push(r.wallMs);
      }
      figures.push(figure({ section: 'served', name: 'rocminfo wall time', value: median(walls), unit: 'ms', timing: `wall clock, median of ${walls.length} run(s)`, detail: `unmodified rocminfo served on ${SERVED_DEVICE}, spawn → exit (runs: ${walls.map((w) => w.toFixed(0)).join(', ')} ms)` }));
      ctx.step('rocminfo');

      const co = packagePath('test', 'kernels', 'empty.gfx90a.co');
      const r = await served(built.exe, [co, String(plan.dispatches), String(plan.barriers), String(plan.warmup)], 'hsa_bench', runTimeoutMs);
      const line = r.stdout.trim().split('\n').pop() ?? '';
      let rocr: HsaBenchOutput;
      try {
        rocr = JSON.parse(line) as HsaBenchOutput;
      } catch {
        throw new AmdgpuError('runtime', `served: hsa_bench printed no JSON line: ${JSON.stringify(line.slice(0, 200))}`);
      }
      ctx.step('ROCr (served)');

      const own = await inProcess(plan, ctx.timeoutMs);
      ctx.step('in-process dispatch and barrier');

      const poll = `served engines poll the doorbell page every ${SERVED_DOORBELL_POLL_MS * 1000} µs for 500 ms after a doorbell, then every 2 ms; in-process the doorbell store wakes the engine`;
      const vs = (name: string, value: number, baseline: number, baselineLabel: string, detail: string): BenchFigure =>
        figure({ section: 'served', name, value, unit: 'µs', baseline, baselineLabel, ratio: value / baseline, timing: 'wall clock', detail });
      const dispatchBase = `our driver in-process: AQL launch → wait (${own.dispatch.length} samples)`;
      const dispatchDetail = `${rocr.dispatch.n} empty-kernel dispatches through ROCr 5.2.3 served on ${SERVED_DEVICE}: packet, doorbell, hsa_signal_wait_scacquire (BLOCKED: spin, then the KFD event)`;
      figures.push(vs('ROCr dispatch round trip median', rocr.dispatch.median_us, median(own.dispatch), dispatchBase, dispatchDetail));
      figures.push(vs('ROCr dispatch round trip p90', rocr.dispatch.p90_us, percentile(own.dispatch, 90), dispatchBase, dispatchDetail));
      const barrierBase = `in-process: our AQL queue, CPU spinning on its signal (${own.barrier.length} samples)`;
      const barrierDetail = `${rocr.barrier.n} empty BARRIER_AND packets, doorbell store → completion signal 0, CPU spinning on hsa_signal_load_relaxed; ${poll}`;
      figures.push(vs('doorbell → engine (served) median', rocr.barrier.median_us, median(own.barrier), barrierBase, barrierDetail));
      figures.push(vs('doorbell → engine (served) p90', rocr.barrier.p90_us, percentile(own.barrier, 90), barrierBase, barrierDetail));
      figures.push(vs('doorbell → engine (served) max', rocr.barrier.max_us, Math.max(...own.barrier), barrierBase, barrierDetail));
      ctx.step('figures');
      return { figures, notes: [] };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
