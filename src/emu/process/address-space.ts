// The emulated process's CPU address space: what mmap handed out, and what each range is backed by.
// Addresses are handed out top-down below 0x7f0000000000, like Linux's mmap base, never reused.
import { Backing } from './backing.js';

export const PAGE = 4096n;
const HUGE = 2n * 1024n * 1024n;
const MMAP_TOP = 0x7f0000000000n;

export interface CpuRange {
  start: bigint;
  end: bigint;
  prot: number;
  /** Undefined for PROT_NONE reservations. */
  backing: Backing | undefined;
  backingOffset: number;
  label: string;
}

export interface Resolved {
  readonly backing: Backing;
  readonly offset: number;
  readonly range: CpuRange;
}

export class AddressSpace {
  private readonly ranges: CpuRange[] = [];
  private top = MMAP_TOP;

  /** A free, page-aligned (2 MiB-aligned when large) range of `length` bytes. */
  pickAddress(length: number): bigint {
    const len = BigInt(length);
    const align = len >= HUGE ? HUGE : PAGE;
    let start = (this.top - len) & ~(align - 1n);
    while (this.overlaps(start, start + len)) start = (start - len) & ~(align - 1n);
    this.top = start;
    return start;
  }

  overlaps(start: bigint, end: bigint): boolean {
    return this.ranges.some((r) => r.start < end && start < r.end);
  }

  /** Installs a range, replacing whatever was mapped there (MAP_FIXED semantics). */
  install(range: CpuRange): void {
    this.remove(range.start, range.end);
    const i = this.ranges.findIndex((r) => r.start > range.start);
    this.ranges.splice(i < 0 ? this.ranges.length : i, 0, range);
  }

  /** Unmaps [start, end), splitting ranges that straddle the edges. */
  remove(start: bigint, end: bigint): void {
    for (let i = 0; i < this.ranges.length; i++) {
      const r = this.ranges[i]!;
      if (r.end <= start || r.start >= end) continue;
      const pieces: CpuRange[] = [];
      if (r.start < start) pieces.push({ ...r, end: start });
      if (r.end > end) pieces.push({ ...r, start: end, backingOffset: r.backingOffset + Number(end - r.start) });
      this.ranges.splice(i, 1, ...pieces);
      i += pieces.length - 1;
    }
  }

  /** The range containing [address, address+length) entirely, or undefined. */
  find(address: bigint, length: number): CpuRange | undefined {
    const end = address + BigInt(length);
    return this.ranges.find((r) => r.start <= address && end <= r.end);
  }

  /** Backing store behind [address, address+length) when it is accessible memory. */
  resolve(address: bigint, length: number): Resolved | undefined {
    const r = this.find(address, length);
    if (!r || !r.backing) return undefined;
    return { backing: r.backing, offset: r.backingOffset + Number(address - r.start), range: r };
  }

  /** Forgets every range (the process that owned them exited). */
  clear(): void {
    this.ranges.length = 0;
  }

  /** True when some range is backed by `b`. */
  references(b: Backing): boolean {
    return this.ranges.some((r) => r.backing === b);
  }

  get size(): number {
    return this.ranges.length;
  }
}
