// Compiles a VOP1/VOP2/VOPC/VOP3/VOP3SD/VOPD instruction into a handler: operands resolved to rows
// and strides once, modifiers (abs/neg/op_sel, DPP, SDWA, clamp/omod) as pre/post passes around the
// operation's lane kernel.
import { InstructionFault, isRdna, ShaderFault, type Instruction } from '../types.js';
import { applyDpp, type DppControl } from './dpp.js';
import { halfToFloat, f32FromBits, bitsFromF32, f64ToF16, f64FromBits, bitsFromF64 } from './float.js';
import { scalarReader, scalarWriter, type OperandKind, type ScalarRead } from './scalar-operands.js';
import { laneKernel, type HalfPlacement, type LaneKernel } from './valu-kernel.js';
import { ACCUMULATES, valuSpec, type LaneType, type OpSpec } from './valu-ops.js';
import './vcmp-ops.js';
import { EXEC_HI, EXEC_LO, LANES, SCALAR_ROW, TEMP_ROW, VCC_LO, type Wave } from './wave.js';
import type { CompileContext, Handler } from './context.js';

/** Row offset of a vector register operand code (VGPR 256+n or AGPR 512+n). */
export function vectorRow(code: number): number {
  if (code < 256) throw new InstructionFault('illegal', `operand ${code} is not a vector register`);
  return (code - 256) * LANES;
}

function kindOf(t: LaneType): OperandKind {
  switch (t) {
    case 'f32': return 'f32';
    case 'f16': return 'f16';
    case 'bf16': return 'bf16';
    case 'f64': return 'f64';
    case 'u64': return 'b64';
    case 'u16':
    case 'i16': return 'b16';
    default: return 'b32';
  }
}

const is64 = (t: LaneType): boolean => t === 'f64' || t === 'u64';

/** A source as the kernel sees it, plus what must happen before the kernel reads it. */
interface PlannedSource {
  off: number;
  stride: number;
  preload?: (w: Wave) => void;
}

function planSource(ctx: CompileContext, code: number, t: LaneType, literal: number | undefined, slot: number): PlannedSource {
  if (code >= 256) return { off: vectorRow(code), stride: 1 };
  const row = (SCALAR_ROW + 2 * slot) * LANES;
  const lo = scalarReader(ctx.family, code, kindOf(t), literal);
  if (!is64(t)) return { off: row, stride: 0, preload: (w) => { w.R[row] = lo(w); } };
  const hi = scalarReader(ctx.family, code, kindOf(t), literal, true);
  return { off: row, stride: 0, preload: (w) => { w.R[row] = lo(w); w.R[row + LANES] = hi(w); } };
}

/** Reader pair for a lane-mask operand (carry-in, condition): SGPR pair or constant. */
function maskReader(ctx: CompileContext, code: number, literal: number | undefined): [ScalarRead, ScalarRead] {
  const lo = scalarReader(ctx.family, code, 'b32', literal);
  const hi = ctx.waveSize === 64 ? scalarReader(ctx.family, code, 'b64', literal, true) : () => 0;
  return [lo, hi];
}

function maskWriter(ctx: CompileContext, code: number): (w: Wave, lo: number, hi: number) => void {
  const wl = scalarWriter(ctx.family, code);
  if (ctx.waveSize === 32) return (w, lo) => wl(w, lo);
  const wh = scalarWriter(ctx.family, code + 1);
  return (w, lo, hi) => {
    wl(w, lo);
    wh(w, hi);
  };
}

/** Per-source input modifiers: select high half, abs, neg (bit operations on the sign). */
interface SourceMods {
  hiHalf: boolean;
  abs: boolean;
  neg: boolean;
  sdwaSel?: number;
  sdwaSext?: boolean;
}

function signBits(t: LaneType): [number, boolean] {
  if (t === 'f16' || t === 'bf16') return [0x8000, false];
  if (t === 'f64') return [0x80000000, true];
  return [0x80000000, false];
}

function modifierPass(t: LaneType, m: SourceMods, tempRow: number): ((w: Wave, src: PlannedSource) => void) | undefined {
  if (!m.hiHalf && !m.abs && !m.neg && m.sdwaSel === undefined) return undefined;
  const [sign, onHigh] = signBits(t);
  const absMask = m.abs ? ~sign : -1;
  const negMask = m.neg ? sign : 0;
  const sel = m.sdwaSel ?? 6;
  const sext = m.sdwaSext ?? false;
  return (w, s) => {
    const R = w.R;
    const n = w.waveSize;
    for (let l = 0; l < n; l++) {
      let lo = R[s.off + l * s.stride]!;
      let hi = R[s.off + LANES + l * s.stride]!;
      if (m.hiHalf) lo = lo >>> 16;
      if (sel !== 6) {
        const shift = sel < 4 ? sel * 8 : (sel - 4) * 16;
        const width = sel < 4 ? 8 : 16;
        lo = sext ? ((lo << (32 - shift - width)) >> (32 - width)) : (lo >>> shift) & ((1 << width) - 1);
      }
      if (onHigh) hi = (hi & absMask) ^ negMask;
      else lo = (lo & absMask) ^ negMask;
      R[tempRow + l] = lo;
      R[tempRow + LANES + l] = hi;
    }
  };
}

