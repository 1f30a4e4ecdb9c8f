// Shader-core benchmark, and the minimal "CP" it (and test/support/isa-harness.ts) runs kernels with: loads a corpus code object into a GpuVm, lays out buffers,
// kernargs (packed by the driver's packKernargs) and an AQL dispatch packet (hw/aql), builds the
// DispatchSetup the way the packet processor would, runs the dispatch and reads the buffers back.
// User-SGPR order: AMDGPUUsage "Initial Kernel Execution State".
import { readFileSync } from 'node:fs';
import { loadCodeObject, type KernelInfo } from '../../codeobj/index.js';
import { GpuVm } from '../../emu/gpu-vm.js';
import { createShaderCore, type ExecMode, type ShaderCoreOptions } from '../../emu/isa/core.js';
import { createParallelShaderCore } from '../../emu/isa/parallel/index.js';
import { ParallelDispatch } from '../../emu/isa/parallel/dispatch.js';
import type { DispatchSetup, RunningDispatch, ShaderCore } from '../../emu/isa/types.js';
import { CORPUS_TARGETS, corpusContext, corpusKernel, type CorpusKernel, type CorpusTarget } from '../corpus/index.js';
import { packKernargs, dynamicLdsOfArgs, type KernelArg } from '../../driver/kernargs.js';
import { writeDispatchPacket } from '../../hw/aql.js';
import { scratchResourceDescriptor } from '../../hw/buffer-rsrc.js';
import { hashLoopReference } from '../corpus/compiled.js';
import { packagePath } from '../../os/package-root.js';
import { median } from './stats.js';

const PAGE = 0x1000;
/** The LDS and private apertures the emulated KFD reports (misc-ioctls: lds 1 << 48, scratch 2 << 48). */
const EMULATED_APERTURES = { lds: 1n << 48n, scratch: 2n << 48n } as const;
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

export interface HarnessRun {
  readonly outputs: Map<string, Uint8Array>;
  readonly instructions: number;
  readonly seconds: number;
  /**
   * CPU time of the whole process (every thread: this one, the pool threads, V8's helpers) over the
   * same span as `seconds`: time other processes hold a core does not count in it, as it does in wall clock.
   */
  readonly cpuSeconds: number;
  /** The workgroups ran on several threads (false: in order on this one). */
  readonly parallel: boolean;
}

