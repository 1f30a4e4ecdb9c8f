// The architectural state of one wave: SGPRs (addressed by their operand code), VGPRs/AGPRs and the
// executor's staging areas in one Uint32Array, SCC, PC, and where it stands in its workgroup.
import { isRdna, type Instruction, type IsaFamily } from '../types.js';

/** Lanes per register row: every VGPR holds 64 lanes, wave32 uses the first 32. */
export const LANES = 64;
/** Row index of VGPR n is n, of AGPR n is 256 + n: both are (operand code - 256). */
export const AGPR_ROW = 256;
/** Staging rows: per-source temps (two rows each: low and high dword) and scalar broadcast slots. */
export const TEMP_ROW = 512;
export const SCALAR_ROW = 520;
export const ROWS = 528;

// Scalar operand codes (RDNA3 ISA §"Scalar operands", CDNA3 ISA §3.x): SGPR file slots.
export const VCC_LO = 106;
/** M0 moved from 124 (GFX9/10) to 125 on GFX11, where 124 became NULL. */
export const m0Code = (family: IsaFamily): number => (isRdna(family) ? 125 : 124);
export const nullCode = (family: IsaFamily): number | undefined => (isRdna(family) ? 124 : undefined);
export const EXEC_LO = 126;
export const EXEC_HI = 127;

/** Fields holding immediates rather than register codes: values of 256 and more there name no register. */
const IMMEDIATE_FIELDS = new Set(['offset', 'offset0', 'offset1', 'simm16', 'dpp_ctrl', 'dpp8', 'op_sel', 'op_sel_hi', 'neg', 'neg_hi', 'abs']);
/** Rows past the highest register field an instruction may touch (b128 and 2-address b64 data, +1 for TFE): generous. */
const ROW_MARGIN = 8;
/** v0 (work-item ids) is written by the wave setup itself. */
export const SETUP_ROWS = 3;

/**
 * How many register rows (from v0) an instruction may read or write: past its highest VGPR/AGPR field
 * by ROW_MARGIN (VOPD's vdsty too: the decoder turns it into an operand code). Over-estimates only
 * cost time: every wave reset clears that many rows.
 */
export function rowBound(ins: Instruction): number {
  let top = SETUP_ROWS;
  for (const [name, v] of Object.entries(ins.fields) as [string, number][]) if (v >= 256 && !IMMEDIATE_FIELDS.has(name)) top = Math.max(top, v - 256 + ROW_MARGIN);
  return top;
}

export const enum WaveStatus {
  Running = 0,
  Barrier = 1,
  Done = 2,
}

/** What all waves of a workgroup share. */
export interface WorkgroupContext {
  readonly lds: Uint8Array;
  /** The LDS as whole dwords, for aligned 32-bit accesses (the common case). */
  readonly ldsWords: Uint32Array;
}

export class Wave {
  readonly R = new Uint32Array(ROWS * LANES);
  readonly F = new Float32Array(this.R.buffer);
  /** SGPRs and specials indexed by scalar operand code 0..127 (VCC 106/107, M0, EXEC 126/127). */
  readonly S = new Uint32Array(128);
  scc = 0;
  pc = 0;
  status = WaveStatus.Running;
  /** Lanes an ALU kernel operates on (EXEC, narrowed by DPP). */
  actLo = 0;
  actHi = 0;
  /** Carry-in / condition mask for kernels that read one; result mask of compares and carries. */
  cinLo = 0;
  cinHi = 0;
  outLo = 0;
  outHi = 0;
  /** Hardware MODE register (round and denormal modes as RSRC1 programs them). */
  mode = 0;
  trapsts = 0;
  /** Private segment: address of the workgroup's scratch block and bytes per lane (see core.ts). */
  scratchLaneBase = 0;
  scratchBytesPerLane = 0;
  group!: WorkgroupContext;
  /** Wave index inside its workgroup and the workgroup it runs. */
  waveInGroup = 0;
  instructions = 0;
  /**
   * Register rows (VGPRs, then AGPRs) that instructions may have written since the last reset; the
   * staging rows are always cleared. A new wave's registers are all zero.
   */
  dirtyRows = 0;

  constructor(readonly family: IsaFamily, readonly waveSize: 32 | 64) {}

  get execLo(): number {
    return this.S[EXEC_LO]!;
  }

  get execHi(): number {
    return this.waveSize === 32 ? 0 : this.S[EXEC_HI]!;
  }

  reset(): void {
    // Only the rows used since the last reset: a whole register file is 132 KiB, and clearing it for
    // every wave of every workgroup showed in profiles of short kernels.
    this.R.fill(0, 0, Math.min(this.dirtyRows, TEMP_ROW) * LANES);
    this.R.fill(0, TEMP_ROW * LANES);
    this.dirtyRows = 0;
    this.S.fill(0);
    this.scc = 0;
    this.status = WaveStatus.Running;
    this.trapsts = 0;
    // A pooled wave starts counting again: status reports give each wave's own progress.
    this.instructions = 0;
  }
}
