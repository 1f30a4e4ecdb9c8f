// A page of process memory for the arrays some ioctls take by pointer (device id lists, event data).
// One caller at a time: every use is within one synchronous ioctl.
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, type Host, type Mapping } from '../os/host.js';

export class IoctlScratch {
  private readonly page: Mapping;
  constructor(private readonly host: Host, readonly size = 64 * 1024) {
    this.page = host.mmap(0n, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0n);
  }

  /** `n` zeroed bytes and their address. */
  region(n: number): { address: bigint; bytes: Uint8Array } {
    if (n > this.size) throw new RangeError(`ioctl scratch of ${this.size} bytes cannot hold ${n}`);
    const bytes = this.page.bytes.subarray(0, n);
    bytes.fill(0);
    return { address: this.page.address, bytes };
  }

  u32Array(values: readonly number[]): bigint {
    const r = this.region(values.length * 4);
    const dv = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    values.forEach((v, i) => dv.setUint32(i * 4, v, true));
    return r.address;
  }

  release(): void {
    this.host.munmap(this.page.address, this.size);
  }
}
