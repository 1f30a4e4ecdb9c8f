// PM4 encoders pinned to the public headers (golden dwords), decoded back field by field, printed with
// every field, and malformed streams rejected without a throw.
//
// Header macros used in the comments below:
//   nvd.h   = linux drivers/gpu/drm/amd/amdgpu/nvd.h   (gfx10/11/12 PM4)
//   soc15d.h = linux drivers/gpu/drm/amd/amdgpu/soc15d.h (gfx9 PM4)
//   gc_11   = linux drivers/gpu/drm/amd/include/asic_reg/gc/gc_11_0_0_offset.h (regCOMPUTE_*, GC segment 0)
//   gc_943  = linux drivers/gpu/drm/amd/include/asic_reg/gc/gc_9_4_3_offset.h (regCOMPUTE_*, GC segment 0)
// Every PM4 header we emit is PACKET3_COMPUTE(op, n) = PACKET3(op, n) | 1 << 1 (nvd.h/soc15d.h): the
// compute shader-type bit. tinygrad's captured stream uses plain PACKET3, so its headers are ours - 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pm4Builder } from '../src/hw/pm4/builder.js';
import { decodePm4, decodePm4Packet, formatPm4Packet } from '../src/hw/pm4/decode.js';
import { pm4PacketDefs, GFX12_ACQUIRE_GCR_CNTL, GFX12_RELEASE_GCR } from '../src/hw/pm4/packets.js';
import { PM4_OP, pm4Header, parsePm4Header, VGT_EVENT } from '../src/hw/pm4/opcodes.js';
import { COMPUTE_REGS, DISPATCH_INITIATOR, RSRC2, bitsOf, LDS_ENCODE_GRANULARITY, registerName } from '../src/hw/pm4/registers.js';
import { address, type FieldValues } from '../src/hw/packet-fields.js';
import type { GfxFamily } from '../src/hw/targets.js';

const FAMILIES: readonly GfxFamily[] = ['gfx9', 'gfx10', 'gfx11', 'gfx12'];
const VA = 0x7f00_0000_1000n;
const hex = (a: ArrayLike<number>): string[] => Array.from(a, (d) => '0x' + (d >>> 0).toString(16).padStart(8, '0'));
const build = (family: GfxFamily, f: (b: Pm4Builder) => unknown): Uint32Array => {
  const b = new Pm4Builder(family, 4);
  f(b);
  return b.dwords.slice();
};

// ---------------------------------------------------------------------------------------------
// Header and opcodes
// ---------------------------------------------------------------------------------------------

test('PM4 header: PACKET3_COMPUTE layout and the opcodes of nvd.h / soc15d.h', () => {
  // PACKET3(op, n): type 3 in [31:30], count n = body dwords - 1 in [29:16], opcode in [15:8]; bit 1 = compute.
  assert.equal(pm4Header(PM4_OP.WAIT_REG_MEM, 6), 0xc0053c02);
  assert.equal(pm4Header(PM4_OP.WAIT_REG_MEM, 6, false), 0xc0053c00); // tinygrad's captured header
  assert.deepEqual(parsePm4Header(0xc0053c00), { type: 3, op: 0x3c, body: 6, compute: false });
  // nvd.h PACKET3_* values (identical in soc15d.h).
  assert.deepEqual({ ...PM4_OP }, {
    NOP: 0x10, DISPATCH_DIRECT: 0x15, DISPATCH_INDIRECT: 0x16, ATOMIC_MEM: 0x1e, PRED_EXEC: 0x23, WRITE_DATA: 0x37,
    WAIT_REG_MEM: 0x3c, INDIRECT_BUFFER: 0x3f, COPY_DATA: 0x40, EVENT_WRITE: 0x46, RELEASE_MEM: 0x49, DMA_DATA: 0x50,
    ACQUIRE_MEM: 0x58, SET_CONFIG_REG: 0x68, SET_SH_REG: 0x76, SET_UCONFIG_REG: 0x79,
  });
  // Mesa sid.h V_028A90_*: the event types compute uses.
  assert.deepEqual({ ...VGT_EVENT }, { CS_PARTIAL_FLUSH: 7, CACHE_FLUSH_AND_INV_TS_EVENT: 0x14, BOTTOM_OF_PIPE_TS: 0x28, CS_DONE: 0x2f });
});

