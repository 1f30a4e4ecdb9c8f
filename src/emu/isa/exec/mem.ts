// Byte access to GPU virtual memory through the GpuVm, with the last mapping cached as plain numbers
// so per-lane accesses need no BigInt arithmetic. Faults come from vm.span (GpuFault) unchanged.
import type { GpuVm, VmMapping } from '../../gpu-vm.js';

const CLIENT = 'shader';

/** A window of GPU virtual memory resolved to its backing bytes. */
interface Window {
  readonly start: number;
  readonly end: number;
  readonly writable: boolean;
  readonly base: number;
  readonly view: DataView;
  readonly bytes: Uint8Array;
}

/**
 * Windows kept besides the current one: kernels interleave accesses to a few buffers (sgemm reads
 * A and B in turn), and each switch would otherwise cost a BigInt mapping lookup.
 */
const RECENT_WINDOWS = 4;

/** What an accessor with no window yet points at (shared: a new accessor allocates nothing more). */
const NO_BYTES = new Uint8Array(0);
const NO_VIEW = new DataView(NO_BYTES.buffer);

export class GpuMemory {
  private start = 0;
  private end = 0;
  private writable = false;
  private base = 0;
  private view: DataView = NO_VIEW;
  private bytes: Uint8Array = NO_BYTES;
  private readonly recent: Window[] = [];

  /**
   * `concurrent`: other threads run workgroups of the same dispatch over this memory, so a
   * read-modify-write (update32/update64) must be one Atomics operation on the shared buffer.
   */
  constructor(readonly vm: GpuVm, readonly concurrent = false) {}

  /** Drops every cached window, so the next accesses see the VM's mappings as they are now. */
  forget(): void {
    this.start = this.end = 0;
    if (this.recent.length > 0) this.recent.length = 0;
  }

  // Callers must call at() before reading this.view/this.bytes: it may replace them.
  /** Makes [va, va+len) addressable through this.view at (va - start + base); returns that offset. */
  private at(va: number, len: number, write: boolean): number {
    if (va >= this.start && va + len <= this.end && (!write || this.writable)) return va - this.start + this.base;
    return this.miss(va, len, write);
  }

  /** at() outside the current window (kept apart so that at() stays small enough for V8 to inline into every access). */
  private miss(va: number, len: number, write: boolean): number {
    const r = this.recent;
    for (let i = 0; i < r.length; i++) {
      const x = r[i]!;
      if (va >= x.start && va + len <= x.end && (!write || x.writable)) {
        r[i] = this.current();
        this.use(x);
        return va - this.start + this.base;
      }
    }
    if (this.end > this.start) {
      if (r.length >= RECENT_WINDOWS) r.pop();
      r.unshift(this.current());
    }
    const m: VmMapping | undefined = this.vm.lookup(BigInt(va));
    if (m && (m.validStart !== undefined || m.validEnd !== undefined) && (!write || m.writable)) {
      // A byte-exact mapping (EmuHost.checkBytes): cache only its valid window; outside it, span() faults.
      const lo = m.validStart ?? m.start;
      const hi = m.validEnd ?? m.end;
      if (BigInt(va) >= lo && BigInt(va + len) <= hi) {
        this.start = Number(lo);
        this.end = Number(hi);
        this.writable = m.writable;
        this.bytes = m.bytes;
        this.view = new DataView(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
        this.base = m.offset + Number(lo - m.start);
        return va - this.start + this.base;
      }
    }
    if (!m || (write && !m.writable) || BigInt(va + len) > m.end || m.validStart !== undefined || m.validEnd !== undefined) {
      const s = this.vm.span(BigInt(va), len, write, CLIENT);
      // A span crossing into an adjacent mapping of the same buffer: serve it uncached.
      this.start = va;
      this.end = va + len;
      this.writable = write;
      this.bytes = s.bytes;
      this.view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
      this.base = s.offset;
      return s.offset;
    }
    this.start = Number(m.start);
    this.end = Number(m.end);
    this.writable = m.writable;
    this.bytes = m.bytes;
    this.view = new DataView(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    this.base = m.offset;
    return va - this.start + this.base;
  }

  private current(): Window {
    return { start: this.start, end: this.end, writable: this.writable, base: this.base, view: this.view, bytes: this.bytes };
  }

  private use(x: Window): void {
    this.start = x.start;
    this.end = x.end;
    this.writable = x.writable;
    this.base = x.base;
    this.view = x.view;
    this.bytes = x.bytes;
  }

  read32(va: number): number {
    const o = this.at(va, 4, false);
    return this.view.getUint32(o, true);
  }

  write32(va: number, v: number): void {
    const o = this.at(va, 4, true);
    this.view.setUint32(o, v >>> 0, true);
  }

  read16(va: number): number {
    const o = this.at(va, 2, false);
    return this.view.getUint16(o, true);
  }

  write16(va: number, v: number): void {
    const o = this.at(va, 2, true);
    this.view.setUint16(o, v & 0xffff, true);
  }

  read8(va: number): number {
    const o = this.at(va, 1, false);
    return this.bytes[o]!;
  }

  write8(va: number, v: number): void {
    const o = this.at(va, 1, true);
    this.bytes[o] = v & 0xff;
  }

  /**
   * Replaces the dword at va by next(old) and returns old: an atomic read-modify-write. With other
   * threads on the memory it is a compare-exchange loop on the shared buffer when va is 4-byte aligned
   * (hardware atomics need natural alignment; an unaligned one stays the plain read and write it was).
   */
  update32(va: number, next: (old: number) => number): number {
    if (!this.concurrent) {
      const old = this.read32(va);
      this.write32(va, next(old));
      return old;
    }
    // The same checks, in the same order, as the read and the write (a fault reads the same).
    this.at(va, 4, false);
    const o = this.at(va, 4, true);
    const abs = this.bytes.byteOffset + o;
    if ((abs & 3) !== 0 || !(this.bytes.buffer instanceof SharedArrayBuffer)) {
      const old = this.view.getUint32(o, true);
      this.view.setUint32(o, next(old) >>> 0, true);
      return old;
    }
    const words = new Int32Array(this.bytes.buffer, abs, 1);
    for (;;) {
      const old = Atomics.load(words, 0);
      if (Atomics.compareExchange(words, 0, old, next(old >>> 0) | 0) === old) return old >>> 0;
    }
  }

  /** The 64-bit form of update32 ([lo, hi] pairs), one BigInt64 compare-exchange when 8-byte aligned. */
  update64(va: number, next: (lo: number, hi: number) => readonly number[]): [number, number] {
    if (this.concurrent) {
      this.at(va, 8, false);
      const o = this.at(va, 8, true);
      const abs = this.bytes.byteOffset + o;
      if ((abs & 7) === 0 && this.bytes.buffer instanceof SharedArrayBuffer) {
        const words = new BigInt64Array(this.bytes.buffer, abs, 1);
        for (;;) {
          const old = Atomics.load(words, 0);
          const lo = Number(old & 0xffffffffn), hi = Number(BigInt.asUintN(64, old) >> 32n);
          const r = next(lo, hi);
          const nv = BigInt.asIntN(64, (BigInt(r[1]! >>> 0) << 32n) | BigInt(r[0]! >>> 0));
          if (Atomics.compareExchange(words, 0, old, nv) === old) return [lo, hi];
        }
      }
    }
    // Two dwords, as the executor has always done it (an unaligned one stays two plain dword accesses).
    const lo = this.read32(va), hi = this.read32(va + 4);
    const r = next(lo, hi);
    this.write32(va, r[0]!);
    this.write32(va + 4, r[1]!);
    return [lo, hi];
  }
}
