// The generated opcode tables, parsed once per family into lookup maps.
import type { IsaFamily } from '../types.js';
import type { RawOpcodeTable } from './schema.js';
import { RDNA3_OPCODES } from './rdna3.js';
import { CDNA3_OPCODES } from './cdna3.js';
import { CDNA2_OPCODES } from './cdna2.js';
import { RDNA4_OPCODES } from './rdna4.js';

/**
 * How LLVM prints one operand: a register field (v/s/a; t = a 16-bit VGPR half "v1.l"), an immediate field
 * (imm decimal, hex, or the symbolic hwreg(...)/sendmsg(...) forms), "off" for an unused saddr, the literal constant, or
 * fixed text such as an implicit vcc.
 */
export type SlotKind = 'v' | 's' | 'a' | 't' | 'imm' | 'hex' | 'hwreg' | 'sendmsg' | 'off' | 'lit' | 'text';

export interface OperandSlot {
  readonly field: string;
  readonly kind: SlotKind;
  /** Register count (1 = 32-bit, 2 = 64-bit, ...); 0 for non-register slots. */
  readonly dwords: number;
  /** Fixed text (kind 'text'). */
  readonly text: string;
  /**
   * Source slots: how constants print (h: literal as 16 bits, d: inline floats as f64, x: inline floats as
   * f16 hex, F: literal is an f64's high half) and which source modifiers print (n: neg as -x, s: neg as sext(x), a: abs as |x|).
   */
  readonly constants: string;
}

export interface OpcodeInfo {
  /** Table key: the encoding, with FLAT split into FLAT/SCRATCH/GLOBAL and VOPD into VOPDX/VOPDY. */
  readonly table: string;
  readonly opcode: number;
  /** Mnemonic as LLVM prints it for this encoding (e.g. v_add_f32_e32). */
  readonly name: string;
  /** Operation name without the encoding suffix (e.g. v_add_f32). */
  readonly op: string;
  readonly operands: readonly OperandSlot[];
  /** Atomics: the operands when glc (RDNA3, CDNA2) / sc0 (CDNA3) requests the pre-op value (adds vdst). */
  readonly returnOperands?: readonly OperandSlot[];
  /**
   * Modifiers LLVM prints for this opcode (generator flags): os/oh/cl/om/nl/nh = op_sel, op_sel_hi, clamp,
   * omod, neg_lo, neg_hi; o2 = DS offset0/offset1 pair; gd = gds; gl/dl = SMEM glc/dlc.
   */
  readonly mods: ReadonlySet<string>;
  /** VOP3 opcode in the VOP3SD layout (scalar carry-out in place of abs/op_sel). */
  readonly sd: boolean;
  /** A literal dword always follows (v_fmamk_f32, s_setreg_imm32_b32, ...). */
  readonly alwaysLiteral: boolean;
  /** Registers of each field, by name (for the executor's operand widths). */
  readonly widths: Readonly<Record<string, number>>;
}

export type OpcodeTables = ReadonlyMap<string, ReadonlyMap<number, OpcodeInfo>>;

const RAW: Readonly<Record<IsaFamily, RawOpcodeTable>> = { rdna3: RDNA3_OPCODES, rdna4: RDNA4_OPCODES, cdna3: CDNA3_OPCODES, cdna2: CDNA2_OPCODES };
const parsed = new Map<IsaFamily, OpcodeTables>();

function parseSlot(s: string): OperandSlot {
  if (s === 'lit') return { field: 'literal', kind: 'lit', dwords: 0, text: '', constants: '' };
  if (s.startsWith('=')) return { field: '', kind: 'text', dwords: 0, text: s.slice(1), constants: '' };
  const [field, spec, constants = ''] = s.split(':') as [string, string, string?];
  if (spec === 'imm' || spec === 'hex' || spec === 'hwreg' || spec === 'sendmsg' || spec === 'off') return { field, kind: spec, dwords: 0, text: '', constants };
  return { field, kind: spec[0] as SlotKind, dwords: Number(spec.slice(1)), text: '', constants };
}

/** The opcode tables of a family: table key → opcode → info. */
export function opcodeTables(family: IsaFamily): OpcodeTables {
  let t = parsed.get(family);
  if (t) return t;
  const out = new Map<string, Map<number, OpcodeInfo>>();
  for (const [table, rows] of Object.entries(RAW[family])) {
    const m = new Map<number, OpcodeInfo>();
    for (const [k, r] of Object.entries(rows)) {
      const operands = r.o.map(parseSlot);
      const flags = r.f?.split(' ') ?? [];
      const widths: Record<string, number> = {};
      for (const o of operands) if (o.dwords) widths[o.field] = o.dwords;
      m.set(Number(k), {
        table, opcode: Number(k), name: r.n, op: r.n.replace(/_e(32|64)$/, ''), operands,
        ...(r.g ? { returnOperands: r.g.map(parseSlot) } : {}),
        mods: new Set(flags),
        sd: flags.includes('sd'), alwaysLiteral: operands.some((o) => o.kind === 'lit'), widths,
      });
    }
    out.set(table, m);
  }
  parsed.set(family, out);
  return out;
}
