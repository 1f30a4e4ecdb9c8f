// Reads each VALU encoding's fields into the operands of buildVop: implicit VCC, accumulators,
// literal-carrying forms, compares, DPP/SDWA/VOPD. Encodings: RDNA3 ISA guide ch. 15 "Microcode
// formats" / CDNA3 ISA ch. 12; VOPD opcode list: RDNA3 ISA guide §7.6 "Dual issue VALU".
import { isRdna, ShaderFault, type Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import type { DppControl } from './dpp.js';
import { buildVop, requireSpec, vectorRow, ACCUMULATES, type VopOperands } from './valu-compile.js';
import type { OpSpec } from './valu-ops.js';
import { laneHandler } from './valu-lanes.js';
import { EXEC_LO, LANES, TEMP_ROW, VCC_LO, type Wave } from './wave.js';

const bit = (v: number | undefined, i: number): boolean => (((v ?? 0) >>> i) & 1) === 1;

/** Scalar destination code held in a vdst-style field (decoders may store it as 256 + n). */
export const sgprOf = (code: number): number => (code >= 256 ? code - 256 : code);

function dppOf(ins: Instruction): DppControl | undefined {
  const f = ins.fields;
  if (ins.ext === 'dpp8') return { dpp8: f.dpp8 ?? 0, ctrl: 0, rowMask: 15, bankMask: 15, boundCtrl: false, fetchInactive: (f.fi ?? 0) === 1 };
  if (ins.ext !== 'dpp') return undefined;
  return { ctrl: f.dpp_ctrl ?? 0, rowMask: f.row_mask ?? 15, bankMask: f.bank_mask ?? 15, boundCtrl: (f.bound_ctrl ?? 0) === 1, fetchInactive: (f.fi ?? 0) === 1 };
}

const isCompare = (op: string): boolean => op.startsWith('v_cmp');

function fmaLiteral(op: string): 'ak' | 'mk' | undefined {
  if (/^v_(fma|mad)ak_/.test(op)) return 'ak';
  if (/^v_(fma|mad)mk_/.test(op)) return 'mk';
  return undefined;
}

/** Operands of the 32-bit encodings (VOP1, VOP2, VOPC), with their DPP/SDWA extensions. */
function shortForm(ctx: CompileContext, ins: Instruction): VopOperands {
  const f = ins.fields;
  const spec = requireSpec(ins);
  const sdwa = ins.ext === 'sdwa';
  let src0 = f.src0 ?? 0;
  let src1 = f.vsrc1 ?? 0;
  if (sdwa) {
    if (src0 < 256 && !bit(f.s0, 0)) src0 += 256;
    if (bit(f.s1, 0) && src1 >= 256) src1 -= 256;
  }
  const lit = fmaLiteral(ins.op);
  let srcs: number[];
  if (ins.encoding === 'VOP1') srcs = [src0];
  else if (lit === 'ak') srcs = [src0, src1, 255];
  else if (lit === 'mk') srcs = [src0, 255, src1];
  else srcs = [src0, src1];
  if (spec.src[2] === 'b') srcs[2] = VCC_LO;
  const vdst = f.vdst ?? 256;
  if (ACCUMULATES.has(ins.op)) srcs[2] = vdst;
  // RDNA3 VOP1/VOP2/VOPC: a 16-bit VGPR operand field >= 128 names the high half of v[n-128].
  const half16 = (t: string | undefined): boolean => isRdna(ctx.family) && !sdwa && (t === 'f16' || t === 'u16' || t === 'i16');
  const hi = [false, false];
  for (let k = 0; k < 2; k++) {
    if (half16(spec.src[k]) && srcs[k]! >= 256 + 128 && srcs[k]! < 512) {
      srcs[k] = srcs[k]! - 128;
      hi[k] = true;
    }
  }
  let vdstCode = f.vdst ?? 256;
  let dstHi = false;
  if (isRdna(ctx.family) && (spec.dst === 'f16' || spec.dst === 'u16') && vdstCode >= 256 + 128 && vdstCode < 512) {
    vdstCode -= 128;
    dstHi = true;
  }
  const mods = [
    { hiHalf: hi[0]!, abs: bit(f.src0_abs, 0), neg: bit(f.src0_neg, 0), ...(sdwa ? { sdwaSel: f.src0_sel ?? 6, sdwaSext: bit(f.src0_sext, 0) } : {}) },
    { hiHalf: hi[1]!, abs: bit(f.src1_abs, 0), neg: bit(f.src1_neg, 0), ...(sdwa ? { sdwaSel: f.src1_sel ?? 6, sdwaSext: bit(f.src1_sext, 0) } : {}) },
  ];
  const compare = isCompare(ins.op);
  const cmpx = ins.op.startsWith('v_cmpx');
  let maskDst: number | undefined;
  if (compare) {
    if (!(cmpx && isRdna(ctx.family))) maskDst = sdwa && bit(f.sd, 0) ? f.sdst ?? VCC_LO : VCC_LO;
  } else if (spec.carry) maskDst = VCC_LO;
  const dpp = dppOf(ins);
  return {
    srcs, vdst: vdstCode, mods, dstHi,
    omod: sdwa && !compare ? f.omod ?? 0 : 0,
    clamp: sdwa && !compare ? bit(f.clamp, 0) : false,
    ...(maskDst !== undefined ? { maskDst } : {}),
    ...(cmpx ? { writesExec: isRdna(ctx.family) ? ('only' as const) : ('also' as const) } : {}),
    ...(dpp ? { dpp } : {}),
    ...(sdwa && !compare ? { sdwaDst: { sel: f.dst_sel ?? 6, unused: f.dst_unused ?? 0 } } : {}),
  };
}

/** Operands of VOP3 / VOP3SD (and their DPP forms). */
function longForm(ctx: CompileContext, ins: Instruction): VopOperands {
  const f = ins.fields;
  const spec = requireSpec(ins);
  const srcs = [f.src0 ?? 0, f.src1 ?? 0, f.src2 ?? 0];
  const vdst = f.vdst ?? 256;
  if (ACCUMULATES.has(ins.op)) srcs[2] = vdst;
  const opSel = f.op_sel ?? 0;
  const mods = [0, 1, 2].map((k) => ({ hiHalf: bit(opSel, k), abs: bit(f.abs, k), neg: bit(f.neg, k) }));
  const compare = isCompare(ins.op);
  const cmpx = ins.op.startsWith('v_cmpx');
  let maskDst: number | undefined;
  if (compare) {
    if (!(cmpx && isRdna(ctx.family))) maskDst = sgprOf(vdst);
  } else if (spec.carry) maskDst = f.sdst ?? VCC_LO;
  const dpp = dppOf(ins);
  return {
    srcs, vdst, mods, dstHi: bit(opSel, 3), omod: f.omod ?? 0, clamp: bit(f.clamp, 0),
    ...(maskDst !== undefined ? { maskDst } : {}),
    ...(cmpx ? { writesExec: isRdna(ctx.family) ? ('only' as const) : ('also' as const) } : {}),
    ...(dpp ? { dpp } : {}),
  };
}

/** The operands of a VOP1/VOP2/VOPC/VOP3/VOP3SD instruction as buildVop takes them. */
export function vopOperands(ctx: CompileContext, ins: Instruction): VopOperands {
  return ins.encoding === 'VOP3' || ins.encoding === 'VOP3SD' ? longForm(ctx, ins) : shortForm(ctx, ins);
}

export function compileVop(ctx: CompileContext, ins: Instruction): Handler {
  const custom = laneHandler(ctx, ins);
  if (custom) return custom;
  const spec = requireSpec(ins);
  const o = vopOperands(ctx, ins);
  if (spec.dst === 'mask' && o.maskDst === undefined && !o.writesExec) throw new ShaderFault(ins.pc, 'illegal', `${ins.op} without destination`);
  return buildVop(ctx, ins, spec, o);
}

/** One half of a VOPD: the single operation it runs ("v_dual_fmac_f32" runs as v_fmac_f32) and its operands. */
export interface VopdHalf {
  readonly name: string;
  readonly spec: OpSpec;
  readonly o: VopOperands;
}

function vopdHalf(ins: Instruction, dualName: string, src0: number, vsrc1: number, vdst: number): VopdHalf {
  const name = dualName.replace(/^v_dual_/, 'v_');
  const spec = requireSpec(ins, name);
  const lit = fmaLiteral(name);
  const srcs = lit === 'ak' ? [src0, vsrc1, 255] : lit === 'mk' ? [src0, 255, vsrc1] : [src0, vsrc1];
  if (spec.src[2] === 'b') srcs[2] = VCC_LO;
  if (ACCUMULATES.has(name)) srcs[2] = vdst;
  const none = { hiHalf: false, abs: false, neg: false };
  return { name, spec, o: { srcs, vdst, mods: [none, none, none], dstHi: false, omod: 0, clamp: false } };
}

/** The X and Y halves of a VOPD instruction. */
export function vopdHalves(ins: Instruction): [VopdHalf, VopdHalf] {
  const f = ins.fields;
  const vdstx = f.vdstx ?? 256;
  const rawY = f.vdsty ?? 0;
  const vdsty = rawY >= 256 ? rawY : 256 + ((rawY << 1) | (((vdstx - 256) & 1) ^ 1));
  return [vopdHalf(ins, ins.op, f.srcx0 ?? 0, f.vsrcx1 ?? 256, vdstx), vopdHalf(ins, ins.opy ?? '', f.srcy0 ?? 0, f.vsrcy1 ?? 256, vdsty)];
}

/** VOPD: both halves read their sources before either writes (X goes through a staging row). */
export function compileVopd(ctx: CompileContext, ins: Instruction): Handler {
  const [hx, hy] = vopdHalves(ins);
  const build = (h: VopdHalf, dst: number): Handler => buildVop(ctx, { ...ins, op: h.name }, h.spec, { ...h.o, vdst: dst });
  const x = build(hx, 256 + TEMP_ROW + 6);
  const y = build(hy, hy.o.vdst);
  const from = (TEMP_ROW + 6) * LANES;
  const to = vectorRow(hx.o.vdst);
  return (w: Wave) => {
    x(w);
    y(w);
    const R = w.R;
    const lo = w.S[EXEC_LO]!, hi = w.waveSize === 64 ? w.S[EXEC_LO + 1]! : 0;
    for (let l = 0; l < w.waveSize; l++) if (((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) !== 0) R[to + l] = R[from + l]!;
  };
}
