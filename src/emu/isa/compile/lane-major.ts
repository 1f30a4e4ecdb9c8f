// A self-loop block run lane by lane: when the loop's only vector work is one fused group of 32/64-bit
// integer operations, and its scalar side (inlined SALU statements and the final branch) neither reads
// nor writes what the group writes, the scalar side alone decides how many times the loop runs and
// what scalar operands each run gives the group. So the block first runs the scalar side for all its
// runs, recording the group's changing scalar operands run by run, then runs every run of the group
// for two active lanes at a time with their registers in locals (one load and one store per register
// per lane, not per run), and writes the mask results of the last run. Lanes are independent in such a
// group (no DPP, no cross-lane reads), so the registers and masks end exactly as run by run; two lanes
// interleaved keep the CPU busy where one lane's runs form one long dependency chain (measured on
// gfx942 hash_loop: ~12.5 against ~16 ns per lane and run).
import type { Instruction } from '../types.js';
import { EXEC_HI, EXEC_LO, LANES } from '../exec/wave.js';
import { laneStatements, type Bindings, type InlineLaneOp, type ValuLaneOp } from './valu-inline.js';

/** One piece of a block's source, in order: a fused group, an inlined SALU statement, the final branch, or anything else. */
export type BlockPart =
  | { readonly kind: 'group'; readonly ops: readonly InlineLaneOp[] }
  | { readonly kind: 'salu'; readonly ins: Instruction; readonly text: string }
  | { readonly kind: 'branch'; readonly ins: Instruction; readonly text: string }
  | { readonly kind: 'other' };

/** Runs of the scalar side recorded per call at most (a longer loop returns and is entered again, as after `max` runs). */
const RECORDED_RUNS = 1024;

const HELD_SOURCES = new Set(['u32', 'i32', 'u64', 'b']);
const HELD_RESULTS = new Set(['u32', 'u64', 'mask']);

/** SGPRs an inlined 32-bit SALU statement may read and write (conservatively: every operand field that names an SGPR). */
function saluRegisters(ins: Instruction): { reads: number[]; writes: number[] } {
  const f = ins.fields;
  const sgpr = (c: number | undefined): c is number => c !== undefined && c < 128;
  const reads = [f.ssrc0, f.ssrc1, f.sdst].filter(sgpr);
  const writes = ins.encoding === 'SOPC' || !sgpr(f.sdst) ? [] : [f.sdst];
  return { reads, writes };
}

/** SGPRs a conditional branch reads (VCC, EXEC; SCC is not an SGPR). */
function branchReads(ins: Instruction): number[] {
  if (/vcc/.test(ins.op)) return [106, 107];
  if (/exec/.test(ins.op)) return [EXEC_LO, EXEC_HI];
  return [];
}

/** Register rows `op` reads and writes. */
function rowsOf(op: ValuLaneOp): { reads: number[]; writes: number[] } {
  const reads: number[] = [];
  op.srcs.forEach((src, s) => {
    if (src.kind !== 'row') return;
    reads.push(src.row);
    if (op.spec.src[s] === 'u64') reads.push(src.row + LANES);
  });
  const writes = op.spec.dst === 'mask' ? [] : op.spec.dst === 'u64' ? [op.D, op.D + LANES] : [op.D];
  return { reads, writes };
}

/**
 * The body of self-loop block `parts` (start PC `start`) run lane-major, or undefined when the loop
 * does not qualify (see the file comment). Binds its record buffers in `bind`.
 */
