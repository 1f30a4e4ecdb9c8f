// Body layouts of the PM4 packets a compute queue uses, per generation. Dword 0 is the header.
// Sources: linux drivers/gpu/drm/amd/amdgpu/nvd.h (gfx10/11/12: RELEASE_MEM GCR bits, 8-dword
// ACQUIRE_MEM with GCR_CNTL), soc15d.h (gfx9: EOP_TC_* action bits, 7-dword ACQUIRE_MEM with
// CP_COHER_CNTL), kfd_pm4_headers_ai.h (RELEASE_MEM/INDIRECT_BUFFER dword layouts), Mesa sid.h.
import { field, addr64, type FieldDef } from '../packet-fields.js';
import { PM4_OP, VGT_EVENT_NAMES, COMPARE_FUNC_NAMES } from './opcodes.js';
import type { GfxFamily } from '../targets.js';

export interface Pm4PacketDef {
  readonly name: string;
  readonly op: number;
  /** Body dwords when fixed; undefined for variable-length packets (register writes, NOP, WRITE_DATA). */
  readonly body: number | undefined;
  readonly fields: readonly FieldDef[];
}

const DATA_SEL = { 0: 'none', 1: 'data32', 2: 'data64', 3: 'gpu_clock', 4: 'sys_clock' };
const INT_SEL = { 0: 'none', 1: 'int', 2: 'int_after_write' };
const MEM_SPACE = { 0: 'reg', 1: 'mem' };
const WRITE_DST = { 0: 'reg', 1: 'mem', 2: 'tc_l2', 3: 'gds', 5: 'mem_async' };
// COPY_DATA selects: soc15d.h PACKET3_COPY_DATA__SRC_SEL__* / __DST_SEL__* (dst 1 is the deprecated
// GRBM-synchronous memory write, Mesa sid.h COPY_DATA_DST_MEM_GRBM).
const COPY_SRC = { 0: 'reg', 1: 'mem', 2: 'tc_l2', 3: 'gds', 4: 'perf', 5: 'imm', 6: 'atomic_return', 9: 'gpu_clock', 10: 'sys_clock' };
const COPY_DST = { 0: 'reg', 1: 'mem_grbm', 2: 'tc_l2', 3: 'gds', 4: 'perf', 5: 'mem', 6: 'reg_dc' };

/** gfx9 RELEASE_MEM cache actions (soc15d.h EOP_*_ACTION_EN). */
export const GFX9_EOP = { TCL1_VOL: 1 << 12, TC_VOL: 1 << 13, TC_WB: 1 << 15, TCL1: 1 << 16, TC: 1 << 17, TC_NC: 1 << 19, TC_MD: 1 << 21 } as const;
/** gfx10+ RELEASE_MEM GCR bits (nvd.h PACKET3_RELEASE_MEM_GCR_*). */
export const GFX10_RELEASE_GCR = { GLM_WB: 1 << 12, GLM_INV: 1 << 13, GLV_INV: 1 << 14, GL1_INV: 1 << 15, GL2_US: 1 << 16, GL2_RANGE: 1 << 17, GL2_DISCARD: 1 << 19, GL2_INV: 1 << 20, GL2_WB: 1 << 21, SEQ: 1 << 22 } as const;
/** gfx10+ ACQUIRE_MEM GCR_CNTL bits (gc_10_1_0_sh_mask.h CP_GCR_CNTL / Mesa sid.h S_586_*). */
export const GFX10_GCR_CNTL = { GLI_INV: 1 << 0, GLM_WB: 1 << 4, GLM_INV: 1 << 5, GLK_WB: 1 << 6, GLK_INV: 1 << 7, GLV_INV: 1 << 8, GL1_INV: 1 << 9, GL2_INV: 1 << 14, GL2_WB: 1 << 15 } as const;
/** RELEASE_MEM CACHE_POLICY [26:25] (nvd.h PACKET3_RELEASE_MEM_CACHE_POLICY: 0 lru, 1 stream, 2 noa, 3 bypass). */
export const RELEASE_MEM_CACHE_POLICY = { LRU: 0, STREAM: 1, NOA: 2, BYPASS: 3 } as const;
// GC 12.0 (gfx1200/gfx1201) keeps the nvd.h layouts: gfx_v12_0.c includes nvd.h, and its RELEASE_MEM and
// 8-dword ACQUIRE_MEM use the same macros as gfx11 (the GC 12.1 header gfx_v12_1_pkt.h, with GL2_SCOPE and
// TEMPORAL fields, is a different IP and not used here). What differs is which bits the kernel sets:
/** gfx_v12_0.c gfx_v12_0_emit_mem_sync: GL2_INV|GL2_WB|GLM_INV|GLM_WB|GL1_INV|GLV_INV|GLK_INV|GLI_INV(1) (no GLK_WB, unlike gfx11's full barrier). */
export const GFX12_ACQUIRE_GCR_CNTL = GFX10_GCR_CNTL.GL2_INV | GFX10_GCR_CNTL.GL2_WB | GFX10_GCR_CNTL.GLM_INV | GFX10_GCR_CNTL.GLM_WB
  | GFX10_GCR_CNTL.GL1_INV | GFX10_GCR_CNTL.GLV_INV | GFX10_GCR_CNTL.GLK_INV | GFX10_GCR_CNTL.GLI_INV;
