// Corpus entries for the OpenCL C kernels in test/kernels (see test/kernels/README.md). Each entry
// builds deterministic inputs and checks the outputs against a plain TypeScript reference.
import { compareExact, firstFailure } from './compare.js';
import { asU32, asU64, bytesOf, filledU32, u32Array } from './data.js';
import { SENTINEL, compiled, grid1, type Entry } from './entry.js';
import { halfConvert, saxpy, sgemm, transcendentals } from './float-kernels.js';
import type { CorpusKernel } from './types.js';

// ---------------------------------------------------------------------------------------------
const VADD_N = 1000;
function vectorAdd(id: string): Entry {
  return {
    id,
    kernel: 'vector_add',
    exercises: 'global loads/stores, 32-bit integer add, bounds check, group size from the dispatch packet',
    grid: grid1(1024),
    block: grid1(64),
    args: () => [
      { kind: 'buffer', name: 'a', data: bytesOf(u32Array(1024, 1)) },
      { kind: 'buffer', name: 'b', data: bytesOf(u32Array(1024, 2)) },
      { kind: 'buffer', name: 'c', data: bytesOf(filledU32(1024, SENTINEL)) },
      { kind: 'u32', name: 'n', value: VADD_N },
    ],
    check: (out) => {
      const a = u32Array(1024, 1);
      const b = u32Array(1024, 2);
      const want = Uint32Array.from({ length: 1024 }, (_, i) => (i < VADD_N ? (a[i]! + b[i]!) >>> 0 : SENTINEL));
      return compareExact('c', out.get('c') && asU32(out.get('c')!), want);
    },
  };
}

// ---------------------------------------------------------------------------------------------
const FILL_N = 300;
const FILL_VALUE = 0xc0ffee42;
const fill: Entry = {
  id: 'fill',
  kernel: 'fill',
  exercises: 'grid-stride loop (grid smaller than n) using hidden block_count_x and group_size_x',
  grid: grid1(64),
  block: grid1(64),
  args: () => [
    { kind: 'buffer', name: 'out', data: bytesOf(filledU32(320, SENTINEL)) },
    { kind: 'u32', name: 'value', value: FILL_VALUE },
    { kind: 'u32', name: 'n', value: FILL_N },
  ],
  check: (out) => {
    const want = Uint32Array.from({ length: 320 }, (_, i) => (i < FILL_N ? FILL_VALUE : SENTINEL));
    return compareExact('out', out.get('out') && asU32(out.get('out')!), want);
  },
};

// ---------------------------------------------------------------------------------------------
const HASH_ROUNDS = 32;
const GOLDEN64 = 0x9e3779b97f4a7c15n;
export function hashLoopReference(seed: number, rounds: number): number {
  let h = seed >>> 0;
  for (let r = 0; r < rounds; r++) {
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b) >>> 0;
    h ^= h >>> 16;
    h = (h + r) >>> 0;
    const wide = (BigInt(h >>> 0) * GOLDEN64) & 0xffffffffffffffffn;
    h = (h ^ Number(wide >> 32n)) >>> 0;
    h = ((h << 7) | (h >>> 25)) >>> 0;
  }
  return h >>> 0;
}
function hashLoop(id: string): Entry {
  return {
    id,
    kernel: 'hash_loop',
    exercises: 'uniform loop, 32-bit multiplies, shifts, rotates, 64-bit multiply high half',
    grid: grid1(256),
    block: grid1(64),
    args: () => [
      { kind: 'buffer', name: 'seeds', data: bytesOf(u32Array(256, 5)) },
      { kind: 'buffer', name: 'out', data: bytesOf(filledU32(256, SENTINEL)) },
      { kind: 'u32', name: 'rounds', value: HASH_ROUNDS },
    ],
    check: (out) => {
      const want = u32Array(256, 5).map((s) => hashLoopReference(s, HASH_ROUNDS));
      return compareExact('out', out.get('out') && asU32(out.get('out')!), want);
    },
  };
}

