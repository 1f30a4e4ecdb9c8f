// Shader-core executor: semantics of tricky operations against known values, then every corpus
// kernel for gfx1100 and gfx942 run through the core and checked against its CPU reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuFault } from '../src/emu/gpu-vm.js';
import { ShaderFault, type Instruction } from '../src/emu/isa/types.js';
import { f32BitsToF16, f32BitsToBf16, bitsFromF32, fmaF32, f16ToF32 } from '../src/emu/isa/exec/float.js';
import { cvtI32, cvtU32, divFixup, classBits, mulhiU, mulhiI, rne } from '../src/emu/isa/exec/valu-helpers.js';
import { dpp16Source } from '../src/emu/isa/exec/dpp.js';
import { compileSop2 } from '../src/emu/isa/exec/salu.js';
import { laneKernel } from '../src/emu/isa/exec/valu-kernel.js';
import { valuSpec } from '../src/emu/isa/exec/valu-ops.js';
import '../src/emu/isa/exec/vcmp-ops.js';
import { EXEC_LO, LANES, Wave } from '../src/emu/isa/exec/wave.js';
import { compileDs } from '../src/emu/isa/exec/lds.js';
import { CORPUS, CORPUS_TARGETS, corpusContext } from '../src/harness/corpus/index.js';
import { runCorpusKernel } from './support/isa-harness.js';

