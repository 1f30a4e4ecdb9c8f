// The 64-byte AMDHSA kernel descriptor (`<kernel>.kd`), decoded into named fields. Layout from
// src/uapi/hsa.ts (kernelDescriptor); bit fields from llvm/Support/AMDHSAKernelDescriptor.h
// (LLVM 19: COMPUTE_PGM_RSRC1/2/3, KERNEL_CODE_PROPERTY_*, KERNARG_PRELOAD_SPEC_*).
import { KERNEL_DESCRIPTOR_BYTES, kernelDescriptor } from '../uapi/hsa.js';

type Field = readonly [shift: number, width: number];
const get = (word: number, [shift, width]: Field): number => Math.floor(word / 2 ** shift) % 2 ** width;

// COMPUTE_PGM_RSRC1 (all generations unless noted)
const RSRC1 = {
  GRANULATED_WORKITEM_VGPR_COUNT: [0, 6],
  GRANULATED_WAVEFRONT_SGPR_COUNT: [6, 4],
  PRIORITY: [10, 2],
  FLOAT_ROUND_MODE_32: [12, 2],
  FLOAT_ROUND_MODE_16_64: [14, 2],
  FLOAT_DENORM_MODE_32: [16, 2],
  FLOAT_DENORM_MODE_16_64: [18, 2],
  PRIV: [20, 1],
  ENABLE_DX10_CLAMP: [21, 1], // GFX6-GFX11 (GFX12: WG_RR_EN)
  DEBUG_MODE: [22, 1],
  ENABLE_IEEE_MODE: [23, 1], // GFX6-GFX11 (GFX12: DISABLE_PERF)
  BULKY: [24, 1],
  CDBG_USER: [25, 1],
  FP16_OVFL: [26, 1], // GFX9+
  WGP_MODE: [29, 1], // GFX10+
  MEM_ORDERED: [30, 1], // GFX10+
  FWD_PROGRESS: [31, 1], // GFX10+
} as const satisfies Record<string, Field>;

// COMPUTE_PGM_RSRC2
const RSRC2 = {
  ENABLE_PRIVATE_SEGMENT: [0, 1],
  USER_SGPR_COUNT: [1, 5],
  ENABLE_TRAP_HANDLER: [6, 1], // GFX6-GFX11
  ENABLE_SGPR_WORKGROUP_ID_X: [7, 1],
  ENABLE_SGPR_WORKGROUP_ID_Y: [8, 1],
  ENABLE_SGPR_WORKGROUP_ID_Z: [9, 1],
  ENABLE_SGPR_WORKGROUP_INFO: [10, 1],
  ENABLE_VGPR_WORKITEM_ID: [11, 2],
  ENABLE_EXCEPTION_ADDRESS_WATCH: [13, 1],
  ENABLE_EXCEPTION_MEMORY: [14, 1],
  GRANULATED_LDS_SIZE: [15, 9],
  ENABLE_EXCEPTION_MASK: [24, 7], // IEEE invalid, denormal source, div by zero, overflow, underflow, inexact, int div0
} as const satisfies Record<string, Field>;

// COMPUTE_PGM_RSRC3: GFX90A/GFX940 layout vs GFX10+ layout
const RSRC3_GFX90A = { ACCUM_OFFSET: [0, 6], TG_SPLIT: [16, 1] } as const satisfies Record<string, Field>;
const RSRC3_GFX10_PLUS = {
  SHARED_VGPR_COUNT: [0, 4], // GFX10-GFX11
  INST_PREF_SIZE_GFX11: [4, 6],
  TRAP_ON_START: [10, 1], // GFX11
  TRAP_ON_END: [11, 1], // GFX11
  IMAGE_OP: [31, 1], // GFX11+
} as const satisfies Record<string, Field>;

// KERNEL_CODE_PROPERTY_*
const KCP = {
  ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER: [0, 1],
  ENABLE_SGPR_DISPATCH_PTR: [1, 1],
  ENABLE_SGPR_QUEUE_PTR: [2, 1],
  ENABLE_SGPR_KERNARG_SEGMENT_PTR: [3, 1],
  ENABLE_SGPR_DISPATCH_ID: [4, 1],
  ENABLE_SGPR_FLAT_SCRATCH_INIT: [5, 1],
  ENABLE_SGPR_PRIVATE_SEGMENT_SIZE: [6, 1],
  ENABLE_WAVEFRONT_SIZE32: [10, 1], // GFX10+
  USES_DYNAMIC_STACK: [11, 1],
} as const satisfies Record<string, Field>;

// KERNARG_PRELOAD_SPEC_*
const KERNARG_PRELOAD = { LENGTH: [0, 7], OFFSET: [7, 9] } as const satisfies Record<string, Field>;