// ---------------------------------------------------------------------------------------------
const REDUCE_GROUPS = 4;
const REDUCE_BLOCK = 256;
function reduceSum(id: string): Entry {
  return {
    id,
    kernel: 'reduce_sum',
    exercises: 'LDS tree reduction with s_barrier between steps, per-group partial sums',
    grid: grid1(REDUCE_GROUPS * REDUCE_BLOCK),
    block: grid1(REDUCE_BLOCK),
    args: () => [
      { kind: 'buffer', name: 'in', data: bytesOf(u32Array(REDUCE_GROUPS * REDUCE_BLOCK, 6)) },
      { kind: 'buffer', name: 'partial', data: bytesOf(filledU32(REDUCE_GROUPS, SENTINEL)) },
    ],
    check: (out) => {
      const input = u32Array(REDUCE_GROUPS * REDUCE_BLOCK, 6);
      const want = new Uint32Array(REDUCE_GROUPS);
      input.forEach((v, i) => (want[Math.floor(i / REDUCE_BLOCK)] = (want[Math.floor(i / REDUCE_BLOCK)]! + v) >>> 0));
      return compareExact('partial', out.get('partial') && asU32(out.get('partial')!), want);
    },
  };
}

// ---------------------------------------------------------------------------------------------
const SCAN_BLOCK = 128;
const prefixScan: Entry = {
  id: 'prefix_scan',
  kernel: 'prefix_scan',
  exercises: 'Hillis-Steele inclusive scan in double-buffered LDS, barriers in a loop',
  grid: grid1(2 * SCAN_BLOCK),
  block: grid1(SCAN_BLOCK),
  args: () => [
    { kind: 'buffer', name: 'in', data: bytesOf(u32Array(2 * SCAN_BLOCK, 7, 0xffff)) },
    { kind: 'buffer', name: 'out', data: bytesOf(filledU32(2 * SCAN_BLOCK, SENTINEL)) },
  ],
  check: (out) => {
    const input = u32Array(2 * SCAN_BLOCK, 7, 0xffff);
    const want = new Uint32Array(input.length);
    input.forEach((v, i) => (want[i] = (i % SCAN_BLOCK === 0 ? v : want[i - 1]! + v) >>> 0));
    return compareExact('out', out.get('out') && asU32(out.get('out')!), want);
  },
};

// ---------------------------------------------------------------------------------------------
const HIST_N = 512;
const histogram: Entry = {
  id: 'histogram',
  kernel: 'histogram',
  exercises: 'LDS atomics (add, umax), global atomics (add, umin, umax, or, 64-bit add, returning add)',
  grid: grid1(HIST_N),
  block: grid1(128),
  args: () => [
    { kind: 'buffer', name: 'in', data: bytesOf(u32Array(HIST_N, 10)) },
    { kind: 'buffer', name: 'bins', data: bytesOf(new Uint32Array(16)) },
    { kind: 'buffer', name: 'stats', data: bytesOf(Uint32Array.of(0, 0xffffffff, 0, 0)) },
    { kind: 'buffer', name: 'sum64', data: bytesOf(new BigUint64Array(1)) },
    { kind: 'buffer', name: 'seen', data: bytesOf(new Uint32Array(HIST_N)) },
  ],
  check: (out) => {
    const input = u32Array(HIST_N, 10);
    const bins = new Uint32Array(16);
    let max = 0;
    let min = 0xffffffff;
    let or = 0;
    let sum = 0n;
    for (const v of input) {
      bins[v & 15]!++;
      max = Math.max(max, v);
      min = Math.min(min, v);
      or = (or | (1 << (v & 31))) >>> 0;
      sum += BigInt(v);
    }
    return firstFailure(
      compareExact('bins', out.get('bins') && asU32(out.get('bins')!), bins),
      compareExact('stats', out.get('stats') && asU32(out.get('stats')!), Uint32Array.of(max, min, or, HIST_N)),
      compareExact('sum64', out.get('sum64') && asU64(out.get('sum64')!), BigUint64Array.of(sum)),
      compareExact('seen', out.get('seen') && asU32(out.get('seen')!), new Uint32Array(HIST_N).fill(1)),
    );
  },
};

