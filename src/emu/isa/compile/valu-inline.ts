// VALU instructions as source text for a block's fused lane loop: the same operation table
// (valu-ops.ts) the per-instruction lane kernels are built from, with row offsets as constants and
// scalar sources read once before the loop. Inside the loop a 32-bit result stays in a local for the
// instructions after it, and a store that a later instruction of the group overwrites before anything
// reads it from memory is dropped (ToUint32 of the expression is exactly what the register row stores).
// Only the plain forms are inlined (no DPP, no abs/neg/op_sel, no omod/clamp, 32/64-bit types, SDWA
// integer source selects); everything else runs through its per-instruction handler.
import type { Instruction } from '../types.js';
import type { CompileContext } from '../exec/context.js';
import { constantOperand, scalarReader, scalarWriter, type OperandKind } from '../exec/scalar-operands.js';
import { laneHandler } from '../exec/valu-lanes.js';
import { vectorRow } from '../exec/valu-compile.js';
import { vopdHalves, vopOperands } from '../exec/valu-forms.js';
import type { VopOperands } from '../exec/valu-compile.js';
import { store } from '../exec/valu-kernel.js';
import { valuSpec, type LaneType, type OpSpec } from '../exec/valu-ops.js';
import { EXEC_HI, EXEC_LO, LANES, VCC_LO, nullCode } from '../exec/wave.js';
import { ldsLaneStatement, type LdsLaneOp } from './lds-inline.js';
import { LAST_PLAIN_SGPR } from './salu-inline.js';

/** Where a source comes from: a VGPR row (optionally an SDWA select), a value read before the loop, or a lane mask. */
type LaneSource =
  | { readonly kind: 'row'; readonly row: number; readonly select?: { readonly sel: number; readonly sext: boolean } }
  | { readonly kind: 'value'; readonly lo: string; readonly hi?: string }
  | { readonly kind: 'mask' };

/** One inlined VALU instruction. */
export interface ValuLaneOp {
  readonly kind: 'valu';
  readonly k: number;
  readonly spec: OpSpec;
  readonly srcs: readonly LaneSource[];
  /** Destination row offset (unused for compares). */
  readonly D: number;
  /** Statements before the loop: scalar sources, the carry-in mask. */
  readonly before: string;
  /** The constants `before` declares (each a 32-bit integer; `signed` when it holds an int32 rather than a uint32). */
  readonly beforeNames: readonly { readonly name: string; readonly signed: boolean }[];
  /** Statements after the loop: the mask result written to its SGPRs. */
  readonly after: string;
  readonly usesCarryIn: boolean;
  /** SGPR codes read before the loop ('any' when a bound reader may read anything). */
  readonly scalarReads: ReadonlySet<number> | 'any';
  /** SGPR codes the mask result is written to after the loop. */
  readonly maskWrites: readonly number[];
  /** A VOPD X half: its result becomes visible only after the next op (the Y half) has read its sources. */
  readonly pairedWithNext?: boolean;
}

/** Closures the generated source calls (readers of unusual scalar operands, mask writers), by name. */
export type Bindings = Map<string, unknown>;

const INLINE_SOURCE: ReadonlySet<LaneType> = new Set(['u32', 'i32', 'f32', 'u64', 'f64', 'b']);
const INLINE_RESULT = new Set(['u32', 'f32', 'u64', 'f64', 'mask']);
const ENCODINGS = new Set(['VOP1', 'VOP2', 'VOPC', 'VOP3', 'VOP3SD']);
/** SDWA select code of the whole dword: no extraction. */
const SDWA_DWORD = 6;

const kindOf = (t: LaneType): OperandKind => (t === 'f32' ? 'f32' : t === 'f64' ? 'f64' : t === 'u64' ? 'b64' : 'b32');

/** Source text of an SDWA source select (byte 0-3 / word 0-1, zero- or sign-extended) of `x`, as valu-compile's modifier pass computes it. */
function sdwaSelect(x: string, sel: number, sext: boolean): string {
  const shift = sel < 4 ? sel * 8 : (sel - 4) * 16;
  const width = sel < 4 ? 8 : 16;
  return sext ? `((${x}) << ${32 - shift - width}) >> ${32 - width}` : `((${x}) >>> ${shift}) & ${(1 << width) - 1}`;
}

/**
 * The inlined form of VALU instruction `ins` (number k in its block), or undefined when it has none.
 * Throws where the operand fields name nothing (the caller keeps the handler then).
 */
