// What the packet builders share: a growable dword buffer, and 64-bit values split into dwords.

// The dwords of a 64-bit value given as a number (a non-negative integer below 2^53, as GPU addresses
// and fence values are on the submission path) or a bigint. Bigints below 2^53 split without BigInt
// arithmetic, which allocates; larger and negative ones take the exact BigInt route.
export const lo32 = (v: bigint | number): number => {
  if (typeof v === 'number') return v >>> 0;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n >>> 0 : Number(v & 0xffffffffn);
};
export const hi32 = (v: bigint | number): number => {
  if (typeof v === 'number') return Math.floor(v / 4294967296) >>> 0;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? Math.floor(n / 4294967296) >>> 0 : Number((v >> 32n) & 0xffffffffn);
};

export class DwordStream {
  protected buf: Uint32Array;
  private n = 0;
  private view: Uint32Array = new Uint32Array(0);
  private viewOf: Uint32Array | undefined;

  constructor(capacityDwords: number) {
    this.buf = new Uint32Array(capacityDwords);
  }

  get length(): number {
    return this.n;
  }

  /** The packets written so far (a view; valid until the next write). */
  get dwords(): Uint32Array {
    // The same view while nothing was written, so a hot loop does not allocate one per submission.
    if (this.view.length !== this.n || this.viewOf !== this.buf) {
      this.view = this.buf.subarray(0, this.n);
      this.viewOf = this.buf;
    }
    return this.view;
  }

  reset(): this {
    this.n = 0;
    return this;
  }

  /** Reserves `k` dwords at the end and returns their index. */
  protected room(k: number): number {
    if (this.n + k > this.buf.length) {
      const grown = new Uint32Array(Math.max(this.buf.length * 2, this.n + k));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    const at = this.n;
    this.n += k;
    return at;
  }

  /** Appends raw dwords (already-encoded packets, e.g. a cached dispatch template). */
  raw(dwords: ArrayLike<number>): this {
    const at = this.room(dwords.length);
    this.buf.set(dwords, at);
    return this;
  }
}
