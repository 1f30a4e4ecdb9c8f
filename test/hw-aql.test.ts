// AQL packet writers pinned to hsa.h / ROCr's vendor packet (golden bytes), decoded back, printed, and
// malformed packets reported without a throw.
//   hsa.h     = /usr/include/hsa/hsa.h: hsa_kernel_dispatch_packet_t, hsa_barrier_and_packet_t, packet header
//               bits (HSA_PACKET_HEADER_TYPE 0, _BARRIER 8, _SCACQUIRE_FENCE_SCOPE 9, _SCRELEASE_FENCE_SCOPE 11)
//   ROCr      = hsa_ext_amd.h hsa_ext_amd_aql_pm4_ib_packet_t (AMD_AQL_FORMAT_PM4_IB 1, dw_cnt_remain 0xA)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeDispatchPacket, writeBarrierPacket, writePm4IbPacket, decodeAqlPacket, formatAqlPacket, aqlHeader, AQL_PACKET_BYTES } from '../src/hw/aql.js';
import { lo32, hi32 } from '../src/hw/dword-stream.js';

function ring(slots = 2): { view: DataView; words: Int32Array; u32: Uint32Array } {
  const buf = new ArrayBuffer(slots * AQL_PACKET_BYTES);
  return { view: new DataView(buf), words: new Int32Array(buf), u32: new Uint32Array(buf) };
}
const hex = (a: ArrayLike<number>): string[] => Array.from(a, (d) => '0x' + (d >>> 0).toString(16).padStart(8, '0'));

test('AQL header: barrier | system acquire | system release | type (tinygrad 0x1502 for a dispatch)', () => {
  assert.equal(aqlHeader(2), 0x1502);
  assert.equal(aqlHeader(3), 0x1503);
  assert.equal(aqlHeader(2, { barrier: false, acquire: 'AGENT', release: 'NONE' }), 0x0202);
});

test('64-bit values split into the same dwords from a number or a bigint; a dispatch packet is the same either way', () => {
  for (const v of [0, 1, 0xffff_ffff, 2 ** 32, 0x7f00_1234_5678, 2 ** 53 - 1]) {
    assert.deepEqual([lo32(v), hi32(v)], [lo32(BigInt(v)), hi32(BigInt(v))], `0x${v.toString(16)}`);
  }
  assert.deepEqual([lo32(0x7f00_1234_5678), hi32(0x7f00_1234_5678)], [0x1234_5678, 0x7f00]);
  assert.deepEqual([lo32(-1n), hi32(-1n), hi32(1n << 60n)], [0xffff_ffff, 0xffff_ffff, 0x1000_0000], 'negative and ≥ 2^53 bigints take the exact route');
  const a = ring(1), b = ring(1);
  const shape = { workgroup: [64, 1, 1], grid: [256, 2, 1], privateSegmentBytes: 16, groupSegmentBytes: 1024 } as const;
  writeDispatchPacket(a.view, a.words, 0, { ...shape, kernelObject: 0x7f00_0000_2000n, kernarg: 0x7f00_0000_3000n, completionSignal: 0x7f00_0000_4000n });
  writeDispatchPacket(b.view, b.words, 0, { ...shape, kernelObject: 0x7f00_0000_2000, kernarg: 0x7f00_0000_3000, completionSignal: 0x7f00_0000_4000 });
  assert.deepEqual(hex(b.u32), hex(a.u32));
});

test('kernel dispatch packet golden bytes (hsa_kernel_dispatch_packet_t offsets)', () => {
  const r = ring(1);
  r.u32.fill(0xcccccccc); // stale ring contents must all be overwritten
  writeDispatchPacket(r.view, r.words, 0, { workgroup: [64, 1, 1], grid: [256, 2, 1], privateSegmentBytes: 16, groupSegmentBytes: 1024, kernelObject: 0x7f00_0000_2000n, kernarg: 0x7f00_0000_3000n, completionSignal: 0x7f00_0000_4000n });
  assert.deepEqual(hex(r.u32), [
    '0x00021502', // header 0x1502, setup: dimensions 2 (grid y > 1) at HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS 0
    '0x00010040', '0x00000001', // workgroup_size_x/y (u16 @4, @6), workgroup_size_z @8, reserved0 @10
    '0x00000100', '0x00000002', '0x00000001', // grid_size_x/y/z (u32 @12)
    '0x00000010', '0x00000400', // private_segment_size @24, group_segment_size @28
    '0x00002000', '0x00007f00', '0x00003000', '0x00007f00', // kernel_object @32, kernarg_address @40
    '0x00000000', '0x00000000', // reserved2 @48
    '0x00004000', '0x00007f00', // completion_signal @56
  ]);
});

test('barrier-AND/OR packet golden bytes (hsa_barrier_and_packet_t: dep_signal[5] @8, completion @56)', () => {
  const r = ring(1);
  r.u32.fill(0xcccccccc);
  writeBarrierPacket(r.view, r.words, 0, 'or', [0x10n, 0x20n], 0x30n);
  assert.deepEqual(hex(r.u32), [
    '0x00001505', '0x00000000', // header (BARRIER_OR 5 | barrier | scopes), reserved0/1
    '0x00000010', '0x00000000', '0x00000020', '0x00000000', // dep_signal[0..1]
    ...Array(8).fill('0x00000000'), // dep_signal[2..4] = 0, reserved2
    '0x00000030', '0x00000000', // completion_signal
  ]);
  assert.throws(() => writeBarrierPacket(r.view, r.words, 0, 'and', [1n, 2n, 3n, 4n, 5n, 6n], 0n), /at most 5 dependency signals/);
});