export function inlineVop(ctx: CompileContext, ins: Instruction, k: number, bind: Bindings): ValuLaneOp | undefined {
  if (!ENCODINGS.has(ins.encoding) || (ins.ext !== undefined && ins.ext !== 'sdwa') || laneHandler(ctx, ins)) return undefined;
  const spec = valuSpec(ins.op);
  if (!spec || !INLINE_RESULT.has(spec.dst) || !spec.src.every((t) => INLINE_SOURCE.has(t))) return undefined;
  return laneOp(ctx, ins, k, spec, vopOperands(ctx, ins), bind);
}

/**
 * Lane-op numbers of VOPD Y halves: past every instruction index of a block (MAX_BLOCK, 128), so
 * the names generated from them (x<k>, v<k>_<s>) never meet another instruction's.
 */
const VOPD_Y = 1000;

/** Results a VOPD half may have inline: kept in a local until both halves have read their sources. */
const VOPD_RESULT = new Set(['u32', 'f32']);

/**
 * The two inlined halves of VOPD instruction `ins` (number k), X first and marked to define its
 * result only after Y has read its sources (the halves issue together), or undefined.
 */
export function inlineVopd(ctx: CompileContext, ins: Instruction, k: number, bind: Bindings): [ValuLaneOp, ValuLaneOp] | undefined {
  if (ins.encoding !== 'VOPD') return undefined;
  const halves = vopdHalves(ins);
  const ops = halves.map((h, i) => {
    const spec = h.spec;
    if (!VOPD_RESULT.has(spec.dst) || spec.carry || !spec.src.every((t) => INLINE_SOURCE.has(t))) return undefined;
    return laneOp(ctx, { ...ins, op: h.name }, i === 0 ? k : k + VOPD_Y, spec, h.o, bind);
  });
  const [x, y] = ops;
  if (!x || !y) return undefined;
  return [{ ...x, pairedWithNext: true }, y];
}

