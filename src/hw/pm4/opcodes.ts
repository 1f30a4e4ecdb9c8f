// PM4 type-3 opcodes and header layout. Source: linux drivers/gpu/drm/amd/amdgpu/nvd.h (gfx10+) and
// soc15d.h (gfx9); the opcodes used here have the same values in both.

export const PM4_TYPE3 = 3;
/** A type-2 packet: one dword of filler. */
export const PM4_TYPE2_NOP = 0x80000000;
/** NOP with the maximum count is a one-dword NOP (no body): the CP treats count 0x3fff specially. */
export const PM4_NOP_SINGLE_COUNT = 0x3fff;

export const PM4_OP = {
  NOP: 0x10,
  DISPATCH_DIRECT: 0x15,
  DISPATCH_INDIRECT: 0x16,
  ATOMIC_MEM: 0x1e,
  PRED_EXEC: 0x23,
  WRITE_DATA: 0x37,
  WAIT_REG_MEM: 0x3c,
  INDIRECT_BUFFER: 0x3f,
  COPY_DATA: 0x40,
  EVENT_WRITE: 0x46,
  RELEASE_MEM: 0x49,
  DMA_DATA: 0x50,
  ACQUIRE_MEM: 0x58,
  SET_CONFIG_REG: 0x68,
  SET_SH_REG: 0x76,
  SET_UCONFIG_REG: 0x79,
} as const;

export type Pm4OpName = keyof typeof PM4_OP;

export const PM4_OP_NAMES: ReadonlyMap<number, Pm4OpName> = new Map(Object.entries(PM4_OP).map(([k, v]) => [v, k as Pm4OpName]));

/** Type-3 header: count = body dwords - 1; bit 1 = shader type (1 = compute). */
export function pm4Header(op: number, bodyDwords: number, compute = true): number {
  return ((PM4_TYPE3 << 30) | (((bodyDwords - 1) & 0x3fff) << 16) | ((op & 0xff) << 8) | (compute ? 2 : 0)) >>> 0;
}

export interface Pm4Header {
  readonly type: number;
  readonly op: number;
  /** Body dwords following the header (count + 1; 0 for the single-dword NOP). */
  readonly body: number;
  readonly compute: boolean;
}

export function parsePm4Header(h: number): Pm4Header {
  const type = h >>> 30;
  const count = (h >>> 16) & 0x3fff;
  const op = (h >>> 8) & 0xff;
  const body = type === 3 && op === PM4_OP.NOP && count === PM4_NOP_SINGLE_COUNT ? 0 : count + 1;
  return { type, op, body, compute: (h & 2) !== 0 };
}

/** Register apertures of the SET_*_REG packets (dword register offsets). Source: nvd.h / soc15d.h. */
export const PM4_REG_BASE = {
  SET_CONFIG_REG: 0x2000,
  SET_SH_REG: 0x2c00,
  SET_UCONFIG_REG: 0xc000,
} as const;

/** EVENT_WRITE / RELEASE_MEM event types used by compute. Source: Mesa src/amd/common/sid.h (V_028A90_*). */
export const VGT_EVENT = {
  CS_PARTIAL_FLUSH: 0x07,
  CACHE_FLUSH_AND_INV_TS_EVENT: 0x14,
  BOTTOM_OF_PIPE_TS: 0x28,
  CS_DONE: 0x2f,
} as const;

export const VGT_EVENT_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(VGT_EVENT).map(([k, v]) => [v, k]));

/** WAIT_REG_MEM / POLL_REGMEM compare functions. Source: nvd.h (WAIT_REG_MEM_FUNCTION). */
export const COMPARE_FUNC = { ALWAYS: 0, LT: 1, LE: 2, EQ: 3, NE: 4, GE: 5, GT: 6 } as const;
export const COMPARE_FUNC_NAMES: Readonly<Record<number, string>> = { 0: 'always', 1: '<', 2: '<=', 3: '==', 4: '!=', 5: '>=', 6: '>', 7: 'reserved' };

/** Evaluates a compare function on (value & mask) against reference, as the CP and SDMA do. */
export function compare(func: number, value: number, reference: number): boolean {
  switch (func) {
    case 0: return true;
    case 1: return value < reference;
    case 2: return value <= reference;
    case 3: return value === reference;
    case 4: return value !== reference;
    case 5: return value >= reference;
    case 6: return value > reference;
    default: return false;
  }
}
