// GPU-side timing of every submitted operation: the queue brackets each submission with timestamp
// packets writing the 100 MHz GPU clock, and the tracer collects the pairs once they have landed.
import type { Slice, SmallObjectPool } from './suballoc.js';

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
  readonly pool: SmallObjectPool;
  readonly isDone: () => boolean;
}

export class Tracer {
  readonly events: TraceEvent[] = [];
  private pending: Pending[] = [];
  private readonly trackNames = new WeakMap<object, string>();
  private readonly labelUses = new Map<string, number>();

  /** A 16-byte slot (from the device's small-object pool) for the begin (offset 0) and end (offset 8)
   * timestamps of one operation. */
  slot(pool: SmallObjectPool): Slice {
    const s = pool.allocSmall(16, 16);
    s.bytes.fill(0);
    return s;
  }

  /**
   * Records an operation of `queue` (named `label`). Queue ids are reused by KFD, so a later queue
   * with the same label gets its own track ("… #2").
   */
  track(pool: SmallObjectPool, queue: object, label: string, name: string, slot: Slice, isDone: () => boolean): void {
    let track = this.trackNames.get(queue);
    if (!track) {
      const n = (this.labelUses.get(label) ?? 0) + 1;
      this.labelUses.set(label, n);
      track = n === 1 ? label : `${label} #${n}`;
      this.trackNames.set(queue, track);
    }
    this.pending.push({ track, name, slot, pool, isDone });
  }

  /** Moves every finished operation into `events`; with `all`, also drops unfinished ones. */
  collect(all = false): void {
    const keep: Pending[] = [];
    for (const p of this.pending) {
      if (p.isDone()) {
        const dv = new DataView(p.slot.bytes.buffer, p.slot.bytes.byteOffset, 16);
        this.events.push({ track: p.track, name: p.name, start: dv.getBigUint64(0, true), end: dv.getBigUint64(8, true) });
        p.pool.freeSmall(p.slot);
      } else if (all) p.pool.freeSmall(p.slot);
      else keep.push(p);
    }
    this.pending = keep;
  }
}
