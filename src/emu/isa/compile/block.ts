// The basic-block compiler: a straight run of instructions from a PC up to and including the first
// instruction that may change the PC or stop the wave (branches, s_endpgm, barriers, traps, calls)
// becomes one JavaScript function, generated once and shared by every dispatch whose code has the same
// bytes there. Inside it, plain VALU instructions and DS dword accesses share one lane loop with EXEC
// read once and 32-bit results kept in locals (valu-inline.ts, lds-inline.ts); GLOBAL dword accesses
// get a loop of their own (vmem-inline.ts); common 32-bit scalar ALU instructions and branches are
// statements (salu-inline.ts); wait counters and hints vanish (they have no effect here); everything
// else calls the instruction's per-instruction handler, which stays the reference semantics
// (core.ts runs the same handlers one by one with exec 'interp', and the tests hold the two to the bit).
//
// A block whose final conditional branch jumps back to its own start (a loop of one block) runs as a
// JS loop: as many iterations as the wave's turn has room for, leaving the block after any iteration
// whose branch falls through, so a turn still ends exactly where the per-instruction path ends it.
//
// A block stops before an instruction that does not decode or compile, so such a word in code the
// wave never reaches costs nothing, and the wave that does reach it faults there through the
// per-instruction path exactly as without blocks.
import { decodeInstruction } from '../decode.js';
import { compileInstruction, executedAs } from '../exec/compile.js';
import type { CompileContext, Handler } from '../exec/context.js';
import type { GpuMemory } from '../exec/mem.js';
import { SOPP_NO_EFFECT } from '../exec/salu-sopk-sopp.js';
import { laneScopeArgs, LANE_SCOPE } from '../exec/valu-kernel.js';
import { LdsSpace } from '../exec/lds-space.js';
import { rowBound, type Wave } from '../exec/wave.js';
import type { Instruction } from '../types.js';
import { GpuFault } from '../../gpu-vm.js';
import { inlineDs } from './lds-inline.js';
import { inlineGlobal } from './vmem-inline.js';
import { inlineBranch, inlineSalu } from './salu-inline.js';
import { fusedGroup, inlineVop, inlineVopd, readsAny, writesExec, type Bindings, type InlineLaneOp } from './valu-inline.js';
import { laneMajorBody, type BlockPart } from './lane-major.js';

/** Instructions per block at most: bounds the size of one generated function. */
const MAX_BLOCK = 128;

/**
 * A generated block: runs the block (w.pc must be its start) and leaves w.pc where its last instruction
 * sent it; a self-loop block repeats while its branch goes back to its start, at most `max` times
 * (at least once). Returns how many times it ran the block (other blocks and prefixes: 1).
 */
export type BlockRun = (w: Wave, max: number) => number;

export interface Block {
  readonly start: number;
  /** Instructions in the block (the wave's instruction count advances by this much per run). */
  readonly length: number;
  /**
   * The function that runs every instruction of the block (w.pc must be `start`; it leaves w.pc where
   * the last instruction sent it), generated once the block has run often enough; until then undefined
   * (run the handlers). Code that runs once (a kernel's prologue) is never worth generating and would
   * run slower as a large cold function than as handlers.
   */
  compiled(threshold: number): BlockRun | undefined;
  /** The generated function once compiled() has returned it (saves the hot path a lookup). */
  run: BlockRun | undefined;
  /** Per instruction: its PC, the PC after it, and its handler (partial runs, fault reports). */
  readonly pcs: readonly number[];
  readonly nexts: readonly number[];
  readonly handlers: readonly Handler[];
  /** The block's machine code, to check a cached block against the bytes at its PC. */
  readonly bytes: Uint8Array;
  /** Register rows its instructions may touch (the largest of their rowBound). */
  readonly rows: number;
  /**
   * Runs only the first `count` instructions (a wave's turn that ends inside the block), compiled once
   * the same prefix has been asked for often enough; until then, undefined (run the handlers).
   */
  prefix(count: number, threshold: number): BlockRun | undefined;
}

/** AMDGPU_TS_DUMP_BLOCKS=1 prints each generated block's source to stderr (to read what the compiler made of a kernel). */
const DUMP_BLOCKS = process.env.AMDGPU_TS_DUMP_BLOCKS === '1';

/** AMDGPU_TS_LANE_MAJOR=0 keeps self-loops run by run (to compare the two forms). */
const LANE_MAJOR = process.env.AMDGPU_TS_LANE_MAJOR !== '0';

/** Runs of a block before its function is generated (the default of ShaderCoreOptions.hotAfter). */
export const BLOCK_HOT = 4;
/** Partial runs of one prefix before it is compiled (most blocks never need one). */
export const PREFIX_HOT = 8;

/** May change w.pc or w.status: the block ends after it. */
function endsBlock(ins: Instruction): boolean {
  if (ins.encoding === 'SOPP') return !SOPP_NO_EFFECT.has(ins.op);
  return /^s_(setpc|swappc|call|rfe|barrier)/.test(ins.op);
}

