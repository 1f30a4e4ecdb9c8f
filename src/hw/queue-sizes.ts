// Queue buffer sizes the kernel requires: amdkfd/kfd_queue.c (kfd_queue_ctx_save_restore_size,
// kfd_get_vgpr_size_per_cu) as of Linux 6.12, matching libhsakmt queues.c.
export const PAGE = 4096;

const SGPR_SIZE_PER_CU = 0x4000;
const LDS_SIZE_PER_CU = 0x10000;
const HWREG_SIZE_PER_CU = 0x1000;
const DEBUGGER_BYTES_PER_WAVE = 32;
const DEBUGGER_BYTES_ALIGN = 64;
/** sizeof(struct kfd_context_save_area_header) in kfd_ioctl.h. */
const CONTEXT_SAVE_AREA_HEADER_BYTES = 40;
/** gfx10 hardware caps the control stack at this size. */
const GFX10_CTL_STACK_LIMIT = 0x7000;
/** End-of-pipe buffer of a compute queue (Tonga, gfx 8.0.2, is the one exception: 0x8000). */
export const EOP_BUFFER_BYTES = 4096;

// kfd_get_vgpr_size_per_cu: gfx_target_version → VGPR bytes saved per CU
function vgprSizePerCu(gfxVersion: number): number {
  if (Math.floor(gfxVersion / 100) * 100 === 90400 || gfxVersion === 90010 || gfxVersion === 90008 || gfxVersion === 90500) return 0x80000;
  if (gfxVersion === 110000 || gfxVersion === 110001 || gfxVersion === 120000 || gfxVersion === 120001) return 0x60000;
  return 0x40000;
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

export interface QueueSizeInputs {
  readonly gfxTargetVersion: number;
  readonly simdCount: number;
  readonly simdPerCu: number;
  readonly numXcc: number;
  readonly arrayCount: number;
  readonly simdArraysPerEngine: number;
  readonly ldsSizeKb: number;
}

export interface ComputeQueueSizes {
  /** ctl_stack_size argument of CREATE_QUEUE. */
  readonly ctlStackSize: number;
  /** ctx_save_restore_size argument of CREATE_QUEUE (per XCC). */
  readonly ctxSaveRestoreSize: number;
  /** Debugger area the kernel expects after each XCC's save area. */
  readonly debugMemorySize: number;
  /** Bytes of the CWSR buffer to allocate: (ctx save + debug) per XCC. */
  readonly cwsrAllocationSize: number;
  readonly eopBufferSize: number;
}

export function computeQueueSizes(n: QueueSizeInputs): ComputeQueueSizes {
  const gfxv = n.gfxTargetVersion;
  const cuNum = Math.floor(n.simdCount / n.simdPerCu / n.numXcc);
  const isGfx9 = gfxv < 100000;
  const waveNum = isGfx9 ? Math.min(cuNum * 40, Math.floor(n.arrayCount / n.simdArraysPerEngine) * 512) : cuNum * 32;
  const ldsPerCu = gfxv === 90500 ? n.ldsSizeKb << 10 : LDS_SIZE_PER_CU;
  const wgDataSize = alignUp(cuNum * (vgprSizePerCu(gfxv) + SGPR_SIZE_PER_CU + ldsPerCu + HWREG_SIZE_PER_CU), PAGE);
  let ctlStackSize = alignUp(CONTEXT_SAVE_AREA_HEADER_BYTES + waveNum * (isGfx9 ? 8 : 12) + 8, PAGE);
  if (Math.floor(gfxv / 10000) === 10) ctlStackSize = Math.min(ctlStackSize, GFX10_CTL_STACK_LIMIT);
  const ctxSaveRestoreSize = ctlStackSize + wgDataSize;
  const debugMemorySize = alignUp(waveNum * DEBUGGER_BYTES_PER_WAVE, DEBUGGER_BYTES_ALIGN);
  return {
    ctlStackSize,
    ctxSaveRestoreSize,
    debugMemorySize,
    cwsrAllocationSize: alignUp((ctxSaveRestoreSize + debugMemorySize) * n.numXcc, PAGE),
    eopBufferSize: gfxv === 80002 ? 0x8000 : EOP_BUFFER_BYTES,
  };
}
