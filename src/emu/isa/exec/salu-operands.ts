// What the scalar ALU's compilers share (salu.ts: SOP1/SOP2/SOPC; salu-sopk-sopp.ts): operand
// readers and writers by field, the compare predicates, and the fault for an opcode not implemented.
import { ShaderFault, type Instruction } from '../types.js';
import type { CompileContext } from './context.js';
import { scalarReader, scalarWriter, type ScalarRead, type ScalarWrite } from './scalar-operands.js';

export type R2 = [ScalarRead, ScalarRead];

export function src32(ctx: CompileContext, ins: Instruction, field: string): ScalarRead {
  return scalarReader(ctx.family, ins.fields[field] ?? 0, 'b32', ins.literal);
}

export function src64(ctx: CompileContext, ins: Instruction, field: string): R2 {
  const c = ins.fields[field] ?? 0;
  return [scalarReader(ctx.family, c, 'b64', ins.literal), scalarReader(ctx.family, c, 'b64', ins.literal, true)];
}

export function dst64(ctx: CompileContext, ins: Instruction): [ScalarWrite, ScalarWrite] {
  const c = ins.fields.sdst ?? 0;
  return [scalarWriter(ctx.family, c), scalarWriter(ctx.family, c + 1)];
}

export const fault = (ins: Instruction): ShaderFault => new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} at 0x${ins.pc.toString(16)}`);

export const CMP: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b, lg: (a, b) => a !== b, gt: (a, b) => a > b, ge: (a, b) => a >= b, lt: (a, b) => a < b, le: (a, b) => a <= b,
};
