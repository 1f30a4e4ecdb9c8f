// SDMA 4-7 encoders pinned to the kernel packet headers (golden dwords), decoded back, printed with every
// field, and malformed streams rejected without a throw.
//
//   vega10 = linux drivers/gpu/drm/amd/amdgpu/vega10_sdma_pkt_open.h  (SDMA 4.x, gfx9)
//   navi10 = linux drivers/gpu/drm/amd/amdgpu/navi10_sdma_pkt_open.h  (SDMA 5.0 and 5.2: sdma_v5_0.c and
//            sdma_v5_2.c both include it)
//   v6     = linux drivers/gpu/drm/amd/amdgpu/sdma_v6_0_0_pkt_open.h (SDMA 6.x, gfx11)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SdmaBuilder } from '../src/hw/sdma/builder.js';
import { decodeSdma, formatSdmaPacket, findSdmaDef, sdmaVersionOf } from '../src/hw/sdma/decode.js';
import { SDMA_OP, SDMA_SUBOP, sdmaLimits, type SdmaVersion } from '../src/hw/sdma/packets.js';
import { address, type FieldValues } from '../src/hw/packet-fields.js';
import { TARGETS } from '../src/hw/targets.js';

const VERSIONS: readonly SdmaVersion[] = [4, 5, 6, 7];
const VA = 0x7f00_0000_1000n;
const hex = (a: ArrayLike<number>): string[] => Array.from(a, (d) => '0x' + (d >>> 0).toString(16).padStart(8, '0'));
const build = (v: SdmaVersion, f: (b: SdmaBuilder) => unknown): Uint32Array => {
  const b = new SdmaBuilder(v, 4);
  f(b);
  return b.dwords.slice();
};

test('SDMA opcodes and sub-opcodes (SDMA_OP_* / SDMA_SUBOP_* of vega10, navi10 and v6)', () => {
  assert.deepEqual([SDMA_OP.NOP, SDMA_OP.COPY, SDMA_OP.WRITE, SDMA_OP.INDIRECT, SDMA_OP.FENCE, SDMA_OP.TRAP, SDMA_OP.POLL_REGMEM, SDMA_OP.CONST_FILL, SDMA_OP.TIMESTAMP, SDMA_OP.GCR_REQ], [0, 1, 2, 4, 5, 6, 8, 11, 13, 17]);
  // SDMA_SUBOP_COPY_LINEAR 0, SDMA_SUBOP_WRITE_LINEAR 0, SDMA_SUBOP_TIMESTAMP_GET_GLOBAL 2 (GET is 1, SET 0).
  assert.deepEqual({ ...SDMA_SUBOP }, { COPY_LINEAR: 0, WRITE_LINEAR: 0, TIMESTAMP_GET_GLOBAL: 2 });
});

test('SDMA count widths: 22 bits on SDMA 4 and 5, 30 bits on SDMA 6 and 7', () => {
  // SDMA_PKT_COPY_LINEAR_COUNT_count_mask: 0x003FFFFF in vega10 and navi10, 0x3FFFFFFF in v6 (count = bytes - 1).
  assert.deepEqual(VERSIONS.map((v) => sdmaLimits(v).maxCopyBytes), [1 << 22, 1 << 22, 1 << 30, 1 << 30]);
  // SDMA_PKT_CONSTANT_FILL_COUNT_count_mask 0x003FFFFF (vega10, navi10); SDMA 6/7 use the COPY_LINEAR width.
  assert.deepEqual(VERSIONS.map((v) => sdmaLimits(v).maxFillBytes), [1 << 22, 1 << 22, 1 << 30, 1 << 30]);
  // SDMA_PKT_FENCE_HEADER_mtype (bits 18:16) exists from navi10 on; vega10's FENCE header has none.
  assert.deepEqual(VERSIONS.map((v) => sdmaLimits(v).fenceMtype), [false, true, true, true]);
  // sdma_v7_0.c sdma_v7_0_emit_copy_buffer: SDMA_PKT_COPY_LINEAR_HEADER_CPV(1) on every copy (SDMA 7 only).
  assert.deepEqual(VERSIONS.map((v) => sdmaLimits(v).copyCpv), [false, false, false, true]);
  assert.deepEqual(VERSIONS.map((v) => findSdmaDef(v, SDMA_OP.COPY, 0)!.fields.find((f) => f.name === 'count')!.bits), [22, 22, 30, 30]);
  // The SDMA version comes from the target's SDMA IP.
  assert.equal(sdmaVersionOf(TARGETS.get('gfx942')!.sdma), 4);
  assert.equal(sdmaVersionOf(TARGETS.get('gfx1030')!.sdma), 5);
  assert.equal(sdmaVersionOf(TARGETS.get('gfx1100')!.sdma), 6);
  assert.equal(sdmaVersionOf(TARGETS.get('gfx1201')!.sdma), 7);
  assert.throws(() => sdmaVersionOf([3, 0]), /SDMA IP 3.0 is not supported/);
});

