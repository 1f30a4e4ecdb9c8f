// The GFX9 scratch buffer resource descriptor and swizzled buffer addressing (hw/buffer-rsrc.ts), against
// values worked from ROCr amd_aql_queue.cpp InitScratchSRD and the MI200 ISA §9.1.5 formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufRsrcField, scratchResourceDescriptor, swizzledOffset } from '../src/hw/buffer-rsrc.js';

test('scratch V#: base split over words 0/1, swizzle on, num_records = size, 4-byte elements, index stride 64, add tid', () => {
  const w = scratchResourceDescriptor(0x7fff_1234_5000n, 0x40_0000);
  // word1: BASE_HI 0x7fff | SWIZZLE_ENABLE (bit 31); word3: DST_SEL XYZW = 4,5,6,7, NUM_FORMAT_UINT 4,
  // DATA_FORMAT_32 4, ELEMENT_SIZE 1 (4 B), INDEX_STRIDE 3 (64), ADD_TID_ENABLE, TYPE 0 (buffer).
  assert.deepEqual(w, [0x1234_5000, 0x8000_7fff, 0x40_0000, 0x00ea_4fac]);
  assert.deepEqual(['SWIZZLE_ENABLE', 'ELEMENT_SIZE', 'INDEX_STRIDE', 'ADD_TID_ENABLE', 'STRIDE'].map((f) => bufRsrcField(w, f as 'STRIDE')), [1, 1, 3, 1, 0]);
});

test('swizzled offsets: dwords of one lane lie element * index stride apart, lanes element bytes apart', () => {
  assert.equal(swizzledOffset(0, 0, 0, 4, 64), 0);
  assert.equal(swizzledOffset(5, 0, 0, 4, 64), 20);
  assert.equal(swizzledOffset(5, 8, 0, 4, 64), 2 * 256 + 20);
  assert.equal(swizzledOffset(5, 10, 0, 4, 64), 2 * 256 + 20 + 2, 'byte within the element');
  assert.equal(swizzledOffset(70, 4, 16, 4, 64), (1 * 16 + 4) * 64 + 6 * 4, 'index past the stride uses the V# stride');
});
