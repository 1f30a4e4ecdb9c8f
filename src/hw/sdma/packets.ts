// SDMA packet layouts for SDMA 4.x (gfx9), 5.x (gfx10), 6.x (gfx11) and 7.x (gfx12).
// Sources: linux drivers/gpu/drm/amd/amdgpu/vega10_sdma_pkt_open.h (SDMA 4.x: 22-bit COPY_LINEAR and
// CONST_FILL counts, no FENCE mtype), navi10_sdma_pkt_open.h (SDMA 5.0 and 5.2, both included by
// sdma_v5_0.c/sdma_v5_2.c: still 22-bit counts, FENCE mtype), sdma_v6_0_0_pkt_open.h (SDMA_OP_*,
// SDMA_SUBOP_*, 30-bit COPY_LINEAR count, COPY_LINEAR cache policies), sdma_v7_0_0_pkt_open.h.
import { field, addr64, type FieldDef } from '../packet-fields.js';
import { COMPARE_FUNC_NAMES } from '../pm4/opcodes.js';

export const SDMA_OP = {
  NOP: 0,
  COPY: 1,
  WRITE: 2,
  INDIRECT: 4,
  FENCE: 5,
  TRAP: 6,
  SEM: 7,
  POLL_REGMEM: 8,
  COND_EXE: 9,
  ATOMIC: 10,
  CONST_FILL: 11,
  PTEPDE: 12,
  TIMESTAMP: 13,
  SRBM_WRITE: 14,
  PRE_EXE: 15,
  GPUVM_INV: 16,
  GCR_REQ: 17,
} as const;

/** SDMA ATOMIC operations (the TC atomic opcodes; ROCr sdma_registers.h SDMA_ATOMIC_ADD64). */
export const SDMA_ATOMIC = { ADD64: 47 } as const;

export const SDMA_SUBOP = { COPY_LINEAR: 0, WRITE_LINEAR: 0, TIMESTAMP_GET_GLOBAL: 2 } as const;

export type SdmaVersion = 4 | 5 | 6 | 7;

export interface SdmaLimits {
  /** Largest byte count of one COPY_LINEAR (count field holds bytes - 1). */
  readonly maxCopyBytes: number;
  readonly maxFillBytes: number;
  /** FENCE header carries an MTYPE field (SDMA ≥ 5). */
  readonly fenceMtype: boolean;
  /** COPY_LINEAR header CPV bit 19 is set (SDMA ≥ 7, as sdma_v7_0_emit_copy_buffer does). */
  readonly copyCpv: boolean;
  /** Dwords of one COPY_LINEAR: 7, or 8 on SDMA 7 (a DCC control dword, 0 without compression). */
  readonly copyDwords: 7 | 8;
}

export function sdmaLimits(version: SdmaVersion): SdmaLimits {
  const bytes = version <= 5 ? 1 << 22 : 1 << 30;
  return { maxCopyBytes: bytes, maxFillBytes: bytes, fenceMtype: version >= 5, copyCpv: version >= 7, copyDwords: version >= 7 ? 8 : 7 };
}

export interface SdmaPacketDef {
  readonly name: string;
  readonly op: number;
  /** Every packet is matched on op and sub_op: other sub_ops of the same op are different packets
   *  (e.g. POLL_REGMEM sub_op 1 is POLL_REG_WRITE_MEM, CONST_FILL sub_op 1 is DATA_FILL_MULTI). */
  readonly subOp: number;
  /** Total dwords when fixed; undefined when the header says (NOP, WRITE). */
  readonly dwords: number | undefined;
  readonly fields: readonly FieldDef[];
}