/** The inlined form of VALU operation `spec` on operands `o`, or undefined when they need the handler. */
function laneOp(ctx: CompileContext, ins: Instruction, k: number, spec: OpSpec, o: VopOperands, bind: Bindings): ValuLaneOp | undefined {
  if (o.dpp || (o.sdwaDst && o.sdwaDst.sel !== SDWA_DWORD) || o.writesExec || o.dstHi || o.omod !== 0 || o.clamp) return undefined;
  if (o.mods.some((m) => m.hiHalf || m.abs || m.neg)) return undefined;
  // SDWA source selects are inlined for integer sources; float sources keep the handler.
  const selects = o.mods.map((m) => (m.sdwaSel === undefined || m.sdwaSel === SDWA_DWORD ? undefined : { sel: m.sdwaSel, sext: m.sdwaSext ?? false }));
  if (selects.some((x, s) => x && spec.src[s] !== 'u32' && spec.src[s] !== 'i32')) return undefined;
  if (spec.dst === 'mask' && o.maskDst === undefined) return undefined;

  const reads = new Set<number>();
  let anyRead = false;
  /** Source text of scalar operand `code` (low or high dword) read before the loop. */
  const scalar = (code: number, kind: OperandKind, high: boolean, name: string): string => {
    const c = constantOperand(code, kind, ins.literal);
    if (c) return String(high ? c[1] : c[0]);
    const reg = high ? code + 1 : code;
    if (reg < 128 && reg !== nullCode(ctx.family)) {
      if (reg === EXEC_HI && ctx.waveSize === 32) return '0';
      reads.add(reg);
      return `S[${reg}]`;
    }
    bind.set(name, scalarReader(ctx.family, code, kind, ins.literal, high));
    anyRead = true;
    return `${name}(w)`;
  };
  const before: string[] = [];
  const beforeNames: { name: string; signed: boolean }[] = [];
  const srcs: LaneSource[] = [];
  let carryFrom: number | undefined;
  for (let s = 0; s < spec.src.length; s++) {
    const t = spec.src[s]!;
    const code = o.srcs[s];
    if (code === undefined) return undefined;
    if (t === 'b') {
      carryFrom = code;
      srcs.push({ kind: 'mask' });
      continue;
    }
    const select = selects[s];
    if (code >= 256) {
      srcs.push({ kind: 'row', row: vectorRow(code), ...(select ? { select } : {}) });
      continue;
    }
    const v = `v${k}_${s}`;
    const raw = scalar(code, kindOf(t), false, `${v}r`);
    const lo = select ? `(${sdwaSelect(raw, select.sel, select.sext)})` : raw;
    if (t === 'u64') beforeNames.push({ name: `${v}lo`, signed: false }, { name: `${v}hi`, signed: false });
    else if (t !== 'f32' && t !== 'f64') beforeNames.push({ name: v, signed: t === 'i32' });
    switch (t) {
      case 'u32': before.push(`const ${v} = ${lo} >>> 0;`); break;
      case 'i32': before.push(`const ${v} = ${lo} | 0;`); break;
      case 'f32': before.push(`const ${v} = f32FromBits(${lo});`); break;
      case 'u64': before.push(`const ${v}lo = ${lo} >>> 0, ${v}hi = ${scalar(code, kindOf(t), true, `${v}rh`)} >>> 0;`); break;
      case 'f64': before.push(`const ${v} = f64FromBits(${lo}, ${scalar(code, kindOf(t), true, `${v}rh`)});`); break;
    }
    srcs.push(t === 'u64' ? { kind: 'value', lo: `${v}lo`, hi: `${v}hi` } : { kind: 'value', lo: v });
  }
  const usesVcc = spec.body.includes('vccBit');
  if (usesVcc) carryFrom = VCC_LO;
  if (carryFrom !== undefined) {
    const lo = scalar(carryFrom, 'b32', false, `c${k}lo`);
    const hi = ctx.waveSize === 64 ? scalar(carryFrom, 'b64', true, `c${k}hi`) : '0';
    before.push(`const ci${k}Lo = ${lo} >>> 0, ci${k}Hi = ${hi} >>> 0;`);
    beforeNames.push({ name: `ci${k}Lo`, signed: false }, { name: `ci${k}Hi`, signed: false });
  }
  const maskWrites: number[] = [];
  const afters: string[] = [];
  /** The mask result's dword into SGPR `code`: a plain SGPR directly, others through their writer. */
  const writeMask = (code: number, value: string): void => {
    maskWrites.push(code);
    if (code <= LAST_PLAIN_SGPR) {
      afters.push(`S[${code}] = ${value} >>> 0;`);
      return;
    }
    bind.set(`mw${k}_${code}`, scalarWriter(ctx.family, code));
    afters.push(`mw${k}_${code}(w, ${value} >>> 0);`);
  };
  // A carry-out to NULL (gfx11 "null" sdst) goes nowhere.
  if (o.maskDst !== undefined && o.maskDst !== nullCode(ctx.family)) {
    writeMask(o.maskDst, `m${k}Lo`);
    if (ctx.waveSize === 64) writeMask(o.maskDst + 1, `m${k}Hi`);
  }
  const after = afters.join(' ');
  return {
    kind: 'valu', k, spec, srcs, D: spec.dst === 'mask' ? 0 : vectorRow(o.vdst), before: before.join('\n'), beforeNames, after,
    usesCarryIn: carryFrom !== undefined, scalarReads: anyRead ? 'any' : reads, maskWrites,
  };
}

/** A member of a fused group. */
export type InlineLaneOp = ValuLaneOp | LdsLaneOp;

/** Does `op` read, before the loop, an SGPR in `written` (results the group writes only after its loop)? */
export function readsAny(op: ValuLaneOp, written: ReadonlySet<number>): boolean {
  if (written.size === 0) return false;
  if (op.scalarReads === 'any') return true;
  for (const r of op.scalarReads) if (written.has(r)) return true;
  return false;
}

export const writesExec = (op: ValuLaneOp): boolean => op.maskWrites.includes(EXEC_LO) || op.maskWrites.includes(EXEC_HI);

/**
 * Lane bodies that find a 32-bit sum's carry with unsigned 32-bit compares (a sum below an addend
 * wrapped) where the operation table compares a double sum against 0xffffffff: the same results, and
 * V8 keeps them in integer registers (hash_loop's gfx942 loop, lane-major: ~12.2 -> ~10.8 ns per lane
 * and run). Sources are uint32 here (every u32/u64 load is). In v_mad_u64_u32 the high sum wraps
 * exactly when it ends below c_hi, or equal to it with a carry in: mulhi is at most 0xfffffffe.
 */
const INTEGER_CARRY_BODIES: Readonly<Record<string, string>> = {
  v_add_co_u32: 'r = (a + b) >>> 0; co = r < a ? 1 : 0',
  v_mad_u64_u32: 'lo = (Math.imul(a, b) + c_lo) >>> 0; const c1 = lo < c_lo ? 1 : 0; hi = (mulhiU(a, b) + c_hi + c1) >>> 0; co = hi < c_hi || (hi === c_hi && c1 === 1) ? 1 : 0',
  v_lshl_add_u64: 'const n = b & 7; lo = ((n === 0 ? a_lo : a_lo << n) + c_lo) >>> 0; hi = (n === 0 ? a_hi : (a_hi << n) | (a_lo >>> (32 - n))) + c_hi + (lo < c_lo ? 1 : 0)',
};

