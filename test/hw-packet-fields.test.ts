// The table-driven field decoder (a generated function per layout) against the fields worked out here
// bit by bit from the same tables: every PM4 and SDMA layout of every generation, random dwords, whole
// packets and packets cut short by the end of the array.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getFields, type FieldDef } from '../src/hw/packet-fields.js';
import { pm4PacketDefs } from '../src/hw/pm4/packets.js';
import { sdmaPacketDefs, type SdmaVersion } from '../src/hw/sdma/packets.js';
import type { GfxFamily } from '../src/hw/targets.js';

/** Field values by plain arithmetic: bit `lo` up, `bits` wide, of dword `dw`. */
function expected(defs: readonly FieldDef[], dwords: readonly number[], at: number): [string, number][] {
  const out = new Map<string, number>();
  for (const f of defs) {
    if (at + f.dw >= dwords.length) continue;
    const word = dwords[at + f.dw]! >>> 0;
    out.set(f.name, Math.floor(word / 2 ** f.lo) % 2 ** Math.min(f.bits, 32 - f.lo));
  }
  return [...out];
}

/** A small deterministic generator (xorshift32), so a failure can be reproduced. */
function words(seed: number, n: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  });
}

const layouts: { name: string; fields: readonly FieldDef[] }[] = [
  ...(['gfx9', 'gfx10', 'gfx11', 'gfx12'] as GfxFamily[]).flatMap((f) => [...pm4PacketDefs(f).values()].map((d) => ({ name: `${f} ${d.name}`, fields: d.fields }))),
  ...([4, 5, 6, 7] as SdmaVersion[]).flatMap((v) => sdmaPacketDefs(v).map((d) => ({ name: `SDMA v${v} ${d.name}`, fields: d.fields }))),
];

test('getFields gives every field of every PM4 and SDMA layout, in table order, for whole packets at any offset', () => {
  assert.ok(layouts.length > 30, `${layouts.length} layouts`);
  let seed = 1;
  for (const l of layouts) {
    const size = Math.max(0, ...l.fields.map((f) => f.dw)) + 1;
    for (const at of [0, 3]) {
      const dw = words(seed++, at + size + 2);
      const typed = Uint32Array.from(dw);
      const want = expected(l.fields, dw, at);
      assert.deepEqual(Object.entries(getFields(l.fields, dw, at)), want, l.name);
      assert.deepEqual(Object.entries(getFields(l.fields, typed, at)), want, `${l.name} (Uint32Array)`);
    }
    // All ones and all zeros: masks and the 32-bit fields' sign.
    for (const fill of [0xffffffff, 0]) {
      const dw = new Array<number>(size).fill(fill);
      assert.deepEqual(Object.entries(getFields(l.fields, dw, 0)), expected(l.fields, dw, 0), `${l.name} filled with 0x${fill.toString(16)}`);
    }
  }
});

test('getFields on a packet cut short by the end of the array keeps exactly the fields that are present', () => {
  let seed = 1000;
  for (const l of layouts) {
    const size = Math.max(0, ...l.fields.map((f) => f.dw)) + 1;
    for (let len = 1; len < size; len++) {
      const dw = words(seed++, len);
      const got = getFields(l.fields, dw, 0);
      assert.deepEqual(Object.entries(got), expected(l.fields, dw, 0), `${l.name} cut to ${len} dwords`);
      assert.ok(Object.keys(got).every((k) => l.fields.some((f) => f.name === k && f.dw < len)), `${l.name} cut to ${len}: no field past the end`);
    }
  }
});
