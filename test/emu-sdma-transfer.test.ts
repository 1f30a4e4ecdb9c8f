// The emulated SDMA engine's copies and fills, run in-process on a GpuVm of hand-made mappings: the
// one-TypedArray fast path (a range inside one mapping) and the mapping-by-mapping walk give the same
// bytes, faults land on the exact first inaccessible byte with nothing of the slice written, and the
// COPY_LINEAR operands read straight from the packet agree with the table decoder
// (sdma_v6_0_0_pkt_open.h / vega10_sdma_pkt_open.h layouts, pinned in hw-sdma.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuVm } from '../src/emu/gpu-vm.js';
import { sdmaEngine } from '../src/emu/engine/queues/sdma.js';
import { CopyLinearReader } from '../src/emu/engine/queues/sdma-transfer.js';
import type { EngineContext, QueueEngine } from '../src/emu/engine/context.js';
import type { QueueDescriptor } from '../src/emu/engine/protocol.js';
import type { GpuFault } from '../src/emu/gpu-vm.js';
import { SdmaBuilder } from '../src/hw/sdma/builder.js';
import { decodeSdmaPacket } from '../src/hw/sdma/decode.js';
import { address } from '../src/hw/packet-fields.js';
import type { SdmaVersion } from '../src/hw/sdma/packets.js';

const PAGE = 4096;
const RING_VA = 0x10_0000n;
const RING_BYTES = 64 * 1024;
const PTR_VA = 0x20_0000n;

interface Rig {
  readonly vm: GpuVm;
  readonly q: QueueEngine;
  readonly faults: GpuFault[];
  /** Maps `bytes` of fresh shared memory (or of `backing` from `offset`) at `va`. */
  map(va: bigint, bytes: number, opts?: { backing?: Uint8Array; offset?: number; writable?: boolean }): Uint8Array;
  /** Puts packets in the ring and rings the doorbell. */
  submit(packets: Uint32Array): void;
  /** Puts packets in the ring, rings the doorbell and steps the queue until it stops making progress. */
  run(packets: Uint32Array): void;
  /** What the engine answers when the queue asks whether another queue has work (default: none has). */
  othersHaveWork: boolean;
  readonly rptr: () => bigint;
}

function rig(target = 'gfx1100'): Rig {
  const vm = new GpuVm();
  const faults: GpuFault[] = [];
  const map: Rig['map'] = (va, bytes, opts = {}) => {
    const backing = opts.backing ?? new Uint8Array(new SharedArrayBuffer(bytes));
    vm.map({ start: va, end: va + BigInt(bytes), bytes: backing, offset: opts.offset ?? 0, writable: opts.writable ?? true, executable: false, label: `test 0x${va.toString(16)}` });
    return backing;
  };
  const ring = map(RING_VA, RING_BYTES);
  const pointers = map(PTR_VA, PAGE);
  const ctx: EngineContext = { gpuId: 1, target, vm, clock: () => 0n, interrupt: () => undefined, vmFault: (f) => void faults.push(f), inject: new Set(), paused: false, scratchVa: undefined, othersHaveWork: () => r.othersHaveWork };
  const desc: QueueDescriptor = { queueId: 1, kind: 'sdma', kfdType: 1, ringVa: RING_VA, ringSize: RING_BYTES, rptrVa: PTR_VA, wptrVa: PTR_VA + 8n, doorbellByte: 0, eopVa: 0n, eopSize: 0, ctxSaveVa: 0n, ctxSaveSize: 0, sdmaEngine: 0, priority: 0, percentage: 0 };
  const q = sdmaEngine(desc, ctx);
  const words = new Uint32Array(ring.buffer, ring.byteOffset, RING_BYTES / 4);
  let wptr = 0;
  const r: Rig = {
    vm,
    q,
    faults,
    map,
    submit(packets) {
      for (const w of packets) {
        words[(wptr / 4) % words.length] = w;
        wptr += 4;
      }
      q.doorbell(BigInt(wptr));
    },
    run(packets) {
      r.submit(packets);
      for (let i = 0; i < 10_000 && q.step(64) === 'progress'; i++);
    },
    othersHaveWork: false,
    rptr: () => new DataView(pointers.buffer).getBigUint64(0, true),
  };
  return r;
}

const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 8)) & 0xff);
const copy = (dst: bigint, src: bigint, bytes: number): Uint32Array => new SdmaBuilder(6).copy(dst, src, bytes).dwords.slice();
const fill = (dst: bigint, value: number, bytes: number): Uint32Array => new SdmaBuilder(6).fill(dst, value, bytes).dwords.slice();