/** The fused multiply-add body: its common case (the binary64 sum is already a binary32 value) inline. */
const FMA_F32 = 'fmaF32(a, b, c)';

/**
 * Where a lane-major loop (lane-major.ts) keeps one lane's state across its iterations: the local
 * holding register row `row`, and the local that records whether mask result `k` has the lane's bit.
 */
export interface HeldLane {
  readonly row: (row: number) => string;
  readonly mask: (k: number) => string;
}

/**
 * The per-lane statements of a group. For the lane being computed, `u32` and `f32` say which register
 * rows hold their current value in a local (as the row's bits read as uint32 / as binary32), and `owed`
 * which of those locals memory has not received yet; a read that needs memory makes the owed store
 * first. A binary32 local is always fround()ed, so it equals what the row would read back, NaN included.
 * With `held` (32/64-bit integer operations only), rows live in the lane's locals instead of memory and
 * a mask result sets the lane's flag.
 */
export function laneStatements(ops: readonly InlineLaneOp[], held?: HeldLane): string {
  const u32 = new Map<number, string>();
  const f32 = new Map<number, string>();
  const owed = new Map<number, { readonly name: string; readonly float: boolean }>();
  const out: string[] = [];
  const settle = (row: number): void => {
    const o = owed.get(row);
    if (o) out.push(held ? `${held.row(row)} = ${o.name};` : o.float ? `F[${row} + l] = ${o.name};` : `R[${row} + l] = ${o.name};`);
    owed.delete(row);
  };
  const forget = (row: number): void => {
    owed.delete(row);
    u32.delete(row);
    f32.delete(row);
  };
  const u32Of = (row: number): string => {
    const v = u32.get(row);
    if (v !== undefined) return v;
    if (held) return held.row(row);
    settle(row);
    return `R[${row} + l]`;
  };
  const f32Of = (row: number): string => {
    const v = f32.get(row);
    if (v !== undefined) return v;
    settle(row);
    return `F[${row} + l]`;
  };
  /** Results not yet visible to later reads: a VOPD X half's, until its Y half has read its sources. */
  const pending: (() => void)[] = [];
  const define = (row: number, name: string, float: boolean): void => {
    pending.push(() => {
      forget(row);
      (float ? f32 : u32).set(row, name);
      owed.set(row, { name, float });
    });
  };
  const names = ['a', 'b', 'c'];
  for (const op of ops) {
    if (op.kind === 'lds') {
      out.push(ldsLaneStatement(op, { u32Of, forget }));
      continue;
    }
    const k = op.k;
    const loads: string[] = [];
    op.spec.src.forEach((t, s) => {
      const src = op.srcs[s]!;
      const n = names[s]!;
      if (src.kind === 'mask') {
        loads.push(`const ${n} = (l < 32 ? ci${k}Lo >>> l : ci${k}Hi >>> (l - 32)) & 1;`);
        return;
      }
      if (src.kind === 'value') {
        loads.push(t === 'u64' ? `const ${n}_lo = ${src.lo}, ${n}_hi = ${src.hi};` : `const ${n} = ${src.lo};`);
        return;
      }
      const row = src.row;
      switch (t) {
        case 'u32':
        case 'i32': {
          const raw = src.select ? `((${sdwaSelect(u32Of(row), src.select.sel, src.select.sext)}) >>> 0)` : u32Of(row);
          loads.push(`const ${n} = ${t === 'i32' ? `${raw} | 0` : raw};`);
          return;
        }
        case 'u64':
          loads.push(`const ${n}_lo = ${u32Of(row)}, ${n}_hi = ${u32Of(row + LANES)};`);
          return;
        case 'f32':
          loads.push(`const ${n} = ${f32Of(row)};`);
          return;
        case 'f64':
          settle(row);
          settle(row + LANES);
          loads.push(`const ${n} = f64FromBits(R[${row} + l], R[${row + LANES} + l]);`);
          return;
      }
    });
    if (op.spec.body.includes('vccBit')) loads.push(`const vccBit = (l < 32 ? ci${k}Lo >>> l : ci${k}Hi >>> (l - 32)) & 1;`);
    const setMask = held ? `${held.mask(k)} = 1;` : `if (l < 32) m${k}Lo |= 1 << l; else m${k}Hi |= 1 << (l - 32);`;
    const carry = op.spec.carry ? `if (co) { ${setMask} }` : '';
    const e = INTEGER_CARRY_BODIES[op.spec.name] ?? op.spec.body;
    const D = op.D;
    const x = `x${k}`;
    if (op.spec.dst === 'u32') {
      out.push(op.spec.carry
        ? `let ${x} = 0; { ${loads.join(' ')} let r = 0, co = 0; ${e}; ${x} = r >>> 0; ${carry} }`
        : `let ${x} = 0; { ${loads.join(' ')} ${x} = (${e}) >>> 0; }`);
      define(D, x, false);
    } else if (op.spec.dst === 'u64') {
      out.push(`let ${x}lo = 0, ${x}hi = 0; { ${loads.join(' ')} let lo = 0, hi = 0, co = 0; ${e}; ${x}lo = lo >>> 0; ${x}hi = hi >>> 0; ${carry} }`);
      define(D, `${x}lo`, false);
      define(D + LANES, `${x}hi`, false);
    } else if (op.spec.dst === 'f32' && !op.spec.carry) {
      const value = e === FMA_F32 ? `fmaSum === fmaR ? fmaR : fmaF32(a, b, c)` : `fround(${e})`;
      const pre = e === FMA_F32 ? 'const fmaSum = a * b + c, fmaR = fround(fmaSum);' : '';
      out.push(`let ${x} = 0; { ${loads.join(' ')} ${pre} ${x} = ${value}; }`);
      define(D, x, true);
    } else if (op.spec.dst === 'mask') {
      out.push(`{ ${loads.join(' ')} if (${e}) { ${setMask} } }`);
    } else {
      // Other results go to memory the way the per-instruction kernel writes them.
      forget(D);
      if (op.spec.dst === 'f64') forget(D + LANES);
      const text = store(op.spec, 'keep').replace(/\bmLo\b/g, `m${k}Lo`).replace(/\bmHi\b/g, `m${k}Hi`);
      out.push(`{ const D = ${D}; ${loads.join(' ')} ${text} }`);
    }
    if (!op.pairedWithNext) for (const f of pending.splice(0)) f();
  }
  for (const row of [...owed.keys()]) settle(row);
  return out.join('\n      ');
}

