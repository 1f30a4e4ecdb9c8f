// The JavaScript floor of the submission path: the stores the C baseline makes for one captured
// submission (the same bytes, ring size, argument pool and count, c-baseline.ts), written as
// straight-line JavaScript over typed arrays on shared memory with the driver's own store primitives,
// and no driver around them. No TypeScript submission path can cost less on this machine, so floor ÷ C
// is what the language alone costs, and driver ÷ floor what the driver adds.
import { pairCopierFor } from '../../driver/queues/dword-copy.js';
import { releaseStore32, releaseStore64, storeUint53 } from '../../os/store-order.js';
import { SIDE_POOL_BYTES, type CapturedPath } from './c-baseline.js';
import { nowNs } from './stats.js';

/** `bytes` as whole 8-byte pairs (zero-padded). */
function pairsOf(bytes: Uint8Array): Float64Array {
  const padded = new Uint8Array((bytes.length + 7) & ~7);
  padded.set(bytes);
  return new Float64Array(padded.buffer);
}

const bytesOf = (words: Uint32Array): Uint8Array => new Uint8Array(words.buffer, words.byteOffset, words.byteLength);

/** A floor's loop and the memory it writes (what a test reads back). */
export interface JsFloor {
  /** One timed loop of `count` submissions; ns per submission. */
  readonly run: (count: number) => number;
  readonly ring: Int32Array;
  /** The argument pool: each submission's argument bytes in the next 64-byte slot. */
  readonly pool: Float64Array;
  /** [8] the write pointer, [16] the doorbell (64-bit cells, as the C program's). */
  readonly pointers: BigUint64Array;
}

/** The argument pool and the pointer cells, as the C program has them. */
class SideState {
  readonly pool = new Float64Array(new SharedArrayBuffer(SIDE_POOL_BYTES));
  readonly side: Float64Array;
  readonly copy: (to: Float64Array, at: number, from: Float64Array) => void;
  /** Bytes each submission's arguments take in the pool (64-byte slots). */
  readonly slot: number;
  /** [0] read pointer, [8] write pointer, [16] doorbell (64-bit cells, as in the C program). */
  readonly pointers = new BigUint64Array(new SharedArrayBuffer(64 * 8));
  /** The read pointer's low dword, read once per submission as the C program reads it. */
  readonly readPointer = new Int32Array(this.pointers.buffer, 0, 2);

  constructor(sideBytes: Uint8Array) {
    this.side = pairsOf(sideBytes);
    this.copy = pairCopierFor(this.side.length);
    this.slot = (sideBytes.length + 63) & ~63;
  }

  /**
   * What the C program does first per submission: reads the read pointer, then puts the arguments in
   * the pool slot at byte `at` (from the start when the pool's end is reached); returns the next slot.
   * Small enough for the optimizing compiler to inline into the loop.
   */
  next(at: number): number {
    if (this.readPointer[0] !== 0) throw new Error('the read pointer moved');
    if (this.side.length === 0) return at;
    if (at + this.slot > SIDE_POOL_BYTES) at = 0;
    this.copy(this.pool, at >> 3, this.side);
    return at + this.slot;
  }
}

function aqlFloor(p: CapturedPath): JsFloor {
  const s = new SideState(p.sideBytes);
  const packets = p.ringBytes / 64;
  const ring = new SharedArrayBuffer(p.ringBytes);
  const ringWords = new Int32Array(ring);
  const ringPairs = new Float64Array(ring);
  const packet = pairsOf(bytesOf(p.dwords));
  const header = p.dwords[0]! | 0;
  const word1 = p.dwords[1]! | 0;
  const pointers = s.pointers;
  const state = { at: 0, index: 0 };
  const run = (count: number): number => {
    // The loop's counters in locals (registers), as the C compiler keeps them.
    let at = state.at;
    let index = state.index;
    const t0 = nowNs();
    for (let i = 0; i < count; i++) {
      at = s.next(at);
      const w = (index & (packets - 1)) * 16;
      const w2 = w >> 1;
      ringWords[w + 1] = word1;
      ringPairs[w2 + 1] = packet[1]!;
      ringPairs[w2 + 2] = packet[2]!;
      ringPairs[w2 + 3] = packet[3]!;
      ringPairs[w2 + 4] = packet[4]!;
      ringPairs[w2 + 5] = packet[5]!;
      ringPairs[w2 + 6] = packet[6]!;
      ringPairs[w2 + 7] = packet[7]!;
      releaseStore32(ringWords, w, header);
      index++;
      storeUint53(pointers, 8, index);
      releaseStore64(pointers, 16, index - 1);
    }
    const ns = (nowNs() - t0) / count;
    state.at = at;
    state.index = index;
    return ns;
  };
  return { run, ring: ringWords, pool: s.pool, pointers };
}

function ringFloor(p: CapturedPath): JsFloor {
  const s = new SideState(p.sideBytes);
  const ringDwords = p.ringBytes / 4;
  const ring = new SharedArrayBuffer(p.ringBytes);
  const ringWords = new Int32Array(ring);
  const ringPairs = new Float64Array(ring);
  const n = p.dwords.length;
  // The driver pads streams to whole pairs at even positions, so they move 8 bytes per store; an odd
  // stream (none today) would go dword by dword.
  const even = (n & 1) === 0;
  const stream = pairsOf(bytesOf(p.dwords));
  const copyStream = pairCopierFor(stream.length);
  const words = Int32Array.from(p.dwords);
  const pointers = s.pointers;
  const scale = p.doorbellScale;
  const { base, bias } = p.nop;
  const state = { at: 0, wptr: 0 };
  const run = (count: number): number => {
    let at = state.at;
    let wptr = state.wptr;
    const t0 = nowNs();
    for (let i = 0; i < count; i++) {
      at = s.next(at);
      let pos = wptr & (ringDwords - 1);
      if (pos + n > ringDwords) {
        const pad = ringDwords - pos;
        ringWords[pos] = base | (((pad - bias) & 0x3fff) << 16);
        ringWords.fill(0, pos + 1, pos + pad);
        wptr += pad;
        pos = 0;
      }
      if (even) copyStream(ringPairs, pos >> 1, stream);
      else for (let k = 0; k < n; k++) ringWords[pos + k] = words[k]!;
      wptr += n;
      storeUint53(pointers, 8, wptr * scale);
      releaseStore64(pointers, 16, wptr * scale);
    }
    const ns = (nowNs() - t0) / count;
    state.at = at;
    state.wptr = wptr;
    return ns;
  };
  return { run, ring: ringWords, pool: s.pool, pointers };
}

/** The plain-JavaScript floor of a captured path, on memory of its own. */
export const jsFloorOf = (p: CapturedPath): JsFloor => (p.kind === 'aql' ? aqlFloor(p) : ringFloor(p));

/** ns per submission of the captured path's stores in plain JavaScript: the best of `runs` loops of its count, after one untimed. */
export function measureJsFloor(p: CapturedPath, runs: number): number {
  const floor = jsFloorOf(p);
  floor.run(p.count);
  let best = Infinity;
  for (let r = 0; r < runs; r++) best = Math.min(best, floor.run(p.count));
  return best;
}