// ---------------------------------------------------------------------------------------------
// Golden dwords per builder method (same on every family unless the family is named)
// ---------------------------------------------------------------------------------------------

for (const family of FAMILIES) {
  test(`${family} golden: NOP, SET_SH_REG, SET_UCONFIG_REG`, () => {
    // NOP with count 0x3fff is the one-dword NOP; otherwise count = total - 2 (nvd.h PACKET3_NOP 0x10).
    assert.deepEqual(hex(build(family, (b) => b.nop(1))), ['0xffff1002']);
    assert.deepEqual(hex(build(family, (b) => b.nop(3))), ['0xc0011002', '0x00000000', '0x00000000']);
    // SET_SH_REG: first body dword is reg - PACKET3_SET_SH_REG_START (0x2c00). tinygrad: c0027600 0x20c lo hi.
    assert.deepEqual(hex(build(family, (b) => b.setShRegs(COMPUTE_REGS[family].PGM_LO, 0x12345678, 0x7f))), ['0xc0027602', '0x0000020c', '0x12345678', '0x0000007f']);
    // SET_UCONFIG_REG: reg - PACKET3_SET_UCONFIG_REG_START (0xc000); GRBM_GFX_INDEX is UCONFIG 0xc200.
    assert.deepEqual(hex(build(family, (b) => b.setUconfigRegs(0xc200, 0xe0000000))), ['0xc0017902', '0x00000200', '0xe0000000']);
  });

  test(`${family} golden: WRITE_DATA, WAIT_REG_MEM, INDIRECT_BUFFER`, () => {
    // WRITE_DATA_DST_SEL(5) (memory, async) | WR_CONFIRM (1 << 20), then addr lo/hi and the data.
    assert.deepEqual(hex(build(family, (b) => b.writeData(VA, [1, 0xdeadbeef]))), ['0xc0043702', '0x00100500', '0x00001000', '0x00007f00', '0x00000001', '0xdeadbeef']);
    // WAIT_REG_MEM_FUNCTION(5 '>=') | WAIT_REG_MEM_MEM_SPACE(1) = 0x15 (tinygrad's timeline wait), poll interval 4.
    assert.deepEqual(hex(build(family, (b) => b.waitMem32(VA, 'GE', 5))), ['0xc0053c02', '0x00000015', '0x00001000', '0x00007f00', '0x00000005', '0xffffffff', '0x00000004']);
    assert.deepEqual(hex(build(family, (b) => b.waitMem32(VA + 8n, 'EQ', 0, 0xff, 10))), ['0xc0053c02', '0x00000013', '0x00001008', '0x00007f00', '0x00000000', '0x000000ff', '0x0000000a']);
    // IB_BASE_LO [31:2], IB_BASE_HI, IB_SIZE [19:0] | INDIRECT_BUFFER_VALID (1 << 23).
    assert.deepEqual(hex(build(family, (b) => b.indirectBuffer(0x7f00_0001_0000n, 64))), ['0xc0023f02', '0x00010000', '0x00007f00', '0x00800040']);
  });

  test(`${family} golden: EVENT_WRITE CS_PARTIAL_FLUSH, DISPATCH_DIRECT/INDIRECT, COPY_DATA of the GPU clock`, () => {
    // EVENT_TYPE(7) | EVENT_INDEX(4): "4 - *S_PARTIAL_FLUSH" (nvd.h). tinygrad: c0004600 0x407.
    assert.deepEqual(hex(build(family, (b) => b.csPartialFlush())), ['0xc0004602', '0x00000407']);
    // DISPATCH_DIRECT: DIM_X/Y/Z then COMPUTE_DISPATCH_INITIATOR. tinygrad: c0031500 4 2 1 0x8005.
    assert.deepEqual(hex(build(family, (b) => b.dispatchDirect(4, 2, 1, 0x8005))), ['0xc0031502', '0x00000004', '0x00000002', '0x00000001', '0x00008005']);
    assert.deepEqual(hex(build(family, (b) => b.dispatchIndirect(VA, 0x5))), ['0xc0021602', '0x00001000', '0x00007f00', '0x00000005']);
    // COPY_DATA: SRC_SEL__GPU_CLOCK_COUNT 9, DST_SEL__MEMORY 5 << 8, COUNT_SEL__64_BITS 1 << 16,
    // WR_CONFIRM 1 << 20 (soc15d.h PACKET3_COPY_DATA__*); src address unused, dst lo/hi.
    assert.deepEqual(hex(build(family, (b) => b.copyClockToMemory(VA))), ['0xc0044002', '0x00110509', '0x00000000', '0x00000000', '0x00001000', '0x00007f00']);
  });
}