test('COPY_LINEAR inside one mapping and across two neighbouring buffer objects is byte-exact; rptr counts the packet bytes', () => {
  const r = rig();
  const src = r.map(0x100_0000n, 8 * PAGE);
  src.set(pattern(8 * PAGE, 1));
  const dst = r.map(0x200_0000n, 8 * PAGE);
  // Two separate backings, back to back in the GPU's address space: one copy reaches both.
  const lowHalf = r.map(0x300_0000n, 3 * PAGE);
  const highHalf = r.map(0x300_0000n + BigInt(3 * PAGE), 5 * PAGE);
  const packets = new Uint32Array([...copy(0x200_0000n + 100n, 0x100_0000n + 7n, 5 * PAGE + 3), ...copy(0x300_0000n + 16n, 0x100_0000n, 8 * PAGE - 16)]);
  r.run(packets);
  assert.equal(r.q.hang, undefined);
  assert.deepEqual(dst.subarray(100, 100 + 5 * PAGE + 3), src.subarray(7, 7 + 5 * PAGE + 3));
  assert.equal(dst[99], 0);
  assert.equal(dst[100 + 5 * PAGE + 3], 0);
  const landed = new Uint8Array([...lowHalf, ...highHalf]);
  assert.deepEqual(landed.subarray(16), src.subarray(0, 8 * PAGE - 16));
  assert.equal(landed[15], 0);
  assert.equal(r.rptr(), BigInt(packets.length * 4));
});

test('COPY_LINEAR within one buffer whose ranges overlap moves the bytes as memmove does', () => {
  const r = rig();
  const buf = r.map(0x100_0000n, 4 * PAGE);
  buf.set(pattern(4 * PAGE, 2));
  const before = buf.slice();
  r.run(copy(0x100_0000n + 64n, 0x100_0000n, 2 * PAGE));
  assert.equal(r.q.hang, undefined);
  assert.deepEqual(buf.subarray(64, 64 + 2 * PAGE), before.subarray(0, 2 * PAGE));
});

test('a copy past the end of its destination faults at the first unmapped byte and writes nothing of the slice', () => {
  const r = rig();
  r.map(0x100_0000n, 16 * PAGE).set(pattern(16 * PAGE, 3));
  const dst = r.map(0x200_0000n, 4 * PAGE);
  r.run(copy(0x200_0000n + 8n, 0x100_0000n, 8 * PAGE));
  assert.equal(r.q.hang?.reason.includes('not-present'), true, r.q.hang?.reason);
  assert.equal(r.faults.length, 1);
  assert.equal(r.faults[0]!.va, 0x200_0000n + BigInt(4 * PAGE));
  assert.equal(r.faults[0]!.write, true);
  assert.ok(dst.every((b) => b === 0), 'no byte of the faulting slice was written');
  assert.equal(r.rptr(), 0n, 'the faulting packet is not consumed');
});

test('copies that run in one step and then fault: the read pointer (memory, status, hang report) stops at the faulting packet', () => {
  const r = rig();
  const src = r.map(0x100_0000n, 4 * PAGE);
  src.set(pattern(4 * PAGE, 5));
  const dst = r.map(0x200_0000n, 4 * PAGE);
  const good = copy(0x200_0000n, 0x100_0000n, PAGE);
  const packets = new Uint32Array([...good, ...copy(0x200_0000n + BigInt(PAGE), 0x100_0000n + BigInt(PAGE), PAGE), ...copy(0x300_0000n, 0x100_0000n, PAGE), ...good]);
  r.run(packets);
  const at = 2 * good.length * 4;
  assert.equal(r.faults[0]?.va, 0x300_0000n);
  assert.deepEqual(dst.subarray(0, 2 * PAGE), src.subarray(0, 2 * PAGE), 'the two copies before the fault ran');
  assert.equal(r.rptr(), BigInt(at), 'the read pointer in memory names the faulting packet');
  assert.equal(r.q.hang?.rptr, String(at));
  assert.equal(r.q.status().rptr, String(at));
  assert.match(r.q.hang!.packets.find((l) => l.startsWith('=>'))!, new RegExp(`COPY_LINEAR.*dst_addr=0x3000000`));
});

test('a copy from a source that ends early faults on the read at its first unmapped byte', () => {
  const r = rig();
  r.map(0x100_0000n, 2 * PAGE);
  r.map(0x200_0000n, 8 * PAGE);
  r.run(copy(0x200_0000n, 0x100_0000n + 100n, 4 * PAGE));
  assert.equal(r.faults.length, 1);
  assert.equal(r.faults[0]!.va, 0x100_0000n + BigInt(2 * PAGE));
  assert.equal(r.faults[0]!.write, false);
});

