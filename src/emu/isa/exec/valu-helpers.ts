// Lane-level arithmetic the VALU operation table refers to by name (ISA guides' pseudocode, RDNA3
// ISA Reference Guide ch. 16 "Instructions" / CDNA3 ISA ch. 12). Pure functions over JS numbers.
import { bitsFromF32, f32FromBits, f64ToF16, fmaF32, fmaF64, halfToFloat } from './float.js';

const wide = new Uint32Array(3);

/** Scratch the 64-bit helpers leave their results in: [lo, hi, carry]. */
export const OUT64 = wide;

export function popc(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export function ctz(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}

export function bitrev(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return ((x >>> 16) | (x << 16)) >>> 0;
}

/**
 * High dword of the unsigned 64-bit product, from 16-bit halves: each partial product is below 2^32,
 * so shifts stay exact (forms multiplying whole dwords in doubles measured ~3x slower here).
 */
export function mulhiU(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

export function mulhiI(a: number, b: number): number {
  return (mulhiU(a >>> 0, b >>> 0) - (a < 0 || a >= 0x80000000 ? b >>> 0 : 0) - (b < 0 || b >= 0x80000000 ? a >>> 0 : 0)) >>> 0;
}

/** OUT64 = a * b + c for signed 32-bit a, b and 64-bit c; OUT64[2] = signed overflow of the add. */
export function madI64(a: number, b: number, cLo: number, cHi: number): void {
  const lo = Math.imul(a, b) >>> 0;
  const hi = mulhiI(a | 0, b | 0);
  const sLo = lo + cLo;
  const sHi = (hi + cHi + (sLo > 0xffffffff ? 1 : 0)) >>> 0;
  wide[0] = sLo;
  wide[1] = sHi;
  const pNeg = hi >>> 31, cNeg = cHi >>> 31, rNeg = sHi >>> 31;
  wide[2] = pNeg === cNeg && rNeg !== pNeg ? 1 : 0;
}

/** IEEE-754 maxNum/minNum as the VALU implements them in IEEE mode: a NaN operand yields the other. */
export function maxNum(a: number, b: number): number {
  return a !== a ? b : b !== b ? a : Math.max(a, b);
}

export function minNum(a: number, b: number): number {
  return a !== a ? b : b !== b ? a : Math.min(a, b);
}

export function med3(a: number, b: number, c: number): number {
  if (a !== a || b !== b || c !== c) return minNum(minNum(a, b), c);
  const mx = Math.max(a, b, c);
  if (mx === a) return Math.max(b, c);
  if (mx === b) return Math.max(a, c);
  return Math.max(a, b);
}

export function med3i(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Float → int32 with the VALU's saturation (NaN → 0). */
export function cvtI32(x: number): number {
  if (x !== x) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x);
}

export function cvtU32(x: number): number {
  if (x !== x || x <= 0) return 0;
  if (x >= 4294967295) return 4294967295;
  return Math.trunc(x);
}

export function cvtI16(x: number): number {
  if (x !== x) return 0;
  return Math.max(-32768, Math.min(32767, Math.trunc(x)));
}

export function cvtU16(x: number): number {
  if (x !== x || x <= 0) return 0;
  return Math.min(65535, Math.trunc(x));
}

export function satI16(x: number): number {
  return Math.max(-32768, Math.min(32767, x)) & 0xffff;
}

export function satU16(x: number): number {
  return Math.max(0, Math.min(65535, x));
}

/** Round half to even (V_RNDNE). */
export function rne(x: number): number {
  if (!isFinite(x)) return x;
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}

export function trunc(x: number): number {
  return Math.trunc(x);
}

/** V_FRACT: x - floor(x), clamped below 1.0 of the format; NaN/inf give NaN. */
export function fract32(x: number): number {
  if (!isFinite(x)) return NaN;
  return Math.min(x - Math.floor(x), 0.99999994039535522);
}

export function fract64(x: number): number {
  if (!isFinite(x)) return NaN;
  return Math.min(x - Math.floor(x), 0.99999999999999989);
}

/** x * 2^e without intermediate overflow or underflow. */
export function ldexp(x: number, e: number): number {
  if (x === 0 || !isFinite(x)) return x;
  e = Math.max(-2200, Math.min(2200, e));
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
    if (x === 0) return x;
  }
  // Split so that each step is exact until the final rounding.
  if (e < -1000 + 52) {
    const h = Math.trunc(e / 2);
    return x * 2 ** h * 2 ** (e - h);
  }
  return x * 2 ** e;
}

/** Exponent as frexp returns it (x = m * 2^e, 0.5 <= |m| < 1); 0 for 0, inf and NaN. */
export function frexpExp(x: number): number {
  if (x === 0 || !isFinite(x)) return 0;
  let e = Math.floor(Math.log2(Math.abs(x))) + 1;
  const m = Math.abs(x) / 2 ** e;
  if (m >= 1) e++;
  else if (m < 0.5) e--;
  return e;
}

export function frexpMant(x: number): number {
  if (x === 0 || !isFinite(x)) return x;
  return ldexp(x, -frexpExp(x));
}

/** Biased exponent field of x in a format with exponent bias `bias` (0 for zero and denormals). */
function biasedExponent(x: number, bias: number, minNormal: number): number {
  return Math.abs(x) < minNormal ? 0 : frexpExp(x) - 1 + bias;
}

/** Parameters of V_DIV_SCALE per format: bias, exponent gap, tiny-numerator bound, scale, min normal. */
export const DIV_SCALE_F32 = [127, 96, 23, 64, 2 ** -126] as const;
export const DIV_SCALE_F64 = [1023, 768, 53, 128, 2 ** -1022] as const;

/**
 * V_DIV_SCALE (RDNA3 ISA guide pseudocode): scales numerator or denominator so the Newton-Raphson
 * division stays in range; the VCC bit goes to OUT64[2].
 */
export function divScale(s0: number, s1: number, s2: number, p: readonly [number, number, number, number, number]): number {
  const [bias, gap, tiny, scale, minNormal] = p;
  wide[2] = 0;
  if (s2 === 0 || s1 === 0) return NaN;
  const e1 = biasedExponent(s1, bias, minNormal), e2 = biasedExponent(s2, bias, minNormal);
  if (e2 - e1 >= gap) {
    wide[2] = 1;
    return s0 === s1 ? ldexp(s0, scale) : s0;
  }
  if (Math.abs(s1) < minNormal) return ldexp(s0, scale);
  const inv = 1 / s1, q = s2 / s1;
  if (Math.abs(inv) < minNormal && Math.abs(q) >= minNormal) {
    wide[2] = 1;
    return s0 === s1 ? ldexp(s0, scale) : s0;
  }
  if (Math.abs(inv) < minNormal) return ldexp(s0, -scale);
  if (q !== 0 && Math.abs(q) < minNormal) {
    wide[2] = 1;
    return s0 === s2 ? ldexp(s0, scale) : s0;
  }
  if (e2 <= tiny) return ldexp(s0, scale);
  return s0;
}

/** V_DIV_FMAS: the fma, rescaled when VCC says div_scale scaled an operand. */
export function divFmas(a: number, b: number, c: number, vcc: number, f64: boolean): number {
  const r = f64 ? fmaF64(a, b, c) : fmaF32(a, b, c);
  if (!vcc) return r;
  const big = Math.abs(c) >= 1;
  return ldexp(r, f64 ? (big ? 128 : -128) : big ? 64 : -64);
}

/** V_DIV_FIXUP: special cases of s2 / s1 given quotient estimate s0. */
export function divFixup(s0: number, s1: number, s2: number): number {
  const signOut = (s1 < 0 || Object.is(s1, -0)) !== (s2 < 0 || Object.is(s2, -0));
  if (s2 !== s2) return s2;
  if (s1 !== s1) return s1;
  if (s1 === 0 && s2 === 0) return NaN;
  if (!isFinite(s1) && !isFinite(s2)) return NaN;
  if (s1 === 0 || !isFinite(s2)) return signOut ? -Infinity : Infinity;
  if (!isFinite(s1) || s2 === 0) return signOut ? -0 : 0;
  if (s0 !== s0) return signOut ? -Infinity : Infinity;
  return signOut ? -Math.abs(s0) : Math.abs(s0);
}

export function sinRev(x: number): number {
  return Math.sin(x * 2 * Math.PI);
}

export function cosRev(x: number): number {
  return Math.cos(x * 2 * Math.PI);
}

/** binary32 → binary16 rounding toward zero (V_CVT_PKRTZ_F16_F32). */
export function f16rtz(x: number): number {
  const h = f64ToF16(x);
  if (x === x && Math.abs(halfToFloat[h]!) > Math.abs(x)) return h - 1;
  return h;
}

/** V_PERM_B32 byte selector semantics. */
export function permB32(a: number, b: number, sel: number): number {
  let out = 0;
  for (let i = 0; i < 4; i++) {
    const s = (sel >>> (i * 8)) & 0xff;
    let byte: number;
    if (s < 8) byte = s < 4 ? (b >>> (s * 8)) & 0xff : (a >>> ((s - 4) * 8)) & 0xff;
    else if (s === 8) byte = (b >>> 15) & 1 ? 0xff : 0;
    else if (s === 9) byte = (b >>> 31) & 1 ? 0xff : 0;
    else if (s === 10) byte = (a >>> 15) & 1 ? 0xff : 0;
    else if (s === 11) byte = (a >>> 31) & 1 ? 0xff : 0;
    else if (s === 12) byte = 0;
    else byte = 0xff;
    out |= byte << (i * 8);
  }
  return out >>> 0;
}

export function mbcntLo(mask: number, lane: number): number {
  return lane >= 32 ? popc(mask) : popc(mask & ((1 << lane) - 1) >>> 0);
}

export function mbcntHi(mask: number, lane: number): number {
  return lane < 32 ? 0 : popc(mask & ((2 ** (lane - 32) - 1) >>> 0));
}

/** Float class test: `mask` bit per class (0 sNaN, 1 qNaN, 2 -inf, 3 -norm, 4 -denorm, 5 -0, 6 +0, 7 +denorm, 8 +norm, 9 +inf). */
export function classTest(x: number, mask: number, minNormal: number, quietBit: boolean): boolean {
  let bit: number;
  if (x !== x) bit = quietBit ? 1 : 0;
  else if (x === -Infinity) bit = 2;
  else if (x === Infinity) bit = 9;
  else if (x === 0) bit = Object.is(x, -0) ? 5 : 6;
  else if (x < 0) bit = -x < minNormal ? 4 : 3;
  else bit = x < minNormal ? 7 : 8;
  return ((mask >>> bit) & 1) === 1;
}

export function isQuietF32Bits(bits: number): boolean {
  return (bits & 0x400000) !== 0;
}

/** V_CMP_CLASS on raw bits: e/m field widths give the format (f16 5/10, f32 8/23). */
export function classBits(bits: number, mask: number, expBits: number, manBits: number): boolean {
  const sign = (bits >>> (expBits + manBits)) & 1;
  const expMax = (1 << expBits) - 1;
  const exp = (bits >>> manBits) & expMax;
  const man = bits & ((1 << manBits) - 1);
  let bit: number;
  if (exp === expMax) bit = man === 0 ? (sign ? 2 : 9) : (man >>> (manBits - 1)) & 1 ? 1 : 0;
  else if (exp === 0) bit = man === 0 ? (sign ? 5 : 6) : sign ? 4 : 7;
  else bit = sign ? 3 : 8;
  return ((mask >>> bit) & 1) === 1;
}

export function classBits64(lo: number, hi: number, mask: number): boolean {
  const exp = (hi >>> 20) & 0x7ff;
  const sign = hi >>> 31;
  const manZero = (hi & 0xfffff) === 0 && lo === 0;
  let bit: number;
  if (exp === 0x7ff) bit = manZero ? (sign ? 2 : 9) : (hi >>> 19) & 1 ? 1 : 0;
  else if (exp === 0) bit = manZero ? (sign ? 5 : 6) : sign ? 4 : 7;
  else bit = sign ? 3 : 8;
  return ((mask >>> bit) & 1) === 1;
}

/** Three-way compare of 64-bit integers given as halves. */
export function cmp64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean): number {
  const ah = signed ? aHi | 0 : aHi >>> 0, bh = signed ? bHi | 0 : bHi >>> 0;
  if (ah !== bh) return ah < bh ? -1 : 1;
  return aLo === bLo ? 0 : aLo >>> 0 < bLo >>> 0 ? -1 : 1;
}

export function f16v(x: number): number {
  return halfToFloat[f64ToF16(x)]!;
}

export { bitsFromF32, f32FromBits, fmaF32, fmaF64 };
