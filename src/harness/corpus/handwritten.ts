// Corpus entries for the hand-written assembly kernels (test/kernels/*.s, built with llvm-mc-19).
import { compareExact, firstFailure } from './compare.js';
import { asU32, bytesOf, filledU32 } from './data.js';
import { f32Bits } from './fp.js';
import { saluWords } from './salu-reference.js';
import { CORPUS_TARGETS, type CorpusContext, type CorpusKernel, type CorpusTarget, type Expectation } from './types.js';

const LANES = 64;
const SENTINEL = 0xcdcdcdcd;

function assembled(kernel: string): Pick<CorpusKernel, 'kernel' | 'source' | 'targets' | 'file' | 'grid' | 'block'> {
  return {
    kernel,
    source: `${kernel}.s`,
    targets: CORPUS_TARGETS,
    file: (target: CorpusTarget) => `test/kernels/${kernel}.${target}.co`,
    grid: [LANES, 1, 1],
    block: [LANES, 1, 1],
  };
}

/** The word asm_branches stores for a lane (bit meanings are listed in asm_branches.s). */
export function branchWord(lane: number, ctx: CorpusContext): number {
  let w = 0b1111; // scc checks
  if (Math.floor(lane / ctx.waveSize) === 0) w |= 1 << 4; // some lane of this wave is < 16
  if (lane < 16) w |= 1 << 5;
  w |= lane & 1 ? 1 << 6 : 1 << 7;
  w |= (3 * (lane & 7)) << 9;
  w |= (1 << 16) | (1 << 17) | (1 << 31);
  return w >>> 0;
}

const asmBranches: CorpusKernel = {
  ...assembled('asm_branches'),
  id: 'asm_branches',
  exercises: 'SCC from compares and carries, vccz/vccnz, execz, saveexec if/else, exec-masked loop',
  expect: 'complete',
  args: () => [{ kind: 'buffer', name: 'out', data: bytesOf(filledU32(LANES, SENTINEL)) }],
  check: (out, ctx) =>
    compareExact('out', out.get('out') && asU32(out.get('out')!), Uint32Array.from({ length: LANES }, (_, l) => branchWord(l, ctx))),
};

/** The ten words asm_literals stores per lane (meanings in asm_literals.s). */
export function literalWords(lane: number): number[] {
  const inv2pi = 0.15915494309189535; // f32 0x3e22f983, the inline constant 1/(2*pi)
  const f64 = new DataView(new ArrayBuffer(8));
  f64.setFloat64(0, lane + 3, true);
  return [
    (0x12345678 ^ lane) >>> 0,
    (lane + 0xdeadbeef) >>> 0,
    f32Bits(lane * 0.5 - 4),
    f32Bits(Math.fround(Math.fround(inv2pi) * lane)),
    f32Bits(lane * lane + 1),
    0xffff8000,
    0xffffffff,
    (0xfffffff0 + 0x12345678) >>> 0,
    f64.getUint32(0, true),
    f64.getUint32(4, true),
  ];
}

const asmLiterals: CorpusKernel = {
  ...assembled('asm_literals'),
  id: 'asm_literals',
  exercises: '32-bit literals in SALU/VOP2/VOP3 (gfx11), inline float constants incl. 1/(2pi), fmaak, s_movk sign extension, 64-bit inline/literal moves, f64 literal',
  expect: 'complete',
  args: () => [{ kind: 'buffer', name: 'out', data: bytesOf(filledU32(10 * LANES, SENTINEL)) }],
  check: (out) => {
    const want = Uint32Array.from({ length: 10 * LANES }, (_, i) => literalWords(Math.floor(i / 10))[i % 10]!);
    return compareExact('out', out.get('out') && asU32(out.get('out')!), want);
  },
};

function asmTrap(id: string, mode: number, expect: Expectation, exercises: string): CorpusKernel {
  return {
    ...assembled('asm_trap'),
    id,
    exercises,
    expect,
    args: () => [
      { kind: 'buffer', name: 'out', data: bytesOf(new Uint32Array(2 * LANES)) },
      { kind: 'u32', name: 'mode', value: mode },
    ],
    check: (out) => {
      const got = out.get('out') && asU32(out.get('out')!);
      const first = Uint32Array.from({ length: LANES }, (_, l) => (0x11110000 | l) >>> 0);
      const second = Uint32Array.from({ length: LANES }, (_, l) => (mode === 0 ? 0x22220000 | l : 0) >>> 0);
      return firstFailure(
        compareExact('out[0..63] (before the trap/halt)', got?.subarray(0, LANES), first),
        compareExact('out[64..127] (after it)', got?.subarray(LANES), second),
      );
    },
  };
}

const asmSalu: CorpusKernel = {
  ...assembled('asm_salu'),
  id: 'asm_salu',
  exercises: '32-bit SALU arithmetic, logic, shifts, min/max, cselect, shift-adds, SOPC/SOPK compares, movk/addk, with their SCC, in a scalar loop',
  expect: 'complete',
  args: () => [{ kind: 'buffer', name: 'out', data: bytesOf(filledU32(saluWords().length, SENTINEL)) }],
  check: (out) => compareExact('out', out.get('out') && asU32(out.get('out')!), saluWords()),
};

/** The 22 words asm_vopd stores for lane L (meanings in asm_vopd.s). */
export function vopdWords(lane: number): number[] {
  const a = lane, b = 3 * lane + 1, c = 5 * lane + 7, d = 3 * lane + 1;
  const odd = (lane & 1) === 1;
  // Small integers: every product and sum below is exact in binary32.
  const f = (x: number): number => f32Bits(x);
  return [
    f(a * b), f(b + a), f(a - b), f(a - b), f(Math.max(a, b)), f(Math.min(a, b)),
    f(a * b + 1), c, f(a * b + 3), c + d, f(a * 0.5 + b),
    (c << 3) >>> 0, f(odd ? b : a), c & d, f(a * b), f(b * a),
    f(2 + a), odd ? d : c,
    c, 100 + d,
    lane, 7,
  ];
}

const VOPD_WORDS = 22;

const asmVopd: CorpusKernel = {
  ...assembled('asm_vopd'),
  id: 'asm_vopd',
  exercises: 'VOPD dual issue (gfx11/gfx12; CDNA: the same values from single operations): f32 mul/add/sub/subrev/max/min/fmac/fmaak/fmamk/mul_dx9_zero/cndmask, mov, add_nc_u32, lshlrev, and; halves reading each other\'s destinations',
  expect: 'complete',
  args: () => [{ kind: 'buffer', name: 'out', data: bytesOf(filledU32(VOPD_WORDS * LANES, SENTINEL)) }],
  check: (out) => {
    const want = Uint32Array.from({ length: VOPD_WORDS * LANES }, (_, i) => vopdWords(Math.floor(i / VOPD_WORDS))[i % VOPD_WORDS]!);
    return compareExact('out', out.get('out') && asU32(out.get('out')!), want);
  },
};

export const HANDWRITTEN_KERNELS: readonly CorpusKernel[] = [
  asmBranches,
  asmLiterals,
  asmSalu,
  asmVopd,
  asmTrap('asm_trap', 0, 'complete', 'control run of asm_trap: both stores land, the dispatch completes'),
  asmTrap('asm_trap.trap', 1, 'trap', 's_trap 2 after a store: the store is visible, the dispatch reports a trap'),
  asmTrap('asm_trap.halt', 2, 'hang', 's_sethalt 1 after a store: the wave halts, the dispatch never completes'),
];
