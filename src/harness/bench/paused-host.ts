// The emulated GPU with paused engines (packets consumed, not executed), seen through doorbells that
// behave like real MMIO: one 64-bit release store, as the C baseline does. The emulator's own
// doorbell also wakes its engine thread (a futex wake), a cost real hardware does not have; here the
// benchmark wakes it explicitly (flush) between timed batches, and waits for it to consume the ring.
import type { Host, Mapping, Mmio } from '../../os/host.js';
import { selectHost } from '../../host-select.js';
import { releaseStore64 } from '../../os/store-order.js';

export const PAUSED_DEVICE = 'emu:gfx1100?engines=paused';
/** A doorbell page: plain atomic stores; flush() forwards the last one to the emulator's doorbell. */
export class PlainDoorbells implements Mmio {
  private readonly u64: BigUint64Array;
  /** The last doorbell stored (byte offset and value: a queue's write pointer as the engine sees it). */
  lastByte = 0;
  lastValue = 0;

  constructor(mapping: Mapping, private readonly emulator: Mmio) {
    this.u64 = new BigUint64Array(mapping.bytes.buffer, mapping.bytes.byteOffset, mapping.bytes.byteLength >>> 3);
  }

  store64(byteOffset: number, value: bigint): void {
    Atomics.store(this.u64, byteOffset >>> 3, value);
    this.lastByte = byteOffset;
    this.lastValue = Number(value);
  }

  /** The store a real doorbell gets (src/os/store-order.ts), without the engine's wake-up. */
  ringDoorbell(byteOffset: number, value: number): void {
    releaseStore64(this.u64, byteOffset >>> 3, value);
    this.lastByte = byteOffset;
    this.lastValue = value;
  }

  /** Wakes the engine now (after a measurement, so it consumes what is left). */
  flush(byteOffset: number): void {
    this.emulator.store64(byteOffset, Atomics.load(this.u64, byteOffset >>> 3));
  }

  store32(byteOffset: number, value: number): void {
    this.emulator.store32(byteOffset, value);
  }

  load64(byteOffset: number): bigint {
    return this.emulator.load64(byteOffset);
  }

  load32(byteOffset: number): number {
    return this.emulator.load32(byteOffset);
  }
}

export interface PausedHost {
  readonly host: Host;
  /** The emulator's own doorbell accessor for the same page (kicks its engine on every store). */
  readonly emulatorDoorbells: () => Mmio | undefined;
  readonly doorbells: () => PlainDoorbells | undefined;
  shutdown(): Promise<void>;
}

export function pausedHost(): PausedHost {
  const emu = selectHost(PAUSED_DEVICE);
  let plain: PlainDoorbells | undefined;
  let inner: Mmio | undefined;
  const host = new Proxy(emu, {
    get(target, prop) {
      if (prop === 'mmio') {
        return (m: Mapping): Mmio => {
          inner = target.mmio(m);
          plain = new PlainDoorbells(m, inner);
          return plain;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { host, emulatorDoorbells: () => inner, doorbells: () => plain, shutdown: () => emu.shutdown() };
}