/**
 * Compiles the block starting at `pc` from `code` (a view whose byte 0 is at `pc`), or returns
 * undefined when its first instruction does not decode or compile (the caller's per-instruction
 * path then reports it).
 */
export function compileBlock(ctx: CompileContext, code: DataView, pc: number, mem: () => GpuMemory): Block | undefined {
  const pcs: number[] = [];
  const nexts: number[] = [];
  const handlers: Handler[] = [];
  const items: (Instruction | undefined)[] = [];
  let offset = 0;
  while (pcs.length < MAX_BLOCK && offset < code.byteLength) {
    let ins: Instruction;
    let handler: Handler;
    try {
      ins = decodeInstruction(ctx.family, code, offset, pc + offset);
      handler = compileInstruction(ctx, ins, mem);
    } catch {
      break;
    }
    pcs.push(pc + offset);
    offset += ins.size;
    nexts.push(pc + offset);
    handlers.push(handler);
    items.push(ins);
    if (endsBlock(ins)) break;
  }
  if (pcs.length === 0) return undefined;
  const instructions = items as Instruction[];
  const bytes = new Uint8Array(code.buffer.slice(code.byteOffset, code.byteOffset + offset));
  /** By instruction count (the whole block or a prefix): runs so far, or the generated function. */
  const generated = new Map<number, BlockRun | number>();
  const hot = (count: number, threshold: number): BlockRun | undefined => {
    const g = generated.get(count) ?? 0;
    if (typeof g === 'function') return g;
    if (g + 1 < threshold) {
      generated.set(count, g + 1);
      return undefined;
    }
    const fn = generate(ctx, pc, instructions.slice(0, count), nexts.slice(0, count), handlers.slice(0, count), mem);
    generated.set(count, fn);
    return fn;
  };
  const length = pcs.length;
  const block: Block = {
    start: pc, length, pcs, nexts, handlers, bytes, run: undefined, rows: Math.max(...instructions.map(rowBound)),
    compiled: (threshold) => (block.run = hot(length, threshold)),
    prefix: (count, threshold) => hot(count, threshold),
  };
  return block;
}

/** A field the inliner cannot place (which the handler would have refused too): keep the handler. */
function inlineOrUndefined(ctx: CompileContext, ins: Instruction, k: number, bind: Bindings): readonly InlineLaneOp[] | undefined {
  try {
    const single = inlineVop(ctx, ins, k, bind) ?? inlineDs(ins, k);
    return single ? [single] : inlineVopd(ctx, ins, k, bind);
  } catch {
    return undefined;
  }
}

/**
 * Scalar ALU operations whose only effects are their SGPR destination (one or two dwords) and SCC, and
 * which cannot fault at run time: inside a fused VALU group they may run after the group's loop
 * (see generate) when no later instruction of the group reads what they write.
 */
const PURE_SALU = /^s_(add|sub|addc|subb|min|max|and|or|xor|andn2|orn2|nand|nor|xnor|lshl|lshr|ashr|lshl[1-4]_add|mul|mul_hi|cselect|bfe|bfm|absdiff|mov|cmov|not|movk|cmovk|addk|mulk|cmpk?_(eq|lg|gt|ge|lt|le)|bitcmp[01])_[biu](32|64)$/;
const SALU_ENCODINGS = new Set(['SOP1', 'SOP2', 'SOPC', 'SOPK']);
/** Lowest SGPR code a deferred SALU result may not touch: M0/EXEC (125..127) and above. */
const FIRST_SPECIAL_DST = 125;

/** The SGPRs a pure SALU operation writes (both dwords of a pair, conservatively), or undefined when it is not deferrable. */
function deferrableWrites(ins: Instruction): number[] | undefined {
  if (!SALU_ENCODINGS.has(ins.encoding) || !PURE_SALU.test(ins.op)) return undefined;
  const sdst = ins.fields.sdst;
  if (ins.encoding === 'SOPC' || sdst === undefined) return [];
  if (sdst + 1 >= FIRST_SPECIAL_DST) return undefined;
  return [sdst, sdst + 1];
}

function inlineGlobalOrUndefined(ctx: CompileContext, ins: Instruction, k: number, next: number, bind: Bindings): string | undefined {
  try {
    return inlineGlobal(ctx, ins, k, next, bind);
  } catch {
    return undefined;
  }
}

function inlineSaluOrUndefined(ctx: CompileContext, ins: Instruction): string | undefined {
  try {
    return inlineSalu(ctx, ins);
  } catch {
    return undefined;
  }
}

/**
 * The block's source. Plain VALU instructions gather into groups that run as one lane loop; a group
 * holds together while no member reads (before the loop) an SGPR that an earlier member writes after
 * it, and a pure SALU instruction met inside a group runs right after the group's loop when the VALU
 * members after it neither read its destination nor write masks. Inlined SALU instructions and the
 * final branch are statements; everything else is a handler call.
 */
