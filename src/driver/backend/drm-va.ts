// GPU virtual addresses for render-node buffers. The render node does not choose addresses: user space
// keeps its own allocator over the range DEV_INFO reports (virtual_address_offset … virtual_address_max),
// as libdrm's amdgpu_vamgr does (amdgpu_vamgr.c: a list of holes, aligned allocations, freed ranges
// merged with their neighbours). Unlike libdrm's first fit, this one is next fit: it goes on after the
// last allocation and wraps only when the top is reached, so a range freed while earlier submissions may
// still use it (the kernel keeps the object alive and updates the page tables behind their fences) is
// not handed out again at once, and a stale GPU pointer faults instead of reaching a new buffer.
import { DriverError } from '../errors.js';

interface Hole {
  start: bigint;
  end: bigint;
}

export class VaManager {
  /** Free ranges [start, end), sorted and never touching (merged on free). */
  private readonly holes: Hole[];
  /** Where the next search starts: the end of the last allocation. */
  private cursor: bigint;

  constructor(readonly base: bigint, readonly limit: bigint, readonly alignment: bigint, private readonly owner: string) {
    if (limit <= base) throw new DriverError(owner, `the render node reports an empty VA range 0x${base.toString(16)}-0x${limit.toString(16)}`);
    this.holes = [{ start: base, end: limit }];
    this.cursor = base;
  }

  /** A free range of `bytes` aligned to `align` (at least the device's VA alignment). */
  alloc(bytes: number, align = this.alignment): bigint {
    const a = align > this.alignment ? align : this.alignment;
    const size = BigInt(bytes);
    for (const from of [this.cursor, this.base]) {
      for (let i = 0; i < this.holes.length; i++) {
        const h = this.holes[i]!;
        if (h.end <= from) continue;
        const lowest = h.start > from ? h.start : from;
        const start = ((lowest + a - 1n) / a) * a;
        if (start + size > h.end) continue;
        const parts = [...(start > h.start ? [{ start: h.start, end: start }] : []), ...(start + size < h.end ? [{ start: start + size, end: h.end }] : [])];
        this.holes.splice(i, 1, ...parts);
        this.cursor = start + size;
        return start;
      }
    }
    throw new DriverError(this.owner, `no ${bytes} bytes of free GPU VA left in 0x${this.base.toString(16)}-0x${this.limit.toString(16)}`);
  }

  free(va: bigint, bytes: number): void {
    const end = va + BigInt(bytes);
    let i = this.holes.findIndex((h) => h.start >= end);
    if (i < 0) i = this.holes.length;
    this.holes.splice(i, 0, { start: va, end });
    // Merge with the hole after, then with the hole before.
    const next = this.holes[i + 1];
    if (next && next.start === end) {
      this.holes[i]!.end = next.end;
      this.holes.splice(i + 1, 1);
    }
    const prev = this.holes[i - 1];
    if (prev && prev.end === va) {
      prev.end = this.holes[i]!.end;
      this.holes.splice(i, 1);
    }
  }

  /** Free bytes left (for tests and diagnostics). */
  get freeBytes(): bigint {
    return this.holes.reduce((n, h) => n + (h.end - h.start), 0n);
  }
}
