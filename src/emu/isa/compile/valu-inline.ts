// VALU instructions as source text for a block's fused lane loop: the same operation table
// (valu-ops.ts) and the same load/store statements the per-instruction lane kernels are built from
// (valu-kernel.ts), with row offsets as constants and scalar sources read once before the loop.
// Only the plain forms are inlined (no DPP/SDWA, no abs/neg/op_sel, no omod/clamp, 32/64-bit types);
// everything else runs through its per-instruction handler.
import type { Instruction } from '../types.js';
import type { CompileContext } from '../exec/context.js';
import { constantOperand, scalarReader, scalarWriter, type OperandKind } from '../exec/scalar-operands.js';
import { laneHandler } from '../exec/valu-lanes.js';
import { vectorRow } from '../exec/valu-compile.js';
import { vopOperands } from '../exec/valu-forms.js';
import { load, store } from '../exec/valu-kernel.js';
import { valuSpec, type LaneType } from '../exec/valu-ops.js';
import { EXEC_HI, VCC_LO, nullCode } from '../exec/wave.js';

/** One inlined instruction: statements before the lane loop, the per-lane statement, and after. */
export interface InlineLaneOp {
  readonly before: string;
  readonly lane: string;
  readonly after: string;
  /** Writes a lane mask (compare result or carry-out) after the loop: ends its fused group. */
  readonly writesMask: boolean;
}

/** Closures the generated source calls (readers of unusual scalar operands, mask writers), by name. */
export type Bindings = Map<string, unknown>;

const INLINE_SOURCE: ReadonlySet<LaneType> = new Set(['u32', 'i32', 'f32', 'u64', 'f64', 'b']);
const INLINE_RESULT = new Set(['u32', 'f32', 'u64', 'f64', 'mask']);
const ENCODINGS = new Set(['VOP1', 'VOP2', 'VOPC', 'VOP3', 'VOP3SD']);

const kindOf = (t: LaneType): OperandKind => (t === 'f32' ? 'f32' : t === 'f64' ? 'f64' : t === 'u64' ? 'b64' : 'b32');

/**
 * Source text of the scalar operand `code` (low or high dword) as the instruction reads it at the
 * start of its group: a literal number for constants, S[n] for SGPRs, a bound reader otherwise.
 */
function scalarExpr(ctx: CompileContext, code: number, kind: OperandKind, literal: number | undefined, high: boolean, name: string, bind: Bindings): string {
  const c = constantOperand(code, kind, literal);
  if (c) return String(high ? c[1] : c[0]);
  const reg = high ? code + 1 : code;
  if (reg < 128 && reg !== nullCode(ctx.family)) {
    if (reg === EXEC_HI && ctx.waveSize === 32) return '0';
    return `S[${reg}]`;
  }
  bind.set(name, scalarReader(ctx.family, code, kind, literal, high));
  return `${name}(w)`;
}

/** SDWA select code of the whole dword: no extraction. */
const SDWA_DWORD = 6;

/** Source text of an SDWA source select (byte 0-3 / word 0-1, zero- or sign-extended) of `x`, as valu-compile's modifier pass computes it. */
function sdwaSelect(x: string, sel: number, sext: boolean): string {
  const shift = sel < 4 ? sel * 8 : (sel - 4) * 16;
  const width = sel < 4 ? 8 : 16;
  return sext ? `((${x}) << ${32 - shift - width}) >> ${32 - width}` : `((${x}) >>> ${shift}) & ${(1 << width) - 1}`;
}

