// Small objects (signals, kernel arguments, staging IBs) carved out of large host-visible buffers, so
// that creating one costs no ioctl.
import type { GpuBuffer } from './memory.js';

export interface Slice {
  readonly va: bigint;
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly size: number;
  readonly chunk: GpuBuffer;
}

/** Who hands out slices (a Device): what users of small objects need, without knowing the device. */
export interface SmallObjectPool {
  allocSmall(size: number, align?: number): Slice;
  freeSmall(slice: Slice): void;
}

interface Chunk {
  readonly buf: GpuBuffer;
  /** Free ranges [start, end) sorted by start. */
  free: [number, number][];
}

export class SubAllocator {
  private readonly chunks: Chunk[] = [];
  private live = 0;

  constructor(private readonly newChunk: (bytes: number) => GpuBuffer, private readonly chunkBytes: number, readonly name: string) {}

  alloc(size: number, align = 64): Slice {
    if (size <= 0) throw new RangeError(`${this.name}: cannot allocate ${size} bytes`);
    for (const c of this.chunks) {
      const s = this.fit(c, size, align);
      if (s) return s;
    }
    const bytes = Math.max(this.chunkBytes, Math.ceil(size / 4096) * 4096);
    const c: Chunk = { buf: this.newChunk(bytes), free: [[0, bytes]] };
    this.chunks.push(c);
    return this.fit(c, size, align)!;
  }

  private fit(c: Chunk, size: number, align: number): Slice | undefined {
    for (let i = 0; i < c.free.length; i++) {
      const [s, e] = c.free[i]!;
      const start = Math.ceil(s / align) * align;
      if (start + size > e) continue;
      const pieces: [number, number][] = [];
      if (start > s) pieces.push([s, start]);
      if (start + size < e) pieces.push([start + size, e]);
      c.free.splice(i, 1, ...pieces);
      this.live++;
      return { va: c.buf.va + BigInt(start), bytes: c.buf.view.subarray(start, start + size), offset: start, size, chunk: c.buf };
    }
    return undefined;
  }

  release(slice: Slice): void {
    const c = this.chunks.find((x) => x.buf === slice.chunk);
    if (!c) throw new Error(`${this.name}: slice at 0x${slice.va.toString(16)} is not from this allocator`);
    const range: [number, number] = [slice.offset, slice.offset + slice.size];
    const i = c.free.findIndex(([s]) => s > range[0]);
    c.free.splice(i < 0 ? c.free.length : i, 0, range);
    for (let j = c.free.length - 1; j > 0; j--) {
      const a = c.free[j - 1]!;
      const b = c.free[j]!;
      if (a[1] === b[0]) c.free.splice(j - 1, 2, [a[0], b[1]]);
    }
    this.live--;
  }

  get liveSlices(): number {
    return this.live;
  }

  /** Frees every chunk (the caller makes sure no slice is still in use by the GPU). */
  destroy(): void {
    for (const c of this.chunks) c.buf.free();
    this.chunks.length = 0;
    this.live = 0;
  }
}