test('ACQUIRE_MEM: gfx9 is 7 dwords with CP_COHER_CNTL; gfx10/11/12 are 8 dwords with GCR_CNTL', () => {
  // soc15d.h: COHER_CNTL = SH_ICACHE(29) | SH_KCACHE(27) | TC(23) | TCL1(22) | TC_WB(18) = 0x28c40000
  // (tinygrad's gfx9 full barrier), COHER_SIZE 0xffffffff, COHER_SIZE_HI 0xffffff (COHER_SIZE_HI_VG10),
  // base 0, POLL_INTERVAL 0xA (as gfx_v9_0_emit_mem_sync writes it). Header c0055800 + compute bit.
  assert.deepEqual(hex(build('gfx9', (b) => b.acquireMem())), ['0xc0055802', '0x28c40000', '0xffffffff', '0x00ffffff', '0x00000000', '0x00000000', '0x0000000a']);
  // nvd.h / gfx_v10_0.c PACKET3_ACQUIRE_MEM_GCR_CNTL_*: GLI_INV(1) 0, GLM_WB 4, GLM_INV 5, GLK_WB 6, GLK_INV 7,
  // GLV_INV 8, GL1_INV 9, GL2_INV 14, GL2_WB 15 = 0xc3f1 (tinygrad's full barrier gcr). COHER_CNTL 0.
  for (const family of ['gfx10', 'gfx11'] as const) {
    assert.deepEqual(hex(build(family, (b) => b.acquireMem())), ['0xc0065802', '0x00000000', '0xffffffff', '0x00ffffff', '0x00000000', '0x00000000', '0x0000000a', '0x0000c3f1'], family);
  }
  // gfx12 (GC 12.0): linux gfx_v12_0.c gfx_v12_0_emit_mem_sync, same 8-dword layout (nvd.h), GCR_CNTL =
  // GL2_INV(14) | GL2_WB(15) | GLM_INV(5) | GLM_WB(4) | GL1_INV(9) | GLV_INV(8) | GLK_INV(7) | GLI_INV(1) = 0xc3b1: no GLK_WB (bit 6).
  assert.deepEqual(hex(build('gfx12', (b) => b.acquireMem())), ['0xc0065802', '0x00000000', '0xffffffff', '0x00ffffff', '0x00000000', '0x00000000', '0x0000000a', '0x0000c3b1']);
  assert.equal(GFX12_ACQUIRE_GCR_CNTL, 0xc3b1);
});

