// GPU-side timing of every submitted operation: the queue brackets each submission with timestamp
// packets writing the 100 MHz GPU clock, and the tracer collects the pairs once they have landed.
import type { Device } from './device.js';
import type { Slice } from './suballoc.js';

export interface TraceEvent {
  /** The queue the operation ran on (one track per queue). */
  readonly track: string;
  readonly name: string;
  /** GPU clock ticks (100 MHz) at the start and end of the operation. */
  readonly start: bigint;
  readonly end: bigint;
}

interface Pending {
  readonly track: string;
  readonly name: string;
  readonly slot: Slice;
  readonly device: Device;
  readonly isDone: () => boolean;
}

export class Tracer {
  readonly events: TraceEvent[] = [];
  private pending: Pending[] = [];

  /** A 16-byte slot for the begin (offset 0) and end (offset 8) timestamps of one operation. */
  slot(device: Device): Slice {
    const s = device.allocSmall(16, 16);
    s.bytes.fill(0);
    return s;
  }

  track(device: Device, track: string, name: string, slot: Slice, isDone: () => boolean): void {
    this.pending.push({ track, name, slot, device, isDone });
  }

  /** Moves every finished operation into `events`; with `all`, also drops unfinished ones. */
  collect(all = false): void {
    const keep: Pending[] = [];
    for (const p of this.pending) {
      if (p.isDone()) {
        const dv = new DataView(p.slot.bytes.buffer, p.slot.bytes.byteOffset, 16);
        this.events.push({ track: p.track, name: p.name, start: dv.getBigUint64(0, true), end: dv.getBigUint64(8, true) });
        p.device.freeSmall(p.slot);
      } else if (all) p.device.freeSmall(p.slot);
      else keep.push(p);
    }
    this.pending = keep;
  }
}
