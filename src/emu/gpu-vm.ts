// A GPU's view of the process address space (its GPUVM page tables), as the engines use it. Mappings
// are page-granular ranges of buffer objects; anything else is a fault.

export interface VmMapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly bytes: Uint8Array;
  /** Byte offset of `start` inside `bytes`. */
  readonly offset: number;
  readonly writable: boolean;
  readonly executable: boolean;
  readonly label: string;
  /**
   * The emulator's byte-exact bounds diagnostic (EmuHost.checkBytes): only [validStart, validEnd) of
   * the mapping may be accessed; any other byte faults as if unmapped. Hardware maps whole pages.
   */
  readonly validStart?: bigint;
  readonly validEnd?: bigint;
}

export type FaultKind = 'not-present' | 'read-only' | 'no-execute';

/** A GPU access to an address with no (or the wrong kind of) mapping: what KFD reports as a VM fault. */
export class GpuFault extends Error {
  /** The lane whose access faulted (set by the vector-memory instruction that made it). */
  lane: number | undefined;
  /** The wave and instruction that faulted, when a shader did (set by the shader core). */
  shader: ShaderFaultSite | undefined;
  constructor(readonly va: bigint, readonly write: boolean, readonly kind: FaultKind, readonly client: string) {
    super(`GPU VM fault (${kind}) on ${write ? 'write' : 'read'} at 0x${va.toString(16)} by ${client}`);
    this.name = 'GpuFault';
  }
}

export interface ShaderFaultSite {
  readonly pc: number;
  readonly lane: number | undefined;
  readonly workgroup: readonly [number, number, number];
  /** Wave index inside the workgroup. */
  readonly wave: number;
  /** The instruction at pc, disassembled. */
  readonly instruction: string;
}

export interface Span {
  readonly bytes: Uint8Array;
  readonly offset: number;
}

export class GpuVm {
  private mappings: VmMapping[] = [];
  /** The two mappings found last: a copy alternates between its source and its destination. */
  private last: VmMapping | undefined;
  private previous: VmMapping | undefined;
  /** Bumped by every change of the mappings: threads that hold a copy of them know to refresh it. */
  version = 0;
  /** read32/write32's views of the mappings (mappings are replaced, never changed, so a view stays right). */
  private readonly views = new WeakMap<VmMapping, DataView>();

  map(m: VmMapping): void {
    if (this.mappings.some((x) => x.start < m.end && m.start < x.end)) {
      throw new Error(`VM mapping 0x${m.start.toString(16)} overlaps an existing one`);
    }
    this.mappings.push(m);
    this.mappings.sort((a, b) => (a.start < b.start ? -1 : 1));
    this.version++;
  }

  /** Every mapping, in address order (a copy). */
  all(): VmMapping[] {
    return [...this.mappings];
  }

  /** Makes the mappings exactly `list` (a copy of another thread's page tables). */
  replaceAll(list: readonly VmMapping[]): void {
    this.mappings = [...list].sort((a, b) => (a.start < b.start ? -1 : 1));
    this.last = this.previous = undefined;
    this.version++;
  }

  /** Narrows the mapping that starts at `start` to the bytes [validStart, validEnd) (a diagnostic). */
  restrict(start: bigint, validStart: bigint, validEnd: bigint): void {
    const i = this.mappings.findIndex((m) => m.start === start);
    if (i < 0) throw new Error(`no VM mapping at 0x${start.toString(16)} to restrict`);
    this.mappings[i] = { ...this.mappings[i]!, validStart, validEnd };
    this.last = this.previous = undefined;
    this.version++;
  }

  unmap(start: bigint): void {
    this.mappings = this.mappings.filter((m) => m.start !== start);
    this.last = this.previous = undefined;
    this.version++;
  }

  get count(): number {
    return this.mappings.length;
  }