test('RELEASE_MEM: gfx9 EOP_TC_* actions vs gfx10+ GCR bits; data_sel, int_sel, ctxid', () => {
  const signal = { va: VA, data: 'data32' as const, value: 1n };
  // EVENT_TYPE(CACHE_FLUSH_AND_INV_TS_EVENT 0x14) | EVENT_INDEX(5, end of pipe) | GCR_GLM_WB(12) | GLM_INV(13) |
  // GLV_INV(14) | GL1_INV(15) | GL2_INV(20) | GL2_WB(21) | SEQ(22) = 0x70f514 (nvd.h PACKET3_RELEASE_MEM_*);
  // DATA_SEL(1) << 29 = 0x20000000. tinygrad #16: c0064900 0x70f514 0x20000000 ...
  for (const family of ['gfx10', 'gfx11'] as const) {
    assert.deepEqual(hex(build(family, (b) => b.releaseMem(signal))), ['0xc0064902', '0x0070f514', '0x20000000', '0x00001000', '0x00007f00', '0x00000001', '0x00000000', '0x00000000'], family);
  }
  // gfx12 (GC 12.0): linux gfx_v12_0.c gfx_v12_0_ring_emit_fence: PACKET3_RELEASE_MEM_GCR_SEQ (22) | GCR_GL2_WB (21) |
  // CACHE_POLICY(3) (bypass, [26:25]) | EVENT_TYPE(0x14) | EVENT_INDEX(5) = 0x06600514 (nvd.h macros).
  assert.deepEqual(hex(build('gfx12', (b) => b.releaseMem(signal))), ['0xc0064902', '0x06600514', '0x20000000', '0x00001000', '0x00007f00', '0x00000001', '0x00000000', '0x00000000']);
  assert.equal(GFX12_RELEASE_GCR | 0x514, 0x06600514);
  // soc15d.h: EOP_TC_WB_ACTION_EN (1 << 15) | EOP_TC_NC_ACTION_EN (1 << 19) = 0x88514 (tinygrad's gfx9 flush).
  assert.deepEqual(hex(build('gfx9', (b) => b.releaseMem(signal))), ['0xc0064902', '0x00088514', '0x20000000', '0x00001000', '0x00007f00', '0x00000001', '0x00000000', '0x00000000']);
  // KFD interrupt: no cache action, INT_SEL(2) "interrupt when data write is confirmed" | DATA_SEL(1) = 0x22000000,
  // INT_CTXID = event id in the last dword. tinygrad #17: 0x514, 0x22000000, mailbox, event_id, 0, event_id.
  assert.deepEqual(hex(build('gfx11', (b) => b.releaseMem({ va: VA, data: 'data32', value: 7n, interrupt: true, ctxid: 7, flush: false }))),
    ['0xc0064902', '0x00000514', '0x22000000', '0x00001000', '0x00007f00', '0x00000007', '0x00000000', '0x00000007']);
  // 64-bit value (DATA_SEL 2) and GPU clock (DATA_SEL 3 "send 64bit GPU counter value": tinygrad timestamp 0x60000000).
  assert.deepEqual(hex(build('gfx11', (b) => b.releaseMem({ va: VA, data: 'data64', value: 0x1_0000_0002n, flush: false }))).slice(1, 7), ['0x00000514', '0x40000000', '0x00001000', '0x00007f00', '0x00000002', '0x00000001']);
  assert.deepEqual(hex(build('gfx11', (b) => b.releaseMem({ va: VA, data: 'gpu_clock', flush: false }))).slice(1, 3), ['0x00000514', '0x60000000']);
});

// ---------------------------------------------------------------------------------------------
// Register offsets and register fields
// ---------------------------------------------------------------------------------------------

test('COMPUTE_* register offsets equal the GC headers (segment-0 offset + GC base)', () => {
  // gc_11: regCOMPUTE_* (BASE_IDX 0) + GC_BASE__INST0_SEG0 0x1260 (navi10/sienna_cichlid_ip_offset.h; gfx11 IP
  // discovery reports the same). The results match tinygrad's captured SET_SH_REG offsets (0x20c, 0x212, 0x228 ...).
  const gc11 = { DISPATCH_INITIATOR: 0x1ba0, DIM_X: 0x1ba1, START_X: 0x1ba4, NUM_THREAD_X: 0x1ba7, NUM_THREAD_Y: 0x1ba8, NUM_THREAD_Z: 0x1ba9,
    PIPELINESTAT_ENABLE: 0x1baa, PERFCOUNT_ENABLE: 0x1bab, PGM_LO: 0x1bac, PGM_HI: 0x1bad, DISPATCH_SCRATCH_BASE_LO: 0x1bb0, DISPATCH_SCRATCH_BASE_HI: 0x1bb1,
    PGM_RSRC1: 0x1bb2, PGM_RSRC2: 0x1bb3, RESOURCE_LIMITS: 0x1bb5, TMPRING_SIZE: 0x1bb8, RESTART_X: 0x1bbb, PGM_RSRC3: 0x1bc8, USER_DATA_0: 0x1be0 };
  // gc_943: regCOMPUTE_* + GC segment 0 at byte 0x8000 = dword 0x2000 (its "addressBlock ... base address: 0x8000").
  // PGM_RSRC3 is 0x0e2d on gfx9 (after COMPUTE_SHADER_CHKSUM 0x0e2c), not 0x0e28 as on gfx10+.
  const gc943 = { DISPATCH_INITIATOR: 0x0e00, DIM_X: 0x0e01, START_X: 0x0e04, NUM_THREAD_X: 0x0e07, NUM_THREAD_Y: 0x0e08, NUM_THREAD_Z: 0x0e09,
    PIPELINESTAT_ENABLE: 0x0e0a, PERFCOUNT_ENABLE: 0x0e0b, PGM_LO: 0x0e0c, PGM_HI: 0x0e0d, DISPATCH_SCRATCH_BASE_LO: 0x0e10, DISPATCH_SCRATCH_BASE_HI: 0x0e11,
    PGM_RSRC1: 0x0e12, PGM_RSRC2: 0x0e13, RESOURCE_LIMITS: 0x0e15, TMPRING_SIZE: 0x0e18, RESTART_X: 0x0e1b, PGM_RSRC3: 0x0e2d, USER_DATA_0: 0x0e40 };
  const plus = (t: Record<string, number>, base: number): Record<string, number> => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v + base]));
  assert.deepEqual({ ...COMPUTE_REGS.gfx11 }, plus(gc11, 0x1260));
  assert.deepEqual({ ...COMPUTE_REGS.gfx9 }, plus(gc943, 0x2000));
  // gc_12_0_0_offset.h (torvalds/linux, "addressBlock: gc_gfx_cpwd_cpwd_shdec"): the same regCOMPUTE_*
  // dword offsets as gc_11 (0x1ba0 … 0x1be0, BASE_IDX 0), on the same GC segment 0 base 0x1260 (the SET_SH_REG
  // offsets of tinygrad's gfx12 streams and PAL's Gfx10Plus agree).
  const gc12 = { ...gc11 };
  assert.deepEqual({ ...COMPUTE_REGS.gfx12 }, plus(gc12, 0x1260));
  // gfx10 shares the gfx11 SH layout (PAL's Gfx10Plus::mmCOMPUTE_PGM_RSRC3 = 0x2E28).
  assert.deepEqual({ ...COMPUTE_REGS.gfx10 }, { ...COMPUTE_REGS.gfx11 });
  assert.equal(COMPUTE_REGS.gfx11.PGM_RSRC3 - 0x2c00, 0x228);
  assert.equal(COMPUTE_REGS.gfx9.PGM_RSRC3 - 0x2c00, 0x22d);
});

