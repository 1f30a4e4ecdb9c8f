// Process-wide KFD event state in shared memory, so that an engine thread raising an interrupt and the
// thread blocked in WAIT_EVENTS see the same events.
import type { HwException, MemoryException } from '../../uapi/kfd.js';

/** An entry's fields, as int32 words. */
const F = {
  VALID: 0,
  TYPE: 1,
  AUTO_RESET: 2,
  SIGNALED: 3,
  ID: 4,
  SLOT: 5,
  VA_LO: 6,
  VA_HI: 7,
  GPU_ID: 8,
  NOT_PRESENT: 9,
  READ_ONLY: 10,
  NO_EXECUTE: 11,
  IMPRECISE: 12,
  ERROR_TYPE: 13,
  RESET_TYPE: 14,
  RESET_CAUSE: 15,
  MEMORY_LOST: 16,
  HW_GPU_ID: 17,
} as const;
const STRIDE = 20;
/** Word 0 counts every signal: waiters sleep on it. */
const GEN = 0;
/** Index of the word bumped whenever an event is signaled (what waiters sleep on). */
export const EVENT_GENERATION_WORD = GEN;
/**
 * Word 1 counts the threads (and asynchronous waits) sleeping on GEN, so a signal nobody sleeps on skips
 * Atomics.notify, which takes a process-wide lock: an engine completes a packet every few microseconds
 * while its CPU waiter mostly polls memory.
 */
const SLEEPERS = 1;
const HEADER = 4;

/** Atomics.waitAsync (Node ≥ 16; TypeScript's lib has it only from es2024). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/**
 * Sleeps without blocking the thread until some event is signaled or `timeoutMs` passes (a served
 * client's WAIT_EVENTS, which must not stop the other clients); resolves at once if `seenGeneration`
 * is already stale. `words` is a table's shared words, as another thread holds them.
 */
export async function eventChange(words: Int32Array, seenGeneration: number, timeoutMs: number): Promise<void> {
  Atomics.add(words, SLEEPERS, 1);
  try {
    const r = waitAsync(words, GEN, seenGeneration, timeoutMs);
    if (r.async) await r.value;
  } finally {
    Atomics.sub(words, SLEEPERS, 1);
  }
}

export const EVENT_TABLE_ENTRIES = 4096 + 256;

export type { MemoryException, HwException };

export interface EventEntry {
  readonly index: number;
  readonly id: number;
  readonly type: number;
  readonly autoReset: boolean;
  readonly slot: number;
}

export class EventTable {
  readonly words: Int32Array;
  constructor(readonly sab: SharedArrayBuffer = new SharedArrayBuffer((HEADER + EVENT_TABLE_ENTRIES * STRIDE) * 4)) {
    this.words = new Int32Array(sab);
  }

  private at(index: number, field: number): number {
    return HEADER + index * STRIDE + field;
  }

  get generation(): number {
    return Atomics.load(this.words, GEN);
  }

  /** Sleeps until some event is signaled or `timeoutMs` passes; returns false on timeout. */
  waitForChange(seenGeneration: number, timeoutMs: number): boolean {
    // Counted before the wait checks the generation: a signal either sees the count or bumped the
    // generation first, and then the wait does not sleep.
    Atomics.add(this.words, SLEEPERS, 1);
    try {
      return Atomics.wait(this.words, GEN, seenGeneration, timeoutMs) !== 'timed-out';
    } finally {
      Atomics.sub(this.words, SLEEPERS, 1);
    }
  }

  add(index: number, e: { id: number; type: number; autoReset: boolean; slot: number }): void {
    const w = this.words;
    for (let f = 0; f < STRIDE; f++) w[this.at(index, f)] = 0;
    w[this.at(index, F.TYPE)] = e.type;
    w[this.at(index, F.AUTO_RESET)] = e.autoReset ? 1 : 0;
    w[this.at(index, F.ID)] = e.id | 0;
    w[this.at(index, F.SLOT)] = e.slot;
    Atomics.store(w, this.at(index, F.VALID), 1);
  }

  remove(index: number): void {
    Atomics.store(this.words, this.at(index, F.VALID), 0);
  }

  entry(index: number): EventEntry | undefined {
    const w = this.words;
    if (!Atomics.load(w, this.at(index, F.VALID))) return undefined;
    return { index, id: w[this.at(index, F.ID)]! >>> 0, type: w[this.at(index, F.TYPE)]!, autoReset: w[this.at(index, F.AUTO_RESET)] === 1, slot: w[this.at(index, F.SLOT)]! };
  }

  /** Indices of valid events of a type. */
  ofType(type: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < EVENT_TABLE_ENTRIES; i++) {
      if (Atomics.load(this.words, this.at(i, F.VALID)) && this.words[this.at(i, F.TYPE)] === type) out.push(i);
    }
    return out;
  }

  isSignaled(index: number): boolean {
    return Atomics.load(this.words, this.at(index, F.SIGNALED)) === 1;
  }

  signal(index: number): void {
    Atomics.store(this.words, this.at(index, F.SIGNALED), 1);
    Atomics.add(this.words, GEN, 1);
    if (Atomics.load(this.words, SLEEPERS) !== 0) Atomics.notify(this.words, GEN);
  }

  reset(index: number): void {
    Atomics.store(this.words, this.at(index, F.SIGNALED), 0);
  }

  setMemoryException(index: number, m: MemoryException): void {
    const w = this.words;
    w[this.at(index, F.VA_LO)] = Number(m.va & 0xffffffffn) | 0;
    w[this.at(index, F.VA_HI)] = Number(m.va >> 32n) | 0;
    w[this.at(index, F.GPU_ID)] = m.gpuId;
    w[this.at(index, F.NOT_PRESENT)] = m.notPresent ? 1 : 0;
    w[this.at(index, F.READ_ONLY)] = m.readOnly ? 1 : 0;
    w[this.at(index, F.NO_EXECUTE)] = m.noExecute ? 1 : 0;
  }

  memoryException(index: number): MemoryException | undefined {
    const w = this.words;
    const gpuId = w[this.at(index, F.GPU_ID)]!;
    if (!gpuId) return undefined;
    const va = (BigInt(w[this.at(index, F.VA_HI)]! >>> 0) << 32n) | BigInt(w[this.at(index, F.VA_LO)]! >>> 0);
    return { va, gpuId, notPresent: w[this.at(index, F.NOT_PRESENT)] === 1, readOnly: w[this.at(index, F.READ_ONLY)] === 1, noExecute: w[this.at(index, F.NO_EXECUTE)] === 1 };
  }

  setHwException(index: number, h: HwException): void {
    const w = this.words;
    w[this.at(index, F.HW_GPU_ID)] = h.gpuId;
    w[this.at(index, F.RESET_TYPE)] = h.resetType;
    w[this.at(index, F.RESET_CAUSE)] = h.resetCause;
    w[this.at(index, F.MEMORY_LOST)] = h.memoryLost ? 1 : 0;
  }

  hwException(index: number): HwException | undefined {
    const w = this.words;
    const gpuId = w[this.at(index, F.HW_GPU_ID)]!;
    if (!gpuId) return undefined;
    return { gpuId, resetType: w[this.at(index, F.RESET_TYPE)]!, resetCause: w[this.at(index, F.RESET_CAUSE)]!, memoryLost: w[this.at(index, F.MEMORY_LOST)] === 1 };
  }

  clearExceptionData(index: number): void {
    for (let f = F.VA_LO; f < STRIDE; f++) this.words[this.at(index, f)] = 0;
  }
}
