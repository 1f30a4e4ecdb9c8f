// Scalar operand codes 0..255 (SGPRs, specials, inline constants, literal) as readers and writers.
// Code map: RDNA3 ISA guide §"Scalar operands" table / CDNA3 ISA guide §"SGPRs and special operands";
// LLVM AMDGPUUsage "Memory model / apertures" for SRC_SHARED/PRIVATE_BASE.
import { InstructionFault, type IsaFamily } from '../types.js';
import { EXEC_HI, EXEC_LO, nullCode, type Wave } from './wave.js';

/** How an operand's bits are interpreted: decides inline-constant encodings and the 64-bit literal rule. */
export type OperandKind = 'b32' | 'f32' | 'f16' | 'b16' | 'b64' | 'f64' | 'bf16';

// Aperture bases the emulated KFD reports (src/emu/kfd/misc-ioctls.ts): LDS 1<<48, scratch 2<<48.
export const SHARED_APERTURE_HI = 0x10000;
export const PRIVATE_APERTURE_HI = 0x20000;

const INV_2PI = { f32: 0x3e22f983, f16: 0x3118, f64hi: 0x3fc45f30, f64lo: 0x6dc9c882 };
const F16_BITS = [0x3800, 0xb800, 0x3c00, 0xbc00, 0x4000, 0xc000, 0x4400, 0xc400];
const F32_BITS = [0x3f000000, 0xbf000000, 0x3f800000, 0xbf800000, 0x40000000, 0xc0000000, 0x40800000, 0xc0800000];
const F64_HI = [0x3fe00000, 0xbfe00000, 0x3ff00000, 0xbff00000, 0x40000000, 0xc0000000, 0x40100000, 0xc0100000];

export const LITERAL = 255;

/** Value of an inline constant or literal as [lo, hi] for the operand kind, or undefined for registers. */
export function constantOperand(code: number, kind: OperandKind, literal: number | undefined): [number, number] | undefined {
  const wide = kind === 'b64' || kind === 'f64';
  if (code >= 128 && code <= 208) {
    const v = code <= 192 ? code - 128 : 192 - code;
    return [v >>> 0, wide && v < 0 ? 0xffffffff : 0];
  }
  if (code >= 240 && code <= 248) {
    const i = code - 240;
    if (kind === 'f64') return i === 8 ? [INV_2PI.f64lo, INV_2PI.f64hi] : [0, F64_HI[i]!];
    if (kind === 'f16') return [i === 8 ? INV_2PI.f16 : F16_BITS[i]!, 0];
    if (kind === 'bf16') return [i === 8 ? 0x3e22 : F32_BITS[i]! >>> 16, 0];
    // Integer operands receive the binary32 pattern (also for 64-bit ints: zero-extended).
    return [i === 8 ? INV_2PI.f32 : F32_BITS[i]!, 0];
  }
  if (code === LITERAL) {
    if (literal === undefined) throw new InstructionFault('illegal', 'literal operand without a literal');
    // A 32-bit literal for a binary64 operand supplies the high dword (ISA guide "Literal constants").
    if (kind === 'f64') return [0, literal >>> 0];
    return [literal >>> 0, 0];
  }
  return undefined;
}

export type ScalarRead = (w: Wave) => number;

/** A reader of the low (or only) dword of scalar operand `code`. */
export function scalarReader(family: IsaFamily, code: number, kind: OperandKind, literal: number | undefined, high = false): ScalarRead {
  const c = constantOperand(code, kind, literal);
  if (c) {
    const v = high ? c[1] : c[0];
    return () => v;
  }
  const reg = high ? code + 1 : code;
  if (reg < 128) {
    if (reg === nullCode(family)) return () => 0;
    return (w) => w.S[reg]!;
  }
  switch (code) {
    case 235:
      return high ? () => SHARED_APERTURE_HI : () => (kind === 'b64' ? 0 : SHARED_APERTURE_HI);
    case 236:
      return high ? () => SHARED_APERTURE_HI : () => (kind === 'b64' ? 0xffffffff : SHARED_APERTURE_HI);
    case 237:
      return high ? () => PRIVATE_APERTURE_HI : () => (kind === 'b64' ? 0 : PRIVATE_APERTURE_HI);
    case 238:
      return high ? () => PRIVATE_APERTURE_HI : () => (kind === 'b64' ? 0xffffffff : PRIVATE_APERTURE_HI);
    case 239:
      return () => 0;
    case 251:
      return high ? () => 0 : (w) => ((w.S[106]! | (w.waveSize === 64 ? w.S[107]! : 0)) === 0 ? 1 : 0);
    case 252:
      return high ? () => 0 : (w) => ((w.S[EXEC_LO]! | w.execHi) === 0 ? 1 : 0);
    case 253:
      return high ? () => 0 : (w) => w.scc;
  }
  throw new InstructionFault('illegal', `scalar operand code ${code} cannot be read`);
}

export type ScalarWrite = (w: Wave, v: number) => void;

/** A writer of scalar destination `code` (+1 for the high dword of a pair). */
export function scalarWriter(family: IsaFamily, code: number): ScalarWrite {
  if (code >= 128) throw new InstructionFault('illegal', `scalar destination code ${code} is not writable`);
  if (code === nullCode(family)) return () => {};
  if (code === EXEC_HI) return (w, v) => {
    w.S[EXEC_HI] = w.waveSize === 32 ? 0 : v;
  };
  return (w, v) => {
    w.S[code] = v;
  };
}