test('register names for every compute register, per family', () => {
  assert.equal(registerName('gfx11', 0x2e28), 'COMPUTE_PGM_RSRC3');
  assert.equal(registerName('gfx9', 0x2e2d), 'COMPUTE_PGM_RSRC3');
  assert.equal(registerName('gfx9', 0x2e28), 'reg 0x2e28');
  assert.equal(registerName('gfx11', 0x2e02), 'COMPUTE_DIM_Y');
  assert.equal(registerName('gfx11', 0x2e06), 'COMPUTE_START_Z');
  assert.equal(registerName('gfx11', 0x2e1d), 'COMPUTE_RESTART_Z');
  assert.equal(registerName('gfx11', 0x2e4f), 'COMPUTE_USER_DATA_15');
  for (const family of FAMILIES) {
    for (const [name, reg] of Object.entries(COMPUTE_REGS[family])) assert.equal(registerName(family, reg), name === 'USER_DATA_0' ? 'COMPUTE_USER_DATA_0' : `COMPUTE_${name}`);
  }
});

test('DISPATCH_INITIATOR bits, RSRC2 fields and the LDS granularity', () => {
  // gc_11_0_0_sh_mask.h COMPUTE_DISPATCH_INITIATOR__*__SHIFT: COMPUTE_SHADER_EN 0, PARTIAL_TG_EN 1,
  // FORCE_START_AT_000 2, USE_THREAD_DIMENSIONS 5, CS_W32_EN 15 (gfx10+). tinygrad's initiator 0x8005 = en|force|w32.
  assert.deepEqual({ ...DISPATCH_INITIATOR }, { COMPUTE_SHADER_EN: 1, PARTIAL_TG_EN: 2, FORCE_START_AT_000: 4, USE_THREAD_DIMENSIONS: 32, CS_W32_EN: 0x8000 });
  assert.equal(DISPATCH_INITIATOR.COMPUTE_SHADER_EN | DISPATCH_INITIATOR.FORCE_START_AT_000 | DISPATCH_INITIATOR.CS_W32_EN, 0x8005);
  // LLVM AMDGPUUsage "compute_pgm_rsrc2": ENABLE_PRIVATE_SEGMENT 0, USER_SGPR_COUNT 5:1, ENABLE_TRAP_HANDLER 6,
  // TGID_X/Y/Z 7-9, TG_SIZE 10, VGPR_WORKITEM_ID 12:11, EXCP_EN_MSB 14:13, GRANULATED_LDS_SIZE 23:15, EXCP_EN 30:24.
  const rsrc2 = 1 | (6 << 1) | (1 << 7) | (1 << 8) | (2 << 11) | (0x40 << 15) | (0x7f << 24);
  assert.deepEqual(Object.fromEntries(Object.entries(RSRC2).map(([k, f]) => [k, bitsOf(rsrc2, f)])), {
    SCRATCH_EN: 1, USER_SGPR: 6, TRAP_PRESENT: 0, TGID_X_EN: 1, TGID_Y_EN: 1, TGID_Z_EN: 0, TG_SIZE_EN: 0, TIDIG_COMP_CNT: 2, EXCP_EN_MSB: 0, LDS_SIZE: 0x40, EXCP_EN: 0x7f,
  });
  // Mesa ac_gpu_info.c: lds_encode_granularity = 128 dwords on gfx7+; 64 KiB encodes as 128.
  assert.equal(LDS_ENCODE_GRANULARITY, 512);
  assert.equal(65536 / LDS_ENCODE_GRANULARITY, 128);
});

