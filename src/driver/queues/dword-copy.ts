// Copying a few dozen dwords into a ring or a kernarg range, the fastest way node offers for the size.
// Measured on node 20 (a 25-dword copy into a ring, best of 400 × 4096): TypedArray.set 25 ns (a fixed
// cost, then memmove), a loop of element stores 42 ns, the same stores written out 12 ns, and moved
// as 8-byte pairs 9 ns. So streams submitted again and again (prepared launches, a repeated SDMA
// copy) get a copier generated for their length: straight-line stores, no loop, two dwords per store
// where both ends are 8-byte aligned. A pair moves through a double register: V8 loads and stores
// Float64Array elements as raw 64-bit moves and never touches NaN payloads (pinned by a test over the
// NaN patterns, cold and optimized), so any bit pattern arrives intact.

/** Past this many dwords the generated function stops paying off against set()'s fixed cost. */
const MAX_UNROLLED = 96;

/** Copies `from` (whole) into `to` at pair `at`: 8 bytes per store. */
export type PairCopier = (to: Float64Array, at: number, from: Float64Array) => void;

const pairCopiers: PairCopier[] = [];
const setPairCopier: PairCopier = (to, at, from) => to.set(from, at);

/** The copier for `pairs` 8-byte pairs (generated once per length). */
export function pairCopierFor(pairs: number): PairCopier {
  if (pairs > MAX_UNROLLED / 2) return setPairCopier;
  let c = pairCopiers[pairs];
  if (!c) {
    const stores = Array.from({ length: pairs }, (_, i) => `t[a+${i}]=f[${i}];`).join('');
    c = pairCopiers[pairs] = new Function('t', 'a', 'f', stores) as PairCopier;
  }
  return c;
}

/**
 * From this many dwords on, TypedArray.set (a fixed cost, then memmove) copies faster than a loop of
 * element stores (measured with node 20: the two cross between 16 and 25 dwords).
 */
const SET_FROM_DWORDS = 20;

/** Copies a stream of any length (one submitted once: a generated copier would not pay off). */
export function copyDwords(to: Uint32Array, at: number, from: Uint32Array): void {
  const n = from.length;
  if (n >= SET_FROM_DWORDS) to.set(from, at);
  else for (let i = 0; i < n; i++) to[at + i] = from[i]!;
}