test('f32 → f16 rounds to nearest even, saturates to inf, keeps subnormals', () => {
  const h = (x: number): number => f32BitsToF16(bitsFromF32(x));
  assert.equal(h(1), 0x3c00);
  assert.equal(h(65504), 0x7bff);
  assert.equal(h(65520), 0x7c00);
  assert.equal(h(1 + 2 ** -11), 0x3c00);
  assert.equal(h(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(h(2 ** -24), 0x0001);
  assert.equal(h(2 ** -25), 0x0000);
  assert.equal(h(3 * 2 ** -25), 0x0002);
  assert.equal(h(-Infinity), 0xfc00);
  assert.equal(f32BitsToF16(0x7fa00000) & 0x7e00, 0x7e00);
  assert.equal(f16ToF32(0x3555), 0.333251953125);
});

test('f32 → bf16 rounds to nearest even and quiets NaN', () => {
  assert.equal(f32BitsToBf16(0x3f808000), 0x3f80);
  assert.equal(f32BitsToBf16(0x3f818000), 0x3f82);
  assert.equal(f32BitsToBf16(0x3f808001), 0x3f81);
  assert.equal(f32BitsToBf16(0x7f800001), 0x7fc0);
});

test('float → int conversions saturate and map NaN to 0', () => {
  assert.equal(cvtI32(NaN), 0);
  assert.equal(cvtI32(3e9), 2147483647);
  assert.equal(cvtI32(-Infinity), -2147483648);
  assert.equal(cvtI32(-2.7), -2);
  assert.equal(cvtU32(-1), 0);
  assert.equal(cvtU32(5e9), 4294967295);
  assert.equal(rne(2.5), 2);
  assert.equal(rne(3.5), 4);
});

test('fused multiply-add has one rounding', () => {
  // a*b = 1 + 2^-23 + 2^-48 exactly; adding -1 must keep the 2^-48 term.
  const a = 1 + 2 ** -23, b = 1 + 2 ** -25;
  assert.equal(fmaF32(a, b, -1), Math.fround(2 ** -23 + 2 ** -25 + 2 ** -48));
  assert.equal(mulhiU(0xffffffff, 0xffffffff), 0xfffffffe);
  assert.equal(mulhiI(-1, 5), 0xffffffff);
});

test('v_div_fixup special cases', () => {
  assert.equal(divFixup(123, 0, 1), Infinity);
  assert.ok(Number.isNaN(divFixup(123, 0, 0)));
  assert.equal(divFixup(123, Infinity, 1), 0);
  assert.equal(divFixup(2.5, -2, 5), -2.5);
  assert.equal(divFixup(7, 1, -Infinity), -Infinity);
});

test('v_cmp_class recognises every class', () => {
  const all = 0x3ff;
  const cls = (bits: number): number => [...Array(10).keys()].find((i) => classBits(bits, (1 << i) & all, 8, 23))!;
  assert.equal(cls(0x7fa00000), 0); // signalling NaN
  assert.equal(cls(0x7fc00000), 1);
  assert.equal(cls(0xff800000), 2);
  assert.equal(cls(0xbf800000), 3);
  assert.equal(cls(0x80000001), 4);
  assert.equal(cls(0x80000000), 5);
  assert.equal(cls(0x00000000), 6);
  assert.equal(cls(0x00000001), 7);
  assert.equal(cls(0x3f800000), 8);
  assert.equal(cls(0x7f800000), 9);
});

test('DPP16 lane selection: row_shr, row_shl, row_mirror, quad_perm, row_bcast15', () => {
  assert.equal(dpp16Source(0x111, 0, 32), -1);
  assert.equal(dpp16Source(0x111, 5, 32), 4);
  assert.equal(dpp16Source(0x111, 16, 32), -1);
  assert.equal(dpp16Source(0x101, 15, 32), -1);
  assert.equal(dpp16Source(0x101, 14, 32), 15);
  assert.equal(dpp16Source(0x140, 17, 32), 30);
  assert.equal(dpp16Source(0x1b, 4, 32), 7); // quad_perm [3,2,1,0]
  assert.equal(dpp16Source(0x142, 20, 64), 15);
  assert.equal(dpp16Source(0x161, 6, 32), 7); // row_xmask:1
});

function sop2(op: string): Instruction {
  return { pc: 0, size: 4, encoding: 'SOP2', opcode: 0, op, fields: { sdst: 0, ssrc0: 1, ssrc1: 2 } };
}

test('s_bfe_u32 / s_bfe_i32 extract fields and set SCC', () => {
  const w = new Wave('rdna3', 32);
  w.S[1] = 0xabcd1234;
  w.S[2] = 8 | (8 << 16);
  compileSop2({ family: 'rdna3', waveSize: 32 }, sop2('s_bfe_u32'))(w);
  assert.equal(w.S[0], 0x12);
  assert.equal(w.scc, 1);
  w.S[2] = 24 | (8 << 16);
  compileSop2({ family: 'rdna3', waveSize: 32 }, sop2('s_bfe_i32'))(w);
  assert.equal(w.S[0], 0xffffffab);
  w.S[2] = 0;
  compileSop2({ family: 'rdna3', waveSize: 32 }, sop2('s_bfe_u32'))(w);
  assert.equal(w.S[0], 0);
  assert.equal(w.scc, 0);
});

test('lane kernels honour EXEC and produce carries', () => {
  const w = new Wave('rdna3', 32);
  w.actLo = 0b101;
  w.R.fill(7, 0, 64);
  for (let l = 0; l < 32; l++) {
    w.R[64 + l] = 0xffffffff;
    w.R[128 + l] = l;
  }
  laneKernel(valuSpec('v_add_co_u32')!)(w, 0, 64, 1, 128, 1, 0, 0);
  assert.deepEqual([...w.R.subarray(0, 4)], [0xffffffff, 7, 1, 7]);
  assert.equal(w.outLo, 0b100);
  w.F[64] = 1.5;
  w.F[128] = -0.25;
  w.actLo = 1;
  laneKernel(valuSpec('v_cvt_f16_f32')!)(w, 0, 64, 1, 0, 0, 0, 0);
  assert.equal(w.R[0]! & 0xffff, 0x3e00);
  laneKernel(valuSpec('v_cmp_lt_f32')!)(w, 0, 128, 1, 64, 1, 0, 0);
  assert.equal(w.outLo, 1);
});

/** A deterministic stream of uint32 values, edge values first (xorshift32). */
function u32Stream(n: number): number[] {
  const out = [0, 1, 2, 31, 32, 63, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xffff, 0x10000];
  let x = 0x9e3779b9;
  while (out.length < n) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(x >>> 0);
  }
  return out;
}

test('64-bit multiplies and shifts agree with BigInt arithmetic', () => {
  const vals = u32Stream(256);
  const pick = (k: number): number => vals[k % vals.length]!;
  for (let i = 0; i < vals.length; i++) assert.equal(mulhiU(pick(i), pick(i * 7 + 3)), Number((BigInt(pick(i)) * BigInt(pick(i * 7 + 3))) >> 32n));
  const M64 = (1n << 64n) - 1n;
  // Each operation runs as a lane kernel over 32 lanes: 32-bit sources in rows 1 and 2, 64-bit
  // sources in rows 3-4 and 5-6 (low, high), the 64-bit result in rows 7-8.
  const w = new Wave('rdna3', 32);
  w.actLo = 0xffffffff;
  const at = (r: number, l: number): number => r * LANES + l;
  const wide = (r: number, l: number): bigint => BigInt(w.R[at(r, l)]!) | (BigInt(w.R[at(r + 1, l)]!) << 32n);
  const cases: [string, [number, number, number], (l: number) => { v: bigint; carry?: boolean }][] = [
    ['v_mad_u64_u32', [1, 2, 3], (l) => {
      const full = BigInt(w.R[at(1, l)]!) * BigInt(w.R[at(2, l)]!) + wide(3, l);
      return { v: full, carry: full > M64 };
    }],
    ['v_lshlrev_b64', [1, 3, 0], (l) => ({ v: wide(3, l) << BigInt(w.R[at(1, l)]! & 63) })],
    ['v_lshrrev_b64', [1, 3, 0], (l) => ({ v: wide(3, l) >> BigInt(w.R[at(1, l)]! & 63) })],
    ['v_ashrrev_i64', [1, 3, 0], (l) => ({ v: BigInt.asIntN(64, wide(3, l)) >> BigInt(w.R[at(1, l)]! & 63) })],
    ['v_lshl_add_u64', [3, 1, 5], (l) => ({ v: (wide(3, l) << BigInt(w.R[at(1, l)]! & 7)) + wide(5, l) })],
  ];
  for (const [name, [sa, sb, sc], expect] of cases) {
    for (let round = 0; round < vals.length; round += 32) {
      for (let l = 0; l < 32; l++) {
        const k = round + l;
        // Shift counts: small values often (every in-range count), any value otherwise.
        w.R[at(1, l)] = k % 2 === 0 ? k % 70 : pick(k);
        for (let r = 2; r <= 6; r++) w.R[at(r, l)] = pick(k * (2 * r + 1) + r);
      }
      laneKernel(valuSpec(name)!)(w, 7 * LANES, sa * LANES, 1, sb * LANES, 1, sc * LANES, 1);
      for (let l = 0; l < 32; l++) {
        const { v, carry } = expect(l);
        assert.equal(wide(7, l), v & M64, `${name} lane ${l} of round ${round}`);
        if (carry !== undefined) assert.equal((w.outLo >>> l) & 1, carry ? 1 : 0, `${name} carry, lane ${l} of round ${round}`);
      }
    }
  }
});

/** A DS instruction with VGPR operands given by number (fields hold operand codes, VGPR n = 256 + n). */
function ds(op: string, f: { addr: number; data0?: number; vdst?: number; offset?: number; offset0?: number; offset1?: number }): Instruction {
  const fields: Record<string, number> = { addr: 256 + f.addr, offset: f.offset ?? 0 };
  if (f.data0 !== undefined) fields.data0 = 256 + f.data0;
  if (f.vdst !== undefined) fields.vdst = 256 + f.vdst;
  if (f.offset0 !== undefined) { fields.offset0 = f.offset0; fields.offset1 = f.offset1 ?? 0; delete fields.offset; }
  return { pc: 0, size: 8, encoding: 'DS', opcode: 0, op, fields };
}

test('DS 32-bit loads/stores: aligned dwords, unaligned bytes, out of range reads 0 and drops writes, inactive lanes untouched', () => {
  const ctx = { family: 'rdna3', waveSize: 32 } as const;
  const lds = new Uint8Array(64);
  const w = new Wave('rdna3', 32);
  w.group = { lds, ldsWords: new Uint32Array(lds.buffer) };
  const v = (n: number, lane: number): number => w.R[n * LANES + lane]!;
  // Lanes 0-3 active, lane 4 not: addresses 0 (aligned), 6 (unaligned), 60 (the last dword), 62 (past the end), 8.
  w.S[EXEC_LO] = 0b01111;
  [0, 6, 60, 62, 8].forEach((a, l) => { w.R[l] = a; w.R[LANES + l] = 0x1111_1111 * (l + 1); });
  compileDs(ctx, ds('ds_store_b32', { addr: 0, data0: 1 }))(w);
  const dv = new DataView(lds.buffer);
  assert.deepEqual([dv.getUint32(0, true), dv.getUint32(6, true), dv.getUint32(60, true)], [0x1111_1111, 0x2222_2222, 0x3333_3333]);
  assert.equal(dv.getUint32(8, true) >>> 16, 0, 'the inactive lane stored nothing (bytes 10-11 are untouched)');
  w.R.fill(0xdead, 2 * LANES, 3 * LANES);
  compileDs(ctx, ds('ds_load_b32', { addr: 0, vdst: 2 }))(w);
  assert.deepEqual([0, 1, 2, 3, 4].map((l) => v(2, l)), [0x1111_1111, 0x2222_2222, 0x3333_3333, 0, 0xdead]);
  // Two addresses, 2 dwords each from offset0/offset1 in 8-byte units: lane 0 reads [0,8) and [56,64).
  w.S[EXEC_LO] = 1;
  compileDs(ctx, ds('ds_load_2addr_b64', { addr: 0, vdst: 4, offset0: 0, offset1: 7 }))(w);
  assert.deepEqual([4, 5, 6, 7].map((n) => v(n, 0)), [0x1111_1111, dv.getUint32(4, true), dv.getUint32(56, true), 0x3333_3333]);
  // A b64 whose second dword lies past the end: the first is read, the second reads 0.
  w.R[0] = 60;
  compileDs(ctx, ds('ds_load_b64', { addr: 0, vdst: 8 }))(w);
  assert.deepEqual([v(8, 0), v(9, 0)], [0x3333_3333, 0]);
});

for (const target of CORPUS_TARGETS) {
  for (const k of CORPUS) {
    if (!k.targets.includes(target)) continue;
    test(`corpus ${k.id} on ${target} (${k.expect})`, () => {
      const ctx = corpusContext(target);
      if (k.expect === 'complete') {
        const r = runCorpusKernel(k, target);
        assert.equal(k.check(r.outputs, ctx), undefined);
        assert.ok(r.instructions > 0);
      } else if (k.expect === 'fault') {
        assert.throws(() => runCorpusKernel(k, target), (e: unknown) => e instanceof GpuFault && e.write && e.va >> 12n === k.faultAddress! >> 12n);
      } else if (k.expect === 'trap') {
        assert.throws(() => runCorpusKernel(k, target), (e: unknown) => e instanceof ShaderFault && e.kind === 'trap');
      } else {
        assert.throws(() => runCorpusKernel(k, target, 1_000_000), (e: unknown) => e instanceof ShaderFault && e.kind === 'halt');
      }
    });
  }
}
