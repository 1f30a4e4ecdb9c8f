// The contract between the shader-core pieces: the decoder (tables + decode.ts) produces Instructions,
// the disassembler prints them, the executor (exec/) runs them, and the emulated CP starts dispatches
// through ShaderCore. Field names follow the ISA manuals' encoding field names, lower-cased.
import type { GpuVm } from '../gpu-vm.js';

/**
 * rdna3 = gfx11; rdna4 = gfx12 (RDNA3's VALU/SALU encodings with split wait counters, 96-bit VFLAT/VGLOBAL/
 * VSCRATCH/VBUFFER and th/scope cache policy); cdna3 = gfx940-942; cdna2 = gfx90a (GFX9 encodings with
 * gfx90a cache bits, no architected flat scratch).
 */
export type IsaFamily = 'rdna3' | 'rdna4' | 'cdna3' | 'cdna2';

/** gfx11 and gfx12: the RDNA operand space (null, m0 = 125), VOP3 literals, DPP8, wave32-first rules. */
export const isRdna = (family: IsaFamily): boolean => family === 'rdna3' || family === 'rdna4';

export type Encoding =
  | 'SOP1' | 'SOP2' | 'SOPC' | 'SOPK' | 'SOPP' | 'SMEM'
  | 'VOP1' | 'VOP2' | 'VOPC' | 'VOP3' | 'VOP3SD' | 'VOP3P' | 'VOPD' | 'VINTERP'
  | 'DS' | 'FLAT' | 'GLOBAL' | 'SCRATCH' | 'MUBUF' | 'MTBUF' | 'MIMG' | 'EXP' | 'LDSDIR';

/** A decoded machine instruction. Immutable; decoded once per PC and cached. */
export interface Instruction {
  /** Byte address of the instruction (GPU virtual address, as a number: code lives below 2^53). */
  readonly pc: number;
  /** Size in bytes including any literal constant. */
  readonly size: number;
  readonly encoding: Encoding;
  /** The opcode field of the encoding (VOP1/VOP2/VOPC promoted to VOP3 keep their VOP3 opcode). */
  readonly opcode: number;
  /** The operation name as LLVM spells it without encoding suffix, e.g. "v_add_f32", "s_load_b64". */
  readonly op: string;
  /**
   * Raw encoding fields by lower-cased manual name: ssrc0, ssrc1, sdst, simm16, src0, src1, src2,
   * vsrc1, vdst, sdata, sbase, soffset, offset, glc, slc, dlc, sc0, sc1, nt, neg, abs, neg_hi,
   * op_sel, op_sel_hi, clamp, omod, addr, data0, data1, saddr, vaddr, seg, offset0, offset1, gds,
   * dpp_ctrl, row_mask, bank_mask, bound_ctrl, fi, sdwa fields, vopd: opx, opy, srcx0, vsrcx1,
   * vdstx, srcy0, vsrcy1, vdsty. Operand fields hold the unified operand code: 0..255 the scalar
   * / inline-constant space as the manual defines it, 256..511 = VGPR (code - 256), 512..767 = AGPR.
   */
  readonly fields: Readonly<Record<string, number>>;
  /** The 32-bit literal that follows the instruction, when an operand is 255 (or a SOPK/… imm). */
  readonly literal?: number;
  /** DPP or SDWA extension word present (the src0 field then names the real VGPR). */
  readonly ext?: 'dpp' | 'dpp8' | 'sdwa';
  /** VOPD only: the Y operation's name (op names the X operation), e.g. "v_dual_mul_f32". */
  readonly opy?: string;
}

/** Everything the CP (PM4 or AQL processor) hands the shader core to run one dispatch. */
export interface DispatchSetup {
  readonly target: string;
  /** Program entry: COMPUTE_PGM_LO/HI << 8. */
  readonly entry: bigint;
  readonly rsrc1: number;
  readonly rsrc2: number;
  readonly rsrc3: number;
  /** COMPUTE_USER_DATA_0..(RSRC2.USER_SGPR-1) as programmed by the CP (AQL: set by the packet processor). */
  readonly userSgprs: readonly number[];
  /** Work-items per workgroup (COMPUTE_NUM_THREAD_X/Y/Z). */
  readonly workgroupSize: readonly [number, number, number];
  /** Workgroups per dimension (DISPATCH_DIRECT dims; AQL grid / workgroup rounded up). */
  readonly workgroups: readonly [number, number, number];
  /** Work-items in the grid per dimension, when the last workgroup may be partial (AQL). */
  readonly gridSize?: readonly [number, number, number];
  readonly waveSize: 32 | 64;
  /** Total LDS bytes per workgroup (static + dynamic), already decoded from RSRC2/LDS_SIZE. */
  readonly ldsBytes: number;
  /** Private segment: per-work-item bytes and the scratch backing base the kernel's flat scratch uses. */
  readonly scratch?: { readonly bytesPerLane: number; readonly base: bigint };
}

/** A running dispatch. step() runs about `budget` instructions and reports whether it finished. */
export interface RunningDispatch {
  step(budget: number): 'running' | 'done';
  /** Instructions executed so far (all waves). */
  readonly instructions: number;
  /** The live waves of the running workgroup(s): where each stands. */
  liveWaves?(): LiveWave[];
  /** Stops the dispatch for good (its queue was destroyed); work on other threads stops too. */
  cancel?(): void;
}

/** A wave of a running dispatch, for status reports: pc (GPU address), the instruction there, progress. */
export interface LiveWave {
  readonly workgroup: readonly number[];
  readonly wave: number;
  readonly pc: string;
  readonly instruction: string;
  readonly instructions: number;
  readonly atBarrier: boolean;
}

/** A wave stopped on purpose or by error (unimplemented opcode, s_trap, illegal encoding). */
export class ShaderFault extends Error {
  constructor(readonly pc: number, readonly kind: 'unimplemented' | 'illegal' | 'trap' | 'halt' | 'memory', message: string) {
    super(message);
    this.name = 'ShaderFault';
  }
}

/**
 * An instruction field holds a value the ISA does not define for that instruction (a scalar operand
 * code with no register behind it, a literal slot without a literal, an undefined DPP control), or
 * asks for an operation the executor does not model. Thrown by the executor's pieces, which do not
 * know the PC; the core turns it into a ShaderFault of the wave at the instruction's PC.
 */
export class InstructionFault extends Error {
  constructor(readonly kind: 'illegal' | 'unimplemented', message: string) {
    super(message);
    this.name = 'InstructionFault';
  }
}

export interface ShaderCore {
  /** Starts a dispatch. Memory faults surface from step() as GpuFault (gpu-vm.ts), others as ShaderFault. */
  start(setup: DispatchSetup, vm: GpuVm): RunningDispatch;
  /** Ends the threads the core started (the engine thread is shutting down). */
  close?(): void;
}
