// Bit-exact conversions between the GPU's floating-point formats (IEEE binary16, bfloat16, binary32,
// binary64) with round-to-nearest-even, plus the bit-level reinterpretation views the executor uses.

const scratch = new ArrayBuffer(8);
const f32v = new Float32Array(scratch, 0, 1);
const u32v = new Uint32Array(scratch, 0, 2);
const f64v = new Float64Array(scratch, 0, 1);

export function f32FromBits(bits: number): number {
  u32v[0] = bits;
  return f32v[0]!;
}

export function bitsFromF32(x: number): number {
  f32v[0] = x;
  return u32v[0]!;
}

export function f64FromBits(lo: number, hi: number): number {
  u32v[0] = lo;
  u32v[1] = hi;
  return f64v[0]!;
}

/** Writes the binary64 bits of x into out[0] (low) and out[1] (high). */
export function bitsFromF64(x: number, out: Uint32Array | number[]): void {
  f64v[0] = x;
  out[0] = u32v[0]!;
  out[1] = u32v[1]!;
}

export function f64Hi(x: number): number {
  f64v[0] = x;
  return u32v[1]!;
}

export function f64Lo(x: number): number {
  f64v[0] = x;
  return u32v[0]!;
}

/** binary16 bits → value (exact; a table of all 65536 halves). */
export const halfToFloat: Float32Array = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const man = h & 0x3ff;
    if (exp === 0) t[h] = sign * man * 2 ** -24;
    else if (exp === 31) t[h] = man ? f32FromBits(((h & 0x8000) << 16) | 0x7f800000 | (man << 13)) : sign * Infinity;
    else t[h] = sign * (1024 + man) * 2 ** (exp - 25);
  }
  return t;
})();

export function f16ToF32(h: number): number {
  return halfToFloat[h & 0xffff]!;
}

/** Rounds a binary32 (given as bits) to binary16 bits, round-to-nearest-even; NaNs are quieted. */
export function f32BitsToF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let man = bits & 0x7fffff;
  if (exp === 0xff) return man ? sign | 0x7e00 | (man >>> 13) : sign | 0x7c00;
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = man & ((1 << shift) - 1);
    let r = man >>> shift;
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = man >>> 13;
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** Rounds any double to binary16 bits with a single rounding (via the exact f32 step when lossless). */
export function f64ToF16(x: number): number {
  const f = Math.fround(x);
  if (f === x || x !== x) return f32BitsToF16(bitsFromF32(f));
  // Round to odd in binary32 keeps the later rounding to binary16 correct (no double rounding).
  let bits = bitsFromF32(f);
  if ((bits & 1) === 0) bits += Math.abs(f) > Math.abs(x) ? -1 : 1;
  return f32BitsToF16(bits);
}

export function f32ToF16(x: number): number {
  return f32BitsToF16(bitsFromF32(x));
}

export function bf16ToF32(b: number): number {
  return f32FromBits((b & 0xffff) << 16);
}

/** binary32 bits → bfloat16 bits, round-to-nearest-even; NaNs are quieted. */
export function f32BitsToBf16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Fused multiply-add of binary32 values with one rounding: the product is exact in binary64. */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s || !isFinite(s)) return r;
  // binary64 rounding of p + c double-rounds only when s lands exactly on a binary32 tie.
  const other = s > r ? nextUp32(r) : nextDown32(r);
  if ((r + other) / 2 !== s) return r;
  const bv = s - p;
  const err = p - (s - bv) + (c - bv);
  if (err === 0) return r;
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
}

function nextUp32(x: number): number {
  const b = bitsFromF32(x);
  if (x === 0) return f32FromBits(1);
  return f32FromBits(x > 0 ? b + 1 : b - 1);
}

function nextDown32(x: number): number {
  return -nextUp32(-x);
}

/** Fused multiply-add in binary64 with a single rounding (Dekker/Veltkamp error-free transforms). */
export function fmaF64(a: number, b: number, c: number): number {
  const p = a * b;
  if (!isFinite(p) || a === 0 || b === 0) return p + c;
  const split = (x: number): [number, number] => {
    const t = 134217729 * x;
    const hi = t - (t - x);
    return [hi, x - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const pe = ah * bh - p + ah * bl + al * bh + al * bl;
  const s = p + c;
  const bv = s - p;
  const se = p - (s - bv) + (c - bv);
  return s + (se + pe);
}