test('vendor PM4-IB packet golden bytes (ROCr layout; the IB header carries the PM4 compute bit)', () => {
  const r = ring(1);
  r.u32.fill(0xcccccccc);
  writePm4IbPacket(r.view, r.words, 0, 0x7f00_0001_0000n, 24, 0x7f00_0000_4000n);
  assert.deepEqual(hex(r.u32), [
    '0x00011500', // header VENDOR_SPECIFIC(0) | barrier | scopes, AMD_AQL_FORMAT_PM4_IB (1) in the next 16 bits
    '0xc0023f02', // PACKET3_COMPUTE(INDIRECT_BUFFER, 2): tinygrad writes PACKET3 = 0xc0023f00
    '0x00010000', '0x00007f00', '0x00800018', // IB base lo/hi, size | INDIRECT_BUFFER_VALID
    '0x0000000a', // dw_cnt_remain
    ...Array(8).fill('0x00000000'),
    '0x00004000', '0x00007f00',
  ]);
});

test('AQL round trip: every writer decodes to the values it was given and prints every field', () => {
  const r = ring(3);
  writeDispatchPacket(r.view, r.words, 0, { workgroup: [8, 4, 2], grid: [64, 32, 16], privateSegmentBytes: 0, groupSegmentBytes: 64, kernelObject: 0x1000n, kernarg: 0x2000n, completionSignal: 0x3000n, barrier: false });
  writeBarrierPacket(r.view, r.words, 64, 'and', [0xan, 0xbn, 0xcn, 0xdn, 0xen], 0xfn);
  writePm4IbPacket(r.view, r.words, 128, 0x4000n, 0xfffff, 0x5000n);
  const [d, b, v] = [0, 64, 128].map((at) => decodeAqlPacket(r.view, at));
  assert.deepEqual({ ...d!, fields: { ...d!.fields } }, {
    type: 2, name: 'KERNEL_DISPATCH', barrier: false, acquire: 2, release: 2,
    fields: { dimensions: 3, workgroup_size_x: 8, workgroup_size_y: 4, workgroup_size_z: 2, grid_size_x: 64, grid_size_y: 32, grid_size_z: 16, private_segment_size: 0, group_segment_size: 64, kernel_object: 0x1000n, kernarg_address: 0x2000n, completion_signal: 0x3000n },
  });
  assert.deepEqual([b!.name, b!.barrier, b!.fields.dep_signal, b!.fields.completion_signal], ['BARRIER_AND', true, [0xan, 0xbn, 0xcn, 0xdn, 0xen], 0xfn]);
  assert.deepEqual([v!.name, v!.fields.ib_jump_cmd, v!.fields.ib_base, v!.fields.ib_size, v!.fields.dw_cnt_remain, v!.fields.completion_signal], ['VENDOR_PM4_IB', 0xc0023f02, 0x4000n, 0xfffff, 0xa, 0x5000n]);
  for (const p of [d!, b!, v!]) {
    assert.equal(p.error, undefined);
    const line = formatAqlPacket(p, 7);
    assert.ok(line.startsWith(`[   7] ${p.name}`), line);
    for (const k of Object.keys(p.fields)) assert.ok(line.includes(` ${k}=`), `${k} missing from ${line}`);
  }
  assert.equal(formatAqlPacket(d!), 'KERNEL_DISPATCH acq=2 rel=2 dimensions=3 workgroup_size_x=8 workgroup_size_y=4 workgroup_size_z=2 grid_size_x=64 grid_size_y=32 grid_size_z=16 private_segment_size=0 group_segment_size=64 kernel_object=0x1000 kernarg_address=0x2000 completion_signal=0x3000');
});

test('malformed AQL: agent dispatch, unknown type, unknown vendor format are errors; INVALID is not', () => {
  const r = ring(1);
  const at = (header: number, word1 = 0) => {
    r.u32.fill(0);
    r.u32[0] = header | (word1 << 16);
    return decodeAqlPacket(r.view, 0);
  };
  assert.match(at(4).error!, /AQL packet type 4 is not supported/);
  assert.match(at(9).error!, /AQL packet type 9 is not supported/);
  assert.equal(at(9).name, 'TYPE_9');
  assert.match(at(0, 2).error!, /unknown AMD vendor packet format 2/);
  assert.deepEqual([at(1).name, at(1).error], ['INVALID', undefined]);
  assert.match(formatAqlPacket(at(4), 0), /AGENT_DISPATCH .* !! AQL packet type 4/);
});

test('the AQL decoder never throws on 2000 random 64-byte packets', () => {
  let seed = 12345;
  const rnd = (): number => ((seed = (Math.imul(seed, 22695477) + 1) >>> 0), seed);
  const r = ring(1);
  for (let i = 0; i < 2000; i++) {
    for (let k = 0; k < 16; k++) r.u32[k] = rnd();
    r.u32[0] = (r.u32[0]! & 0xfffffff8) | (rnd() % 8);
    const p = decodeAqlPacket(r.view, 0);
    assert.equal(typeof formatAqlPacket(p, i), 'string');
    assert.equal(p.error === undefined, [0, 1, 2, 3, 5].includes(p.type) && (p.type !== 0 || r.view.getUint8(2) === 1));
  }
});