export function sdmaPacketDefs(version: SdmaVersion): readonly SdmaPacketDef[] {
  const countBits = version <= 5 ? 22 : 30;
  // COPY_LINEAR PARAMETER dword: SDMA 4/5 have only the swap fields; SDMA 6+ add the cache policies.
  const copyParam = version >= 6
    ? [field('dst_sw', 2, 16, 2), field('dst_cache_policy', 2, 18, 3), field('src_sw', 2, 24, 2), field('src_cache_policy', 2, 26, 3)]
    : [field('dst_sw', 2, 16, 2), field('src_sw', 2, 24, 2)];
  return [
    { name: 'NOP', op: SDMA_OP.NOP, subOp: 0, dwords: undefined, fields: [field('count', 0, 16, 14)] },
    {
      name: 'COPY_LINEAR', op: SDMA_OP.COPY, subOp: SDMA_SUBOP.COPY_LINEAR, dwords: version >= 7 ? 8 : 7,
      // SDMA 7 (sdma_v7_0.c, which includes sdma_v6_0_0_pkt_open.h): header bit 19 is CPV (cache policy valid),
      // set on every copy by sdma_v7_0_emit_copy_buffer, and every copy is 8 dwords (copy_num_dw = 8): the last
      // is the DCC control dword (SDMA_DCC_*), 0 without compression. Its fields are not split out here.
      fields: [field('tmz', 0, 18, 1), ...(version >= 7 ? [field('cpv', 0, 19, 1)] : []), ...(version >= 5 ? [field('backwards', 0, 25, 1)] : []), field('count', 1, 0, countBits), ...copyParam, ...addr64('src_addr', 3), ...addr64('dst_addr', 5), ...(version >= 7 ? [field('dcc_control', 7)] : [])],
    },
    { name: 'WRITE_LINEAR', op: SDMA_OP.WRITE, subOp: SDMA_SUBOP.WRITE_LINEAR, dwords: undefined, fields: [...addr64('dst_addr', 1), field('count', 3, 0, 20)] },
    // SDMA_PKT_INDIRECT (the same six dwords in vega10, navi10, v6 and v7 headers): VMID [19:16], the IB
    // base (32-byte aligned: sdma_v*_ring_emit_ib masks the low bits), IB_SIZE [19:0] in dwords, CSA address.
    { name: 'INDIRECT_BUFFER', op: SDMA_OP.INDIRECT, subOp: 0, dwords: 6, fields: [field('vmid', 0, 16, 4), ...addr64('ib_base', 1), field('ib_size', 3, 0, 20), ...addr64('csa_addr', 4)] },
    { name: 'FENCE', op: SDMA_OP.FENCE, subOp: 0, dwords: 4, fields: [...(version >= 5 ? [field('mtype', 0, 16, 3)] : []), ...addr64('addr', 1), field('data', 3)] },
    { name: 'TRAP', op: SDMA_OP.TRAP, subOp: 0, dwords: 2, fields: [field('int_context', 1, 0, 28)] },
    {
      name: 'POLL_REGMEM', op: SDMA_OP.POLL_REGMEM, subOp: 0, dwords: 6,
      fields: [field('hdp_flush', 0, 26, 1), field('function', 0, 28, 3, COMPARE_FUNC_NAMES), field('mem_poll', 0, 31, 1), ...addr64('addr', 1), field('value', 3), field('mask', 4), field('interval', 5, 0, 16), field('retry_count', 5, 16, 12)],
    },
    // SDMA_PKT_ATOMIC (vega10_sdma_pkt_open.h; ROCr sdma_registers.h): operation in header bits 31:25,
    // `l` (loop until the compare succeeds) in bit 16, 64-bit source and compare data.
    {
      name: 'ATOMIC', op: SDMA_OP.ATOMIC, subOp: 0, dwords: 8,
      fields: [field('loop', 0, 16, 1), field('operation', 0, 25, 7), ...addr64('addr', 1), ...addr64('src_data', 3), ...addr64('cmp_data', 5), field('loop_interval', 7, 0, 13)],
    },
    { name: 'CONST_FILL', op: SDMA_OP.CONST_FILL, subOp: 0, dwords: 5, fields: [field('fillsize', 0, 30, 2), ...addr64('dst_addr', 1), field('src_data', 3), field('count', 4, 0, countBits)] },
    { name: 'TIMESTAMP', op: SDMA_OP.TIMESTAMP, subOp: SDMA_SUBOP.TIMESTAMP_GET_GLOBAL, dwords: 3, fields: [...addr64('addr', 1)] },
  ];
}
