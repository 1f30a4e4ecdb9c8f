// Instruction → handler, by encoding. Each handler is built once per PC and cached by the dispatch.
import { ShaderFault, type Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import { compileDs } from './lds.js';
import type { GpuMemory } from './mem.js';
import { compileSop1, compileSop2, compileSopc, compileSopk, compileSopp } from './salu.js';
import { compileSmem } from './smem.js';
import { compileVop, compileVopd } from './valu-forms.js';
import { compileVop3p } from './vop3p.js';
import { compileVmem } from './vmem.js';

export function compileInstruction(ctx: CompileContext, ins: Instruction, mem: () => GpuMemory): Handler {
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