class Layout {
  private next = 0x10_0000_0000;
  /** `shared`: memory in SharedArrayBuffers, as the emulator's, so shader worker threads can run on it. */
  constructor(readonly vm: GpuVm, private readonly shared = false) {}
  map(bytes: Uint8Array, label: string, opts: { writable?: boolean; executable?: boolean } = {}): bigint {
    const size = align(Math.max(bytes.length, 1), PAGE);
    const backing = new Uint8Array(this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    backing.set(bytes);
    const start = BigInt(this.next);
    this.vm.map({ start, end: start + BigInt(size), bytes: backing, offset: 0, writable: opts.writable ?? true, executable: opts.executable ?? false, label });
    this.next += size + PAGE;
    return start;
  }
  view(start: bigint): Uint8Array {
    return this.vm.lookup(start)!.bytes;
  }
}

/** Shader cores with worker threads, by thread count and options, kept so their threads serve every later run. */
const parallelCores = new Map<string, ShaderCore>();

function shaderCoreFor(workers: number, core: ShaderCoreOptions): ShaderCore {
  if (workers <= 1) return createShaderCore(core);
  const key = `${workers}:${core.exec ?? ''}:${core.hotAfter ?? ''}`;
  let parallel = parallelCores.get(key);
  if (!parallel) parallelCores.set(key, (parallel = createParallelShaderCore({ workers, ...core })));
  return parallel;
}

/** How the harness steps a dispatch: instructions per step, and a look at the dispatch after each step (tests). */
export interface HarnessStepping {
  readonly budget?: number;
  readonly observe?: (run: RunningDispatch) => void;
}

/**
 * Runs one corpus kernel through the shader core; throws what the dispatch throws (faults). `workers`
 * > 1 runs its workgroups on that many threads (memory then lives in SharedArrayBuffers); `core`
 * chooses compiled blocks or the per-instruction executor.
 */
export function runKernelOnShaderCore(k: CorpusKernel, target: CorpusTarget, maxInstructions = 50_000_000, workers = 1, core: ShaderCoreOptions = {}, stepping: HarnessStepping = {}): HarnessRun {
  const ctx = corpusContext(target);
  const co = loadCodeObject(readFileSync(packagePath(k.file(target))), { target });
  const info = co.kernel(k.kernel);
  const vm = new GpuVm();
  const mem = new Layout(vm, workers > 1);
  const codeBase = 0x7_0000_0000n;
  const image = co.relocate(codeBase);
  const codeBytes = new Uint8Array(workers > 1 ? new SharedArrayBuffer(align(image.length, PAGE)) : new ArrayBuffer(align(image.length, PAGE)));
  codeBytes.set(image);
  vm.map({ start: codeBase, end: codeBase + BigInt(codeBytes.length), bytes: codeBytes, offset: 0, writable: false, executable: true, label: 'code' });

  const args = k.args(ctx);
  const buffers = new Map<string, bigint>();
  const values: KernelArg[] = args.map((a) => {
    switch (a.kind) {
      case 'buffer': {
        const va = mem.map(a.data, a.name);
        buffers.set(a.name, va);
        return { va };
      }
      case 'dynamicLds': return a.bytes;
      default: return a.value;
    }
  });
  const queueVa = mem.map(new Uint8Array(256), 'amd_queue_t', { writable: false });
  const grid = k.grid;
  const block = k.block;
  const [bx, by, bz] = block;
  const groups = [Math.ceil(grid[0] / bx), Math.ceil(grid[1] / by), Math.ceil(grid[2] / bz)] as const;
  const dynamicLds = dynamicLdsOfArgs(info, values);
  // The kernel arguments exactly as the driver packs them (one packer for both).
  const kernarg = new Uint8Array(Math.max(info.metadata.kernargSegmentSize, 8));
  packKernargs(info, values, { grid, block, dynamicLds }, { queuePtr: queueVa, privateBase: EMULATED_APERTURES.scratch, sharedBase: EMULATED_APERTURES.lds }, kernarg);
  const kernargVa = mem.map(kernarg, 'kernarg', { writable: false });
  const ldsBytes = info.descriptor.groupSegmentFixedSize + dynamicLds;
  const bytesPerLane = info.descriptor.privateSegmentFixedSize;
  // One workgroup's private segments per thread that runs workgroups (see core.ts).
  const scratchBytes = align(bx * by * bz, 64) * align(bytesPerLane, 4) * workers;
  const scratchVa = bytesPerLane > 0 ? mem.map(new Uint8Array(scratchBytes), 'scratch') : undefined;

  const pkt = new Uint8Array(64);
  writeDispatchPacket(new DataView(pkt.buffer), new Int32Array(pkt.buffer), 0, { workgroup: block, grid, privateSegmentBytes: bytesPerLane, groupSegmentBytes: ldsBytes, kernelObject: info.descriptorAddress(codeBase), kernarg: kernargVa, completionSignal: 0n });
  const packetVa = mem.map(pkt, 'aql packet', { writable: false });
  const setup: DispatchSetup = {
    target, entry: info.entryAddress(codeBase),
    rsrc1: info.descriptor.computePgmRsrc1, rsrc2: info.descriptor.computePgmRsrc2, rsrc3: info.descriptor.computePgmRsrc3,
    userSgprs: userSgprs(info, { packetVa, queueVa, kernargVa, kernarg, bytesPerLane, scratchVa: scratchVa ?? 0n, scratchBytes }),
    workgroupSize: block, workgroups: groups, gridSize: grid, waveSize: ctx.waveSize, ldsBytes,
    ...(scratchVa !== undefined ? { scratch: { bytesPerLane, base: scratchVa } } : {}),
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const run = shaderCoreFor(workers, core).start(setup, vm);
  const budget = stepping.budget ?? 1_000_000;
  while (run.step(budget) !== 'done') {
    stepping.observe?.(run);
    if (run.instructions > maxInstructions) throw new Error(`${k.id}/${target}: more than ${maxInstructions} instructions`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const outputs = new Map<string, Uint8Array>();
  for (const a of args) if (a.kind === 'buffer') outputs.set(a.name, mem.view(buffers.get(a.name)!).slice(0, a.data.length));
  return { outputs, instructions: run.instructions, seconds, cpuSeconds, parallel: run instanceof ParallelDispatch };
}

function userSgprs(info: KernelInfo, v: { packetVa: bigint; queueVa: bigint; kernargVa: bigint; kernarg: Uint8Array; bytesPerLane: number; scratchVa: bigint; scratchBytes: number }): number[] {
  const p = info.descriptor.properties;
  const out: number[] = [];
  const push64 = (x: bigint): void => {
    out.push(Number(x & 0xffffffffn), Number(x >> 32n));
  };
  if (p.enableSgprPrivateSegmentBuffer) out.push(...scratchResourceDescriptor(v.scratchVa, v.scratchBytes));
  if (p.enableSgprDispatchPtr) push64(v.packetVa);
  if (p.enableSgprQueuePtr) push64(v.queueVa);
  if (p.enableSgprKernargSegmentPtr) push64(v.kernargVa);
  if (p.enableSgprDispatchId) push64(0n);
  if (p.enableSgprFlatScratchInit) push64(v.scratchVa);
  if (p.enableSgprPrivateSegmentSize) out.push(v.bytesPerLane);
  const kd = new DataView(v.kernarg.buffer);
  for (let i = 0; i < info.descriptor.preload.length; i++) out.push(kd.getUint32((info.descriptor.preload.offset + i) * 4, true));
  return out;
}

export interface IsaModeResult {
  readonly instructions: number;
  readonly seconds: number;
  /** Wave instructions per second. */
  readonly ips: number;
  /** Emulated time / plain-TS time. */
  readonly slowdown: number;
}

export interface IsaBenchResult {
  readonly name: string;
  /** The same kernel run per instruction (the reference executor) and as compiled blocks, in one run. */
  readonly interp: IsaModeResult;
  readonly block: IsaModeResult;
  /** The same computation in plain TypeScript on the CPU. */
  readonly cpuBaselineSeconds: number;
  /** Why the kernel could not run (the other fields are then 0). */
  readonly error?: string;
}

const NO_RESULT: IsaModeResult = { instructions: 0, seconds: 0, ips: 0, slowdown: 0 };

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The hash-loop corpus kernel with more rounds, so execution rather than compilation dominates. */
function longHashLoop(rounds: number): CorpusKernel {
  const k = corpusKernel('hash_loop');
  return {
    ...k,
    args: (ctx) => k.args(ctx).map((a) => (a.name === 'rounds' && a.kind === 'u32' ? { ...a, value: rounds } : a)),
  };
}

/**
 * Every side keeps running untimed for this long, and at least WARMUP_RUNS times, first, so the JIT
 * has settled before the clock starts (compiled blocks are functions of their own that V8 optimizes
 * only after they have run a while).
 */
const WARMUP_MS = 150;
const WARMUP_RUNS = 10;

/** The best of `runs` timings after warming up; `run` returns one run's seconds. */
function bestOf(runs: number, run: () => number): number {
  const warm = performance.now() + WARMUP_MS;
  let n = 0;
  do run();
  while (++n < WARMUP_RUNS || performance.now() < warm);
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, run());
  return best;
}

/**
 * Runs the SGEMM and hash-loop corpus kernels on each target's shader core, per instruction and as
 * compiled blocks, and the same work in TS, each the best of `repeats` runs after a warm-up (JIT,
 * decode and block caches); the TS side's inputs are made outside its timing, so the ratios compare
 * steady-state work with steady-state work.
 */
export function benchIsa(repeats = 3): IsaBenchResult[] {
  const out: IsaBenchResult[] = [];
  const rounds = 2000;
  const hash = longHashLoop(rounds);
  const sgemm = corpusKernel('sgemm_tiled');
  for (const target of CORPUS_TARGETS) {
    const cases: [string, CorpusKernel, () => number][] = [
      [`hash_loop x${rounds} rounds`, hash, hashCpu(hash, target)],
      ['sgemm_tiled', sgemm, sgemmCpu(sgemm, target)],
    ];
    for (const [name, k, cpu] of cases) {
      const timedMode = (exec: ExecMode): { instructions: number; seconds: number } => {
        let instructions = 0;
        const seconds = bestOf(repeats, () => {
          const r = runKernelOnShaderCore(k, target, undefined, 1, { exec });
          instructions = r.instructions;
          return r.seconds;
        });
        return { instructions, seconds };
      };
      let interp, block;
      try {
        interp = timedMode('interp');
        block = timedMode('block');
      } catch (e) {
        out.push({ name: `${name} (${target})`, interp: NO_RESULT, block: NO_RESULT, cpuBaselineSeconds: 0, error: (e as Error).message });
        continue;
      }
      let sink = 0;
      const cpuSeconds = bestOf(repeats, () => timed(() => void (sink ^= cpu())));
      if (Number.isNaN(sink)) throw new Error(`${name}: the TS baseline produced NaN`);
      const result = (m: { instructions: number; seconds: number }): IsaModeResult => ({ ...m, ips: m.instructions / m.seconds, slowdown: m.seconds / cpuSeconds });
      out.push({ name: `${name} (${target})`, interp: result(interp), block: result(block), cpuBaselineSeconds: cpuSeconds });
    }
  }
  return out;
}

export interface ScalingResult {
  readonly name: string;
  readonly workers: number;
  readonly instructions: number;
  /** Best time with one thread (the in-order reference path) and with `workers` threads. */
  readonly oneSeconds: number;
  readonly manySeconds: number;
  /** oneSeconds / manySeconds. */
  readonly speedup: number;
  /**
   * Median CPU time of the whole process per dispatch with 1 thread and with `workers`: what running
   * on several threads costs in work (start, claims, hand-over). On a machine shared with other
   * processes their load lowers the wall-clock speed-up; it shows far less here (cache and
   * context-switch costs only).
   */
  readonly oneCpuSeconds: number;
  readonly manyCpuSeconds: number;
  readonly error?: string;
}

/**
 * The hash loop over `tiles` times its corpus grid (its seeds and output tiled): the scaling figure
 * runs 32 workgroups rather than the corpus's 4, so claiming whole workgroups can split the work evenly
 * between threads (4 workgroups on 2 threads became 3 + 1 whenever one thread started late).
 */
function wideHashLoop(rounds: number, tiles: number): CorpusKernel {
  const k = longHashLoop(rounds);
  const tile = (data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(data.length * tiles);
    for (let i = 0; i < tiles; i++) out.set(data, i * data.length);
    return out;
  };
  return {
    ...k,
    grid: [k.grid[0] * tiles, k.grid[1], k.grid[2]],
    args: (ctx) => k.args(ctx).map((a) => (a.kind === 'buffer' ? { ...a, data: tile(a.data) } : a)),
  };
}

/**
 * Warms up the 1-thread and `workers`-thread runs in turns until the many-thread time stops improving
 * (no new best by 2 % in the last 4 pairs), after at least WARMUP_MS and at most SCALING_WARMUP_MAX_MS:
 * the pool threads optimise their own copies of the generated blocks, and on gfx1100 that took about
 * 0.6 s of turns (2 workers at 0.4-1.4x of 1 before, 1.8-1.9x after), longer than a fixed warm-up gave.
 */
function warmUpPairs(once: (n: number) => number, workers: number, maxMs: number): void {
  const start = performance.now();
  let best = Infinity;
  let sinceBest = 0;
  for (;;) {
    once(1);
    const t = once(workers);
    if (t < best * 0.98) {
      best = Math.min(best, t);
      sinceBest = 0;
    } else sinceBest++;
    const elapsed = performance.now() - start;
    if ((elapsed >= WARMUP_MS && sinceBest >= 4) || elapsed >= maxMs) return;
  }
}

const SCALING_WARMUP_MAX_MS = 3000;

/** Workgroups of the scaling figure's dispatch, and its rounds: the same work as 4 workgroups × 2000 rounds. */
const SCALING_GROUPS = 32;
const SCALING_ROUNDS = 250;

/**
 * The wide hash loop on each target with 1 thread and with `workers` threads, measured in turns (one
 * run of each per round, so load from elsewhere hits both alike), each the best of `repeats` after a
 * warm-up of both; both runs' outputs must be the same bytes.
 */
/** `settle` false (quick runs) caps each warm-up at WARMUP_MS. */
export function benchWorkerScaling(repeats = 3, workers = 2, settle = true): ScalingResult[] {
  const groups = SCALING_GROUPS;
  const rounds = SCALING_ROUNDS;
  const corpusGroups = corpusKernel('hash_loop').grid[0] / corpusKernel('hash_loop').block[0];
  const hash = wideHashLoop(rounds, groups / corpusGroups);
  const out: ScalingResult[] = [];
  for (const target of CORPUS_TARGETS) {
    const name = `hash_loop x${rounds} rounds, ${groups} workgroups, 1 → ${workers} workers (${target})`;
    try {
      let instructions = 0;
      let reference: Map<string, Uint8Array> | undefined;
      const cpu = new Map<number, number[]>([[1, []], [workers, []]]);
      const once = (n: number): number => {
        const r = runKernelOnShaderCore(hash, target, 50_000_000, n);
        instructions = r.instructions;
        reference ??= r.outputs;
        for (const [k, v] of r.outputs) if (Buffer.compare(v, reference.get(k)!) !== 0) throw new Error(`${k} differs between 1 and ${workers} workers`);
        cpu.get(n)!.push(r.cpuSeconds);
        return r.seconds;
      };
      warmUpPairs(once, workers, settle ? SCALING_WARMUP_MAX_MS : WARMUP_MS);
      for (const list of cpu.values()) list.length = 0;
      let one = Infinity, many = Infinity;
      for (let i = 0; i < repeats; i++) {
        one = Math.min(one, once(1));
        many = Math.min(many, once(workers));
      }
      out.push({ name, workers, instructions, oneSeconds: one, manySeconds: many, speedup: one / many, oneCpuSeconds: median(cpu.get(1)!), manyCpuSeconds: median(cpu.get(workers)!) });
    } catch (e) {
      out.push({ name, workers, instructions: 0, oneSeconds: 0, manySeconds: 0, speedup: 0, oneCpuSeconds: 0, manyCpuSeconds: 0, error: (e as Error).message });
    }
  }
  return out;
}

/** The hash loop over the kernel's seeds in TS; returns a checksum (so the work cannot be skipped). */
function hashCpu(k: CorpusKernel, target: CorpusTarget): () => number {
  const args = k.args(corpusContext(target));
  const seeds = args.find((a) => a.name === 'seeds');
  const rounds = args.find((a) => a.name === 'rounds');
  if (seeds?.kind !== 'buffer' || rounds?.kind !== 'u32') throw new Error('hash_loop arguments changed');
  const s = new Uint32Array(seeds.data.buffer, seeds.data.byteOffset, seeds.data.byteLength / 4);
  const outv = new Uint32Array(s.length);
  const n = rounds.value;
  return () => {
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum ^= outv[i] = hashLoopReference(s[i]!, n);
    return sum;
  };
}

/** C = A·B in f32 as the kernel computes it, in TS; returns one element (so the work cannot be skipped). */
function sgemmCpu(k: CorpusKernel, target: CorpusTarget): () => number {
  const args = k.args(corpusContext(target));
  const buf = (n: string): Float32Array => {
    const a = args.find((x) => x.name === n);
    if (a?.kind !== 'buffer') throw new Error(`sgemm argument ${n} changed`);
    return new Float32Array(a.data.buffer, a.data.byteOffset, a.data.byteLength / 4);
  };
  const A = buf('A'), B = buf('B'), C = buf('C');
  const [n, m] = k.grid;
  const kk = A.length / m;
  return () => {
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        let acc = 0;
        for (let i = 0; i < kk; i++) acc = Math.fround(acc + Math.fround(A[r * kk + i]! * B[i * n + c]!));
        C[r * n + c] = acc;
      }
    }
    return C[0]! | 0;
  };
}