for (const v of VERSIONS) {
  test(`SDMA ${v} golden dwords for every builder method`, () => {
    // NOP: SDMA_PKT_NOP_HEADER_count [29:16] = dwords after the header.
    assert.deepEqual(hex(build(v, (b) => b.nop(1))), ['0x00000000']);
    assert.deepEqual(hex(build(v, (b) => b.nop(3))), ['0x00020000', '0x00000000', '0x00000000']);
    // COPY_LINEAR: HEADER op 1 | sub_op 0, COUNT = bytes - 1, PARAMETER 0, SRC lo/hi, DST lo/hi (7 dwords).
    // SDMA 7 adds COPY_LINEAR HEADER CPV (bit 19) = 0x00080001, as linux sdma_v7_0.c sdma_v7_0_emit_copy_buffer sets it.
    // SDMA 7 copies are 8 dwords: sdma_v7_0_emit_copy_buffer always writes the DCC control dword (0 here).
    assert.deepEqual(hex(build(v, (b) => b.copyLinear(VA + 0x100n, VA, 4096))), [v === 7 ? '0x00080001' : '0x00000001', '0x00000fff', '0x00000000', '0x00001000', '0x00007f00', '0x00001100', '0x00007f00', ...(v === 7 ? ['0x00000000'] : [])]);
    // CONST_FILL: HEADER op 11 | fillsize 2 (dwords) << 30, DST lo/hi, SRC_DATA, COUNT = bytes - 1.
    assert.deepEqual(hex(build(v, (b) => b.fill(VA, 0xdeadbeef, 64))), ['0x8000000b', '0x00001000', '0x00007f00', '0xdeadbeef', '0x0000003f']);
    // FENCE: HEADER op 5 | MTYPE(3) << 16 (UC, as sdma_v5_0/v5_2/v6_0/v7_0_ring_emit_fence write it; tinygrad 0x30005),
    // plain 0x5 on SDMA 4.
    assert.deepEqual(hex(build(v, (b) => b.fence(VA, 5))), [v === 4 ? '0x00000005' : '0x00030005', '0x00001000', '0x00007f00', '0x00000005']);
    // TRAP: op 6, INT_CONTEXT [27:0].
    assert.deepEqual(hex(build(v, (b) => b.trap(0x1234))), ['0x00000006', '0x00001234']);
    // POLL_REGMEM: op 8 | func(5 '>=') << 28 | mem_poll << 31 = 0xd0000008; DW5 interval [15:0] | retry_count [27:16].
    assert.deepEqual(hex(build(v, (b) => b.pollMem32(VA, 'GE', 9))), ['0xd0000008', '0x00001000', '0x00007f00', '0x00000009', '0xffffffff', '0x0fff0004']);
    // TIMESTAMP: op 13 | SDMA_SUBOP_TIMESTAMP_GET_GLOBAL 2 << 8 = 0x20d (tinygrad), addr lo/hi.
    assert.deepEqual(hex(build(v, (b) => b.timestamp(VA))), ['0x0000020d', '0x00001000', '0x00007f00']);
    // INDIRECT: op 4 | VMID(3) << 16, IB_BASE lo/hi, IB_SIZE in dwords, CSA_ADDR lo/hi (SDMA_PKT_INDIRECT_*).
    assert.deepEqual(hex(build(v, (b) => b.indirectBuffer(VA + 0x20n, 40, 3, VA + 0x2000n))), ['0x00030004', '0x00001020', '0x00007f00', '0x00000028', '0x00003000', '0x00007f00']);
    // WRITE_LINEAR: op 2 | sub_op 0, DST lo/hi, COUNT = dwords - 1, then the data.
    assert.deepEqual(hex(build(v, (b) => b.writeLinear(VA, [1, 2]))), ['0x00000002', '0x00001000', '0x00007f00', '0x00000001', '0x00000001', '0x00000002']);
  });
}

