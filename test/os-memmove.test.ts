// moveBytes (src/os/memmove.ts): libc memmove for bulk copies between views, TypedArray.set for small
// ones and for the page distances where AMD Zen 3's rep movsb is slow. Whichever path runs, the bytes
// are memmove's: overlapping ranges in either direction, views at offsets in their buffers, and a
// range outside its view throws RangeError without writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moveBytes } from '../src/os/memmove.js';

const filled = (n: number, seed: number): Uint8Array => {
  const b = new Uint8Array(new SharedArrayBuffer(n));
  for (let i = 0; i < n; i++) b[i] = (i * 37 + seed + (i >> 9)) & 0xff;
  return b;
};

/** What memmove leaves: the source bytes as they were before the copy. */
function expected(dst: Uint8Array, dstOffset: number, src: Uint8Array, srcOffset: number, n: number): Uint8Array {
  const out = dst.slice();
  out.set(src.slice(srcOffset, srcOffset + n), dstOffset);
  return out;
}

test('copies between two buffers, small and large, at every page distance class, equal TypedArray.set', () => {
  for (const n of [1, 100, 2047, 2048, 4096, 65536 + 3, 1 << 20]) {
    for (const [dstOffset, srcOffset] of [[0, 0], [16, 0], [0, 16], [1, 7], [4096 + 8, 40], [3000, 3100]] as const) {
      const src = filled(n + 8192, 1);
      const dst = filled(n + 8192, 2);
      const want = expected(dst, dstOffset, src, srcOffset, n);
      moveBytes(dst, dstOffset, src, srcOffset, n);
      assert.deepEqual(dst, want, `${n} bytes, dst +${dstOffset}, src +${srcOffset}`);
    }
  }
});

test('overlapping ranges of one buffer move as memmove moves them, forwards and backwards', () => {
  for (const n of [64, 5000, 300_000]) {
    for (const shift of [1, 16, 64, 4096, 4097, -1, -16, -4096, -5000]) {
      const buf = filled(n + 20_000, 3);
      const srcOffset = 10_000;
      const dstOffset = srcOffset + shift;
      const want = expected(buf, dstOffset, buf, srcOffset, n);
      moveBytes(buf, dstOffset, buf, srcOffset, n);
      assert.deepEqual(buf, want, `${n} bytes shifted by ${shift}`);
    }
  }
});

test('views that start inside their buffer are addressed from their own first byte', () => {
  const whole = filled(3 * 65536, 4);
  const src = new Uint8Array(whole.buffer, 12_345, 65536);
  const dst = new Uint8Array(new SharedArrayBuffer(2 * 65536), 4100, 65536);
  const before = src.slice();
  moveBytes(dst, 0, src, 0, 65536);
  assert.deepEqual(dst, before);
  assert.ok(new Uint8Array(dst.buffer, 0, 4100).every((b) => b === 0), 'nothing written before the view');
});

test('a range outside its view throws RangeError and writes nothing', () => {
  const src = filled(8192, 5);
  const dst = new Uint8Array(new SharedArrayBuffer(8192));
  assert.throws(() => moveBytes(dst, 4096, src, 0, 4097), RangeError);
  assert.throws(() => moveBytes(dst, 0, src, 4096, 4097), RangeError);
  assert.ok(dst.every((b) => b === 0));
});
