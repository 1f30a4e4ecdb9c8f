// GLOBAL dword loads and stores as one generated lane loop each: per lane exactly what exec/vmem.ts's
// handler does (address from the SGPR base + 32-bit VGPR offset or the 64-bit VGPR address, plus the
// immediate; dwords 4 bytes apart through GpuMemory), in lane order, a fault naming its lane. A memory
// instruction never shares its loop with other instructions: a fault must find the lanes before it
// done and the instructions after it not begun, as the per-instruction path leaves them.
import { isRdna, type Instruction } from '../types.js';
import type { CompileContext } from '../exec/context.js';
import { scalarReader } from '../exec/scalar-operands.js';
import { vectorRow } from '../exec/valu-compile.js';
import { accessOf } from '../exec/vmem-ops.js';
import { LANES, nullCode } from '../exec/wave.js';
import { laneLoop, type Bindings } from './valu-inline.js';
import { LAST_PLAIN_SGPR } from './salu-inline.js';

/** Source text running GLOBAL instruction `ins` (number k of its block, next PC `next`), or undefined. */
export function inlineGlobal(ctx: CompileContext, ins: Instruction, k: number, next: number, bind: Bindings): string | undefined {
  if (ins.encoding !== 'GLOBAL') return undefined;
  const a = accessOf(ins.op);
  if (!a || (a.kind !== 'load' && a.kind !== 'store') || a.bytes !== 4 || a.d16 !== undefined) return undefined;
  const f = ins.fields;
  const addr = vectorRow(f.addr ?? 256);
  const rows = vectorRow(a.kind === 'load' ? f.vdst ?? 256 : f.data ?? 256);
  const offset = f.offset ?? 0;
  const off = isRdna(ctx.family) ? 124 : 0x7f;
  const saddr = f.saddr ?? off;
  const hasSaddr = saddr !== off && saddr !== nullCode(ctx.family);
  let base = '';
  let va: string;
  if (hasSaddr && saddr + 1 <= LAST_PLAIN_SGPR) {
    base = `const sbase = S[${saddr + 1}] * 4294967296 + S[${saddr}];`;
    va = `sbase + R[${addr} + l] + ${offset}`;
  } else if (hasSaddr) {
    bind.set(`sl${k}`, scalarReader(ctx.family, saddr, 'b64', undefined));
    bind.set(`sh${k}`, scalarReader(ctx.family, saddr, 'b64', undefined, true));
    base = `const sbase = sh${k}(w) * 4294967296 + sl${k}(w);`;
    va = `sbase + R[${addr} + l] + ${offset}`;
  } else {
    va = `R[${addr + LANES} + l] * 4294967296 + R[${addr} + l] + ${offset}`;
  }
  const moves: string[] = [];
  for (let i = 0; i < a.dwords; i++) {
    moves.push(a.kind === 'load' ? `R[${rows + i * LANES} + l] = M.read32(va + ${4 * i});` : `M.write32(va + ${4 * i}, R[${rows + i * LANES} + l]);`);
  }
  const exec = ctx.waveSize === 64 ? 'const eLo = S[126], eHi = S[127];' : 'const eLo = S[126];';
  return `w.pc = ${next};
  {
  const M = memOf();
  ${exec}
  ${base}
  let lane = 0;
  try {
    ${laneLoop(ctx.waveSize, `lane = l;
        const va = ${va};
        ${moves.join(' ')}`)}
  } catch (e) {
    if (e instanceof GpuFault) e.lane ??= lane;
    throw e;
  }
  }`;
}
