// Reading a ring buffer through the GPU VM, wrapping at its end as the hardware fetchers do.
import type { GpuVm } from '../vm.js';

export class RingReader {
  constructor(private readonly vm: GpuVm, public va: bigint, public bytes: number, private readonly client: string) {}

  /** Copies `count` dwords starting at ring byte offset `byteOffset` (mod ring size) into `into`. */
  read(byteOffset: number, count: number, into: Uint32Array): Uint32Array {
    const out = into.length >= count ? into.subarray(0, count) : new Uint32Array(count);
    let off = byteOffset % this.bytes;
    let i = 0;
    while (i < count) {
      const run = Math.min(count - i, (this.bytes - off) >> 2);
      const s = this.vm.span(this.va + BigInt(off), run * 4, false, this.client);
      if (((s.bytes.byteOffset + s.offset) & 3) === 0) out.set(new Uint32Array(s.bytes.buffer, s.bytes.byteOffset + s.offset, run), i);
      else {
        const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset + s.offset, run * 4);
        for (let k = 0; k < run; k++) out[i + k] = dv.getUint32(k * 4, true);
      }
      i += run;
      off = 0;
    }
    return out;
  }
}

/** A queue stopped for good: the engine reports it as a hang with this reason. */
export class QueueStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueStop';
  }
}
