// VOP3P packed math: each 16-bit (or, v_pk_*_f32, 32-bit) half computed by the scalar operation's
// lane kernel with op_sel/op_sel_hi choosing source halves and neg/neg_hi flipping their signs
// (RDNA3 ISA guide §16.x "VOP3P", CDNA3 ISA "VOP3P"). Also the mixed-precision v_fma_mix*.
import { ShaderFault, type Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import { f64ToF16, halfToFloat, bitsFromF32, f32FromBits, fmaF32 } from './float.js';
import { scalarReader } from './scalar-operands.js';
import { laneKernel } from './valu-kernel.js';
import { vectorRow } from './valu-compile.js';
import { parseSpec, valuSpec, type OpSpec } from './valu-ops.js';
import { EXEC_HI, EXEC_LO, LANES, TEMP_ROW, type Wave } from './wave.js';

/** Per-half operation of v_pk_<name>. */
const PACKED: Record<string, string> = {
  v_pk_add_f16: 'f16 = f16 f16 : a + b', v_pk_mul_f16: 'f16 = f16 f16 : a * b', v_pk_fma_f16: 'f16 = f16 f16 f16 : a * b + c',
  v_pk_max_f16: 'f16 = f16 f16 : maxNum(a, b)', v_pk_min_f16: 'f16 = f16 f16 : minNum(a, b)',
  v_pk_add_u16: 'u16 = u16 u16 : a + b', v_pk_sub_u16: 'u16 = u16 u16 : a - b', v_pk_add_i16: 'u16 = i16 i16 : a + b',
  v_pk_sub_i16: 'u16 = i16 i16 : a - b', v_pk_mul_lo_u16: 'u16 = u16 u16 : Math.imul(a, b)', v_pk_mad_u16: 'u16 = u16 u16 u16 : Math.imul(a, b) + c',
  v_pk_mad_i16: 'u16 = i16 i16 i16 : Math.imul(a, b) + c', v_pk_lshlrev_b16: 'u16 = u16 u16 : b << (a & 15)',
  v_pk_lshrrev_b16: 'u16 = u16 u16 : b >>> (a & 15)', v_pk_ashrrev_i16: 'u16 = u16 i16 : b >> (a & 15)',
  v_pk_max_u16: 'u16 = u16 u16 : Math.max(a, b)', v_pk_max_i16: 'u16 = i16 i16 : Math.max(a, b)',
  v_pk_min_u16: 'u16 = u16 u16 : Math.min(a, b)', v_pk_min_i16: 'u16 = i16 i16 : Math.min(a, b)',
  v_pk_fma_f32: 'f32 = f32 f32 f32 : fmaF32(a, b, c)', v_pk_mul_f32: 'f32 = f32 f32 : a * b', v_pk_add_f32: 'f32 = f32 f32 : a + b',
  v_pk_mov_b32: 'u32 = u32 u32 : a',
};

const specs = new Map<string, OpSpec>();
function packedSpec(op: string): OpSpec | undefined {
  let s = specs.get(op);
  if (!s && PACKED[op]) specs.set(op, (s = parseSpec(op + '_half', PACKED[op]!)));
  return s;
}

const bit = (v: number | undefined, i: number): boolean => (((v ?? 0) >>> i) & 1) === 1;

export function compileVop3p(ctx: CompileContext, ins: Instruction): Handler {
  const f = ins.fields;
  if (/^v_fma_mix(lo|hi)?_f16$|^v_fma_mix_f32$/.test(ins.op)) return fmaMix(ctx, ins);
  const spec = packedSpec(ins.op);
  if (!spec) {
    // Non-packed VOP3P members (dot products) run as ordinary VALU ops without modifiers.
    const plain = valuSpec(ins.op);
    if (plain && !f.neg && !f.neg_hi) return runWhole(ctx, ins, plain);
    throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} at 0x${ins.pc.toString(16)}`);
  }
  if (f.clamp) throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} with clamp at 0x${ins.pc.toString(16)}`);
  const wide = spec.dst === 'f32' || spec.dst === 'u32';
  const n = spec.src.length;
  const srcCodes = [f.src0 ?? 0, f.src1 ?? 0, f.src2 ?? 0].slice(0, n);
  const kindOf = spec.dst === 'f16' ? 'f16' : 'b32';
  const readers = srcCodes.map((c) => (c >= 256 ? undefined : [scalarReader(ctx.family, c, wide ? 'b64' : kindOf, ins.literal), scalarReader(ctx.family, c, wide ? 'b64' : kindOf, ins.literal, true)] as const));
  const rows = srcCodes.map((c) => (c >= 256 ? vectorRow(c) : -1));
  const kLo = laneKernel(spec, 'zero');
  const kHi = laneKernel(spec, 'hi');
  const out = (TEMP_ROW + 6) * LANES;
  const vdst = vectorRow(f.vdst ?? 256);
  const signBit = spec.dst === 'f16' ? 0x8000 : spec.dst === 'f32' ? 0x80000000 : 0;
  const temps = [0, 1, 2].map((k) => (TEMP_ROW + 2 * k) * LANES);
  // Source k for result half h: op_sel (h = 0) / op_sel_hi (h = 1) pick the half/dword, neg / neg_hi flip sign.
  const stage = (w: Wave, h: number): void => {
    const R = w.R;
    for (let k = 0; k < n; k++) {
      const sel = bit(h === 0 ? f.op_sel : f.op_sel_hi, k);
      const neg = bit(h === 0 ? f.neg : f.neg_hi, k) ? signBit : 0;
      const t = temps[k]!;
      const rd = readers[k];
      if (rd) {
        const lo = rd[0](w), hi = wide ? rd[1](w) : lo;
        const v = (wide ? (sel ? hi : lo) : sel ? lo >>> 16 : lo & 0xffff) ^ neg;
        for (let l = 0; l < w.waveSize; l++) R[t + l] = v;
      } else {
        const r = rows[k]!;
        for (let l = 0; l < w.waveSize; l++) {
          const v = wide ? R[r + (sel ? LANES : 0) + l]! : sel ? R[r + l]! >>> 16 : R[r + l]! & 0xffff;
          R[t + l] = v ^ neg;
        }
      }
    }
  };
  const wave64 = ctx.waveSize === 64;
  return (w) => {
    w.actLo = w.S[EXEC_LO]!;
    w.actHi = wave64 ? w.S[EXEC_HI]! : 0;
    const R = w.R;
    stage(w, 0);
    if (wide) kLo(w, out, temps[0]!, 1, temps[1]!, 1, temps[2]!, 1);
    else kLo(w, out, temps[0]!, 1, temps[1]!, 1, temps[2]!, 1);
    stage(w, 1);
    if (wide) kLo(w, out + LANES, temps[0]!, 1, temps[1]!, 1, temps[2]!, 1);
    else kHi(w, out, temps[0]!, 1, temps[1]!, 1, temps[2]!, 1);
    for (let l = 0; l < w.waveSize; l++) {
      if (((l < 32 ? w.actLo >>> l : w.actHi >>> (l - 32)) & 1) === 0) continue;
      R[vdst + l] = R[out + l]!;
      if (wide) R[vdst + LANES + l] = R[out + LANES + l]!;
    }
  };
}

