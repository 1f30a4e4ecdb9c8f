// PM4, SDMA and AQL packets written dword by dword from the public header layouts (linux nvd.h,
// soc15d.h, sdma_v6_0_0_pkt_open.h / vega10_sdma_pkt_open.h, hsa/hsa.h), for tests that check the
// emulator independently of src/hw's builders.

/** PM4 generation: soc15d.h (gfx9) or nvd.h (gfx10+) packet forms. */
export type Pm4Gen = 'gfx9' | 'gfx11';

export const lo = (a: bigint): number => Number(a & 0xffff_ffffn);
export const hi = (a: bigint): number => Number((a >> 32n) & 0xffff_ffffn);

// ---- PM4, by hand ----

/** nvd.h / soc15d.h PACKET3(op, n): type 3 in [31:30], n = body dwords - 1 in [29:16], op in [15:8]; PACKET3_COMPUTE sets bit 1. */
export function packet3(op: number, bodyDwords: number): number {
  return ((3 << 30) | (((bodyDwords - 1) & 0x3fff) << 16) | ((op & 0xff) << 8) | (1 << 1)) >>> 0;
}
/** nvd.h PACKET3_* opcodes (same values in soc15d.h). */
export const PM4 = { WRITE_DATA: 0x37, RELEASE_MEM: 0x49, ACQUIRE_MEM: 0x58, NOP: 0x10, WAIT_REG_MEM: 0x3c } as const;
/** An opcode neither nvd.h nor soc15d.h defines (their lowest is PACKET3_NOP, 0x10). */
export const PM4_UNDEFINED_OP = 0x0c;

/** WRITE_DATA: DW1 = WRITE_DATA_DST_SEL(5) (memory, async) | WR_CONFIRM (1 << 20); DW2-3 address; data. */
export function writeData(dst: bigint, data: readonly number[]): number[] {
  return [packet3(PM4.WRITE_DATA, 3 + data.length), (5 << 8) | (1 << 20), lo(dst), hi(dst), ...data];
}

/**
 * ACQUIRE_MEM as the kernel's emit_mem_sync writes it. gfx9 (soc15d.h, gfx_v9_0_emit_mem_sync): 7
 * dwords, CP_COHER_CNTL = SH_ICACHE (29) | SH_KCACHE (27) | TC (23) | TCL1 (22) | TC_WB (18). gfx11
 * (nvd.h, gfx_v11_0_emit_mem_sync): 8 dwords, COHER_CNTL 0 and GCR_CNTL = GLI_INV (0) | GLM_WB (4) |
 * GLM_INV (5) | GLK_INV (7) | GLV_INV (8) | GL1_INV (9) | GL2_INV (14) | GL2_WB (15). Both: COHER_SIZE
 * 0xffffffff, COHER_SIZE_HI 0xffffff, base 0, POLL_INTERVAL 10.
 */
export function acquireMem(gen: Pm4Gen): number[] {
  if (gen === 'gfx9') return [packet3(PM4.ACQUIRE_MEM, 6), ((1 << 29) | (1 << 27) | (1 << 23) | (1 << 22) | (1 << 18)) >>> 0, 0xffff_ffff, 0xff_ffff, 0, 0, 10];
  const gcr = (1 << 0) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 14) | (1 << 15);
  return [packet3(PM4.ACQUIRE_MEM, 7), 0, 0xffff_ffff, 0xff_ffff, 0, 0, 10, gcr];
}

/**
 * RELEASE_MEM (8 dwords). DW1: EVENT_TYPE CACHE_FLUSH_AND_INV_TS_EVENT (0x14, Mesa sid.h) | EVENT_INDEX(5)
 * << 8 | cache actions — gfx9 soc15d.h EOP_TC_WB (15) | EOP_TCL1 (16) | EOP_TC (17) | EOP_TC_MD (21)
 * (gfx_v9_0_ring_emit_fence); gfx11 nvd.h GCR_GLM_WB (12) | GCR_GLM_INV (13) | GCR_GL2_WB (21) |
 * GCR_SEQ (22) | CACHE_POLICY(3) << 25 (gfx_v11_0_ring_emit_fence). DW2: DATA_SEL << 29 | INT_SEL << 24.
 * DW3-4 address, DW5-6 data, DW7 INT_CTXID.
 */