function resultKind(spec: OpSpec): 'f32' | 'f16' | 'f64' | 'int' {
  return spec.dst === 'f32' ? 'f32' : spec.dst === 'f16' ? 'f16' : spec.dst === 'f64' ? 'f64' : 'int';
}

/** Output modifiers: omod (x2, x4, /2) then clamp to [0, 1], on the written lanes. */
function outputPass(spec: OpSpec, omod: number, clamp: boolean, half: HalfPlacement, op: string, pc: number): ((w: Wave, D: number) => void) | undefined {
  if (!omod && !clamp) return undefined;
  const kind = resultKind(spec);
  if (kind === 'int') {
    if (!clamp || omod) throw new ShaderFault(pc, 'unimplemented', `unimplemented: ${op} with integer clamp/omod at 0x${pc.toString(16)}`);
    throw new ShaderFault(pc, 'unimplemented', `unimplemented: ${op} with integer saturation (clamp) at 0x${pc.toString(16)}`);
  }
  const scale = omod === 1 ? 2 : omod === 2 ? 4 : omod === 3 ? 0.5 : 1;
  const fix = (x: number): number => {
    x *= scale;
    if (clamp) x = x !== x ? 0 : Math.min(1, Math.max(0, x));
    return x;
  };
  return (w, D) => {
    const R = w.R;
    for (let l = 0; l < w.waveSize; l++) {
      if (((l < 32 ? w.actLo >>> l : w.actHi >>> (l - 32)) & 1) === 0) continue;
      if (kind === 'f32') R[D + l] = bitsFromF32(fix(f32FromBits(R[D + l]!)));
      else if (kind === 'f16') {
        const v = half === 'hi' ? R[D + l]! >>> 16 : R[D + l]! & 0xffff;
        const h = f64ToF16(fix(halfToFloat[v]!));
        R[D + l] = half === 'hi' ? (R[D + l]! & 0xffff) | (h << 16) : (R[D + l]! & 0xffff0000) | h;
      } else {
        const out = [0, 0];
        bitsFromF64(fix(f64FromBits(R[D + l]!, R[D + LANES + l]!)), out);
        R[D + l] = out[0]!;
        R[D + LANES + l] = out[1]!;
      }
    }
  };
}

/** 16-bit results: CDNA zeroes the high half except for the mad/fma family (LLVM zeroesHigh16BitsOfDest). */
function halfPlacement(ctx: CompileContext, op: string, dstHi: boolean): HalfPlacement {
  if (dstHi) return 'hi';
  if (isRdna(ctx.family)) return 'keep';
  return /^v_(mad|fma|div_fixup)_(f16|u16|i16)$/.test(op) ? 'keep' : 'zero';
}

export interface VopOperands {
  /** Source codes in kernel order (a, b, c). */
  readonly srcs: readonly number[];
  readonly vdst: number;
  /** Where a mask result goes (compare / carry-out); undefined when unused. */
  readonly maskDst?: number;
  /** Compare that also (or only) writes EXEC. */
  readonly writesExec?: 'only' | 'also';
  readonly mods: readonly SourceMods[];
  readonly dstHi: boolean;
  readonly omod: number;
  readonly clamp: boolean;
  readonly dpp?: DppControl;
  readonly sdwaDst?: { sel: number; unused: number };
}

