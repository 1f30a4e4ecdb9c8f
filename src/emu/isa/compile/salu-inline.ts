// The common scalar ALU instructions and conditional branches as source text for a block: 32-bit
// SOP1/SOP2/SOPC/SOPK forms whose operands are plain SGPRs or constants, written straight into the
// block instead of a handler call (loop counters and their compares run once per loop iteration).
// Each statement computes exactly what its handler in exec/salu.ts computes (SCC per the RDNA3 ISA
// guide ch. 16.1-16.5 / CDNA3 ISA ch. 12 pseudocode); anything else keeps the handler. The block-vs-
// interp tests hold the two to the bit.
import type { Instruction } from '../types.js';
import type { CompileContext } from '../exec/context.js';
import { constantOperand } from '../exec/scalar-operands.js';
import { EXEC_HI, EXEC_LO, nullCode } from '../exec/wave.js';

/** Highest SGPR code an inlined result may be written to as an array element: plain SGPRs and VCC (M0, NULL, EXEC have rules of their own). */
export const LAST_PLAIN_SGPR = 123;

/** Source text of 32-bit scalar operand `code`, or undefined when it is not a plain SGPR or constant. */
function operand(ctx: CompileContext, ins: Instruction, code: number | undefined): string | undefined {
  if (code === undefined) return undefined;
  const c = constantOperand(code, 'b32', ins.literal);
  if (c) return String(c[0]);
  if (code === nullCode(ctx.family)) return '0';
  if (code === EXEC_HI && ctx.waveSize === 32) return '0';
  if (code < 128) return `S[${code}]`;
  return undefined;
}

/** SCC as a 0/1 expression of a boolean. */
const flag = (cond: string): string => `(${cond} ? 1 : 0)`;

/** `r` as its 32-bit result, SCC = result != 0. */
const nonZero = (d: number, r: string): string => `{ const r = (${r}) >>> 0; S[${d}] = r; w.scc = r !== 0 ? 1 : 0; }`;

const CMP: Readonly<Record<string, string>> = { eq: '===', lg: '!==', gt: '>', ge: '>=', lt: '<', le: '<=' };

const LOGIC: Readonly<Record<string, (a: string, b: string) => string>> = {
  and: (a, b) => `${a} & ${b}`, or: (a, b) => `${a} | ${b}`, xor: (a, b) => `${a} ^ ${b}`,
  andn2: (a, b) => `${a} & ~${b}`, and_not1: (a, b) => `${a} & ~${b}`, orn2: (a, b) => `${a} | ~${b}`, or_not1: (a, b) => `${a} | ~${b}`,
  nand: (a, b) => `~(${a} & ${b})`, nor: (a, b) => `~(${a} | ${b})`, xnor: (a, b) => `~(${a} ^ ${b})`,
};

/** SOP2: the statement of a 32-bit operation writing plain SGPR `d`. */
function sop2(op: string, a: string, b: string, d: number): string | undefined {
  const logic = /^s_(\w+)_b32$/.exec(op);
  if (logic && Object.hasOwn(LOGIC, logic[1]!)) return nonZero(d, LOGIC[logic[1]!]!(a, b));
  switch (op) {
    case 's_add_u32': return `{ const r = ${a} + ${b}; S[${d}] = r >>> 0; w.scc = ${flag('r > 0xffffffff')}; }`;
    case 's_sub_u32': return `{ const x = ${a}, y = ${b}; S[${d}] = (x - y) >>> 0; w.scc = ${flag('y > x')}; }`;
    case 's_addc_u32': return `{ const r = ${a} + ${b} + w.scc; S[${d}] = r >>> 0; w.scc = ${flag('r > 0xffffffff')}; }`;
    case 's_add_i32': return `{ const x = ${a} | 0, y = ${b} | 0, r = (x + y) | 0; S[${d}] = r >>> 0; w.scc = ${flag('(x >= 0) === (y >= 0) && (r >= 0) !== (x >= 0)')}; }`;
    case 's_sub_i32': return `{ const x = ${a} | 0, y = ${b} | 0, r = (x - y) | 0; S[${d}] = r >>> 0; w.scc = ${flag('(x >= 0) !== (y >= 0) && (r >= 0) !== (x >= 0)')}; }`;
    case 's_mul_i32': return `S[${d}] = Math.imul(${a}, ${b}) >>> 0;`;
    case 's_lshl_b32': return nonZero(d, `${a} << (${b} & 31)`);
    case 's_lshr_b32': return nonZero(d, `${a} >>> (${b} & 31)`);
    case 's_ashr_i32': return nonZero(d, `(${a} | 0) >> (${b} & 31)`);
    case 's_cselect_b32': return `S[${d}] = w.scc ? ${a} : ${b};`;
    case 's_min_u32': return `{ const x = ${a}, y = ${b}, p = x < y; S[${d}] = (p ? x : y) >>> 0; w.scc = p ? 1 : 0; }`;
    case 's_max_u32': return `{ const x = ${a}, y = ${b}, p = x > y; S[${d}] = (p ? x : y) >>> 0; w.scc = p ? 1 : 0; }`;
    case 's_min_i32': return `{ const x = ${a} | 0, y = ${b} | 0, p = x < y; S[${d}] = (p ? x : y) >>> 0; w.scc = p ? 1 : 0; }`;
    case 's_max_i32': return `{ const x = ${a} | 0, y = ${b} | 0, p = x > y; S[${d}] = (p ? x : y) >>> 0; w.scc = p ? 1 : 0; }`;
  }
  const shiftAdd = /^s_lshl([1-4])_add_u32$/.exec(op);
  if (shiftAdd) return `{ const r = ${a} * ${2 ** Number(shiftAdd[1])} + ${b}; S[${d}] = r >>> 0; w.scc = ${flag('r > 0xffffffff')}; }`;
  return undefined;
}