function generate(ctx: CompileContext, start: number, items: readonly Instruction[], nexts: readonly number[], handlers: readonly Handler[], mem: () => GpuMemory): BlockRun {
  const bind: Bindings = new Map<string, unknown>([['ldsSpace', (w: Wave) => LdsSpace.of(w)], ['memOf', mem], ['GpuFault', GpuFault]]);
  const lines: string[] = [];
  /** The same source as pieces (a self-loop may run lane-major: lane-major.ts). */
  const parts: BlockPart[] = [];
  const emit = (text: string, part: BlockPart): void => {
    lines.push(text);
    parts.push(part);
  };
  let group: InlineLaneOp[] = [];
  /** SGPRs the open group writes after its loop: its members' masks and the deferred SALU results. */
  const written = new Set<number>();
  let deferred: { text: string; part: BlockPart }[] = [];
  /** LDS accesses of the open group. */
  let lds: 'none' | 'loads' | 'store' = 'none';
  /** The block ends with a conditional branch back to its start. */
  let selfLoop = false;
  const call = (k: number): string => {
    bind.set(`h${k}`, handlers[k]);
    // Handlers expect w.pc at the next instruction (branches add to it; faults are located by it).
    return `w.pc = ${nexts[k]}; h${k}(w);`;
  };
  const flush = (): void => {
    if (group.length) emit(fusedGroup(group, ctx.waveSize), { kind: 'group', ops: group });
    for (const d of deferred) emit(d.text, d.part);
    group = [];
    deferred = [];
    written.clear();
    lds = 'none';
  };
  items.forEach((raw, k) => {
    const ins = executedAs(ctx, raw);
    if (ins.encoding === 'SOPP' && SOPP_NO_EFFECT.has(ins.op)) return;
    const inline = inlineOrUndefined(ctx, ins, k, bind);
    const first = inline?.[0];
    if (first?.kind === 'lds') {
      // Lanes share the LDS: a store must not meet, in one loop, any other access of the group.
      if (lds === 'store' || (!first.load && lds === 'loads')) flush();
      group.push(first);
      lds = first.load ? 'loads' : 'store';
      return;
    }
    if (inline) {
      // One VALU instruction, or the two halves of a VOPD.
      const valu = inline.filter((op) => op.kind === 'valu');
      if (valu.some((op) => readsAny(op, written)) || (deferred.length > 0 && valu.some((op) => op.maskWrites.length > 0))) flush();
      group.push(...valu);
      for (const op of valu) for (const r of op.maskWrites) written.add(r);
      if (valu.some(writesExec)) flush();
      return;
    }
    const global = inlineGlobalOrUndefined(ctx, ins, k, nexts[k]!, bind);
    if (global) {
      flush();
      emit(global, { kind: 'other' });
      return;
    }
    const salu = inlineSaluOrUndefined(ctx, ins);
    const writes = group.length > 0 ? deferrableWrites(ins) : undefined;
    if (writes) {
      deferred.push(salu ? { text: salu, part: { kind: 'salu', ins, text: salu } } : { text: call(k), part: { kind: 'other' } });
      for (const r of writes) written.add(r);
      return;
    }
    flush();
    const branch = k === items.length - 1 ? inlineBranch(ctx, ins, nexts[k]!) : undefined;
    if (branch) selfLoop = branch.target === start && ins.op !== 's_branch';
    if (branch) emit(branch.text, { kind: 'branch', ins, text: branch.text });
    else if (salu) emit(salu, { kind: 'salu', ins, text: salu });
    else emit(call(k), { kind: 'other' });
  });
  flush();
  // A block that ends without a control instruction continues at the next one.
  if (!endsBlock(items[items.length - 1]!)) lines.push(`w.pc = ${nexts[nexts.length - 1]};`);
  const laneMajor = selfLoop && LANE_MAJOR ? laneMajorBody(parts, start, ctx.waveSize, bind) : undefined;
  const body = laneMajor ?? (selfLoop
    ? `let runs = 0;
  do {
  ${lines.join('\n  ')}
  runs++;
  } while (w.pc === ${start} && runs < max);
  return runs;`
    : `${lines.join('\n  ')}
  return 1;`);
  const names = [...bind.keys()];
  const src = `${LANE_SCOPE}
const { ${names.join(', ')} } = B;
return function block_${start.toString(16)}(w, max) {
  const S = w.S, R = w.R, F = w.F;
  ${body}
};`;
  if (DUMP_BLOCKS) process.stderr.write(`// block 0x${start.toString(16)} (${items.length} instructions)\n${src}\n`);
  // Assembled only from the operation table, numbers and generated names; never from input text.
  return new Function('K', 'X', 'B', src)(...laneScopeArgs(), Object.fromEntries(bind)) as BlockRun;
}
