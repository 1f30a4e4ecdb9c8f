// Instruction → handler, by encoding. Each handler is built once per PC and cached by the dispatch.
import { ShaderFault, type Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import { compileDs } from './lds.js';
import type { GpuMemory } from './mem.js';
import { compileSop1, compileSop2, compileSopc } from './salu.js';
import { compileSopk, compileSopp } from './salu-sopk-sopp.js';
import { compileSmem } from './smem.js';
import { compileVop, compileVopd } from './valu-forms.js';
import { compileVop3p } from './vop3p.js';
import { compileVmem } from './vmem.js';

/**
 * gfx12 renamed operations whose semantics gfx11 already has (LLVM's GFX12 mnemonic aliases: the carry-out
 * SALU adds, v_mad_co_*, the IEEE-754 maximumNumber/minimumNumber f32/f16/f64 ops); executed as their gfx11 twins.
 */
const GFX12_RENAMES: Readonly<Record<string, string>> = {
  s_add_co_u32: 's_add_u32', s_sub_co_u32: 's_sub_u32', s_add_co_ci_u32: 's_addc_u32', s_sub_co_ci_u32: 's_subb_u32',
  s_add_co_i32: 's_add_i32', s_sub_co_i32: 's_sub_i32', s_addk_co_i32: 's_addk_i32',
  v_mad_co_u64_u32: 'v_mad_u64_u32', v_mad_co_i64_i32: 'v_mad_i64_i32',
  v_max_num_f32: 'v_max_f32', v_min_num_f32: 'v_min_f32', v_max_num_f16: 'v_max_f16', v_min_num_f16: 'v_min_f16',
  v_max_num_f64: 'v_max_f64', v_min_num_f64: 'v_min_f64', v_max3_num_f32: 'v_max3_f32', v_min3_num_f32: 'v_min3_f32',
  v_max3_num_f16: 'v_max3_f16', v_min3_num_f16: 'v_min3_f16', v_med3_num_f32: 'v_med3_f32', v_med3_num_f16: 'v_med3_f16',
  v_dual_max_num_f32: 'v_dual_max_f32', v_dual_min_num_f32: 'v_dual_min_f32', v_pk_max_num_f16: 'v_pk_max_f16', v_pk_min_num_f16: 'v_pk_min_f16',
};

/** The instruction under the name its semantics are registered as (gfx12 aliases → gfx11 names). */
export function executedAs(ctx: CompileContext, ins: Instruction): Instruction {
  if (ctx.family !== 'rdna4') return ins;
  const op = GFX12_RENAMES[ins.op];
  const opy = ins.opy !== undefined ? GFX12_RENAMES[ins.opy] : undefined;
  return op || opy ? { ...ins, ...(op ? { op } : {}), ...(opy ? { opy } : {}) } : ins;
}

export function compileInstruction(ctx: CompileContext, ins: Instruction, mem: () => GpuMemory): Handler {
  ins = executedAs(ctx, ins);
  switch (ins.encoding) {
    case 'SOP1': return compileSop1(ctx, ins);
    case 'SOP2': return compileSop2(ctx, ins);
    case 'SOPC': return compileSopc(ctx, ins);
    case 'SOPK': return compileSopk(ctx, ins);
    case 'SOPP': return compileSopp(ctx, ins);
    case 'SMEM': return compileSmem(ctx, ins, mem);
    case 'VOP1': case 'VOP2': case 'VOPC': case 'VOP3': case 'VOP3SD': return compileVop(ctx, ins);
    case 'VOPD': return compileVopd(ctx, ins);
    case 'VOP3P': return compileVop3p(ctx, ins);
    case 'DS': return compileDs(ctx, ins);
    case 'FLAT': case 'GLOBAL': case 'SCRATCH': case 'MUBUF': return compileVmem(ctx, ins, mem);
  }
  throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} (${ins.encoding}) at 0x${ins.pc.toString(16)}`);
}