// ---------------------------------------------------------------------------------------------
export function divergentReference(v: number): number {
  let acc: number;
  if (v & 1) acc = (Math.imul(v, 3) + 1) >>> 0;
  else if (v & 2) acc = v >>> 1;
  else acc = ~v >>> 0;
  for (let k = 0; k < (v & 31); k++) {
    acc = (Math.imul(acc, 33) + k) >>> 0;
    if ((acc & 0xff) === 0x5a) break;
  }
  let c = (v % 97) + 1;
  let steps = 0;
  while (c !== 1 && steps < 200) {
    c = c & 1 ? 3 * c + 1 : c >>> 1;
    steps++;
  }
  switch (v % 5) {
    case 0: acc = (acc + 7) >>> 0; break;
    case 1: acc = (acc ^ 0x5555) >>> 0; break;
    case 2: acc = Math.floor(acc / 3); break;
    case 3: acc = (acc - Math.floor(v / 7)) >>> 0; break;
    default: acc = ((acc << 3) | (acc >>> 29)) >>> 0; break;
  }
  return (acc ^ (steps << 24)) >>> 0;
}
const divergent: Entry = {
  id: 'divergent',
  kernel: 'divergent',
  exercises: 'divergent if/else, lane-dependent loop trip counts with break, while loop, switch, div/mod by constants',
  grid: grid1(256),
  block: grid1(64),
  args: () => [
    { kind: 'buffer', name: 'in', data: bytesOf(u32Array(256, 14)) },
    { kind: 'buffer', name: 'out', data: bytesOf(filledU32(256, SENTINEL)) },
  ],
  check: (out) =>
    compareExact('out', out.get('out') && asU32(out.get('out')!), u32Array(256, 14).map(divergentReference)),
};

// ---------------------------------------------------------------------------------------------
export function scratchSpillReference(seed: number): number {
  const SLOTS = 96;
  const priv = new Uint32Array(SLOTS);
  let s = seed >>> 0;
  for (let k = 0; k < SLOTS; k++) priv[k] = (s ^ Math.imul(k, 0x9e3779b9)) >>> 0;
  for (let k = 0; k < 64; k++) {
    const j = priv[((s + k) >>> 0) % SLOTS]! % SLOTS;
    priv[j] = (priv[j]! + k) >>> 0;
    s = ((Math.imul(s, 1664525) + 1013904223) ^ priv[j]!) >>> 0;
  }
  return (s ^ priv[s % SLOTS]!) >>> 0;
}
const scratchSpill: Entry = {
  id: 'scratch_spill',
  kernel: 'scratch_spill',
  exercises: 'private segment (scratch) with dynamic indexing: scratch setup, scratch/buffer loads and stores',
  grid: grid1(128),
  block: grid1(64),
  args: () => [
    { kind: 'buffer', name: 'in', data: bytesOf(u32Array(128, 15)) },
    { kind: 'buffer', name: 'out', data: bytesOf(filledU32(128, SENTINEL)) },
  ],
  check: (out) =>
    compareExact('out', out.get('out') && asU32(out.get('out')!), u32Array(128, 15).map(scratchSpillReference)),
};

// ---------------------------------------------------------------------------------------------
const WAVE_N = 128;
const waveOps: Entry = {
  id: 'wave_ops',
  kernel: 'wave_ops',
  exercises: 'DPP row_shr scan (v_add_nc_u32_dpp / update_dpp), DPP quad_perm, ds_bpermute butterfly (wave-size aware)',
  grid: grid1(WAVE_N),
  block: grid1(64),
  args: () => [
    { kind: 'buffer', name: 'in', data: bytesOf(u32Array(WAVE_N, 16, 0xffffff)) },
    { kind: 'buffer', name: 'row_scan', data: bytesOf(filledU32(WAVE_N, SENTINEL)) },
    { kind: 'buffer', name: 'wave_sum', data: bytesOf(filledU32(WAVE_N, SENTINEL)) },
    { kind: 'buffer', name: 'quad_swap', data: bytesOf(filledU32(WAVE_N, SENTINEL)) },
  ],
  check: (out, ctx) => {
    const v = u32Array(WAVE_N, 16, 0xffffff);
    const rowScan = new Uint32Array(WAVE_N);
    const waveSum = new Uint32Array(WAVE_N);
    const quad = new Uint32Array(WAVE_N);
    for (let i = 0; i < WAVE_N; i++) {
      const rowStart = i - (i % 16);
      let s = 0;
      for (let j = rowStart; j <= i; j++) s += v[j]!;
      rowScan[i] = s >>> 0;
      const waveStart = i - (i % ctx.waveSize);
      let t = 0;
      for (let j = waveStart; j < waveStart + ctx.waveSize; j++) t += v[j]!;
      waveSum[i] = t >>> 0;
      quad[i] = v[i ^ 1]!;
    }
    return firstFailure(
      compareExact('row_scan', out.get('row_scan') && asU32(out.get('row_scan')!), rowScan),
      compareExact('wave_sum', out.get('wave_sum') && asU32(out.get('wave_sum')!), waveSum),
      compareExact('quad_swap', out.get('quad_swap') && asU32(out.get('quad_swap')!), quad),
    );
  },
};

