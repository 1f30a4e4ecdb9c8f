// A GPU address range an engine touches on every packet (its ring, a completion signal), translated
// through the VM once and again only after the page tables change, as a hardware engine keeps its
// translations until an invalidation. When the range does not translate in one piece (unmapped,
// read-only for a write window, split over unrelated mappings), ready() says so and the caller takes
// its per-access path through GpuVm, which faults exactly where the access does.
import { GpuFault, type GpuVm } from '../gpu-vm.js';

export class VmWindow {
  private version = -1;
  private resolvedVa = -1n;
  private ok = false;
  /** The range's bytes: byte 0 is `va`. Valid after ready() returned true. */
  view!: DataView;
  /** The range as dwords and as 64-bit words, when it starts that aligned in its backing. */
  u32: Uint32Array | undefined;
  u64: BigUint64Array | undefined;

  /** `va` may be moved later (the window of "the last completion signal"); `length` is fixed. */
  constructor(private readonly vm: GpuVm, public va: bigint, readonly length: number, private readonly write: boolean, private readonly client: string) {}

  /** Whether the whole range translates (for writing, if a write window); re-checked after any page-table change. */
  ready(): boolean {
    if (this.version === this.vm.version && this.resolvedVa === this.va) return this.ok;
    this.version = this.vm.version;
    this.resolvedVa = this.va;
    try {
      const s = this.vm.span(this.va, this.length, this.write, this.client);
      const at = s.bytes.byteOffset + s.offset;
      this.view = new DataView(s.bytes.buffer, at, this.length);
      this.u32 = (at & 3) === 0 ? new Uint32Array(s.bytes.buffer, at, this.length >>> 2) : undefined;
      this.u64 = (at & 7) === 0 ? new BigUint64Array(s.bytes.buffer, at, this.length >>> 3) : undefined;
      this.ok = true;
    } catch (e) {
      if (!(e instanceof GpuFault)) throw e;
      this.ok = false;
    }
    return this.ok;
  }
}