export type Rsrc3Layout = 'gfx90a' | 'gfx10+' | 'none';

export interface KernelCodeProperties {
  readonly enableSgprPrivateSegmentBuffer: boolean;
  readonly enableSgprDispatchPtr: boolean;
  readonly enableSgprQueuePtr: boolean;
  readonly enableSgprKernargSegmentPtr: boolean;
  readonly enableSgprDispatchId: boolean;
  readonly enableSgprFlatScratchInit: boolean;
  readonly enableSgprPrivateSegmentSize: boolean;
  readonly wavefrontSize32: boolean;
  readonly usesDynamicStack: boolean;
}

export interface KernelDescriptor {
  readonly groupSegmentFixedSize: number;
  readonly privateSegmentFixedSize: number;
  readonly kernargSize: number;
  /** Byte offset from the descriptor to the kernel's first instruction (may be negative). */
  readonly kernelCodeEntryByteOffset: bigint;
  readonly computePgmRsrc1: number;
  readonly computePgmRsrc2: number;
  readonly computePgmRsrc3: number;
  readonly kernelCodeProperties: number;
  readonly kernargPreload: number;
  readonly rsrc1: {
    readonly granulatedWorkitemVgprCount: number;
    readonly granulatedWavefrontSgprCount: number;
    readonly priority: number;
    readonly floatRoundMode32: number;
    readonly floatRoundMode16_64: number;
    readonly floatDenormMode32: number;
    readonly floatDenormMode16_64: number;
    readonly priv: boolean;
    readonly enableDx10Clamp: boolean;
    readonly debugMode: boolean;
    readonly enableIeeeMode: boolean;
    readonly fp16Overflow: boolean;
    readonly wgpMode: boolean;
    readonly memOrdered: boolean;
    readonly fwdProgress: boolean;
  };
  readonly rsrc2: {
    readonly enablePrivateSegment: boolean;
    readonly userSgprCount: number;
    readonly enableTrapHandler: boolean;
    readonly enableSgprWorkgroupId: readonly [boolean, boolean, boolean];
    readonly enableSgprWorkgroupInfo: boolean;
    /** 0: x, 1: x and y, 2: x, y and z. */
    readonly enableVgprWorkitemId: number;
    readonly granulatedLdsSize: number;
    readonly exceptionMask: number;
  };
  readonly rsrc3:
    | { readonly layout: 'gfx90a'; readonly accumOffset: number; readonly tgSplit: boolean }
    | {
        readonly layout: 'gfx10+';
        readonly sharedVgprCount: number;
        readonly instPrefSize: number;
        readonly trapOnStart: boolean;
        readonly trapOnEnd: boolean;
        readonly imageOp: boolean;
      }
    | { readonly layout: 'none'; readonly raw: number };
  readonly properties: KernelCodeProperties;
  readonly preload: { readonly length: number; readonly offset: number };
}

/**
 * RSRC3 meaning depends on the processor: gfx90a/gfx94x use ACCUM_OFFSET/TG_SPLIT, gfx10+ the
 * shared-VGPR/instruction-prefetch layout, earlier targets have no RSRC3.
 */
export function rsrc3LayoutFor(processor: string): Rsrc3Layout {
  if (/^gfx9(0a|4\d)$/.test(processor)) return 'gfx90a';
  if (/^gfx1\d\d\d/.test(processor) || /^gfx1[0-2]-/.test(processor)) return 'gfx10+';
  return 'none';
}