/** gfx_v12_0.c gfx_v12_0_ring_emit_fence: GCR_SEQ|GCR_GL2_WB|CACHE_POLICY(3) (write back L2 only; GL2/GLV invalidation is the acquire's job). */
export const GFX12_RELEASE_GCR = GFX10_RELEASE_GCR.SEQ | GFX10_RELEASE_GCR.GL2_WB | (RELEASE_MEM_CACHE_POLICY.BYPASS << 25);
/** gfx9 ACQUIRE_MEM CP_COHER_CNTL bits (soc15d.h PACKET3_ACQUIRE_MEM_CP_COHER_CNTL_*). */
export const GFX9_COHER = { TC_NC: 1 << 3, TC_WC: 1 << 4, TCL1_VOL: 1 << 15, TC_WB: 1 << 18, TCL1: 1 << 22, TC: 1 << 23, SH_KCACHE: 1 << 27, SH_ICACHE: 1 << 29 } as const;

function releaseMem(family: GfxFamily): Pm4PacketDef {
  const cache: FieldDef[] = family === 'gfx9'
    ? Object.entries(GFX9_EOP).map(([n, v]) => field(`${n.toLowerCase()}_action`, 1, Math.log2(v), 1))
    : Object.entries(GFX10_RELEASE_GCR).map(([n, v]) => field(`gcr_${n.toLowerCase()}`, 1, Math.log2(v), 1));
  return {
    name: 'RELEASE_MEM', op: PM4_OP.RELEASE_MEM, body: 7,
    fields: [
      field('event_type', 1, 0, 6, VGT_EVENT_NAMES), field('event_index', 1, 8, 4), ...cache,
      field('cache_policy', 1, 25, 2), field('execute', 1, 28, 1),
      field('dst_sel', 2, 16, 2), field('int_sel', 2, 24, 3, INT_SEL), field('data_sel', 2, 29, 3, DATA_SEL),
      ...addr64('addr', 3), field('data_lo', 5), field('data_hi', 6), field('int_ctxid', 7),
    ],
  };
}