// ---------------------------------------------------------------------------------------------
// Round trip: every builder method, decoded back to the values it was given, and printed
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly what: string;
  readonly emit: (b: Pm4Builder) => unknown;
  readonly name: string;
  readonly check: (f: FieldValues, family: GfxFamily) => void;
}

const CASES: readonly Case[] = [
  { what: 'nop(4)', emit: (b) => b.nop(4), name: 'NOP', check: () => undefined },
  { what: 'writeData', emit: (b) => b.writeData(VA, [9, 8, 7]), name: 'WRITE_DATA', check: (f) => { assert.equal(address(f, 'dst_addr'), VA); assert.equal(f.dst_sel, 5); assert.equal(f.wr_confirm, 1); } },
  {
    what: 'waitMem32', emit: (b) => b.waitMem32(VA, 'NE', 3, 0xf0, 16), name: 'WAIT_REG_MEM',
    check: (f) => assert.deepEqual([address(f, 'poll_addr'), f.function, f.mem_space, f.operation, f.reference, f.mask, f.poll_interval], [VA, 4, 1, 0, 3, 0xf0, 16]),
  },
  {
    what: 'acquireMem', emit: (b) => b.acquireMem(), name: 'ACQUIRE_MEM',
    check: (f, family) => {
      assert.deepEqual([f.coher_size, f.coher_size_hi, f.coher_base_lo, f.coher_base_hi, f.poll_interval], [0xffffffff, 0xffffff, 0, 0, 0xa]);
      if (family === 'gfx9') { assert.equal(f.coher_cntl, 0x28c40000); assert.equal(f.gcr_cntl, undefined); } else { assert.equal(f.coher_cntl, 0); assert.equal(f.gcr_cntl, family === 'gfx12' ? 0xc3b1 : 0xc3f1); }
    },
  },
  {
    what: 'releaseMem', emit: (b) => b.releaseMem({ va: VA, data: 'data64', value: 0x1234_0000_5678n, interrupt: true, ctxid: 42 }), name: 'RELEASE_MEM',
    check: (f, family) => {
      assert.deepEqual([f.event_type, f.event_index, f.data_sel, f.int_sel, address(f, 'addr'), f.data_lo, f.data_hi, f.int_ctxid], [0x14, 5, 2, 2, VA, 0x5678, 0x1234, 42]);
      if (family === 'gfx9') assert.deepEqual([f.tc_wb_action, f.tc_nc_action, f.tc_action], [1, 1, 0]);
      else if (family === 'gfx12') assert.deepEqual([f.gcr_glm_wb, f.gcr_glm_inv, f.gcr_glv_inv, f.gcr_gl1_inv, f.gcr_gl2_inv, f.gcr_gl2_wb, f.gcr_seq, f.cache_policy], [0, 0, 0, 0, 0, 1, 1, 3]);
      else assert.deepEqual([f.gcr_glm_wb, f.gcr_glm_inv, f.gcr_glv_inv, f.gcr_gl1_inv, f.gcr_gl2_inv, f.gcr_gl2_wb, f.gcr_seq, f.gcr_gl2_us], [1, 1, 1, 1, 1, 1, 1, 0]);
    },
  },
  { what: 'eventWrite', emit: (b) => b.eventWrite(VGT_EVENT.CS_DONE, 6), name: 'EVENT_WRITE', check: (f) => assert.deepEqual([f.event_type, f.event_index], [0x2f, 6]) },
  { what: 'csPartialFlush', emit: (b) => b.csPartialFlush(), name: 'EVENT_WRITE', check: (f) => assert.deepEqual([f.event_type, f.event_index], [7, 4]) },
  { what: 'indirectBuffer', emit: (b) => b.indirectBuffer(0x1234_5678_9abcn, 0xfffff), name: 'INDIRECT_BUFFER', check: (f) => assert.deepEqual([address(f, 'ib_base', 2), f.ib_size, f.valid, f.chain], [0x1234_5678_9abcn, 0xfffff, 1, 0]) },
  { what: 'dispatchDirect', emit: (b) => b.dispatchDirect(100, 20, 3, 0x27), name: 'DISPATCH_DIRECT', check: (f) => assert.deepEqual([f.dim_x, f.dim_y, f.dim_z, f.dispatch_initiator], [100, 20, 3, 0x27]) },
  { what: 'dispatchIndirect', emit: (b) => b.dispatchIndirect(VA, 0x8027), name: 'DISPATCH_INDIRECT', check: (f) => assert.deepEqual([address(f, 'addr'), f.dispatch_initiator], [VA, 0x8027]) },
  { what: 'copyClockToMemory', emit: (b) => b.copyClockToMemory(VA), name: 'COPY_DATA', check: (f) => assert.deepEqual([f.src_sel, f.dst_sel, f.count_sel, f.wr_confirm, address(f, 'dst_addr')], [9, 5, 1, 1, VA]) },
  { what: 'copyData', emit: (b) => b.copyData(1, 2, VA, VA + 64n, false), name: 'COPY_DATA', check: (f) => assert.deepEqual([f.src_sel, f.dst_sel, f.count_sel, address(f, 'src_addr'), address(f, 'dst_addr')], [1, 2, 0, VA, VA + 64n]) },
];