test('copies and fills at addresses past 2^53 (no double holds them) fault at the exact address', () => {
  const HIGH = 0x20_0000_0000_0001n;
  for (const [packet, va, write] of [
    [copy(HIGH, 0x100_0000n, 64), HIGH, true],
    [copy(0x200_0000n, HIGH + 2n, 64), HIGH + 2n, false],
    [fill(0xffff_8000_0000_1004n, 7, 64), 0xffff_8000_0000_1004n, true],
  ] as const) {
    const r = rig();
    r.map(0x100_0000n, PAGE);
    r.map(0x200_0000n, PAGE);
    r.run(packet);
    assert.deepEqual(r.faults.map((f) => [f.va, f.write, f.kind]), [[va, write, 'not-present']]);
  }
});

test('a copy into a read-only mapping faults as read-only at the destination', () => {
  const r = rig();
  r.map(0x100_0000n, PAGE);
  r.map(0x200_0000n, PAGE, { writable: false });
  r.run(copy(0x200_0000n + 4n, 0x100_0000n, 64));
  assert.equal(r.faults[0]!.kind, 'read-only');
  assert.equal(r.faults[0]!.va, 0x200_0000n + 4n);
});

test('a copy reaching past the valid bytes of a restricted mapping (the bounds checker) faults at the first invalid byte', () => {
  const r = rig();
  r.map(0x100_0000n, 2 * PAGE);
  r.map(0x200_0000n, 2 * PAGE);
  r.vm.restrict(0x200_0000n, 0x200_0000n, 0x200_0000n + 1000n);
  r.run(copy(0x200_0000n, 0x100_0000n, 1001));
  assert.equal(r.faults[0]!.va, 0x200_0000n + 1000n);
  const ok = rig();
  ok.map(0x100_0000n, 2 * PAGE).fill(5);
  const dst = ok.map(0x200_0000n, 2 * PAGE);
  ok.vm.restrict(0x200_0000n, 0x200_0000n, 0x200_0000n + 1000n);
  ok.run(copy(0x200_0000n, 0x100_0000n, 1000));
  assert.equal(ok.q.hang, undefined);
  assert.equal(dst[999], 5);
  assert.equal(dst[1000], 0);
});

test('a copy yields every 4 MiB while another queue of the engine has work, and runs on in one slice once none has', () => {
  const MiB = 1 << 20;
  const r = rig();
  const src = r.map(0x1000_0000n, 16 * MiB);
  src.set(pattern(16 * MiB, 3));
  const dst = r.map(0x2000_0000n, 16 * MiB);
  const packets = copy(0x2000_0000n, 0x1000_0000n, 16 * MiB);
  r.othersHaveWork = true;
  r.submit(packets);
  assert.equal(r.q.step(64), 'progress');
  assert.deepEqual(dst.subarray(4 * MiB - 64, 4 * MiB), src.subarray(4 * MiB - 64, 4 * MiB), 'the first 4 MiB moved');
  assert.ok(dst.subarray(4 * MiB).every((b) => b === 0), 'nothing past the first 4 MiB slice moved in that step');
  assert.equal(r.rptr(), 0n, 'the packet is not consumed before its copy ends');
  assert.equal(r.q.step(64), 'progress');
  assert.ok(dst.subarray(8 * MiB).every((b) => b === 0), 'one more slice in the next step');
  r.othersHaveWork = false;
  assert.equal(r.q.step(64), 'progress');
  assert.deepEqual(dst, src, 'alone on the engine, the copy ended in one step');
  assert.equal(r.rptr(), BigInt(packets.length * 4));
});

test('CONST_FILL writes its dword pattern little-endian inside one mapping, across two, and at an offset not dword-aligned in the backing', () => {
  const r = rig();
  const a = r.map(0x100_0000n, PAGE);
  const b = r.map(0x100_0000n + BigInt(PAGE), PAGE);
  const shared = new Uint8Array(new SharedArrayBuffer(2 * PAGE + 8));
  r.map(0x200_0000n, PAGE, { backing: shared, offset: 2 });
  r.run(new Uint32Array([...fill(0x100_0000n + 4n, 0x11223344, 64), ...fill(0x100_0000n + BigInt(PAGE - 8), 0xa1b2c3d4, 16), ...fill(0x200_0000n + 4n, 0xdeadbeef, 8)]));
  assert.equal(r.q.hang, undefined);
  assert.deepEqual([...a.subarray(0, 12)], [0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11]);
  assert.equal(a[68], 0);
  assert.deepEqual([...a.subarray(PAGE - 8)], [0xd4, 0xc3, 0xb2, 0xa1, 0xd4, 0xc3, 0xb2, 0xa1]);
  assert.deepEqual([...b.subarray(0, 12)], [0xd4, 0xc3, 0xb2, 0xa1, 0xd4, 0xc3, 0xb2, 0xa1, 0, 0, 0, 0]);
  assert.deepEqual([...shared.subarray(0, 16)], [0, 0, 0, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, 0xef, 0xbe, 0xad, 0xde, 0, 0]);
});

