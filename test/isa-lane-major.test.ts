// Self-loop blocks run lane-major (compile/lane-major.ts) against the per-instruction handlers run by
// run from the same random state: every SGPR, VGPR row, SCC, the PC and the run count must agree.
// The loops are hand-written to reach what hash_loop does not: carry-out masks that do get bits, a
// lane-number operation (v_mbcnt), a varying int32 and a varying 64-bit scalar operand, a fixed mask
// operand, sparse EXEC with an odd number of lanes, more runs than one call records, and a loop whose
// group reads its own mask results (which must stay run by run).
// Encodings: llvm-mc-19 -show-encoding (-mcpu=gfx942; -mcpu=gfx1100 -mattr=+wavefrontsize32) of the
// assembly in the comments; the branch offsets are computed by hand (back to the loop's first word).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileBlock, type Block } from '../src/emu/isa/compile/block.js';
import type { GpuMemory } from '../src/emu/isa/exec/mem.js';
import { EXEC_HI, EXEC_LO, LANES, TEMP_ROW, Wave } from '../src/emu/isa/exec/wave.js';
import type { IsaFamily } from '../src/emu/isa/types.js';

const PC = 0x1000;
const noMemory = (): GpuMemory => {
  throw new Error('no memory access expected');
};
const code = (bytes: number[]): DataView => new DataView(new Uint8Array(bytes).buffer);

// loop: v_mbcnt_lo_u32_b32 v6, -1, v1; v_add_co_u32_e64 v1, s[6:7], v1, v2;
//   v_mad_u64_u32 v[2:3], s[10:11], v1, s0, v[2:3]; v_max_i32_e32 v3, s2, v3;
//   v_lshl_add_u64 v[4:5], v[4:5], 1, s[8:9]; v_xor_b32_e32 v1, v6, v1; v_cndmask_b32_e64 v7, v1, v2, s[12:13];
//   s_add_u32 s8, s8, s0; s_addc_u32 s9, s9, 0; s_sub_i32 s2, s2, 0x12345; s_add_u32 s0, s0, 0x9e3779b9;
//   s_add_i32 s3, s3, 1; s_cmp_lt_u32 s3, s4; s_cbranch_scc1 loop (-21 words)
const GFX942_LOOP = [
  0x06, 0x00, 0x8c, 0xd2, 0xc1, 0x02, 0x02, 0x00, 0x01, 0x06, 0x19, 0xd1, 0x01, 0x05, 0x02, 0x00,
  0x02, 0x0a, 0xe8, 0xd1, 0x01, 0x01, 0x08, 0x04, 0x02, 0x06, 0x06, 0x1a,
  0x04, 0x00, 0x08, 0xd2, 0x04, 0x03, 0x21, 0x00, 0x06, 0x03, 0x02, 0x2a, 0x07, 0x00, 0x00, 0xd1, 0x01, 0x05, 0x32, 0x00,
  0x08, 0x00, 0x08, 0x80, 0x09, 0x80, 0x09, 0x82, 0x02, 0xff, 0x82, 0x81, 0x45, 0x23, 0x01, 0x00,
  0x00, 0xff, 0x00, 0x80, 0xb9, 0x79, 0x37, 0x9e, 0x03, 0x81, 0x03, 0x81, 0x03, 0x04, 0x0a, 0xbf, 0xeb, 0xff, 0x85, 0xbf,
];
// loop: v_add_co_u32_e64 v1, s[6:7], v1, v2; v_addc_co_u32_e64 v8, s[14:15], v8, v1, s[6:7];
//   s_add_i32 s3, s3, 1; s_cmp_lt_u32 s3, s4; s_cbranch_scc1 loop (-7 words)
const GFX942_OWN_MASK_LOOP = [
  0x01, 0x06, 0x19, 0xd1, 0x01, 0x05, 0x02, 0x00, 0x08, 0x0e, 0x1c, 0xd1, 0x08, 0x03, 0x1a, 0x00,
  0x03, 0x81, 0x03, 0x81, 0x03, 0x04, 0x0a, 0xbf, 0xf9, 0xff, 0x85, 0xbf,
];
// loop: v_mbcnt_lo_u32_b32 v6, -1, v1; v_add_co_u32 v1, s6, v1, v2; v_mad_u64_u32 v[2:3], s10, v1, s0, v[2:3];
//   v_max_i32_e32 v3, s2, v3; v_xor_b32_e32 v1, v6, v1; v_cndmask_b32_e64 v7, v1, v2, s12;
//   s_sub_i32 s2, s2, 0x12345; s_add_u32 s0, s0, 0x9e3779b9; s_add_i32 s3, s3, 1; s_cmp_lt_u32 s3, s4;
//   s_cbranch_scc1 loop (-17 words)
const GFX1100_LOOP = [
  0x06, 0x00, 0x1f, 0xd7, 0xc1, 0x02, 0x02, 0x00, 0x01, 0x06, 0x00, 0xd7, 0x01, 0x05, 0x02, 0x00,
  0x02, 0x0a, 0xfe, 0xd6, 0x01, 0x01, 0x08, 0x04, 0x02, 0x06, 0x06, 0x24, 0x06, 0x03, 0x02, 0x3a,
  0x07, 0x00, 0x01, 0xd5, 0x01, 0x05, 0x32, 0x00, 0x02, 0xff, 0x82, 0x81, 0x45, 0x23, 0x01, 0x00,
  0x00, 0xff, 0x00, 0x80, 0xb9, 0x79, 0x37, 0x9e, 0x03, 0x81, 0x03, 0x81, 0x03, 0x04, 0x0a, 0xbf, 0xef, 0xff, 0xa2, 0xbf,
];