export function releaseMem(gen: Pm4Gen, addr: bigint, dataSel: number, value: bigint, intSel: number, ctxid: number): number[] {
  const cache = gen === 'gfx9' ? (1 << 15) | (1 << 16) | (1 << 17) | (1 << 21) : (1 << 12) | (1 << 13) | (1 << 21) | (1 << 22) | (3 << 25);
  return [packet3(PM4.RELEASE_MEM, 7), (0x14 | (5 << 8) | cache) >>> 0, ((dataSel << 29) | (intSel << 24)) >>> 0, lo(addr), hi(addr), lo(value), hi(value), ctxid];
}

/**
 * WAIT_REG_MEM on memory, "equal": DW1 = FUNCTION(3) [2:0] | MEM_SPACE(1) << 4 (operation and engine 0);
 * DW2-3 poll address; DW4 reference; DW5 mask; DW6 poll interval (the same layout in nvd.h and soc15d.h).
 */
export function waitMemEq(addr: bigint, value: number): number[] {
  return [packet3(PM4.WAIT_REG_MEM, 6), 3 | (1 << 4), lo(addr), hi(addr), value, 0xffff_ffff, 10];
}

// ---- SDMA, by hand (sdma_v6_0_0_pkt_open.h; the same dwords in vega10_sdma_pkt_open.h) ----

/** SDMA_OP_* values. */
export const SDMA = { COPY: 1, FENCE: 5, POLL_REGMEM: 8, TIMESTAMP: 13 } as const;
/** An op no SDMA packet header defines (they stop at SDMA_OP_GCR_REQ 17, plus DUMMY_TRAP 32). */
export const SDMA_UNDEFINED_OP = 0x3e;

/** COPY_LINEAR: header OP | SUB_OP(COPY_LINEAR = 0) << 8; COUNT = bytes - 1; PARAMETER 0; src lo/hi; dst lo/hi. */
export function copyLinear(src: bigint, dst: bigint, bytes: number): number[] {
  return [SDMA.COPY, bytes - 1, 0, lo(src), hi(src), lo(dst), hi(dst)];
}
/** FENCE: header OP (MTYPE 0); address lo/hi; data. */
export function fence(addr: bigint, data: number): number[] {
  return [SDMA.FENCE, lo(addr), hi(addr), data];
}
/** TIMESTAMP: header OP | SUB_OP(GET_GLOBAL = 2) << 8; address lo/hi of the 64-bit GPU clock it writes. */
export function timestamp(addr: bigint): number[] {
  return [SDMA.TIMESTAMP | (2 << 8), lo(addr), hi(addr)];
}
/** POLL_REGMEM: header OP | FUNC << 28 | MEM_POLL << 31; address lo/hi; VALUE; MASK; DW5 INTERVAL [15:0] | RETRY_COUNT [27:16]. */
export function pollRegmemEq(addr: bigint, value: number): number[] {
  return [(SDMA.POLL_REGMEM | (3 << 28) | (1 << 31)) >>> 0, lo(addr), hi(addr), value, 0xffff_ffff, 10 | (0xfff << 16)];
}

// ---- AQL, by hand (hsa/hsa.h) ----

export const AQL_PACKET_BYTES = 64;
/** hsa_packet_type_t. */
export const AQL_TYPE = { INVALID: 1, BARRIER_AND: 3 } as const;
/** hsa_packet_header_t: type [7:0], barrier bit 8, acquire fence scope [10:9], release fence scope [12:11]; HSA_FENCE_SCOPE_SYSTEM = 2. */
export const barrierAndHeader = AQL_TYPE.BARRIER_AND | (1 << 8) | (2 << 9) | (2 << 11);
