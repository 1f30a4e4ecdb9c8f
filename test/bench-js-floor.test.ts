// The plain-JavaScript floor of the submission benchmark (src/harness/bench/js-floor.ts) must make
// every store the C baseline makes: leaving one out would flatter the language and blame the driver.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsFloorOf } from '../src/harness/bench/js-floor.js';
import type { CapturedPath } from '../src/harness/bench/c-baseline.js';

const words = (n: number, seed: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => (Math.imul(i + seed, 0x9e3779b1) ^ 0x5a5a0000) >>> 0);
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe('plain-JS floor of the submission path', () => {
  it('AQL: each packet in its slot (header included), the arguments in 64-byte pool slots, write index and doorbell', () => {
    const dwords = words(16, 3);
    const sideBytes = bytes(16, 5);
    const p: CapturedPath = { name: 'AQL', kind: 'aql', count: 1, dwords, sideBytes, ringBytes: 8 * 64, doorbellScale: 1, nop: { base: 0, bias: 0 } };
    const floor = jsFloorOf(p);
    floor.run(11); // wraps the 8-slot ring
    for (let slot = 0; slot < 8; slot++) assert.deepEqual(Uint32Array.from(floor.ring.subarray(slot * 16, slot * 16 + 16)), dwords, `slot ${slot}`);
    const pool = new Uint8Array(floor.pool.buffer);
    for (let k = 0; k < 11; k++) assert.deepEqual(pool.subarray(k * 64, k * 64 + 16), sideBytes, `arguments of submission ${k}`);
    assert.equal(floor.pointers[8], 11n, 'write index: packets written');
    assert.equal(floor.pointers[16], 10n, 'doorbell: the last packet');
  });

  it('PM4/SDMA: the stream at the write pointer, a NOP padding the ring end, write pointer and doorbell in their units', () => {
    const dwords = words(26, 9);
    const nop = { base: 0x1000, bias: 1 };
    const p: CapturedPath = { name: 'SDMA', kind: 'ring', count: 1, dwords, sideBytes: new Uint8Array(0), ringBytes: 64 * 4, doorbellScale: 4, nop };
    const floor = jsFloorOf(p);
    floor.run(2);
    assert.deepEqual(Uint32Array.from(floor.ring.subarray(0, 26)), dwords);
    assert.deepEqual(Uint32Array.from(floor.ring.subarray(26, 52)), dwords);
    floor.run(1); // 52 + 26 > 64: a 12-dword NOP first, then the stream at 0
    assert.equal(floor.ring[52]! >>> 0, (nop.base | ((12 - nop.bias) << 16)) >>> 0, 'the NOP header counts its body');
    assert.deepEqual(Array.from(floor.ring.subarray(53, 64)), new Array(11).fill(0), 'the NOP body is zeros');
    assert.deepEqual(Uint32Array.from(floor.ring.subarray(0, 26)), dwords);
    assert.equal(floor.pointers[8], BigInt((64 + 26) * 4), 'write pointer in bytes');
    assert.equal(floor.pointers[16], floor.pointers[8], 'doorbell = write pointer');
  });
});
