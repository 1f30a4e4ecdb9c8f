// Deterministic inputs and typed views for the corpus: a seeded xorshift32 generator and helpers
// that turn typed arrays into the byte buffers ArgSpec carries.

export class Xorshift32 {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  nextU32(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  /** Uniform in [lo, hi). */
  nextFloat(lo: number, hi: number): number {
    return lo + (this.nextU32() / 2 ** 32) * (hi - lo);
  }
  /** Integer in [lo, hi]. */
  nextInt(lo: number, hi: number): number {
    return lo + (this.nextU32() % (hi - lo + 1));
  }
}

export function u32Array(n: number, seed: number, mask = 0xffffffff): Uint32Array {
  const rng = new Xorshift32(seed);
  return Uint32Array.from({ length: n }, () => (rng.nextU32() & mask) >>> 0);
}

/** f32 values from `make`, rounded to f32. */
export function f32Array(n: number, seed: number, make: (rng: Xorshift32) => number): Float32Array {
  const rng = new Xorshift32(seed);
  return Float32Array.from({ length: n }, () => make(rng));
}

export function filledU32(n: number, value: number): Uint32Array {
  return new Uint32Array(n).fill(value >>> 0);
}

export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

export function asU32(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
}
export function asU16(bytes: Uint8Array): Uint16Array {
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1);
}
export function asF32(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
}
export function asF64(bytes: Uint8Array): Float64Array {
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 3);
}
export function asU64(bytes: Uint8Array): BigUint64Array {
  return new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 3);
}