// ACQUIRE_MEM body (soc15d.h / nvd.h comment block): COHER_CNTL [30:0] + ENGINE_SEL [31], COHER_SIZE,
// COHER_SIZE_HI (24 bits: soc15d.h PACKET3_ACQUIRE_MEM__COHER_SIZE_HI_VG10, the kernel writes 0xffffff),
// COHER_BASE_LO, COHER_BASE_HI [23:0], POLL_INTERVAL [15:0]; gfx10+ adds GCR_CNTL [18:0].
function acquireMem(family: GfxFamily): Pm4PacketDef {
  const common = [
    field('coher_cntl', 1, 0, 31), field('engine_sel', 1, 31, 1), field('coher_size', 2), field('coher_size_hi', 3, 0, 24),
    field('coher_base_lo', 4), field('coher_base_hi', 5, 0, 24), field('poll_interval', 6, 0, 16),
  ];
  if (family === 'gfx9') return { name: 'ACQUIRE_MEM', op: PM4_OP.ACQUIRE_MEM, body: 6, fields: common };
  return { name: 'ACQUIRE_MEM', op: PM4_OP.ACQUIRE_MEM, body: 7, fields: [...common, field('gcr_cntl', 7, 0, 19)] };
}

export function pm4PacketDefs(family: GfxFamily): ReadonlyMap<number, Pm4PacketDef> {
  const defs: Pm4PacketDef[] = [
    { name: 'NOP', op: PM4_OP.NOP, body: undefined, fields: [] },
    { name: 'SET_SH_REG', op: PM4_OP.SET_SH_REG, body: undefined, fields: [field('reg_offset', 1, 0, 16)] },
    { name: 'SET_UCONFIG_REG', op: PM4_OP.SET_UCONFIG_REG, body: undefined, fields: [field('reg_offset', 1, 0, 16)] },
    { name: 'SET_CONFIG_REG', op: PM4_OP.SET_CONFIG_REG, body: undefined, fields: [field('reg_offset', 1, 0, 16)] },
    {
      name: 'WRITE_DATA', op: PM4_OP.WRITE_DATA, body: undefined,
      fields: [field('dst_sel', 1, 8, 4, WRITE_DST), field('wr_one_addr', 1, 16, 1), field('wr_confirm', 1, 20, 1), field('cache_policy', 1, 25, 2), field('engine_sel', 1, 30, 2), ...addr64('dst_addr', 2)],
    },
    {
      name: 'WAIT_REG_MEM', op: PM4_OP.WAIT_REG_MEM, body: 6,
      fields: [field('function', 1, 0, 3, COMPARE_FUNC_NAMES), field('mem_space', 1, 4, 2, MEM_SPACE), field('operation', 1, 6, 2), field('engine_sel', 1, 8, 2), ...addr64('poll_addr', 2), field('reference', 4), field('mask', 5), field('poll_interval', 6, 0, 16)],
    },
    {
      name: 'INDIRECT_BUFFER', op: PM4_OP.INDIRECT_BUFFER, body: 3,
      fields: [...addr64('ib_base', 1, 2), field('ib_size', 3, 0, 20), field('chain', 3, 20, 1), field('valid', 3, 23, 1), field('cache_policy', 3, 28, 2)],
    },
    {
      name: 'COPY_DATA', op: PM4_OP.COPY_DATA, body: 5,
      fields: [field('src_sel', 1, 0, 4, COPY_SRC), field('dst_sel', 1, 8, 4, COPY_DST), field('count_sel', 1, 16, 1), field('wr_confirm', 1, 20, 1), field('engine_sel', 1, 30, 2), ...addr64('src_addr', 2), ...addr64('dst_addr', 4)],
    },
    { name: 'EVENT_WRITE', op: PM4_OP.EVENT_WRITE, body: undefined, fields: [field('event_type', 1, 0, 6, VGT_EVENT_NAMES), field('event_index', 1, 8, 4)] },
    releaseMem(family),
    acquireMem(family),
    { name: 'DISPATCH_DIRECT', op: PM4_OP.DISPATCH_DIRECT, body: 4, fields: [field('dim_x', 1), field('dim_y', 2), field('dim_z', 3), field('dispatch_initiator', 4)] },
    { name: 'DISPATCH_INDIRECT', op: PM4_OP.DISPATCH_INDIRECT, body: 3, fields: [...addr64('addr', 1), field('dispatch_initiator', 3)] },
  ];
  return new Map(defs.map((d) => [d.op, d]));
}
