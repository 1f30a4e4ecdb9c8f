// Microcode formats: where the opcode and each field sit in every encoding, per ISA family.
// Source: LLVM 19 llvm/lib/Target/AMDGPU/{SOPInstructions,SMInstructions,VOPInstructions,VOP3PInstructions,
// VOPDInstructions,VINTERPInstructions,LDSDIRInstructions,DSInstructions,FLATInstructions,BUFInstructions}.td
// (Enc* classes), matching "RDNA3 ISA Reference Guide" ch. 16 and "AMD Instinct MI300 ISA" ch. 12 "Microcode Formats";
// every layout is re-checked against `llvm-mc-19 -show-encoding` by test/isa-tables.test.ts.
import type { Encoding, IsaFamily } from '../types.js';

/**
 * How a raw field value becomes the value stored in Instruction.fields:
 * - src: 8/9-bit operand code, already unified (256.. = VGPR);
 * - vgpr: 8-bit register number, stored as 256 + n (512 + n when the instruction selects AGPRs);
 * - sgpr: 7-bit scalar destination/source code (0..127), stored as is;
 * - sgpr2/sgpr4: register number in units of 2/4 SGPRs (SMEM sbase, buffer srsrc), stored as the first SGPR;
 * - simm: signed integer of the field width; imm: unsigned integer.
 */
export type FieldKind = 'src' | 'vgpr' | 'sgpr' | 'sgpr2' | 'sgpr4' | 'imm' | 'simm';

/** A field: which dword (0 = first), lowest bit, width in bits, kind. */
export type FieldSpec = readonly [dword: number, lo: number, bits: number, kind: FieldKind];

