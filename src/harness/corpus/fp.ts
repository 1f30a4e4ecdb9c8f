// Floating-point helpers for the CPU references: IEEE binary16/bfloat16 rounding, an exactly
// rounded f32 fused multiply-add, and ULP distances. Node 20 has no Math.f16round or fma.

const scratch = new DataView(new ArrayBuffer(8));

export function f32Bits(x: number): number {
  scratch.setFloat32(0, x, true);
  return scratch.getUint32(0, true);
}
export function bitsToF32(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}

/** binary16 bits of x rounded to nearest even (overflow to infinity, subnormals kept). */
export function toF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  // Round a / quantum to an integer (ties to even), where quantum is the ulp of a's binade
  // (2^-24 for subnormals). Math.log2 may be off by one next to powers of two: adjust e until the
  // significand lands in [1024, 2048) or the value is subnormal.
  let e = a === 0 ? -14 : Math.max(Math.floor(Math.log2(a)), -14);
  let m = roundHalfEven(a / 2 ** (e - 10));
  while (m >= 2048) m = roundHalfEven(a / 2 ** (++e - 10));
  while (m < 1024 && e > -14) m = roundHalfEven(a / 2 ** (--e - 10));
  if (m === 2048) {
    m = 1024;
    e++;
  }
  if (m < 1024) return sign | m; // subnormal (biased exponent 0)
  if (e + 15 >= 31) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | (m - 1024);
}

export function f16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1024 + m) * 2 ** (e - 25);
}

/** Rounds a number (already representable in f32 or wider) to binary16 and back. */
export function f16Round(x: number): number {
  return f16BitsToNumber(toF16Bits(x));
}

/** bfloat16 bits of the f32 value x, round to nearest even (NaN stays quiet NaN). */
export function toBf16Bits(x: number): number {
  const bits = f32Bits(x);
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}
export function bf16BitsToNumber(bits: number): number {
  return bitsToF32((bits & 0xffff) << 16);
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * fma(a, b, c) rounded once to f32. a*b of two f32 values is exact in f64; the f64 sum s and its
 * error e (TwoSum) are then exact, so only a sum landing exactly halfway between two f32 values
 * needs the sign of e to break the tie correctly.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - p;
  const e = p - (s - bp) + (c - bp);
  const r = Math.fround(s);
  if (e === 0 || !Number.isFinite(s)) return r;
  const other = nextF32Toward(r, s === r ? (e > 0 ? Infinity : -Infinity) : s);
  const mid = (r + other) / 2;
  if (s !== mid) return r;
  // s is exactly a tie between r and other: the true value lies on the side of e.
  return (e > 0) === (other > r) ? other : r;
}

function nextF32Toward(x: number, toward: number): number {
  if (x === toward) return x;
  const bits = f32Bits(x);
  const up = toward > x;
  if (x === 0) return bitsToF32(up ? 1 : 0x80000001);
  return bitsToF32(x > 0 === up ? bits + 1 : bits - 1);
}

/** Distance in units of f32 ulps between two f32 values (via the ordered integer line). */
export function ulpDistanceF32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const ordered = (x: number): number => {
    const bits = f32Bits(x);
    return bits & 0x80000000 ? -(bits & 0x7fffffff) : bits;
  };
  return Math.abs(ordered(a) - ordered(b));
}
