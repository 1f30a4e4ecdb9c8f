// Copying a few dozen dwords into a ring or a kernarg range, the fastest way node offers for the size.
// Measured on node 20 (a 25-dword copy into a ring, best of 400 × 4096): TypedArray.set 25 ns (a fixed
// cost, then memmove), a loop of element stores 42 ns, the same stores written out 12 ns. So streams
// submitted again and again (prepared launches, a repeated SDMA copy) get a copier generated for their
// length: straight-line int32 stores, no loop.

/** Copies `from` (whole) into `to` at dword `at`. */
export type WordCopier = (to: Int32Array, at: number, from: Int32Array) => void;

/** Past this length the generated function stops paying off against set()'s fixed cost. */
const MAX_UNROLLED = 96;
const copiers: WordCopier[] = [];

const setCopier: WordCopier = (to, at, from) => to.set(from, at);

/** The copier for streams of exactly `n` dwords (generated once per length). */
export function copierFor(n: number): WordCopier {
  if (n > MAX_UNROLLED) return setCopier;
  let c = copiers[n];
  if (!c) {
    const stores = Array.from({ length: n }, (_, i) => `t[a+${i}]=f[${i}];`).join('');
    c = copiers[n] = new Function('t', 'a', 'f', stores) as WordCopier;
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
