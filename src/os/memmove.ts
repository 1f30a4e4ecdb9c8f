// Bulk copies between views of shared memory with libc's memmove (koffi). V8 copies a SharedArrayBuffer
// with relaxed word-sized atomic moves (about 20 GB/s here, against 25-45 GB/s for memcpy of the same
// bytes), which caps every copy the emulated DMA engines make; memmove reaches memcpy's speed.
import { createRequire } from 'node:module';

type KoffiModule = typeof import('koffi');
type Fn = (...args: unknown[]) => unknown;

interface Native {
  readonly koffi: KoffiModule;
  readonly memmove: Fn;
  /** memset(p, 0, 0) returns p: how the address of a view's memory is learned. */
  readonly addressOf: Fn;
}

/** Below this many bytes TypedArray.set costs less than a call into libc. */
const NATIVE_MIN_BYTES = 2048;
/**
 * A destination at most this many bytes past the source modulo the 4 KiB page is left to
 * TypedArray.set: there AMD Zen 3's fast `rep movsb`, which glibc's memmove uses for mid-sized copies,
 * runs about 15 times slower (measured: 2.8 GB/s for 64 KiB at distances 1-24 mod 4096, 26 GB/s at 33).
 */
const SHORT_PAGE_DISTANCE = 64;
const PAGE_MASK = 4095;

let native: Native | null | undefined;
/**
 * Where each view's first byte is, keyed by the view itself: the engines pass the same view of a
 * mapping again and again, and reading a view's `buffer` and `byteOffset` costs V8 a runtime call each
 * (1.6% of the SDMA engine's time at 64 KiB copies, profiled with perf).
 */
const starts = new WeakMap<Uint8Array, number>();

function load(): Native | null {
  if (native !== undefined) return native;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
    const lib = koffi.load('libc.so.6');
    // Declared returning void: the pointer memmove returns is not needed, and making it a JS value
    // cost 40 of the 170 ns a call took (measured with n = 0).
    native = { koffi, memmove: lib.func('void memmove(uintptr_t dst, uintptr_t src, size_t n)') as Fn, addressOf: lib.func('void *memset(void *s, int c, size_t n)') as Fn };
  } catch {
    native = null; // no libc to call (another OS, no koffi build): every copy takes TypedArray.set
  }
  return native;
}

/** Where a view's first byte is in this process's memory (fixed for its life: backing stores never move). */
function startOf(n: Native, view: Uint8Array): number {
  const known = starts.get(view);
  if (known !== undefined) return known;
  const start = Number(n.koffi.address(n.addressOf(view, 0, 0)));
  starts.set(view, start);
  return start;
}

/**
 * Copies `n` bytes from `src[srcOffset..]` to `dst[dstOffset..]` as memmove does (overlap allowed).
 * A range outside its view throws RangeError before any byte moves (libc would write past the view).
 */
export function moveBytes(dst: Uint8Array, dstOffset: number, src: Uint8Array, srcOffset: number, n: number): void {
  if (!(n >= 0 && dstOffset >= 0 && srcOffset >= 0 && dstOffset + n <= dst.length && srcOffset + n <= src.length)) {
    throw new RangeError(`copy of ${n} bytes from offset ${srcOffset} of ${src.length} to offset ${dstOffset} of ${dst.length}: outside the views`);
  }
  const lib = n >= NATIVE_MIN_BYTES ? load() : null;
  if (lib) {
    const to = startOf(lib, dst) + dstOffset;
    const from = startOf(lib, src) + srcOffset;
    const distance = (to - from) & PAGE_MASK;
    if (distance === 0 || distance > SHORT_PAGE_DISTANCE) {
      lib.memmove(to, from, n);
      return;
    }
  }
  dst.set(src.subarray(srcOffset, srcOffset + n), dstOffset);
}