  /** The mapping that contains `va`, or undefined. */
  lookup(va: bigint): VmMapping | undefined {
    const l = this.last;
    if (l && va >= l.start && va < l.end) return l;
    const p = this.previous;
    if (p && va >= p.start && va < p.end) {
      this.previous = l;
      return (this.last = p);
    }
    let lo = 0;
    let hi = this.mappings.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = this.mappings[mid]!;
      if (va < m.start) hi = mid - 1;
      else if (va >= m.end) lo = mid + 1;
      else {
        this.previous = this.last;
        return (this.last = m);
      }
    }
    return undefined;
  }

  /**
   * Where [va, va+length) lives, when it lies inside one mapping; throws GpuFault otherwise (at the
   * first byte that is not accessible).
   */
  span(va: bigint, length: number, write: boolean, client: string): Span {
    const m = this.lookup(va);
    if (!m) throw new GpuFault(va, write, 'not-present', client);
    if (write && !m.writable) throw new GpuFault(va, write, 'read-only', client);
    const end = va + BigInt(length);
    if (m.validStart !== undefined && va < m.validStart) throw new GpuFault(va, write, 'not-present', client);
    if (m.validEnd !== undefined && end > m.validEnd) throw new GpuFault(va > m.validEnd ? va : m.validEnd, write, 'not-present', client);
    if (end > m.end) {
      const next = this.lookup(m.end);
      if (!next || next.bytes !== m.bytes || next.offset !== m.offset + Number(m.end - m.start)) throw new GpuFault(m.end, write, 'not-present', client);
    }
    return { bytes: m.bytes, offset: m.offset + Number(va - m.start) };
  }

  /**
   * Where [va, va+length) lives when one mapping holds all of it and allows the access; undefined
   * otherwise, without a fault: the caller then walks the range with pieces(), which faults at the
   * exact first inaccessible byte (a range over two neighbouring buffer objects is fine, not a fault).
   */
  within(va: bigint, length: number, write: boolean): Span | undefined {
    const m = this.lookup(va);
    if (!m || (write && !m.writable)) return undefined;
    const end = va + BigInt(length);
    if (end > m.end) return undefined;
    if ((m.validStart !== undefined && va < m.validStart) || (m.validEnd !== undefined && end > m.validEnd)) return undefined;
    return { bytes: m.bytes, offset: m.offset + Number(va - m.start) };
  }

  /** Splits [va, va+length) into the per-mapping pieces that back it (for large copies). */
  pieces(va: bigint, length: number, write: boolean, client: string): Span[] {
    const out: Span[] = [];
    let cur = va;
    let left = length;
    while (left > 0) {
      const m = this.lookup(cur);
      if (!m) throw new GpuFault(cur, write, 'not-present', client);
      if (write && !m.writable) throw new GpuFault(cur, write, 'read-only', client);
      if (m.validStart !== undefined && cur < m.validStart) throw new GpuFault(cur, write, 'not-present', client);
      const n = Math.min(left, Number(m.end - cur));
      if (m.validEnd !== undefined && cur + BigInt(n) > m.validEnd) throw new GpuFault(cur > m.validEnd ? cur : m.validEnd, write, 'not-present', client);
      out.push({ bytes: m.bytes.subarray(m.offset + Number(cur - m.start), m.offset + Number(cur - m.start) + n), offset: 0 });
      cur += BigInt(n);
      left -= n;
    }
    return out;
  }

  /**
   * The mapping's bytes as a DataView whose byte 0 is its start, when a single-word access may go
   * straight there: the mapping is unrestricted and allows the access. No object per access: the
   * engines read and write single words on every packet and every poll of a wait. Anything the view
   * does not hold whole goes through span(), which faults exactly or joins neighbouring mappings of one
   * buffer object.
   */
  private directView(m: VmMapping, write: boolean): DataView | undefined {
    if ((write && !m.writable) || m.validStart !== undefined || m.validEnd !== undefined) return undefined;
    let v = this.views.get(m);
    if (!v) {
      // Only what the backing holds: a word past it takes span()'s path, as before.
      const from = Math.min(m.offset, m.bytes.byteLength);
      const length = Math.min(Number(m.end - m.start), m.bytes.byteLength - from);
      this.views.set(m, (v = new DataView(m.bytes.buffer, m.bytes.byteOffset + from, length)));
    }
    return v;
  }

  read32(va: bigint, client: string): number {
    const m = this.lookup(va);
    const v = m && this.directView(m, false);
    if (v) {
      const at = Number(va - m!.start);
      if (at + 4 <= v.byteLength) return v.getUint32(at, true);
    }
    const s = this.span(va, 4, false, client);
    return new DataView(s.bytes.buffer, s.bytes.byteOffset).getUint32(s.offset, true);
  }

  write32(va: bigint, value: number, client: string): void {
    const m = this.lookup(va);
    const v = m && this.directView(m, true);
    if (v) {
      const at = Number(va - m!.start);
      if (at + 4 <= v.byteLength) return v.setUint32(at, value >>> 0, true);
    }
    const s = this.span(va, 4, true, client);
    new DataView(s.bytes.buffer, s.bytes.byteOffset).setUint32(s.offset, value >>> 0, true);
  }

  read64(va: bigint, client: string): bigint {
    const s = this.span(va, 8, false, client);
    if ((s.offset & 7) === 0) return Atomics.load(new BigUint64Array(s.bytes.buffer, s.bytes.byteOffset + s.offset, 1), 0);
    return new DataView(s.bytes.buffer, s.bytes.byteOffset).getBigUint64(s.offset, true);
  }

  /** 64-bit atomic add (wrapping) at an 8-byte-aligned address; returns the old value. */
  atomicAdd64(va: bigint, delta: bigint, client: string): bigint {
    const s = this.span(va, 8, true, client);
    return Atomics.add(new BigUint64Array(s.bytes.buffer, s.bytes.byteOffset + s.offset, 1), 0, BigInt.asUintN(64, delta));
  }

  /** 64-bit store, atomic when aligned, so a CPU polling the location sees all or nothing. */
  write64(va: bigint, value: bigint, client: string): void {
    const s = this.span(va, 8, true, client);
    if ((s.offset & 7) === 0) Atomics.store(new BigUint64Array(s.bytes.buffer, s.bytes.byteOffset + s.offset, 1), 0, BigInt.asUintN(64, value));
    else new DataView(s.bytes.buffer, s.bytes.byteOffset).setBigUint64(s.offset, BigInt.asUintN(64, value), true);
  }
}