// ---------------------------------------------------------------------------------------------
const LDS_N = 250;
const LDS_BLOCK = 64;
const LDS_DYNAMIC_BYTES = LDS_BLOCK * 4;
const ldsDynamic: Entry = {
  id: 'lds_dynamic',
  kernel: 'lds_dynamic',
  exercises:
    'static + dynamic LDS (__local pointer argument), partial last work-group, hidden block_count/group_size/' +
    'remainder/grid_dims/dynamic_lds_size',
  grid: grid1(LDS_N),
  block: grid1(LDS_BLOCK),
  args: () => [
    { kind: 'buffer', name: 'in', data: bytesOf(u32Array(256, 17, 0xffffff)) },
    { kind: 'dynamicLds', name: 'dyn', bytes: LDS_DYNAMIC_BYTES },
    { kind: 'buffer', name: 'out', data: bytesOf(filledU32(256, SENTINEL)) },
    { kind: 'buffer', name: 'info', data: bytesOf(filledU32(5, SENTINEL)) },
    { kind: 'u32', name: 'n', value: LDS_N },
  ],
  check: (out) => {
    const input = u32Array(256, 17, 0xffffff);
    const want = filledU32(256, SENTINEL);
    for (let i = 0; i < LDS_N; i++) {
      const l = i % LDS_BLOCK;
      want[i] = (input[i - l + (l ^ 1)]! + 3 * (l >>> 1)) >>> 0;
    }
    const info = Uint32Array.of(Math.ceil(LDS_N / LDS_BLOCK), LDS_BLOCK, LDS_N % LDS_BLOCK, 1, LDS_DYNAMIC_BYTES);
    return firstFailure(
      compareExact('info (block_count_x, group_size_x, remainder_x, grid_dims, dynamic_lds_size)',
        out.get('info') && asU32(out.get('info')!), info),
      compareExact('out', out.get('out') && asU32(out.get('out')!), want),
    );
  },
};

// ---------------------------------------------------------------------------------------------
const relocTable: Entry = {
  id: 'reloc_table',
  kernel: 'reloc_table',
  exercises: 'program-scope data reached through a pointer table fixed up by R_AMDGPU_RELATIVE64, .data global',
  grid: grid1(64),
  block: grid1(64),
  args: () => [{ kind: 'buffer', name: 'out', data: bytesOf(filledU32(64, SENTINEL)) }],
  check: (out) => {
    const tables = [[1, 2, 3, 4], [10, 20, 30, 40]];
    const want = Uint32Array.from({ length: 64 }, (_, l) => tables[l & 1]![l & 3]! + 1000);
    return compareExact('out', out.get('out') && asU32(out.get('out')!), want);
  },
};

// ---------------------------------------------------------------------------------------------
const empty: Entry = {
  id: 'empty',
  kernel: 'empty',
  exercises: 'nothing: dispatch overhead',
  grid: grid1(1),
  block: grid1(1),
  args: () => [],
  check: () => undefined,
};

/** An address in the canonical user range that no allocator of ours hands out. */
export const FAULT_ADDRESS = 0x7a5a_0000_0000n;
const fault: Entry = {
  id: 'fault',
  kernel: 'fault',
  exercises: 'a store to an unmapped address: GPU VM fault delivered as a memory exception',
  grid: grid1(64),
  block: grid1(64),
  expect: 'fault',
  faultAddress: FAULT_ADDRESS,
  args: () => [{ kind: 'address', name: 'target', value: FAULT_ADDRESS }],
  check: () => undefined,
};

export const COMPILED_KERNELS: readonly CorpusKernel[] = [
  compiled(vectorAdd('vector_add')),
  compiled(vectorAdd('vector_add.O0'), '.O0'),
  compiled(saxpy),
  compiled(fill),
  compiled(hashLoop('hash_loop')),
  compiled(hashLoop('hash_loop.O0'), '.O0'),
  compiled(reduceSum('reduce_sum')),
  compiled(reduceSum('reduce_sum.O0'), '.O0'),
  compiled(prefixScan),
  compiled(sgemm),
  compiled(histogram),
  compiled(halfConvert),
  compiled(transcendentals),
  compiled(divergent),
  compiled(scratchSpill),
  compiled(waveOps),
  compiled(ldsDynamic),
  compiled(relocTable),
  compiled(empty),
  compiled(fault),
];
