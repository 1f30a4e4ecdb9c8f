// The emulated GPU's register BAR (resource5): 32-bit registers in shared memory. Reads through the
// Host's MMIO accessor first refresh the registers that mirror live engine state (see `refresh`).
import type { Mapping, Mmio } from '../../os/host.js';
import { Backing } from '../process/backing.js';
import type { EmuGpu } from '../gpu.js';

export class RegisterBar {
  readonly backing: Backing;
  private readonly u32: Uint32Array;

  constructor(readonly gpu: EmuGpu, readonly size: number) {
    this.backing = new Backing(size, `register BAR of gpu ${gpu.gpuId}`);
    this.u32 = new Uint32Array(this.backing.bytes.buffer, this.backing.bytes.byteOffset, size >>> 2);
  }

  /** Brings the live registers up to date (engine state); a no-op for plain registers. */
  refresh(_dword: number): void {}

  mmio(mapping: Mapping): Mmio {
    const base = (mapping.bytes.byteOffset - this.backing.bytes.byteOffset) >>> 2;
    const u32 = this.u32;
    const refresh = (d: number): void => this.refresh(d);
    const word = (byteOffset: number): number => {
      if (byteOffset & 3 || byteOffset < 0 || byteOffset + 4 > mapping.length) throw new RangeError(`register access at byte 0x${byteOffset.toString(16)} of a ${mapping.length}-byte mapping`);
      return base + (byteOffset >>> 2);
    };
    return {
      load32(byteOffset: number): number {
        const d = word(byteOffset);
        refresh(d);
        return Atomics.load(u32, d) >>> 0;
      },
      store32(byteOffset: number, value: number): void {
        Atomics.store(u32, word(byteOffset), value);
      },
      load64(): bigint {
        throw new RangeError('registers are read 32 bits at a time');
      },
      store64(): void {
        throw new RangeError('registers are written 32 bits at a time');
      },
    };
  }
}