function runWhole(ctx: CompileContext, ins: Instruction, spec: OpSpec): Handler {
  const f = ins.fields;
  const codes = [f.src0 ?? 0, f.src1 ?? 0, f.src2 ?? 0];
  const k = laneKernel(spec, 'keep');
  const slots = codes.map((c, i) => (c >= 256 ? { off: vectorRow(c), stride: 1, read: undefined } : { off: (TEMP_ROW + 2 * i) * LANES, stride: 0, read: scalarReader(ctx.family, c, 'b32', ins.literal) }));
  const vdst = vectorRow(f.vdst ?? 256);
  const wave64 = ctx.waveSize === 64;
  return (w) => {
    for (const s of slots) if (s.read) w.R[s.off] = s.read(w);
    w.actLo = w.S[EXEC_LO]!;
    w.actHi = wave64 ? w.S[EXEC_HI]! : 0;
    k(w, vdst, slots[0]!.off, slots[0]!.stride, slots[1]!.off, slots[1]!.stride, slots[2]!.off, slots[2]!.stride);
  };
}

/** v_fma_mix*: op_sel_hi[k] says source k is f16 (op_sel[k] picks its half), else f32. */
function fmaMix(ctx: CompileContext, ins: Instruction): Handler {
  const f = ins.fields;
  const codes = [f.src0 ?? 0, f.src1 ?? 0, f.src2 ?? 0];
  const readers = codes.map((c, k) => (c >= 256 ? undefined : scalarReader(ctx.family, c, bit(f.op_sel_hi, k) ? 'f16' : 'f32', ins.literal)));
  const rows = codes.map((c) => (c >= 256 ? vectorRow(c) : -1));
  const vdst = vectorRow(f.vdst ?? 256);
  const mode = ins.op === 'v_fma_mixlo_f16' ? 'lo' : ins.op === 'v_fma_mixhi_f16' ? 'hi' : 'f32';
  const val = (w: Wave, k: number, l: number): number => {
    const raw = readers[k] ? readers[k]!(w) : w.R[rows[k]! + l]!;
    let v = bit(f.op_sel_hi, k) ? halfToFloat[(bit(f.op_sel, k) ? raw >>> 16 : raw) & 0xffff]! : f32FromBits(raw);
    if (bit(f.neg_hi, k)) v = Math.abs(v);
    if (bit(f.neg, k)) v = -v;
    return v;
  };
  const wave64 = ctx.waveSize === 64;
  return (w) => {
    const lo = w.S[EXEC_LO]!, hi = wave64 ? w.S[EXEC_HI]! : 0;
    for (let l = 0; l < w.waveSize; l++) {
      if (((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) === 0) continue;
      let r = fmaF32(val(w, 0, l), val(w, 1, l), val(w, 2, l));
      if (f.clamp) r = r !== r ? 0 : Math.min(1, Math.max(0, r));
      if (mode === 'f32') w.R[vdst + l] = bitsFromF32(r);
      else if (mode === 'lo') w.R[vdst + l] = (w.R[vdst + l]! & 0xffff0000) | f64ToF16(r);
      else w.R[vdst + l] = (w.R[vdst + l]! & 0xffff) | (f64ToF16(r) << 16);
    }
  };
}
