// Compute (SH) registers the CP programs for a dispatch, as dword offsets in register space.
// Source: linux drivers/gpu/drm/amd/include/asic_reg/gc/gc_11_0_0_offset.h, gc_12_0_0_offset.h and gc_9_4_3_offset.h
// (regCOMPUTE_*), cross-checked with the SET_SH_REG offsets in tinygrad's captured gfx11/gfx9
// dispatch streams (../shared/research/tinygrad_amd.md §2.2-2.3).
import type { GfxFamily } from '../targets.js';

export interface ComputeRegs {
  readonly DISPATCH_INITIATOR: number;
  readonly DIM_X: number;
  readonly START_X: number;
  readonly NUM_THREAD_X: number;
  readonly NUM_THREAD_Y: number;
  readonly NUM_THREAD_Z: number;
  readonly PIPELINESTAT_ENABLE: number;
  readonly PERFCOUNT_ENABLE: number;
  readonly PGM_LO: number;
  readonly PGM_HI: number;
  readonly DISPATCH_SCRATCH_BASE_LO: number;
  readonly DISPATCH_SCRATCH_BASE_HI: number;
  readonly PGM_RSRC1: number;
  readonly PGM_RSRC2: number;
  readonly RESOURCE_LIMITS: number;
  readonly TMPRING_SIZE: number;
  readonly RESTART_X: number;
  readonly PGM_RSRC3: number;
  readonly USER_DATA_0: number;
}

const COMMON = {
  DISPATCH_INITIATOR: 0x2e00,
  DIM_X: 0x2e01,
  START_X: 0x2e04,
  NUM_THREAD_X: 0x2e07,
  NUM_THREAD_Y: 0x2e08,
  NUM_THREAD_Z: 0x2e09,
  PIPELINESTAT_ENABLE: 0x2e0a,
  PERFCOUNT_ENABLE: 0x2e0b,
  PGM_LO: 0x2e0c,
  PGM_HI: 0x2e0d,
  DISPATCH_SCRATCH_BASE_LO: 0x2e10,
  DISPATCH_SCRATCH_BASE_HI: 0x2e11,
  PGM_RSRC1: 0x2e12,
  PGM_RSRC2: 0x2e13,
  RESOURCE_LIMITS: 0x2e15,
  TMPRING_SIZE: 0x2e18,
  RESTART_X: 0x2e1b,
  USER_DATA_0: 0x2e40,
} as const;

export const COMPUTE_REGS: Readonly<Record<GfxFamily, ComputeRegs>> = {
  gfx9: { ...COMMON, PGM_RSRC3: 0x2e2d },
  gfx10: { ...COMMON, PGM_RSRC3: 0x2e28 },
  gfx11: { ...COMMON, PGM_RSRC3: 0x2e28 },
  // gfx12: gc_12_0_0_offset.h has the gfx11 regCOMPUTE_* offsets (shdec block, BASE_IDX 0, GC segment 0 at 0x1260).
  gfx12: { ...COMMON, PGM_RSRC3: 0x2e28 },
};

export const USER_DATA_COUNT = 16;

const namesByFamily = new Map<GfxFamily, ReadonlyMap<number, string>>();

/** The compute registers of a family by dword offset: the table above, user data 0-15 and the Y/Z halves of the X registers. */
function registerNames(family: GfxFamily): ReadonlyMap<number, string> {
  let names = namesByFamily.get(family);
  if (names) return names;
  const regs = COMPUTE_REGS[family];
  const m = new Map<number, string>();
  for (const [name, off] of Object.entries(regs)) if (!m.has(off)) m.set(off, `COMPUTE_${name}`);
  for (let i = 0; i < USER_DATA_COUNT; i++) m.set(regs.USER_DATA_0 + i, `COMPUTE_USER_DATA_${i}`);
  for (const x of ['DIM', 'START', 'RESTART'] as const) {
    m.set(regs[`${x}_X`] + 1, `COMPUTE_${x}_Y`);
    m.set(regs[`${x}_X`] + 2, `COMPUTE_${x}_Z`);
  }
  namesByFamily.set(family, (names = m));
  return names;
}

/** Register name for a dword offset, for decoders and hang reports (a table lookup: the emulated CP decodes every SET_SH_REG). */
export function registerName(family: GfxFamily, reg: number): string {
  return registerNames(family).get(reg) ?? `reg 0x${reg.toString(16)}`;
}

/** COMPUTE_DISPATCH_INITIATOR bits. Source: gc_11_0_0_sh_mask.h (COMPUTE_DISPATCH_INITIATOR__*). */
export const DISPATCH_INITIATOR = {
  COMPUTE_SHADER_EN: 1 << 0,
  PARTIAL_TG_EN: 1 << 1,
  FORCE_START_AT_000: 1 << 2,
  USE_THREAD_DIMENSIONS: 1 << 5,
  CS_W32_EN: 1 << 15,
} as const;

/** COMPUTE_PGM_RSRC2 fields. Source: LLVM AMDGPUUsage.rst "compute_pgm_rsrc2" / SIDefines.h. */
export const RSRC2 = {
  SCRATCH_EN: [0, 1],
  USER_SGPR: [1, 5],
  TRAP_PRESENT: [6, 1],
  TGID_X_EN: [7, 1],
  TGID_Y_EN: [8, 1],
  TGID_Z_EN: [9, 1],
  TG_SIZE_EN: [10, 1],
  TIDIG_COMP_CNT: [11, 2],
  EXCP_EN_MSB: [13, 2],
  LDS_SIZE: [15, 9],
  EXCP_EN: [24, 7],
} as const satisfies Record<string, readonly [number, number]>;

export function bitsOf(value: number, [lo, bits]: readonly [number, number]): number {
  return (value >>> lo) & ((1 << bits) - 1);
}

/** LDS_SIZE granularity in bytes for compute (Mesa ac_gpu_info.c lds_encode_granularity: 128 dwords on gfx7+). */
export const LDS_ENCODE_GRANULARITY = 512;