export interface FormatSpec {
  readonly encoding: Encoding;
  /** dword0 & mask === value identifies the format; formats are tried in table order. */
  readonly mask: number;
  readonly value: number;
  /** Base size in dwords (without literal or DPP/SDWA extension). */
  readonly dwords: number;
  readonly opcode: FieldSpec;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const SOP_RDNA3_CDNA3: readonly FormatSpec[] = [
  { encoding: 'SOP1', mask: 0xff800000, value: 0xbe800000, dwords: 1, opcode: [0, 8, 8, 'imm'], fields: { sdst: [0, 16, 7, 'sgpr'], ssrc0: [0, 0, 8, 'src'] } },
  { encoding: 'SOPC', mask: 0xff800000, value: 0xbf000000, dwords: 1, opcode: [0, 16, 7, 'imm'], fields: { ssrc1: [0, 8, 8, 'src'], ssrc0: [0, 0, 8, 'src'] } },
  { encoding: 'SOPP', mask: 0xff800000, value: 0xbf800000, dwords: 1, opcode: [0, 16, 7, 'imm'], fields: { simm16: [0, 0, 16, 'imm'] } },
  { encoding: 'SOPK', mask: 0xf0000000, value: 0xb0000000, dwords: 1, opcode: [0, 23, 5, 'imm'], fields: { sdst: [0, 16, 7, 'sgpr'], simm16: [0, 0, 16, 'imm'] } },
  { encoding: 'SOP2', mask: 0xc0000000, value: 0x80000000, dwords: 1, opcode: [0, 23, 7, 'imm'], fields: { sdst: [0, 16, 7, 'sgpr'], ssrc1: [0, 8, 8, 'src'], ssrc0: [0, 0, 8, 'src'] } },
];

const VOP_123C: readonly FormatSpec[] = [
  { encoding: 'VOP1', mask: 0xfe000000, value: 0x7e000000, dwords: 1, opcode: [0, 9, 8, 'imm'], fields: { vdst: [0, 17, 8, 'vgpr'], src0: [0, 0, 9, 'src'] } },
  { encoding: 'VOPC', mask: 0xfe000000, value: 0x7c000000, dwords: 1, opcode: [0, 17, 8, 'imm'], fields: { vsrc1: [0, 9, 8, 'vgpr'], src0: [0, 0, 9, 'src'] } },
  { encoding: 'VOP2', mask: 0x80000000, value: 0x00000000, dwords: 1, opcode: [0, 25, 6, 'imm'], fields: { vdst: [0, 17, 8, 'vgpr'], vsrc1: [0, 9, 8, 'vgpr'], src0: [0, 0, 9, 'src'] } },
];

/** Second dword shared by VOP3, VOP3SD and VOP3P. */
const VOP3_SRCS = { src0: [1, 0, 9, 'src'], src1: [1, 9, 9, 'src'], src2: [1, 18, 9, 'src'], neg: [1, 29, 3, 'imm'] } as const;
const VOP3_COMMON = { ...VOP3_SRCS, omod: [1, 27, 2, 'imm'], vdst: [0, 0, 8, 'vgpr'], clamp: [0, 15, 1, 'imm'] } as const;
const VOP3_A = { ...VOP3_COMMON, op_sel: [0, 11, 4, 'imm'], abs: [0, 8, 3, 'imm'] } as const;
/** VOP3SD (VOP3b): a scalar carry/condition destination replaces abs and op_sel. */
const VOP3_SD = { ...VOP3_COMMON, sdst: [0, 8, 7, 'sgpr'] } as const;
/** VOP3P: op_sel_hi is split: bits 0..1 in dword 1 [28:27], bit 2 in dword 0 [14] (decode.ts joins them). */
const VOP3P_FIELDS = {
  ...VOP3_SRCS, vdst: [0, 0, 8, 'vgpr'], clamp: [0, 15, 1, 'imm'], op_sel: [0, 11, 3, 'imm'], neg_hi: [0, 8, 3, 'imm'],
  op_sel_hi: [1, 27, 2, 'imm'], op_sel_hi2: [0, 14, 1, 'imm'],
} as const;

export const RDNA3_FORMATS: readonly FormatSpec[] = [
  ...SOP_RDNA3_CDNA3,
  { encoding: 'SMEM', mask: 0xfc000000, value: 0xf4000000, dwords: 2, opcode: [0, 18, 8, 'imm'], fields: { glc: [0, 14, 1, 'imm'], dlc: [0, 13, 1, 'imm'], sdata: [0, 6, 7, 'sgpr'], sbase: [0, 0, 6, 'sgpr2'], offset: [1, 0, 21, 'simm'], soffset: [1, 25, 7, 'sgpr'] } },
  ...VOP_123C,
  { encoding: 'VOP3', mask: 0xfc000000, value: 0xd4000000, dwords: 2, opcode: [0, 16, 10, 'imm'], fields: VOP3_A },
  { encoding: 'VOP3P', mask: 0xff000000, value: 0xcc000000, dwords: 2, opcode: [0, 16, 7, 'imm'], fields: VOP3P_FIELDS },
  { encoding: 'VINTERP', mask: 0xff000000, value: 0xcd000000, dwords: 2, opcode: [0, 16, 7, 'imm'], fields: { ...VOP3_SRCS, vdst: [0, 0, 8, 'vgpr'], clamp: [0, 15, 1, 'imm'], op_sel: [0, 11, 4, 'imm'], waitexp: [0, 8, 3, 'imm'] } },
  { encoding: 'LDSDIR', mask: 0xff000000, value: 0xce000000, dwords: 1, opcode: [0, 20, 2, 'imm'], fields: { waitvdst: [0, 16, 4, 'imm'], attr: [0, 10, 6, 'imm'], attr_chan: [0, 8, 2, 'imm'], vdst: [0, 0, 8, 'vgpr'] } },
  { encoding: 'VOPD', mask: 0xfc000000, value: 0xc8000000, dwords: 2, opcode: [0, 17, 9, 'imm'], fields: { opx: [0, 22, 4, 'imm'], opy: [0, 17, 5, 'imm'], vsrcx1: [0, 9, 8, 'vgpr'], srcx0: [0, 0, 9, 'src'], vdstx: [1, 24, 8, 'vgpr'], vdsty: [1, 17, 7, 'imm'], vsrcy1: [1, 9, 8, 'vgpr'], srcy0: [1, 0, 9, 'src'] } },
  { encoding: 'DS', mask: 0xfc000000, value: 0xd8000000, dwords: 2, opcode: [0, 18, 8, 'imm'], fields: { gds: [0, 17, 1, 'imm'], offset1: [0, 8, 8, 'imm'], offset0: [0, 0, 8, 'imm'], vdst: [1, 24, 8, 'vgpr'], data1: [1, 16, 8, 'vgpr'], data0: [1, 8, 8, 'vgpr'], addr: [1, 0, 8, 'vgpr'] } },
  // FLAT, GLOBAL and SCRATCH share one format; seg (dword 0 [17:16]) selects which (decode.ts).
  { encoding: 'FLAT', mask: 0xfc000000, value: 0xdc000000, dwords: 2, opcode: [0, 18, 7, 'imm'], fields: { seg: [0, 16, 2, 'imm'], slc: [0, 15, 1, 'imm'], glc: [0, 14, 1, 'imm'], dlc: [0, 13, 1, 'imm'], offset: [0, 0, 13, 'simm'], vdst: [1, 24, 8, 'vgpr'], sve: [1, 23, 1, 'imm'], saddr: [1, 16, 7, 'sgpr'], data: [1, 8, 8, 'vgpr'], addr: [1, 0, 8, 'vgpr'] } },
  { encoding: 'MUBUF', mask: 0xfc000000, value: 0xe0000000, dwords: 2, opcode: [0, 18, 8, 'imm'], fields: { glc: [0, 14, 1, 'imm'], dlc: [0, 13, 1, 'imm'], slc: [0, 12, 1, 'imm'], offset: [0, 0, 12, 'imm'], soffset: [1, 24, 8, 'src'], idxen: [1, 23, 1, 'imm'], offen: [1, 22, 1, 'imm'], tfe: [1, 21, 1, 'imm'], srsrc: [1, 16, 5, 'sgpr4'], vdata: [1, 8, 8, 'vgpr'], vaddr: [1, 0, 8, 'vgpr'] } },
  { encoding: 'MTBUF', mask: 0xfc000000, value: 0xe8000000, dwords: 2, opcode: [0, 15, 4, 'imm'], fields: { format: [0, 19, 7, 'imm'], glc: [0, 14, 1, 'imm'], dlc: [0, 13, 1, 'imm'], slc: [0, 12, 1, 'imm'], offset: [0, 0, 12, 'imm'], soffset: [1, 24, 8, 'src'], idxen: [1, 23, 1, 'imm'], offen: [1, 22, 1, 'imm'], tfe: [1, 21, 1, 'imm'], srsrc: [1, 16, 5, 'sgpr4'], vdata: [1, 8, 8, 'vgpr'], vaddr: [1, 0, 8, 'vgpr'] } },
];

/**
 * RDNA4 (gfx12): RDNA3's SOP/VOP/DS layouts; SMEM with th/scope and a 24-bit signed offset; one 96-bit VFLAT
 * format for FLAT/SCRATCH/GLOBAL (seg in dword 0 [25:24]) and one 96-bit VBUFFER format, whose opcodes
 * 0x80..0x8f are the typed (MTBUF) forms. Cache policy: th [2:0] (bit 0 = atomic return) and scope [1:0].
 * Source: LLVM 19 SMInstructions.td (SMEM_Real_gfx12), FLATInstructions.td (VFLAT_Real_gfx12),
 * BUFInstructions.td (VBUFFER_Real_gfx12), LDSDIRInstructions.td (VDSDIR gfx12); checked against
 * llvm-mc-19 -mcpu=gfx1201 -show-encoding by test/isa-tables.test.ts.
 */
const VBUFFER_FIELDS = {
  tfe: [0, 22, 1, 'imm'], soffset: [0, 0, 7, 'sgpr'], idxen: [1, 31, 1, 'imm'], offen: [1, 30, 1, 'imm'], th: [1, 20, 3, 'imm'], scope: [1, 18, 2, 'imm'],
  srsrc: [1, 9, 9, 'sgpr'], vdata: [1, 0, 8, 'vgpr'], offset: [2, 8, 24, 'imm'], vaddr: [2, 0, 8, 'vgpr'],
} as const;
export const RDNA4_FORMATS: readonly FormatSpec[] = RDNA3_FORMATS.flatMap((f): FormatSpec[] => {
  switch (f.encoding) {
    case 'SMEM':
      return [{ encoding: 'SMEM', mask: 0xfc000000, value: 0xf4000000, dwords: 2, opcode: [0, 13, 6, 'imm'], fields: { th: [0, 23, 2, 'imm'], scope: [0, 21, 2, 'imm'], sdata: [0, 6, 7, 'sgpr'], sbase: [0, 0, 6, 'sgpr2'], offset: [1, 0, 24, 'simm'], soffset: [1, 25, 7, 'sgpr'] } }];
    case 'LDSDIR':
      return [{ ...f, fields: { ...f.fields, waitvsrc: [0, 23, 1, 'imm'] } }];
    case 'FLAT':
      return [{ encoding: 'FLAT', mask: 0xfc000000, value: 0xec000000, dwords: 3, opcode: [0, 14, 8, 'imm'], fields: { seg: [0, 24, 2, 'imm'], saddr: [0, 0, 7, 'sgpr'], data: [1, 23, 8, 'vgpr'], th: [1, 20, 3, 'imm'], scope: [1, 18, 2, 'imm'], sve: [1, 17, 1, 'imm'], vdst: [1, 0, 8, 'vgpr'], offset: [2, 8, 24, 'simm'], addr: [2, 0, 8, 'vgpr'] } }];
    case 'MUBUF':
      return [
        { encoding: 'MTBUF', mask: 0xfc3c0000, value: 0xc4200000, dwords: 3, opcode: [0, 14, 4, 'imm'], fields: { ...VBUFFER_FIELDS, format: [1, 23, 7, 'imm'] } },
        { encoding: 'MUBUF', mask: 0xfc000000, value: 0xc4000000, dwords: 3, opcode: [0, 14, 8, 'imm'], fields: VBUFFER_FIELDS },
      ];
    case 'MTBUF': return [];
    default: return [f];
  }
});

const MAI_FIELDS = { cbsz: [0, 8, 3, 'imm'], abid: [0, 11, 4, 'imm'], acc_cd: [0, 15, 1, 'imm'], blgp: [1, 29, 3, 'imm'], acc: [1, 27, 2, 'imm'] } as const;

export const CDNA3_FORMATS: readonly FormatSpec[] = [
  ...SOP_RDNA3_CDNA3,
  { encoding: 'SMEM', mask: 0xfc000000, value: 0xc0000000, dwords: 2, opcode: [0, 18, 8, 'imm'], fields: { imm: [0, 17, 1, 'imm'], glc: [0, 16, 1, 'imm'], nv: [0, 15, 1, 'imm'], soe: [0, 14, 1, 'imm'], sdata: [0, 6, 7, 'sgpr'], sbase: [0, 0, 6, 'sgpr2'], offset: [1, 0, 21, 'simm'], soffset: [1, 25, 7, 'sgpr'] } },
  ...VOP_123C,
  { encoding: 'VOP3P', mask: 0xff800000, value: 0xd3800000, dwords: 2, opcode: [0, 16, 7, 'imm'], fields: { ...VOP3P_FIELDS, ...MAI_FIELDS } },
  { encoding: 'VOP3', mask: 0xfc000000, value: 0xd0000000, dwords: 2, opcode: [0, 16, 10, 'imm'], fields: VOP3_A },
  { encoding: 'DS', mask: 0xfc000000, value: 0xd8000000, dwords: 2, opcode: [0, 17, 8, 'imm'], fields: { acc: [0, 25, 1, 'imm'], gds: [0, 16, 1, 'imm'], offset1: [0, 8, 8, 'imm'], offset0: [0, 0, 8, 'imm'], vdst: [1, 24, 8, 'vgpr'], data1: [1, 16, 8, 'vgpr'], data0: [1, 8, 8, 'vgpr'], addr: [1, 0, 8, 'vgpr'] } },
  { encoding: 'FLAT', mask: 0xfc000000, value: 0xdc000000, dwords: 2, opcode: [0, 18, 7, 'imm'], fields: { sc1: [0, 25, 1, 'imm'], nt: [0, 17, 1, 'imm'], sc0: [0, 16, 1, 'imm'], seg: [0, 14, 2, 'imm'], sve: [0, 13, 1, 'imm'], offset: [0, 0, 13, 'simm'], vdst: [1, 24, 8, 'vgpr'], acc: [1, 23, 1, 'imm'], saddr: [1, 16, 7, 'sgpr'], data: [1, 8, 8, 'vgpr'], addr: [1, 0, 8, 'vgpr'] } },
  { encoding: 'MUBUF', mask: 0xfc000000, value: 0xe0000000, dwords: 2, opcode: [0, 18, 7, 'imm'], fields: { nt: [0, 17, 1, 'imm'], lds: [0, 16, 1, 'imm'], sc1: [0, 15, 1, 'imm'], sc0: [0, 14, 1, 'imm'], idxen: [0, 13, 1, 'imm'], offen: [0, 12, 1, 'imm'], offset: [0, 0, 12, 'imm'], soffset: [1, 24, 8, 'src'], acc: [1, 23, 1, 'imm'], srsrc: [1, 16, 5, 'sgpr4'], vdata: [1, 8, 8, 'vgpr'], vaddr: [1, 0, 8, 'vgpr'] } },
  { encoding: 'MTBUF', mask: 0xfc000000, value: 0xe8000000, dwords: 2, opcode: [0, 15, 4, 'imm'], fields: { nfmt: [0, 23, 3, 'imm'], dfmt: [0, 19, 4, 'imm'], sc0: [0, 14, 1, 'imm'], idxen: [0, 13, 1, 'imm'], offen: [0, 12, 1, 'imm'], offset: [0, 0, 12, 'imm'], soffset: [1, 24, 8, 'src'], acc: [1, 23, 1, 'imm'], nt: [1, 22, 1, 'imm'], sc1: [1, 21, 1, 'imm'], srsrc: [1, 16, 5, 'sgpr4'], vdata: [1, 8, 8, 'vgpr'], vaddr: [1, 0, 8, 'vgpr'] } },
];

/**
 * CDNA2 (gfx90a): CDNA3's layouts with the cache-policy bits under their gfx90a names (sc0 = glc, nt = slc,
 * sc1 = scc: LLVM SIDefines.h CPol) and no FLAT sve bit: a scratch instruction uses its VGPR address exactly
 * when saddr is off (FLATInstructions.td; checked against llvm-mc-19 -mcpu=gfx90a -show-encoding).
 */
const CDNA2_NAMES: Readonly<Record<string, string>> = { sc0: 'glc', nt: 'slc', sc1: 'scc' };
export const CDNA2_FORMATS: readonly FormatSpec[] = CDNA3_FORMATS.map((f) => ({
  ...f,
  fields: Object.fromEntries(Object.entries(f.fields).filter(([k]) => k !== 'sve').map(([k, v]) => [CDNA2_NAMES[k] ?? k, v])),
}));

export const FORMATS: Readonly<Record<IsaFamily, readonly FormatSpec[]>> = { rdna3: RDNA3_FORMATS, rdna4: RDNA4_FORMATS, cdna3: CDNA3_FORMATS, cdna2: CDNA2_FORMATS };

/** VOP3SD shares VOP3's match; the opcode table marks which VOP3 opcodes use it. */
export const VOP3SD_FIELDS: Readonly<Record<string, FieldSpec>> = VOP3_SD;

/** DPP16 extension dword (src0 = 250 in the base instruction). */
export const DPP16_FIELDS: Readonly<Record<string, FieldSpec>> = {
  src0: [0, 0, 8, 'vgpr'], dpp_ctrl: [0, 8, 9, 'imm'], fi: [0, 18, 1, 'imm'], bound_ctrl: [0, 19, 1, 'imm'],
  src0_neg: [0, 20, 1, 'imm'], src0_abs: [0, 21, 1, 'imm'], src1_neg: [0, 22, 1, 'imm'], src1_abs: [0, 23, 1, 'imm'],
  bank_mask: [0, 24, 4, 'imm'], row_mask: [0, 28, 4, 'imm'],
};
/** DPP8 extension dword (RDNA3, src0 = 233, or 234 with fetch-inactive): eight 3-bit lane selects. */
export const DPP8_FIELDS: Readonly<Record<string, FieldSpec>> = { src0: [0, 0, 8, 'vgpr'], dpp8: [0, 8, 24, 'imm'] };
/** SDWA extension dword (CDNA3, src0 = 249). VOPC uses sdst/sd in place of dst_sel/dst_unused/clamp/omod. */
export const SDWA_FIELDS: Readonly<Record<string, FieldSpec>> = {
  src0: [0, 0, 8, 'imm'], dst_sel: [0, 8, 3, 'imm'], dst_unused: [0, 11, 2, 'imm'], clamp: [0, 13, 1, 'imm'], omod: [0, 14, 2, 'imm'],
  sdst: [0, 8, 7, 'sgpr'], sd: [0, 15, 1, 'imm'],
  src0_sel: [0, 16, 3, 'imm'], src0_sext: [0, 19, 1, 'imm'], src0_neg: [0, 20, 1, 'imm'], src0_abs: [0, 21, 1, 'imm'], s0: [0, 23, 1, 'imm'],
  src1_sel: [0, 24, 3, 'imm'], src1_sext: [0, 27, 1, 'imm'], src1_neg: [0, 28, 1, 'imm'], src1_abs: [0, 29, 1, 'imm'], s1: [0, 31, 1, 'imm'],
};

/** Operand codes in src0 that announce an extension dword. */
export const EXT_CODES: Readonly<Record<IsaFamily, Readonly<Record<number, 'dpp' | 'dpp8' | 'sdwa'>>>> = {
  rdna3: { 250: 'dpp', 233: 'dpp8', 234: 'dpp8' },
  rdna4: { 250: 'dpp', 233: 'dpp8', 234: 'dpp8' },
  cdna3: { 250: 'dpp', 249: 'sdwa' },
  cdna2: { 250: 'dpp', 249: 'sdwa' },
};

export function extractField(words: ArrayLike<number>, spec: FieldSpec): number {
  const [dw, lo, bits, kind] = spec;
  const raw = bits === 32 ? words[dw]! >>> 0 : (words[dw]! >>> lo) & ((1 << bits) - 1);
  if (kind === 'simm' && raw >= 1 << (bits - 1)) return raw - (1 << bits);
  return raw;
}

/** Places a field value into words (used by the table generator to build probes). */
export function insertField(words: number[], spec: FieldSpec, value: number): void {
  const [dw, lo, bits] = spec;
  const mask = bits === 32 ? 0xffffffff : ((1 << bits) - 1) << lo;
  words[dw] = ((words[dw]! & ~mask) | ((value << lo) & mask)) >>> 0;
}