/**
 * The source text of scalar ALU instruction `ins`, or undefined when it keeps its handler (other
 * operations, 64-bit forms, special operands or destinations).
 */
export function inlineSalu(ctx: CompileContext, ins: Instruction): string | undefined {
  const f = ins.fields;
  const dst = f.sdst;
  const plainDst = dst !== undefined && dst <= LAST_PLAIN_SGPR && dst !== nullCode(ctx.family);
  switch (ins.encoding) {
    case 'SOP2': {
      const a = operand(ctx, ins, f.ssrc0), b = operand(ctx, ins, f.ssrc1);
      if (!a || !b || !plainDst) return undefined;
      return sop2(ins.op, a, b, dst);
    }
    case 'SOPC': {
      const m = /^s_cmp_(eq|lg|gt|ge|lt|le)_(i32|u32)$/.exec(ins.op);
      const a = operand(ctx, ins, f.ssrc0), b = operand(ctx, ins, f.ssrc1);
      if (!m || !a || !b) return undefined;
      const [x, y] = m[2] === 'i32' ? [`(${a} | 0)`, `(${b} | 0)`] : [a, b];
      return `w.scc = ${flag(`${x} ${CMP[m[1]!]} ${y}`)};`;
    }
    case 'SOP1': {
      const a = operand(ctx, ins, f.ssrc0);
      if (!a || !plainDst) return undefined;
      if (ins.op === 's_mov_b32') return `S[${dst}] = ${a};`;
      if (ins.op === 's_not_b32') return nonZero(dst, `~${a}`);
      return undefined;
    }
    case 'SOPK': {
      if (!plainDst) return undefined;
      const raw = f.simm16 ?? 0;
      const simm = (raw << 16) >> 16;
      const m = /^s_cmpk_(eq|lg|gt|ge|lt|le)_(i32|u32)$/.exec(ins.op);
      if (m) return m[2] === 'i32' ? `w.scc = ${flag(`(S[${dst}] | 0) ${CMP[m[1]!]} ${simm}`)};` : `w.scc = ${flag(`S[${dst}] ${CMP[m[1]!]} ${raw}`)};`;
      if (ins.op === 's_movk_i32') return `S[${dst}] = ${simm >>> 0};`;
      if (ins.op === 's_addk_i32') return `{ const x = S[${dst}] | 0, r = (x + ${simm}) | 0; S[${dst}] = r >>> 0; w.scc = ${flag(`(x >= 0) === ${simm >= 0} && (r >= 0) !== (x >= 0)`)}; }`;
      return undefined;
    }
  }
  return undefined;
}

/** The condition under which conditional branch `op` is taken, as source text, or undefined for others. */
function branchCondition(ctx: CompileContext, op: string): string | undefined {
  const wide = (lo: number): string => (ctx.waveSize === 64 ? `(S[${lo}] | S[${lo + 1}])` : `S[${lo}]`);
  switch (op) {
    case 's_cbranch_scc0': return 'w.scc === 0';
    case 's_cbranch_scc1': return 'w.scc === 1';
    case 's_cbranch_vccz': return `${wide(106)} === 0`;
    case 's_cbranch_vccnz': return `${wide(106)} !== 0`;
    case 's_cbranch_execz': return `${wide(EXEC_LO)} === 0`;
    case 's_cbranch_execnz': return `${wide(EXEC_LO)} !== 0`;
  }
  return undefined;
}

/** A branch (SOPP, next PC `next`) as a PC update, or undefined when it is not a plain branch. */
export function inlineBranch(ctx: CompileContext, ins: Instruction, next: number): { readonly text: string; readonly target: number } | undefined {
  if (ins.encoding !== 'SOPP') return undefined;
  const raw = ins.fields.simm16 ?? 0;
  const target = next + ((raw << 16) >> 16) * 4;
  if (ins.op === 's_branch') return { text: `w.pc = ${target};`, target };
  const cond = branchCondition(ctx, ins.op);
  return cond ? { text: `w.pc = ${cond} ? ${target} : ${next};`, target } : undefined;
}