export function decodeKernelDescriptor(bytes: Uint8Array, rsrc3Layout: Rsrc3Layout): KernelDescriptor {
  if (bytes.length < KERNEL_DESCRIPTOR_BYTES) {
    throw new Error(`kernel descriptor needs ${KERNEL_DESCRIPTOR_BYTES} bytes, got ${bytes.length}`);
  }
  const kd = kernelDescriptor.decode(bytes);
  const r1 = kd.compute_pgm_rsrc1;
  const r2 = kd.compute_pgm_rsrc2;
  const r3 = kd.compute_pgm_rsrc3;
  const kcp = kd.kernel_code_properties;
  const flag = (word: number, f: Field): boolean => get(word, f) === 1;
  let rsrc3: KernelDescriptor['rsrc3'];
  if (rsrc3Layout === 'gfx90a') {
    rsrc3 = { layout: 'gfx90a', accumOffset: get(r3, RSRC3_GFX90A.ACCUM_OFFSET), tgSplit: flag(r3, RSRC3_GFX90A.TG_SPLIT) };
  } else if (rsrc3Layout === 'gfx10+') {
    rsrc3 = {
      layout: 'gfx10+',
      sharedVgprCount: get(r3, RSRC3_GFX10_PLUS.SHARED_VGPR_COUNT),
      instPrefSize: get(r3, RSRC3_GFX10_PLUS.INST_PREF_SIZE_GFX11),
      trapOnStart: flag(r3, RSRC3_GFX10_PLUS.TRAP_ON_START),
      trapOnEnd: flag(r3, RSRC3_GFX10_PLUS.TRAP_ON_END),
      imageOp: flag(r3, RSRC3_GFX10_PLUS.IMAGE_OP),
    };
  } else {
    rsrc3 = { layout: 'none', raw: r3 };
  }
  return {
    groupSegmentFixedSize: kd.group_segment_fixed_size,
    privateSegmentFixedSize: kd.private_segment_fixed_size,
    kernargSize: kd.kernarg_size,
    kernelCodeEntryByteOffset: kd.kernel_code_entry_byte_offset,
    computePgmRsrc1: r1,
    computePgmRsrc2: r2,
    computePgmRsrc3: r3,
    kernelCodeProperties: kcp,
    kernargPreload: kd.kernarg_preload,
    rsrc1: {
      granulatedWorkitemVgprCount: get(r1, RSRC1.GRANULATED_WORKITEM_VGPR_COUNT),
      granulatedWavefrontSgprCount: get(r1, RSRC1.GRANULATED_WAVEFRONT_SGPR_COUNT),
      priority: get(r1, RSRC1.PRIORITY),
      floatRoundMode32: get(r1, RSRC1.FLOAT_ROUND_MODE_32),
      floatRoundMode16_64: get(r1, RSRC1.FLOAT_ROUND_MODE_16_64),
      floatDenormMode32: get(r1, RSRC1.FLOAT_DENORM_MODE_32),
      floatDenormMode16_64: get(r1, RSRC1.FLOAT_DENORM_MODE_16_64),
      priv: flag(r1, RSRC1.PRIV),
      enableDx10Clamp: flag(r1, RSRC1.ENABLE_DX10_CLAMP),
      debugMode: flag(r1, RSRC1.DEBUG_MODE),
      enableIeeeMode: flag(r1, RSRC1.ENABLE_IEEE_MODE),
      fp16Overflow: flag(r1, RSRC1.FP16_OVFL),
      wgpMode: flag(r1, RSRC1.WGP_MODE),
      memOrdered: flag(r1, RSRC1.MEM_ORDERED),
      fwdProgress: flag(r1, RSRC1.FWD_PROGRESS),
    },
    rsrc2: {
      enablePrivateSegment: flag(r2, RSRC2.ENABLE_PRIVATE_SEGMENT),
      userSgprCount: get(r2, RSRC2.USER_SGPR_COUNT),
      enableTrapHandler: flag(r2, RSRC2.ENABLE_TRAP_HANDLER),
      enableSgprWorkgroupId: [
        flag(r2, RSRC2.ENABLE_SGPR_WORKGROUP_ID_X),
        flag(r2, RSRC2.ENABLE_SGPR_WORKGROUP_ID_Y),
        flag(r2, RSRC2.ENABLE_SGPR_WORKGROUP_ID_Z),
      ],
      enableSgprWorkgroupInfo: flag(r2, RSRC2.ENABLE_SGPR_WORKGROUP_INFO),
      enableVgprWorkitemId: get(r2, RSRC2.ENABLE_VGPR_WORKITEM_ID),
      granulatedLdsSize: get(r2, RSRC2.GRANULATED_LDS_SIZE),
      exceptionMask: get(r2, RSRC2.ENABLE_EXCEPTION_MASK),
    },
    rsrc3,
    properties: {
      enableSgprPrivateSegmentBuffer: flag(kcp, KCP.ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER),
      enableSgprDispatchPtr: flag(kcp, KCP.ENABLE_SGPR_DISPATCH_PTR),
      enableSgprQueuePtr: flag(kcp, KCP.ENABLE_SGPR_QUEUE_PTR),
      enableSgprKernargSegmentPtr: flag(kcp, KCP.ENABLE_SGPR_KERNARG_SEGMENT_PTR),
      enableSgprDispatchId: flag(kcp, KCP.ENABLE_SGPR_DISPATCH_ID),
      enableSgprFlatScratchInit: flag(kcp, KCP.ENABLE_SGPR_FLAT_SCRATCH_INIT),
      enableSgprPrivateSegmentSize: flag(kcp, KCP.ENABLE_SGPR_PRIVATE_SEGMENT_SIZE),
      wavefrontSize32: flag(kcp, KCP.ENABLE_WAVEFRONT_SIZE32),
      usesDynamicStack: flag(kcp, KCP.USES_DYNAMIC_STACK),
    },
    preload: {
      length: get(kd.kernarg_preload, KERNARG_PRELOAD.LENGTH),
      offset: get(kd.kernarg_preload, KERNARG_PRELOAD.OFFSET),
    },
  };
}