/** xorshift32: the same random state for both runs of a case. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function waveFor(family: IsaFamily, waveSize: 32 | 64, seed: number, exec: [number, number], runs: number): Wave {
  const w = new Wave(family, waveSize);
  const next = random(seed);
  for (let i = 0; i < 16 * LANES; i++) w.R[i] = next();
  for (let i = 0; i < 16; i++) w.S[i] = next();
  w.S[3] = 0;
  w.S[4] = runs;
  w.S[EXEC_LO] = exec[0];
  w.S[EXEC_HI] = waveSize === 64 ? exec[1] : 0;
  w.pc = PC;
  return w;
}

/** The block's handlers one by one, run by run, as the per-instruction path runs them (core.ts). */
function reference(b: Block, w: Wave, max: number): number {
  let runs = 0;
  do {
    for (let k = 0; k < b.length; k++) {
      w.pc = b.nexts[k]!;
      b.handlers[k]!(w);
    }
    runs++;
  } while (w.pc === PC && runs < max);
  return runs;
}

/** Both waves hold the same state (the first difference named, not two register files printed). */
function sameState(a: Wave, b: Wave, what: string): void {
  assert.deepEqual([a.scc, a.pc], [b.scc, b.pc], `${what}: SCC, PC`);
  const s = a.S.findIndex((x, i) => x !== b.S[i]);
  assert.equal(s, -1, `${what}: s${s} is ${a.S[s]}, run by run ${b.S[s]}`);
  // VGPRs and AGPRs; the rows past them are the per-instruction executor's staging area.
  const r = a.R.subarray(0, TEMP_ROW * LANES).findIndex((x, i) => x !== b.R[i]);
  assert.equal(r, -1, `${what}: v${Math.floor(r / LANES)} lane ${r % LANES} is ${a.R[r]}, run by run ${b.R[r]}`);
}

function agree(family: IsaFamily, waveSize: 32 | 64, bytes: number[], laneMajor: boolean): void {
  const ctx = { family, waveSize } as const;
  const block = compileBlock(ctx, code(bytes), PC, noMemory)!;
  const run = block.compiled(1)!;
  assert.equal(run.toString().includes('activeLanes'), laneMajor, `${family}: lane-major form chosen`);
  // Full EXEC, sparse EXEC with an odd lane count, one lane, lanes only in the high half; 1, 7 and 3000 runs.
  const execs: [number, number][] = [[0xffffffff, 0xffffffff], [0x8000_1235, 0x4000_0301], [0x10, 0], [0, 0x8000_0001]];
  for (const [e, exec] of execs.entries()) {
    for (const runs of [1, 7, 3000]) {
      const seed = 0x9e37 + e * 31 + runs;
      const a = waveFor(family, waveSize, seed, exec, runs);
      const b = waveFor(family, waveSize, seed, exec, runs);
      let left = runs;
      let viaBlock = 0;
      // The whole loop within one allowance, entered again while the PC stays at the loop (as the wave's turns do).
      while (left > 0 && a.pc === PC) {
        const n = run(a, left);
        assert.ok(n >= 1 && n <= left);
        viaBlock += n;
        left -= n;
      }
      const viaHandlers = reference(block, b, runs);
      assert.equal(viaBlock, viaHandlers, `${family} exec ${exec} runs ${runs}`);
      sameState(a, b, `${family} exec ${exec} runs ${runs}`);
      if (waveSize === 64 && exec[0] === 0xffffffff && runs > 1) assert.notEqual(a.S[6]! | a.S[7]!, 0, 'some lanes carry');
    }
  }
  // A smaller allowance stops the loop there, as run by run.
  const a = waveFor(family, waveSize, 5, execs[1]!, 50);
  const b = waveFor(family, waveSize, 5, execs[1]!, 50);
  assert.equal(run(a, 9), 9);
  assert.equal(reference(block, b, 9), 9);
  sameState(a, b, `${family} 9 of 50 runs`);
}

test('a wave64 integer self-loop runs lane-major and ends bit for bit as its handlers run by run', () => {
  agree('cdna3', 64, GFX942_LOOP, true);
});

test('a wave32 integer self-loop runs lane-major and ends bit for bit as its handlers run by run', () => {
  agree('rdna3', 32, GFX1100_LOOP, true);
});

test('a self-loop whose vector group reads its own carry mask stays run by run, and agrees', () => {
  agree('cdna3', 64, GFX942_OWN_MASK_LOOP, false);
});