test('copy() splits at the count width: 4 MiB packets on SDMA 4/5, one packet on SDMA 6/7', () => {
  const bytes = 5 << 20;
  for (const v of [4, 5] as const) {
    const ps = decodeSdma(build(v, (b) => b.copy(VA + 0x4000_0000n, VA, bytes)), v);
    assert.deepEqual(ps.map((p) => [p.fields.count! + 1, address(p.fields, 'src_addr'), address(p.fields, 'dst_addr')]), [[1 << 22, VA, VA + 0x4000_0000n], [1 << 20, VA + (1n << 22n), VA + 0x4000_0000n + (1n << 22n)]]);
    assert.throws(() => new SdmaBuilder(v).copyLinear(VA, VA, (1 << 22) + 1), /must be 1\.\.4194304/);
  }
  for (const v of [6, 7] as const) assert.deepEqual(decodeSdma(build(v, (b) => b.copy(VA, VA, bytes)), v).map((p) => p.fields.count), [bytes - 1]);
  // INDIRECT_BUFFER: the base must be 32-byte aligned and the size fit IB_SIZE's 20 bits.
  assert.throws(() => new SdmaBuilder(6).indirectBuffer(VA + 4n, 8), /not 32-byte aligned/);
  assert.throws(() => new SdmaBuilder(6).indirectBuffer(VA, 1 << 20), /must be 1\.\.1048575/);
  // fence64 writes the high dword first, then the low one.
  assert.deepEqual(decodeSdma(build(6, (b) => b.fence64(VA, 0x1_0000_0002n)), 6).map((p) => [address(p.fields, 'addr'), p.fields.data]), [[VA + 4n, 1], [VA, 2]]);
});

interface Case {
  readonly emit: (b: SdmaBuilder) => unknown;
  readonly name: string;
  readonly check: (f: FieldValues, v: SdmaVersion, data?: readonly number[]) => void;
}

const CASES: readonly Case[] = [
  { emit: (b) => b.nop(5), name: 'NOP', check: (f) => assert.equal(f.count, 4) },
  { emit: (b) => b.copyLinear(VA + 64n, VA, 100), name: 'COPY_LINEAR', check: (f, v) => assert.deepEqual([f.count, address(f, 'src_addr'), address(f, 'dst_addr'), f.tmz, f.cpv], [99, VA, VA + 64n, 0, v === 7 ? 1 : undefined]) },
  { emit: (b) => b.fill(VA, 0xa5a5a5a5, 4096), name: 'CONST_FILL', check: (f) => assert.deepEqual([f.fillsize, address(f, 'dst_addr'), f.src_data, f.count], [2, VA, 0xa5a5a5a5, 4095]) },
  { emit: (b) => b.fence(VA, 0xffffffff), name: 'FENCE', check: (f, v) => assert.deepEqual([address(f, 'addr'), f.data, f.mtype], [VA, 0xffffffff, v === 4 ? undefined : 3]) },
  { emit: (b) => b.trap(0x0fffffff), name: 'TRAP', check: (f) => assert.equal(f.int_context, 0x0fffffff) },
  { emit: (b) => b.pollMem32(VA, 'EQ', 1, 0xff, 10, 0x123), name: 'POLL_REGMEM', check: (f) => assert.deepEqual([f.function, f.mem_poll, f.hdp_flush, address(f, 'addr'), f.value, f.mask, f.interval, f.retry_count], [3, 1, 0, VA, 1, 0xff, 10, 0x123]) },
  { emit: (b) => b.indirectBuffer(VA + 0x40n, 0xfffff, 15), name: 'INDIRECT_BUFFER', check: (f) => assert.deepEqual([f.vmid, address(f, 'ib_base'), f.ib_size, address(f, 'csa_addr')], [15, VA + 0x40n, 0xfffff, 0n]) },
  { emit: (b) => b.timestamp(VA), name: 'TIMESTAMP', check: (f) => assert.equal(address(f, 'addr'), VA) },
  { emit: (b) => b.writeLinear(VA, [7, 8, 9]), name: 'WRITE_LINEAR', check: (f, _v, data) => { assert.deepEqual([address(f, 'dst_addr'), f.count], [VA, 2]); assert.deepEqual(data, [7, 8, 9]); } },
];

