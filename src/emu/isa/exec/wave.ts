// The architectural state of one wave: SGPRs (addressed by their operand code), VGPRs/AGPRs and the
// executor's staging areas in one Uint32Array, SCC, PC, and where it stands in its workgroup.
import type { GpuVm } from '../../engine/vm.js';
import { isRdna, type IsaFamily } from '../types.js';

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
  readonly vm: GpuVm;
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

  constructor(readonly family: IsaFamily, readonly waveSize: 32 | 64) {}

  get execLo(): number {
    return this.S[EXEC_LO]!;
  }

  get execHi(): number {
    return this.waveSize === 32 ? 0 : this.S[EXEC_HI]!;
  }

  reset(): void {
    this.R.fill(0);
    this.S.fill(0);
    this.scc = 0;
    this.status = WaveStatus.Running;
    this.trapsts = 0;
  }
}
