// The workgroup's LDS as a byte space. Accesses outside the allocation read 0 and drop writes, as
// the hardware's LDS range check does (RDNA3 ISA guide §"LDS" / CDNA3 ISA "Data share").
import type { ByteSpace } from './atomics.js';
import type { Wave } from './wave.js';

export class LdsSpace implements ByteSpace {
  private static readonly cache = new WeakMap<Uint8Array, LdsSpace>();
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  static of(w: Wave): LdsSpace {
    const b = w.group.lds;
    let s = LdsSpace.cache.get(b);
    if (!s) LdsSpace.cache.set(b, (s = new LdsSpace(b)));
    return s;
  }
  private ok(a: number, n: number): boolean {
    return a >= 0 && a + n <= this.bytes.length;
  }
  read8(a: number): number {
    return this.ok(a, 1) ? this.bytes[a]! : 0;
  }
  read16(a: number): number {
    return this.ok(a, 2) ? this.view.getUint16(a, true) : 0;
  }
  read32(a: number): number {
    return this.ok(a, 4) ? this.view.getUint32(a, true) : 0;
  }
  write8(a: number, v: number): void {
    if (this.ok(a, 1)) this.bytes[a] = v;
  }
  write16(a: number, v: number): void {
    if (this.ok(a, 2)) this.view.setUint16(a, v & 0xffff, true);
  }
  write32(a: number, v: number): void {
    if (this.ok(a, 4)) this.view.setUint32(a, v >>> 0, true);
  }
}
