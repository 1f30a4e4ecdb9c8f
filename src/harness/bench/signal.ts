// CPU → GPU → CPU signal round trip. The queue first reports that it reached its wait (a "ready"
// write), then stalls on a flag in memory; the CPU writes the flag and polls for the GPU's answer.
// Timed from the flag store to the answer becoming visible.
import type { GpuBuffer } from '../../driver/memory.js';
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { SdmaQueue } from '../../driver/queues/sdma-queue.js';
import { figure, type BenchContext, type BenchFigure, type BenchSection } from './types.js';
import { median, nowNs, percentile, spinUntil } from './stats.js';

/** Dword indices in the shared page: the GPU writes READY then ANSWER; the CPU writes FLAG. */
const READY = 0;
const FLAG = 16;
const ANSWER = 32;
/**
 * Untimed rounds before the timed ones, at most WARMUP_MAX_MS of them: an emulated engine's packet
 * code runs unoptimised (JIT tiers) for its first few thousand packets, 2-4x slower per packet, and
 * that is the process's start-up, not the round trip. A real GPU needs none: there they cost little.
 */
const WARMUP_ROUNDS = 2000;
const WARMUP_MAX_MS = 250;

type Arm = (mem: GpuBuffer, round: number) => void;

/** Round trips `first`…`first + rounds - 1` (each round's values are its number), in µs; stops early after `maxMs`. */
function roundTrips(mem: GpuBuffer, first: number, rounds: number, arm: Arm, timeoutMs: number, what: string, maxMs = Number.POSITIVE_INFINITY): number[] {
  const w = new Int32Array(mem.view.buffer, mem.view.byteOffset, 64);
  const out: number[] = [];
  const end = performance.now() + maxMs;
  for (let i = first; i < first + rounds && performance.now() < end; i++) {
    arm(mem, i);
    spinUntil(() => Atomics.load(w, READY) === i, timeoutMs, `${what}: the queue to reach its wait (round ${i})`);
    const t0 = nowNs();
    Atomics.store(w, FLAG, i);
    spinUntil(() => Atomics.load(w, ANSWER) === i, timeoutMs, `${what}: the answer (round ${i})`);
    out.push((nowNs() - t0) / 1000);
  }
  return out;
}

export const signalBench: BenchSection = {
  key: 'signal',
  name: 'signal round trip',
  steps: () => 2,
  run(ctx: BenchContext) {
    const rounds = ctx.quick ? 20 : 500;
    const warmup = ctx.quick ? 20 : WARMUP_ROUNDS;
    const figures: BenchFigure[] = [];
    const mem = ctx.device.alloc(4096, { domain: 'gtt', uncached: true, label: 'bench signal page' });
    const va = (dw: number): bigint => mem.va + BigInt(dw * 4);
    try {
      const paths: [string, string, () => { arm: Arm; destroy: () => void }][] = [
        ['PM4', 'WAIT_REG_MEM on the flag, WRITE_DATA of the answer', () => {
          const q = Pm4Queue.create(ctx.device);
          const b = q.builder();
          return {
            arm: (_m, i) => void q.submit(b.reset().writeData(va(READY), [i]).waitMem32(va(FLAG), 'EQ', i, 0xffffffff, 1).writeData(va(ANSWER), [i]).dwords, { fence: false, label: 'round trip' }),
            destroy: () => q.destroy(),
          };
        }],
        ['SDMA', 'POLL_REGMEM on the flag, FENCE of the answer', () => {
          const q = SdmaQueue.create(ctx.device);
          const b = q.builder();
          return {
            arm: (_m, i) => void q.submit(b.reset().fence(va(READY), i).pollMem32(va(FLAG), 'EQ', i, 0xffffffff, 1).fence(va(ANSWER), i).dwords, { fence: false, label: 'round trip' }),
            destroy: () => q.destroy(),
          };
        }],
      ];
      for (const [engine, how, make] of paths) {
        const p = make();
        try {
          new Int32Array(mem.view.buffer, mem.view.byteOffset, 64).fill(0);
          const warm = roundTrips(mem, 1, warmup, p.arm, ctx.timeoutMs, `${engine} warm-up round trip`, WARMUP_MAX_MS).length;
          const s = roundTrips(mem, warm + 1, rounds, p.arm, ctx.timeoutMs, `${engine} round trip`);
          const detail = `${s.length} rounds after ${warm} untimed: ${how}; CPU polls the answer`;
          figures.push(figure({ section: 'signal', name: `${engine} round trip median`, value: median(s), unit: 'µs', timing: 'wall clock', detail }));
          figures.push(figure({ section: 'signal', name: `${engine} round trip p99`, value: percentile(s, 99), unit: 'µs', timing: 'wall clock', detail }));
        } finally {
          p.destroy();
        }
        ctx.step(`${engine} round trip`);
      }
    } finally {
      mem.free();
    }
    return { figures, notes: [] };
  },
};