/** Builds the handler for one VALU operation with resolved operands. */
export function buildVop(ctx: CompileContext, ins: Instruction, spec: OpSpec, o: VopOperands): Handler {
  const half = spec.dst === 'f16' || spec.dst === 'u16' ? halfPlacement(ctx, spec.name, o.dstHi) : 'keep';
  const kernel: LaneKernel = laneKernel(spec, o.sdwaDst && o.sdwaDst.sel !== 6 ? 'zero' : half);
  const planned: PlannedSource[] = [];
  const passes: (((w: Wave) => void) | undefined)[] = [];
  let cin: [ScalarRead, ScalarRead] | undefined;
  spec.src.forEach((t, k) => {
    const code = o.srcs[k];
    if (code === undefined) throw new ShaderFault(ins.pc, 'illegal', `${ins.op}: missing source ${k} at 0x${ins.pc.toString(16)}`);
    if (t === 'b') {
      cin = maskReader(ctx, code, ins.literal);
      planned.push({ off: 0, stride: 0 });
      passes.push(undefined);
      return;
    }
    const p = planSource(ctx, code, t, ins.literal, k);
    const temp = (TEMP_ROW + 2 * k) * LANES;
    let pass = modifierPass(t, o.mods[k] ?? { hiHalf: false, abs: false, neg: false }, temp);
    if (k === 0 && o.dpp) {
      const dpp = o.dpp;
      const src = { ...p };
      const mod = pass;
      const viaTemp: PlannedSource = { off: temp, stride: 1 };
      pass = (w) => {
        applyDpp(w, dpp, src.off, temp);
        if (mod) mod(w, viaTemp);
      };
      passes.push((w) => pass!(w, src));
      planned.push({ off: temp, stride: 1, ...(p.preload ? { preload: p.preload } : {}) });
      return;
    }
    if (pass) {
      const src = { ...p };
      const run = pass;
      passes.push((w) => run(w, src));
      planned.push({ off: temp, stride: 1, ...(p.preload ? { preload: p.preload } : {}) });
    } else {
      passes.push(undefined);
      planned.push(p);
    }
  });
  if (spec.body.includes('vccBit')) cin = maskReader(ctx, VCC_LO, undefined);
  const preloads = planned.map((p) => p.preload).filter((p): p is (w: Wave) => void => p !== undefined);
  const prePasses = passes.filter((p): p is (w: Wave) => void => p !== undefined);
  const [sa, sb, sc] = [0, 1, 2].map((k) => planned[k] ?? { off: 0, stride: 0 }) as [PlannedSource, PlannedSource, PlannedSource];
  const sdwa = o.sdwaDst && o.sdwaDst.sel !== 6 ? o.sdwaDst : undefined;
  const realD = spec.dst === 'mask' ? 0 : vectorRow(o.vdst);
  const D = sdwa ? (TEMP_ROW + 6) * LANES : realD;
  const post = outputPass(spec, o.omod, o.clamp, half, ins.op, ins.pc);
  const maskOut = o.maskDst !== undefined ? maskWriter(ctx, o.maskDst) : undefined;
  const execOut = o.writesExec ? maskWriter(ctx, EXEC_LO) : undefined;
  const wave64 = ctx.waveSize === 64;
  const dpp = o.dpp !== undefined;
  const sdwaMerge = sdwa ? sdwaMerger(sdwa.sel, sdwa.unused) : undefined;
  return (w) => {
    for (let i = 0; i < preloads.length; i++) preloads[i]!(w);
    if (!dpp) {
      w.actLo = w.S[EXEC_LO]!;
      w.actHi = wave64 ? w.S[EXEC_HI]! : 0;
    }
    for (let i = 0; i < prePasses.length; i++) prePasses[i]!(w);
    if (cin) {
      w.cinLo = cin[0](w);
      w.cinHi = cin[1](w);
    }
    kernel(w, D, sa.off, sa.stride, sb.off, sb.stride, sc.off, sc.stride);
    if (post) post(w, D);
    if (sdwaMerge) sdwaMerge(w, D, realD);
    if (maskOut) maskOut(w, w.outLo, w.outHi);
    if (execOut) execOut(w, w.outLo, w.outHi);
  };
}

/** SDWA destination select: place the result's byte/word, pad, sign-extend or preserve the rest. */
function sdwaMerger(sel: number, unused: number): (w: Wave, from: number, to: number) => void {
  const shift = sel < 4 ? sel * 8 : (sel - 4) * 16;
  const width = sel < 4 ? 8 : 16;
  const field = (2 ** width - 1) * 2 ** shift;
  return (w, from, to) => {
    const R = w.R;
    for (let l = 0; l < w.waveSize; l++) {
      if (((l < 32 ? w.actLo >>> l : w.actHi >>> (l - 32)) & 1) === 0) continue;
      const v = (R[from + l]! & (2 ** width - 1)) << shift;
      if (unused === 2) R[to + l] = (R[to + l]! & ~field) | v;
      else if (unused === 1) R[to + l] = (v << (32 - shift - width)) >> (32 - shift - width);
      else R[to + l] = v;
    }
  };
}

export function requireSpec(ins: Instruction, name = ins.op): OpSpec {
  const spec = valuSpec(name);
  if (!spec) throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${name} at 0x${ins.pc.toString(16)}`);
  return spec;
}

export { ACCUMULATES };
