// The emulated GPU VM's single-word accesses (read32/write32), which the engines make on every packet
// and every poll of a wait: a word inside one mapping goes straight to its backing, and everything else
// keeps span()'s rules — neighbouring mappings of one buffer object join, anything else faults at the
// first inaccessible byte with nothing written, read-only and restricted mappings fault as any access.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuFault, GpuVm } from '../src/emu/gpu-vm.js';

const VA = 0x40_0000n;
const PAGE = 4096;
const CLIENT = 'test';

function backing(bytes: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(bytes));
}

function mapping(start: bigint, bytes: Uint8Array, offset: number, size: number, writable = true) {
  return { start, end: start + BigInt(size), bytes, offset, writable, executable: false, label: `0x${start.toString(16)}` };
}

function faultOf(f: () => unknown): GpuFault {
  try {
    f();
  } catch (e) {
    if (e instanceof GpuFault) return e;
    throw e;
  }
  assert.fail('expected a GPU VM fault');
}

test('read32/write32 inside a mapping reach its backing at the mapping offset, little-endian, on a view of a larger buffer', () => {
  const vm = new GpuVm();
  const buf = backing(4 * PAGE);
  const view = buf.subarray(PAGE); // the backing view itself starts inside its buffer
  vm.map(mapping(VA, view, 256, PAGE));
  vm.write32(VA + 12n, 0x1122_3344, CLIENT);
  assert.deepEqual([...buf.subarray(PAGE + 256 + 12, PAGE + 256 + 16)], [0x44, 0x33, 0x22, 0x11]);
  buf.set([0xef, 0xbe, 0xad, 0xde], PAGE + 256 + PAGE - 4);
  assert.equal(vm.read32(VA + BigInt(PAGE - 4), CLIENT), 0xdead_beef, 'the last word of the mapping');
  vm.write32(VA, -1, CLIENT);
  assert.equal(vm.read32(VA, CLIENT), 0xffff_ffff, 'values are stored and read as unsigned 32-bit');
});

test('a word across two neighbouring mappings of one buffer is read and written whole; across unrelated ones it faults at the first byte past the mapping, writing nothing', () => {
  const vm = new GpuVm();
  const one = backing(2 * PAGE);
  vm.map(mapping(VA, one, 0, PAGE));
  vm.map(mapping(VA + BigInt(PAGE), one, PAGE, PAGE));
  vm.write32(VA + BigInt(PAGE - 2), 0xa1b2_c3d4, CLIENT);
  assert.deepEqual([...one.subarray(PAGE - 2, PAGE + 2)], [0xd4, 0xc3, 0xb2, 0xa1]);
  assert.equal(vm.read32(VA + BigInt(PAGE - 2), CLIENT), 0xa1b2_c3d4);

  const other = 0x80_0000n;
  const a = backing(PAGE);
  vm.map(mapping(other, a, 0, PAGE));
  vm.map(mapping(other + BigInt(PAGE), backing(PAGE), 0, PAGE));
  const f = faultOf(() => vm.write32(other + BigInt(PAGE - 2), 0xffff_ffff, CLIENT));
  assert.deepEqual([f.va, f.write, f.kind], [other + BigInt(PAGE), true, 'not-present']);
  assert.ok(a.every((b) => b === 0), 'nothing of the word was written');
  const r = faultOf(() => vm.read32(other + BigInt(2 * PAGE - 1), CLIENT));
  assert.deepEqual([r.va, r.write, r.kind], [other + BigInt(2 * PAGE), false, 'not-present']);
  assert.equal(faultOf(() => vm.read32(0x10n, CLIENT)).va, 0x10n, 'an address with no mapping faults where it is');
});

test('a read-only mapping reads and faults on write; a restricted mapping faults outside its valid bytes and not inside', () => {
  const vm = new GpuVm();
  const ro = backing(PAGE);
  ro[8] = 7;
  vm.map(mapping(VA, ro, 0, PAGE, false));
  assert.equal(vm.read32(VA + 8n, CLIENT), 7);
  const w = faultOf(() => vm.write32(VA + 8n, 1, CLIENT));
  assert.deepEqual([w.va, w.write, w.kind], [VA + 8n, true, 'read-only']);
  assert.equal(ro[8], 7);

  const rw = 0x80_0000n;
  const bytes = backing(PAGE);
  vm.map(mapping(rw, bytes, 0, PAGE));
  vm.write32(rw + 100n, 5, CLIENT); // before the restriction: a plain mapping
  vm.restrict(rw, rw + 64n, rw + 104n);
  assert.equal(vm.read32(rw + 100n, CLIENT), 5, 'inside the valid bytes');
  vm.write32(rw + 64n, 9, CLIENT);
  assert.equal(bytes[64], 9);
  assert.equal(faultOf(() => vm.read32(rw + 60n, CLIENT)).va, rw + 60n, 'before validStart');
  const past = faultOf(() => vm.write32(rw + 102n, 1, CLIENT));
  assert.deepEqual([past.va, past.kind], [rw + 104n, 'not-present'], 'a word running past validEnd faults at validEnd');
  assert.deepEqual([bytes[102], bytes[103]], [0, 0], 'nothing of it was written');
});

test('after an unmap and a new mapping at the same address, words go to the new backing', () => {
  const vm = new GpuVm();
  const first = backing(PAGE);
  vm.map(mapping(VA, first, 0, PAGE));
  vm.write32(VA, 1, CLIENT);
  vm.unmap(VA);
  assert.equal(faultOf(() => vm.read32(VA, CLIENT)).kind, 'not-present');
  const second = backing(2 * PAGE);
  vm.map(mapping(VA, second, PAGE, PAGE));
  vm.write32(VA, 2, CLIENT);
  assert.deepEqual([first[0], second[PAGE]], [1, 2]);
  assert.equal(vm.read32(VA, CLIENT), 2);
});
