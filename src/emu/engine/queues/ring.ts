// Reading a ring buffer through the GPU VM, wrapping at its end as the hardware fetchers do.
import type { GpuVm } from '../../gpu-vm.js';
import { VmWindow } from '../vm-window.js';

export class RingReader {
  private window: VmWindow;
  private readonly one = new Uint32Array(1);

  constructor(private readonly vm: GpuVm, va: bigint, bytes: number, private readonly client: string) {
    this.window = new VmWindow(vm, va, bytes, false, client);
  }

  get va(): bigint {
    return this.window.va;
  }

  get bytes(): number {
    return this.window.length;
  }

  /** The ring was moved or resized (a queue update). */
  moveTo(va: bigint, bytes: number): void {
    this.window = new VmWindow(this.vm, va, bytes, false, this.client);
  }

  /** The dword at ring byte offset `byteOffset` (mod ring size). */
  word(byteOffset: number): number {
    const off = byteOffset % this.bytes;
    const words = this.wholeRing();
    return words ? words[off >>> 2]! : this.read(off, 1, this.one)[0]!;
  }

  /** Copies `count` dwords starting at ring byte offset `byteOffset` (mod ring size) into `into`. */
  read(byteOffset: number, count: number, into: Uint32Array): Uint32Array {
    const out = into.length >= count ? into.subarray(0, count) : new Uint32Array(count);
    this.copy(byteOffset, count, out);
    return out;
  }

  /** Copies `count` dwords starting at ring byte offset `byteOffset` (mod ring size) to the start of `out` (at least `count` long). */
  copy(byteOffset: number, count: number, out: Uint32Array): void {
    let off = byteOffset % this.bytes;
    const words = this.wholeRing();
    if (words) {
      const ringWords = this.bytes >>> 2;
      let w = off >>> 2;
      for (let i = 0; i < count; i++) {
        out[i] = words[w]!;
        if (++w === ringWords) w = 0;
      }
      return;
    }
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
  }

  /**
   * The whole ring as dwords when it is mapped in one piece and dword-aligned in its backing (the usual
   * case); otherwise undefined, and reads go through the VM piece by piece, faulting at the first
   * unmapped byte they touch.
   */
  private wholeRing(): Uint32Array | undefined {
    return this.window.ready() ? this.window.u32 : undefined;
  }
}

/** A queue stopped for good: the engine reports it as a hang with this reason. */
export class QueueStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueStop';
  }
}