/**
 * A loop running `body` for every lane whose EXEC bit is set (eLo, and eHi on wave64), in lane order,
 * with the lane in `l`: over the span from the lowest to the highest set bit, skipping clear bits. As
 * fast as a plain counted loop when EXEC is full; measured ~20% faster than peeling bits with clz32.
 * (`>>>` takes its count mod 32, so `eHi >>> l` is bit l - 32 of eHi.)
 */
export function laneLoop(waveSize: 32 | 64, body: string): string {
  const span = waveSize === 64
    ? `const first = eLo !== 0 ? 31 - Math.clz32(eLo & -eLo) : 63 - Math.clz32(eHi & -eHi);
  const last = eHi !== 0 ? 63 - Math.clz32(eHi) : 31 - Math.clz32(eLo);`
    : `const first = 31 - Math.clz32(eLo & -eLo), last = 31 - Math.clz32(eLo);`;
  const bit = waveSize === 64 ? '((l < 32 ? eLo : eHi) >>> l)' : '(eLo >>> l)';
  return `${span}
  for (let l = first; l <= last; l++) {
    if ((${bit} & 1) === 0) continue;
    ${body}
  }`;
}

/** The statements of one fused group: EXEC once, the instructions' lane statements in one loop, then their mask results. */
export function fusedGroup(ops: readonly InlineLaneOp[], waveSize: 32 | 64): string {
  const exec = waveSize === 64 ? 'const eLo = S[126], eHi = S[127];' : 'const eLo = S[126];';
  const body = laneStatements(ops);
  const valu = ops.filter((o): o is ValuLaneOp => o.kind === 'valu');
  const masks = valu.filter((o) => o.spec.carry || o.spec.dst === 'mask').map((o) => `let m${o.k}Lo = 0, m${o.k}Hi = 0;`);
  const lds = ops.some((o) => o.kind === 'lds') ? 'const words = w.group.ldsWords, limit = w.group.lds.length;' : '';
  const loop = laneLoop(waveSize, body);
  return `{
  ${exec}
  ${lds}
  ${valu.map((o) => o.before).filter(Boolean).join('\n  ')}
  ${masks.join(' ')}
  ${loop}
  ${valu.map((o) => o.after).filter(Boolean).join('\n  ')}
}`;
}