test('the read pointer follows the page tables: after its page is mapped again elsewhere, it is written to the new memory', () => {
  const r = rig();
  r.map(0x100_0000n, PAGE);
  r.map(0x200_0000n, PAGE);
  r.run(copy(0x200_0000n, 0x100_0000n, 16));
  const first = r.rptr();
  assert.equal(first, 28n);
  r.vm.unmap(PTR_VA);
  const moved = r.map(PTR_VA, PAGE);
  r.run(copy(0x200_0000n, 0x100_0000n, 16));
  assert.equal(new DataView(moved.buffer).getBigUint64(0, true), 56n);
});

test('COPY_LINEAR operands read straight from the packet agree with the table decoder on every SDMA version', () => {
  const versions: SdmaVersion[] = [4, 5, 6, 7];
  for (const v of versions) {
    const reader = new CopyLinearReader(v);
    const b = new SdmaBuilder(v);
    for (const [dst, src, bytes] of [[0x7fff_ffff_f000n, 0x1234_5678_9abcn, 1], [0x1000n, 0x2000n, b.limits.maxCopyBytes], [0xffff_ffffn, 0x1_0000_0000n, 4099], [0xffff_8000_0000_1000n, 0x20_0000_0000_0000n, 8], [0x1f_ffff_ffff_fff8n, 0x1f_ffff_ffff_ffffn, 2]] as const) {
      const dw = b.reset().copyLinear(dst, src, bytes).dwords.slice();
      assert.equal(reader.matches(dw[0]!), true);
      assert.equal(reader.dwords, dw.length);
      const p = decodeSdmaPacket(dw, 0, dw.length, v);
      const t = reader.transfer(dw);
      // Doubles when both addresses are below 2^53 (then exact), the BigInts beside them otherwise.
      assert.equal(t.exact === undefined, dst < 2n ** 53n && src < 2n ** 53n, `SDMA ${v}: 0x${dst.toString(16)}, 0x${src.toString(16)}`);
      const [tDst, tSrc] = t.exact ? [t.exact.dst, t.exact.src] : [BigInt(t.dst), BigInt(t.src)];
      assert.deepEqual([tDst, tSrc, t.bytes], [address(p.fields, 'dst_addr'), address(p.fields, 'src_addr'), p.fields.count! + 1], `SDMA ${v}`);
      assert.deepEqual([tDst, tSrc, t.bytes], [dst, src, bytes]);
    }
    // Flag bits of the header (tmz, backwards) do not make another packet; another sub_op does.
    assert.equal(reader.matches((1 | (1 << 18)) >>> 0), true);
    assert.equal(reader.matches(1 | (1 << 8)), false);
  }
  const v7 = new SdmaBuilder(7).copyLinear(0x1000n, 0x2000n, 64).dwords.slice();
  v7[7] = 0x5;
  assert.throws(() => new CopyLinearReader(7).transfer(v7), { name: 'QueueStop', message: 'COPY_LINEAR with DCC control 0x5: compression is not modelled' });
});

test('a COPY_LINEAR cut short by the write pointer stops the queue at it, its bytes not moved', () => {
  const r = rig();
  r.map(0x100_0000n, PAGE).set(pattern(PAGE, 7));
  const dst = r.map(0x200_0000n, PAGE);
  const whole = copy(0x200_0000n, 0x100_0000n, 64);
  r.run(whole.subarray(0, 4));
  assert.match(r.q.hang?.reason ?? '', new RegExp(`packet at byte 0 needs ${whole.length} dwords but only 4 were submitted`));
  assert.equal(r.q.hang?.rptr, '0');
  assert.ok(dst.every((b) => b === 0));
});

test('a COPY_LINEAR whose dwords wrap around the end of the ring is read whole', () => {
  const r = rig();
  r.map(0x100_0000n, PAGE).set(pattern(PAGE, 6));
  const dst = r.map(0x200_0000n, PAGE);
  // One NOP fills the ring up to 12 bytes before its end: the copy's first 3 dwords sit there, the rest at the start.
  const nopDwords = RING_BYTES / 4 - 3;
  const nop = new Uint32Array(nopDwords);
  nop[0] = (nopDwords - 1) << 16;
  r.run(nop);
  r.run(copy(0x200_0000n, 0x100_0000n, 300));
  assert.equal(r.q.hang, undefined);
  assert.deepEqual(dst.subarray(0, 300), pattern(PAGE, 6).subarray(0, 300));
  assert.equal(dst[300], 0);
  assert.equal(r.rptr(), BigInt(RING_BYTES + 16));
});
