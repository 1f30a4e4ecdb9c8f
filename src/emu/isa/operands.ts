// The scalar operand space (codes 0..255 of SSRC/SRC fields) per family, and inline-constant values.
// Source: "RDNA3 ISA Reference Guide" §3.7 / Table "SSRC0 operand codes" and "AMD Instinct MI300 ISA" §3.6
// "Scalar operand codes" (LLVM 19 SIDefines.h/AMDGPUInstPrinter agrees; names come from the generated tables).
import type { IsaFamily } from './types.js';
import { RDNA3_OPERAND_NAMES } from './tables/rdna3.js';
import { CDNA3_OPERAND_NAMES } from './tables/cdna3.js';
import { CDNA2_OPERAND_NAMES } from './tables/cdna2.js';
import { RDNA4_OPERAND_NAMES } from './tables/rdna4.js';

export const VGPR_BASE = 256;
export const AGPR_BASE = 512;
export const LITERAL = 255;

export interface OperandSpace {
  /** SGPRs addressable as s0..s(n-1). */
  readonly sgprs: number;
  readonly vccLo: number;
  readonly vccHi: number;
  readonly ttmpFirst: number;
  readonly ttmpLast: number;
  /** Reads as zero, writes are discarded (RDNA3 only). */
  readonly null: number | undefined;
  readonly m0: number;
  readonly execLo: number;
  readonly execHi: number;
  /** flat_scratch_lo/hi and xnack_mask_lo/hi (CDNA only). */
  readonly flatScratchLo: number | undefined;
  readonly xnackMaskLo: number | undefined;
  readonly srcSharedBase: number;
  readonly srcSharedLimit: number;
  readonly srcPrivateBase: number;
  readonly srcPrivateLimit: number;
  readonly srcVccz: number;
  readonly srcExecz: number;
  readonly srcScc: number;
  /** lds_direct (CDNA only). */
  readonly ldsDirect: number | undefined;
}

const COMMON = {
  vccLo: 106, vccHi: 107, ttmpFirst: 108, ttmpLast: 123, execLo: 126, execHi: 127,
  srcSharedBase: 235, srcSharedLimit: 236, srcPrivateBase: 237, srcPrivateLimit: 238, srcVccz: 251, srcExecz: 252, srcScc: 253,
} as const;

const GFX9_SPACE = { ...COMMON, sgprs: 102, null: undefined, m0: 124, flatScratchLo: 102, xnackMaskLo: 104, ldsDirect: 254 } as const;

export const OPERAND_SPACE: Readonly<Record<IsaFamily, OperandSpace>> = {
  rdna3: { ...COMMON, sgprs: 106, null: 124, m0: 125, flatScratchLo: undefined, xnackMaskLo: undefined, ldsDirect: undefined },
  rdna4: { ...COMMON, sgprs: 106, null: 124, m0: 125, flatScratchLo: undefined, xnackMaskLo: undefined, ldsDirect: undefined },
  cdna3: { ...GFX9_SPACE },
  cdna2: { ...GFX9_SPACE },
};

/** LLVM's printed names of operand codes, generated from llvm-mc (see tables/*.ts). */
export const OPERAND_NAMES = { rdna3: RDNA3_OPERAND_NAMES, rdna4: RDNA4_OPERAND_NAMES, cdna3: CDNA3_OPERAND_NAMES, cdna2: CDNA2_OPERAND_NAMES } as const;

export const isInlineInt = (code: number): boolean => code >= 128 && code <= 208;
export const isInlineFloat = (code: number): boolean => code >= 240 && code <= 248;
export const isInlineConstant = (code: number): boolean => isInlineInt(code) || isInlineFloat(code);

/** 128 → 0, 129..192 → 1..64, 193..208 → -1..-16. */
export function inlineIntValue(code: number): number {
  return code <= 192 ? code - 128 : 192 - code;
}

// Bit patterns of the inline floats 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 4.0, -4.0, 1/(2*pi) (codes 240..248).
const F16_BITS = [0x3800, 0xb800, 0x3c00, 0xbc00, 0x4000, 0xc000, 0x4400, 0xc400, 0x3118];
const BF16_BITS = [0x3f00, 0xbf00, 0x3f80, 0xbf80, 0x4000, 0xc000, 0x4080, 0xc080, 0x3e22];
const F32_BITS = [0x3f000000, 0xbf000000, 0x3f800000, 0xbf800000, 0x40000000, 0xc0000000, 0x40800000, 0xc0800000, 0x3e22f983];
const F64_HI = [0x3fe00000, 0xbfe00000, 0x3ff00000, 0xbff00000, 0x40000000, 0xc0000000, 0x40100000, 0xc0100000];
const F64_INV2PI = 0x3fc45f306dc9c882n;

/** How an operand interprets its bits: the inline floats are encoded per type. */
export type InlineType = 'b16' | 'f16' | 'bf16' | 'b32' | 'f32';

/**
 * The 32-bit value an inline constant supplies to a 32-bit (or 16-bit, in the low half) operand. Integer
 * constants are sign-extended for every type; float constants follow the operand's float format (integer
 * operands see the f32 bits, 16-bit integer operands the f16 bits, as the hardware does).
 */
export function inlineConstant32(code: number, type: InlineType): number {
  if (isInlineInt(code)) {
    const v = inlineIntValue(code);
    return type === 'b16' || type === 'f16' || type === 'bf16' ? v & 0xffff : v >>> 0;
  }
  if (!isInlineFloat(code)) throw new RangeError(`operand code ${code} is not an inline constant`);
  const i = code - 240;
  if (type === 'f16' || type === 'b16') return F16_BITS[i]!;
  if (type === 'bf16') return BF16_BITS[i]!;
  return F32_BITS[i]! >>> 0;
}

/**
 * The 64-bit value of an inline constant for a 64-bit operand: integers sign-extended, floats as f64 bit
 * patterns (64-bit integer operands see the f64 patterns too).
 */
export function inlineConstant64(code: number): bigint {
  if (isInlineInt(code)) return BigInt.asUintN(64, BigInt(inlineIntValue(code)));
  if (!isInlineFloat(code)) throw new RangeError(`operand code ${code} is not an inline constant`);
  return code === 248 ? F64_INV2PI : BigInt(F64_HI[code - 240]!) << 32n;
}