export function laneMajorBody(parts: readonly BlockPart[], start: number, waveSize: 32 | 64, bind: Bindings): string | undefined {
  const groups = parts.filter((p) => p.kind === 'group');
  if (groups.length !== 1 || parts.some((p) => p.kind === 'other')) return undefined;
  const ops = groups[0]!.ops;
  if (!ops.every((o): o is ValuLaneOp => o.kind === 'valu')) return undefined;
  const valu = ops as readonly ValuLaneOp[];
  if (!valu.every((o) => o.scalarReads !== 'any' && HELD_RESULTS.has(o.spec.dst) && o.spec.src.every((t) => HELD_SOURCES.has(t)))) return undefined;

  const maskWrites = new Set(valu.flatMap((o) => o.maskWrites));
  if (maskWrites.has(EXEC_LO) || maskWrites.has(EXEC_HI)) return undefined;
  const scalarWrites = new Set<number>();
  for (const p of parts) {
    const regs = p.kind === 'salu' ? saluRegisters(p.ins) : p.kind === 'branch' ? { reads: branchReads(p.ins), writes: [] } : undefined;
    if (!regs) continue;
    if ([...regs.reads, ...regs.writes].some((r) => maskWrites.has(r))) return undefined;
    for (const r of regs.writes) scalarWrites.add(r);
  }
  const reads = (o: ValuLaneOp): ReadonlySet<number> => o.scalarReads as ReadonlySet<number>;
  // A group reading its own mask results would take them from the previous run: lane-dependent scalars.
  if (valu.some((o) => [...reads(o)].some((r) => maskWrites.has(r)))) return undefined;

  // Operands that the scalar side changes are recorded run by run; the rest are read once.
  const varying = valu.filter((o) => [...reads(o)].some((r) => scalarWrites.has(r)));
  const fixed = valu.filter((o) => !varying.includes(o));
  const recorded = varying.flatMap((o) => o.beforeNames);
  recorded.forEach((_, i) => bind.set(`rec${i}`, new Int32Array(RECORDED_RUNS)));
  bind.set('activeLanes', new Uint8Array(LANES));
  const record = `{
  ${varying.map((o) => o.before).join('\n  ')}
  ${recorded.map((r, i) => `rec${i}[runs] = ${r.name};`).join(' ')}
  }`;
  const scalarSide = parts.map((p) => (p.kind === 'group' ? record : p.kind === 'other' ? '' : p.text));

  const rows = new Set<number>();
  const written = new Set<number>();
  for (const o of valu) {
    const r = rowsOf(o);
    for (const x of r.reads) rows.add(x);
    for (const x of r.writes) rows.add(x), written.add(x);
  }
  const masked = valu.filter((o) => o.maskWrites.length > 0 || o.spec.carry || o.spec.dst === 'mask');
  const lanes = ['', '_2'];
  const body = (suffix: string): string => laneStatements(valu, { row: (row) => `r${row}${suffix}`, mask: (k) => `mk${k}${suffix}` });
  const perLane = (lane: string, suffix: string) => ({
    load: `${[...rows].map((row) => `let r${row}${suffix} = R[${row} + ${lane}];`).join(' ')} ${masked.map((o) => `let mk${o.k}${suffix} = 0;`).join(' ')}`,
    store: `${[...written].map((row) => `R[${row} + ${lane}] = r${row}${suffix};`).join(' ')}
      ${masked.map((o) => `if (mk${o.k}${suffix} !== 0) { if (${lane} < 32) m${o.k}Lo |= 1 << ${lane}; else m${o.k}Hi |= 1 << (${lane} - 32); }`).join('\n      ')}`,
  });
  const run = (count: number): string => {
    const lanesOf = lanes.slice(0, count);
    return `for (let it = 0; it < runs; it++) {
        ${recorded.map((r, i) => `const ${r.name} = rec${i}[it]${r.signed ? '' : ' >>> 0'};`).join(' ')}
        ${masked.flatMap((o) => lanesOf.map((s) => `mk${o.k}${s} = 0;`)).join(' ')}
        ${lanesOf.map((s, i) => `{ const l = ${i === 0 ? 'la' : 'lb'};\n      ${body(s)}\n        }`).join('\n        ')}
      }`;
  };
  const a = perLane('la', ''), b = perLane('lb', '_2');
  const bit = waveSize === 64 ? '((l < 32 ? eLo : eHi) >>> l)' : '(eLo >>> l)';
  return `const cap = max < ${RECORDED_RUNS} ? max : ${RECORDED_RUNS};
  let runs = 0;
  do {
  ${scalarSide.filter(Boolean).join('\n  ')}
  runs++;
  } while (w.pc === ${start} && runs < cap);
  {
  ${waveSize === 64 ? 'const eLo = S[126], eHi = S[127];' : 'const eLo = S[126];'}
  ${fixed.map((o) => o.before).filter(Boolean).join('\n  ')}
  ${masked.map((o) => `let m${o.k}Lo = 0, m${o.k}Hi = 0;`).join(' ')}
  let active = 0;
  for (let l = 0; l < ${waveSize}; l++) if ((${bit} & 1) !== 0) activeLanes[active++] = l;
  let i = 0;
  for (; i + 1 < active; i += 2) {
    const la = activeLanes[i], lb = activeLanes[i + 1];
    ${a.load}
    ${b.load}
    ${run(2)}
    ${a.store}
    ${b.store}
  }
  if (i < active) {
    const la = activeLanes[i];
    ${a.load}
    ${run(1)}
    ${a.store}
  }
  ${valu.map((o) => o.after).filter(Boolean).join('\n  ')}
  }
  return runs;`;
}
