// How a release store (every earlier store visible first) is made from JavaScript on this CPU.
// x86-64 keeps a thread's stores in program order for every observer (TSO), so a plain store is
// already a release store: what the kernel's writeq (WDOORBELL64) and a C11 release store compile
// to there. V8 emits typed-array stores in program order. Elsewhere (arm64) only an Atomics store
// orders the stores before it, at the price of a full barrier and, for 64 bits, a BigInt.

export const PLAIN_STORES_RELEASE = process.arch === 'x64';

/** 2^-32, exact as a double: (v - lo) * 2^-32 is the high half of an integer v below 2^53, exactly. */
const INV_2_32 = 1 / 4294967296;

/**
 * The high 32 bits of an integer below 2^53, as a signed int32 (the bits a typed-array store writes):
 * a multiply, not a divide, and an integer result the optimizing compiler keeps in a register.
 */
export function high32(value: number): number {
  return ((value - (value >>> 0)) * INV_2_32) | 0;
}

/**
 * Stores `value` (an integer below 2^53) into `cell[index]` as one plain 64-bit store. The BigInt is
 * built from the 32-bit halves, which the optimizing compiler turns into 64-bit integer arithmetic:
 * `BigInt(value)` of a double it cannot prove integral allocates instead (about 25 ns).
 */
export function storeUint53(cell: BigUint64Array, index: number, value: number): void {
  const lo = value >>> 0;
  const hi = high32(value) >>> 0;
  cell[index] = (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * Stores `value` (an integer below 2^53) into `cell[index]` when the cell holds `value - 1`: a counter
 * moving by one changes only the low half, except when that half wraps to 0, so one plain 32-bit store
 * of it (`words` views the same memory; little-endian, as x86-64 and arm64 are) is the whole store, and
 * a reader of the 64-bit cell sees the old or the new value. No BigInt except at the wrap.
 */
export function storeNextUint53(cell: BigUint64Array, words: Int32Array, index: number, value: number): void {
  const lo = value | 0;
  if (lo !== 0) words[index * 2] = lo;
  else storeUint53(cell, index, value);
}

/** Stores `value` (an integer below 2^53) into `cell[index]` as one 64-bit release store. */
export function releaseStore64(cell: BigUint64Array, index: number, value: number): void {
  if (PLAIN_STORES_RELEASE) storeUint53(cell, index, value);
  else Atomics.store(cell, index, BigInt(value));
}

/** Stores `value` into `cell[index]` as one 32-bit release store (an AQL packet's header, written last). */
export function releaseStore32(cell: Int32Array, index: number, value: number): void {
  if (PLAIN_STORES_RELEASE) cell[index] = value;
  else Atomics.store(cell, index, value);
}