/** Each field of the packet's table must appear in the printed line (an address pair as one name). */
function assertPrintsEveryField(line: string, family: GfxFamily, op: number): void {
  const def = pm4PacketDefs(family).get(op)!;
  assert.ok(line.includes(def.name), line);
  for (const f of def.fields) {
    const shown = f.name.replace(/_(lo|hi)$/, '');
    assert.ok(new RegExp(`\\b${shown}=`).test(line), `${f.name} missing from: ${line}`);
  }
}

for (const family of FAMILIES) {
  test(`${family} round trip: every builder method decodes to the values it was given and prints every field`, () => {
    for (const c of CASES) {
      const dw = build(family, c.emit);
      const packets = decodePm4(dw, family);
      assert.equal(packets.length, 1, c.what);
      const p = packets[0]!;
      assert.equal(p.error, undefined, `${c.what}: ${p.error}`);
      assert.equal(p.name, c.name, c.what);
      assert.equal(p.size, dw.length, c.what);
      c.check(p.fields, family);
      assertPrintsEveryField(formatPm4Packet(p, family), family, p.op);
    }
  });

  test(`${family} round trip: register writes and data keep every value and register name`, () => {
    const R = COMPUTE_REGS[family];
    const dw = build(family, (b) => b.setShRegs(R.PGM_LO, 0x100, 0x7f).setShRegs(R.USER_DATA_0, 1, 2, 3).setUconfigRegs(0xc200, 5).writeData(VA, [0xa, 0xb]).nop(1));
    const ps = decodePm4(dw, family);
    assert.deepEqual(ps.map((p) => p.name), ['SET_SH_REG', 'SET_SH_REG', 'SET_UCONFIG_REG', 'WRITE_DATA', 'NOP']);
    assert.deepEqual(ps[0]!.regs, [{ reg: R.PGM_LO, name: 'COMPUTE_PGM_LO', value: 0x100 }, { reg: R.PGM_HI, name: 'COMPUTE_PGM_HI', value: 0x7f }]);
    assert.deepEqual(ps[1]!.regs!.map((r) => [r.name, r.value]), [['COMPUTE_USER_DATA_0', 1], ['COMPUTE_USER_DATA_1', 2], ['COMPUTE_USER_DATA_2', 3]]);
    assert.deepEqual(ps[2]!.regs, [{ reg: 0xc200, name: 'reg 0xc200', value: 5 }]);
    assert.deepEqual(ps[3]!.data, [0xa, 0xb]);
    assert.equal(ps[4]!.size, 1);
    assert.equal(formatPm4Packet(ps[0]!, family), '[   0] SET_SH_REG COMPUTE_PGM_LO=0x100 COMPUTE_PGM_HI=0x7f');
    assert.equal(formatPm4Packet(ps[3]!, family).endsWith('data=[0xa, 0xb]'), true);
    assert.deepEqual(ps.map((p) => p.offset), [0, 4, 9, 12, 18]);
  });
}

