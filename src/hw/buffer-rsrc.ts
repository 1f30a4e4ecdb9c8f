// GFX9 buffer resource descriptors (V#): the fields the shader core's swizzled addressing reads, and the
// scratch V# a runtime hands kernels that enable the private segment buffer (s[0:3]) on targets without
// architected flat scratch (gfx90a and older).
// Field positions: "Vega ISA" / "AMD Instinct MI200 ISA" §9.1.5 "Buffer Resource" (SQ_BUF_RSRC_WORD1/3);
// scratch V# values: ROCr amd_aql_queue.cpp InitScratchSRD (swizzled, 4-byte elements, index stride 64,
// thread id added to the index, 32-bit uint format).
import { hi32, lo32 } from './dword-stream.js';

/** [word, lo, bits] of the V# fields used here. */
export const BUF_RSRC = {
  BASE_HI: [1, 0, 16],
  STRIDE: [1, 16, 14],
  SWIZZLE_ENABLE: [1, 31, 1],
  NUM_RECORDS: [2, 0, 32],
  DST_SEL_X: [3, 0, 3],
  DST_SEL_Y: [3, 3, 3],
  DST_SEL_Z: [3, 6, 3],
  DST_SEL_W: [3, 9, 3],
  NUM_FORMAT: [3, 12, 3],
  DATA_FORMAT: [3, 15, 4],
  /** 0..3 = 2, 4, 8, 16 bytes. */
  ELEMENT_SIZE: [3, 19, 2],
  /** 0..3 = 8, 16, 32, 64 records. */
  INDEX_STRIDE: [3, 21, 2],
  ADD_TID_ENABLE: [3, 23, 1],
} as const satisfies Record<string, readonly [number, number, number]>;

type Field = keyof typeof BUF_RSRC;

export function bufRsrcField(words: ArrayLike<number>, name: Field): number {
  const [w, lo, bits] = BUF_RSRC[name];
  return bits === 32 ? words[w]! >>> 0 : (words[w]! >>> lo) & ((1 << bits) - 1);
}

function put(words: number[], name: Field, value: number): void {
  const [w, lo] = BUF_RSRC[name];
  words[w] = (words[w]! | (value << lo)) >>> 0;
}

/** SQ_SEL_X..W, BUF_NUM_FORMAT_UINT, BUF_DATA_FORMAT_32 (sid.h / gfx9 enums). */
const SQ_SEL = { X: 4, Y: 5, Z: 6, W: 7 } as const;
const BUF_NUM_FORMAT_UINT = 4;
const BUF_DATA_FORMAT_32 = 4;

/** The scratch V# of a queue whose private segments live at `base` (`bytes` long), as ROCr builds it. */
export function scratchResourceDescriptor(base: bigint, bytes: number): [number, number, number, number] {
  const w = [lo32(base), hi32(base) & 0xffff, bytes >>> 0, 0];
  put(w, 'SWIZZLE_ENABLE', 1);
  put(w, 'DST_SEL_X', SQ_SEL.X);
  put(w, 'DST_SEL_Y', SQ_SEL.Y);
  put(w, 'DST_SEL_Z', SQ_SEL.Z);
  put(w, 'DST_SEL_W', SQ_SEL.W);
  put(w, 'NUM_FORMAT', BUF_NUM_FORMAT_UINT);
  put(w, 'DATA_FORMAT', BUF_DATA_FORMAT_32);
  put(w, 'ELEMENT_SIZE', 1);
  put(w, 'INDEX_STRIDE', 3);
  put(w, 'ADD_TID_ENABLE', 1);
  return w as [number, number, number, number];
}

/**
 * Byte offset of (index, offset) in a swizzled buffer (MI200 ISA §9.1.5 "Swizzled Buffer Addressing"):
 * (index / indexStride * stride + offset / elementSize * elementSize) * indexStride
 * + index % indexStride * elementSize + offset % elementSize.
 */
export function swizzledOffset(index: number, offset: number, stride: number, elementSize: number, indexStride: number): number {
  const offsetMsb = Math.floor(offset / elementSize);
  return (Math.floor(index / indexStride) * stride + offsetMsb * elementSize) * indexStride + (index % indexStride) * elementSize + (offset - offsetMsb * elementSize);
}