/** The inlined form of VALU instruction `ins` (number k in its block), or undefined when it has none. */
export function inlineVop(ctx: CompileContext, ins: Instruction, k: number, bind: Bindings): InlineLaneOp | undefined {
  if (!ENCODINGS.has(ins.encoding) || (ins.ext !== undefined && ins.ext !== 'sdwa') || laneHandler(ctx, ins)) return undefined;
  const spec = valuSpec(ins.op);
  if (!spec || !INLINE_RESULT.has(spec.dst) || !spec.src.every((t) => INLINE_SOURCE.has(t))) return undefined;
  const o = vopOperands(ctx, ins);
  if (o.dpp || (o.sdwaDst && o.sdwaDst.sel !== SDWA_DWORD) || o.writesExec || o.dstHi || o.omod !== 0 || o.clamp) return undefined;
  if (o.mods.some((m) => m.hiHalf || m.abs || m.neg)) return undefined;
  // SDWA source selects are inlined for integer sources; float sources keep the handler.
  const selects = o.mods.map((m) => (m.sdwaSel === undefined || m.sdwaSel === SDWA_DWORD ? undefined : { sel: m.sdwaSel, sext: m.sdwaSext ?? false }));
  if (selects.some((x, s) => x && spec.src[s] !== 'u32' && spec.src[s] !== 'i32')) return undefined;
  const writesMask = o.maskDst !== undefined;
  if (spec.dst === 'mask' && !writesMask) return undefined;
  const before: string[] = [];
  const consts: string[] = [];
  const loads: string[] = [];
  let cin: string | undefined;
  const maskRead = (code: number): string => {
    const lo = scalarExpr(ctx, code, 'b32', ins.literal, false, `c${k}lo`, bind);
    const hi = ctx.waveSize === 64 ? scalarExpr(ctx, code, 'b64', ins.literal, true, `c${k}hi`, bind) : '0';
    before.push(`const ci${k}Lo = ${lo} >>> 0, ci${k}Hi = ${hi} >>> 0;`);
    return `const ciLo = ci${k}Lo, ciHi = ci${k}Hi;`;
  };
  const names = ['a', 'b', 'c'];
  for (let s = 0; s < spec.src.length; s++) {
    const t = spec.src[s]!;
    const code = o.srcs[s];
    if (code === undefined) return undefined;
    if (t === 'b') {
      cin = maskRead(code);
      loads.push(load(t, s));
      continue;
    }
    const select = selects[s];
    if (code >= 256) {
      if (select) {
        const raw = sdwaSelect(`R[${vectorRow(code)} + l]`, select.sel, select.sext);
        loads.push(`const ${names[s]} = ${t === 'i32' ? `(${raw}) | 0` : `(${raw}) >>> 0`};`);
        continue;
      }
      consts.push(`const s${names[s]} = ${vectorRow(code)}, t${names[s]} = 1;`);
      loads.push(load(t, s));
      continue;
    }
    const v = `v${k}_${s}`;
    const read = scalarExpr(ctx, code, kindOf(t), ins.literal, false, `${v}r`, bind);
    const lo = select ? `(${sdwaSelect(read, select.sel, select.sext)})` : read;
    const wide = t === 'u64' || t === 'f64';
    const hi = wide ? scalarExpr(ctx, code, kindOf(t), ins.literal, true, `${v}rh`, bind) : '';
    const n = names[s]!;
    switch (t) {
      case 'u32': before.push(`const ${v} = ${lo} >>> 0;`); loads.push(`const ${n} = ${v};`); break;
      case 'i32': before.push(`const ${v} = ${lo} | 0;`); loads.push(`const ${n} = ${v};`); break;
      case 'f32': before.push(`const ${v} = f32FromBits(${lo});`); loads.push(`const ${n} = ${v};`); break;
      case 'u64': before.push(`const ${v}lo = ${lo} >>> 0, ${v}hi = ${hi} >>> 0;`); loads.push(`const ${n}_lo = ${v}lo, ${n}_hi = ${v}hi;`); break;
      case 'f64': before.push(`const ${v} = f64FromBits(${lo}, ${hi});`); loads.push(`const ${n} = ${v};`); break;
    }
  }
  if (spec.body.includes('vccBit')) cin = maskRead(VCC_LO);
  const vcc = spec.body.includes('vccBit') ? 'const vccBit = (l < 32 ? ciLo >>> l : ciHi >>> (l - 32)) & 1;' : '';
  const D = spec.dst === 'mask' ? 0 : vectorRow(o.vdst);
  const lane = `{ const D = ${D}; ${consts.join(' ')} ${cin ?? ''} ${vcc} ${loads.join(' ')} ${store(spec, 'keep')} }`;
  let after = '';
  if (writesMask) {
    const lo = `mw${k}`;
    bind.set(lo, scalarWriter(ctx.family, o.maskDst!));
    after = `${lo}(w, mLo >>> 0);`;
    if (ctx.waveSize === 64) {
      bind.set(`${lo}h`, scalarWriter(ctx.family, o.maskDst! + 1));
      after += ` ${lo}h(w, mHi >>> 0);`;
    }
  }
  return { before: before.join('\n'), lane, after, writesMask };
}

/** The statements of one fused group: EXEC once, the instructions' lane statements in one loop. */
export function fusedGroup(ops: readonly InlineLaneOp[], waveSize: 32 | 64): string {
  const exec = waveSize === 64 ? 'const eLo = S[126], eHi = S[127];' : 'const eLo = S[126];';
  const body = ops.map((o) => o.lane).join('\n      ');
  const loop =
    waveSize === 64
      ? `for (let half = 0; half < 2; half++) {
    let todo = half === 0 ? eLo : eHi;
    const base = half << 5;
    while (todo !== 0) {
      const low = todo & -todo;
      todo ^= low;
      const l = base + 31 - Math.clz32(low);
      ${body}
    }
  }`
      : `let todo = eLo;
  while (todo !== 0) {
    const low = todo & -todo;
    todo ^= low;
    const l = 31 - Math.clz32(low);
    ${body}
  }`;
  return `{
  ${exec}
  ${ops.map((o) => o.before).filter(Boolean).join('\n  ')}
  let mLo = 0, mHi = 0;
  ${loop}
  ${ops.map((o) => o.after).filter(Boolean).join('\n  ')}
}`;
}