for (const v of VERSIONS) {
  test(`SDMA ${v} round trip: every builder method decodes to its values and prints every field`, () => {
    for (const c of CASES) {
      const dw = build(v, c.emit);
      const ps = decodeSdma(dw, v);
      assert.equal(ps.length, 1, c.name);
      const p = ps[0]!;
      assert.equal(p.error, undefined, `${c.name}: ${p.error}`);
      assert.equal(p.name, c.name);
      assert.equal(p.size, dw.length, c.name);
      c.check(p.fields, v, p.data);
      const line = formatSdmaPacket(p, v);
      assert.ok(line.includes(c.name), line);
      const def = findSdmaDef(v, p.op, p.subOp)!;
      for (const f of def.fields) {
        // COPY_LINEAR and CONST_FILL print their count as the byte count.
        const shown = f.name === 'count' && (c.name === 'COPY_LINEAR' || c.name === 'CONST_FILL') ? 'bytes' : f.name.replace(/_(lo|hi)$/, '');
        assert.ok(new RegExp(`\\b${shown}=`).test(line), `${f.name} missing from: ${line}`);
      }
    }
    assert.match(formatSdmaPacket(decodeSdma(build(v, (b) => b.copyLinear(VA, VA, 4096)), v)[0]!, v), /bytes=0x1000 /);
  });
}

test('SDMA 6 COPY_LINEAR decodes the cache policies; SDMA 4/5 only the swap fields (PARAMETER dword)', () => {
  const dw = Uint32Array.from([0x00000001, 0xfff, (1 << 18) | (2 << 26), 0, 0, 0, 0]);
  assert.deepEqual([decodeSdma(dw, 6)[0]!.fields.dst_cache_policy, decodeSdma(dw, 6)[0]!.fields.src_cache_policy], [1, 2]);
  assert.equal(decodeSdma(dw, 5)[0]!.fields.dst_cache_policy, undefined);
  assert.equal(decodeSdma(dw, 4)[0]!.fields.backwards, undefined);
});

test('malformed SDMA: unknown op, truncated, unsupported fill size, WRITE past the end', () => {
  const one = (dw: number[], v: SdmaVersion = 6) => decodeSdma(Uint32Array.from(dw), v);
  assert.match(one([0x00000003, 0, 0xd0000008])[0]!.error!, /unknown or unsupported SDMA packet op 3 sub_op 0/);
  assert.match(one([0x00000101])[0]!.error!, /unknown or unsupported SDMA packet op 1 sub_op 1/); // COPY_TILED
  assert.match(one([0x00000001, 0xfff, 0])[0]!.error!, /truncated: COPY_LINEAR needs 7 dwords, 3 left/);
  assert.match(one([0x0000000b, 0, 0, 0, 3])[0]!.error!, /CONST_FILL fillsize 0 is not supported/);
  assert.match(one([0x00000002, 0, 0, 9, 1])[0]!.error!, /truncated: WRITE_LINEAR needs 14 dwords, 5 left/);
  assert.match(one([0x00000002, 0])[0]!.error!, /truncated: WRITE_LINEAR needs 4 dwords/);
  assert.match(one([0x00050000, 0])[0]!.error!, /truncated: NOP needs 6 dwords, 2 left/);
  const ps = one([0x00000006, 1, 0x0000fe00]);
  assert.deepEqual(ps.map((p) => p.name), ['TRAP', 'OP_0.254']);
  assert.match(formatSdmaPacket(ps[1]!, 6), /^\[ {3}2\] OP_0\.254 !! unknown/);
});

test('the SDMA decoder never throws and never reads past the end, on 2000 random streams', () => {
  let seed = 0x9e3779b9;
  const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed);
  const ops = [0, 1, 2, 5, 6, 8, 11, 13, 0x20d, 0x8000000b, 0xd0000008];
  for (let i = 0; i < 2000; i++) {
    const n = 1 + (rnd() % 20);
    const dw = Uint32Array.from({ length: n }, (_, k) => (k === 0 || rnd() % 3 === 0 ? ops[rnd() % ops.length]! : rnd() % 64));
    for (const v of VERSIONS) {
      const ps = decodeSdma(dw, v);
      let at = 0;
      for (const p of ps) {
        assert.equal(p.offset, at);
        if (p.error) break;
        at += p.size;
      }
      assert.ok(ps.at(-1)!.error !== undefined || at === n);
      for (const p of ps) assert.equal(typeof formatSdmaPacket(p, v), 'string');
    }
  }
});