// ---------------------------------------------------------------------------------------------
// Malformed input: an error on the packet, never a throw
// ---------------------------------------------------------------------------------------------

test('malformed PM4: unknown opcode, truncated, wrong fixed length, bad variable lengths, type 0/1', () => {
  const one = (dw: number[], family: GfxFamily = 'gfx11') => decodePm4(Uint32Array.from(dw), family);
  // Unknown opcode (0x2a INDEX_TYPE is a graphics packet): error, decoding stops.
  const unk = one([0xc0002a02, 0, 0xc0004602, 0x407]);
  assert.equal(unk.length, 1);
  assert.match(unk[0]!.error!, /unknown PM4 opcode 0x2a/);
  // Truncated: a 7-dword WAIT_REG_MEM with 3 dwords present.
  assert.match(one([0xc0053c02, 0x15, 0x1000])[0]!.error!, /truncated: WAIT_REG_MEM needs 7 dwords, 3 left/);
  // Wrong fixed length: DISPATCH_DIRECT with 3 body dwords; gfx10 ACQUIRE_MEM in gfx9 form.
  assert.match(one([0xc0021502, 1, 1, 1])[0]!.error!, /DISPATCH_DIRECT must have 4 body dwords, header says 3/);
  assert.match(one([0xc0055802, 0, 0, 0, 0, 0, 0], 'gfx11')[0]!.error!, /ACQUIRE_MEM must have 7 body dwords, header says 6/);
  assert.match(one([0xc0065802, 0, 0, 0, 0, 0, 0, 0], 'gfx9')[0]!.error!, /ACQUIRE_MEM must have 6 body dwords, header says 7/);
  // Variable-length packets with impossible lengths.
  assert.match(one([0xc0007602, 0x20c])[0]!.error!, /SET_SH_REG without a value/);
  assert.match(one([0xc0023702, 0x500, 0, 0])[0]!.error!, /WRITE_DATA without data/);
  assert.match(one([0xc0014602, 0x407, 0])[0]!.error!, /EVENT_WRITE must have 1 or 3 body dwords/);
  // Type 0 and type 1 packets are not used by compute queues; a type-2 filler is one dword.
  assert.match(one([0x00001234])[0]!.error!, /unsupported PM4 packet type 0/);
  assert.match(one([0x40000000])[0]!.error!, /unsupported PM4 packet type 1/);
  assert.deepEqual(one([0x80000000, 0xc0004602, 0x407]).map((p) => p.name), ['TYPE2_NOP', 'EVENT_WRITE']);
  // The error line names the packet and says why.
  assert.match(formatPm4Packet(unk[0]!, 'gfx11'), /^\[ {3}0\] OP_0x2a !! unknown PM4 opcode/);
});

test('the PM4 decoder never throws and never reads past the end, on 2000 random streams', () => {
  let seed = 0x2545f491;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
  const ops = Object.values(PM4_OP);
  for (let i = 0; i < 2000; i++) {
    const n = 1 + (rnd() % 24);
    const dw = Uint32Array.from({ length: n }, (_, k) => (k === 0 || rnd() % 4 === 0 ? pm4Header(ops[rnd() % ops.length]!, 1 + (rnd() % 9)) : rnd()));
    for (const family of FAMILIES) {
      const ps = decodePm4(dw, family);
      let at = 0;
      for (const p of ps) {
        assert.equal(p.offset, at);
        if (p.error) break;
        at += p.size;
        assert.ok(at <= n);
      }
      assert.ok(ps.at(-1)!.error !== undefined || at === n);
      for (const p of ps) assert.equal(typeof formatPm4Packet(p, family), 'string');
    }
  }
  assert.equal(decodePm4Packet([0xc0004602], 0, 1, 'gfx11').error, 'truncated: EVENT_WRITE needs 2 dwords, 1 left');
});
