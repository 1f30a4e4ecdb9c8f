// Memory that both the CPU (through mmap) and the emulated engines see: one SharedArrayBuffer per
// buffer object or anonymous mapping. The OS commits its pages lazily, so a large allocation costs
// nothing until it is touched.

let nextBackingId = 1;

export class Backing {
  readonly id = nextBackingId++;
  readonly bytes: Uint8Array;
  /** New zeroed memory, or an existing shared buffer (a doorbell page) presented as memory. */
  constructor(readonly size: number, readonly label: string, readonly sab: SharedArrayBuffer = new SharedArrayBuffer(size)) {
    this.bytes = new Uint8Array(this.sab);
  }
}
