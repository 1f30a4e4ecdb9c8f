// VALU instructions that move data between lanes or between the vector and scalar files
// (v_readfirstlane, v_readlane, v_writelane, v_swap, v_permlane*, v_nop): not lane-parallel ops.
import type { Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import { scalarReader, scalarWriter } from './scalar-operands.js';
import { vectorRow } from './valu-compile.js';
import { EXEC_HI, EXEC_LO, type Wave } from './wave.js';

const sgprOf = (code: number): number => (code >= 256 ? code - 256 : code);

function firstActive(w: Wave): number {
  const lo = w.S[EXEC_LO]!;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = w.waveSize === 64 ? w.S[EXEC_HI]! : 0;
  if (hi !== 0) return 63 - Math.clz32(hi & -hi);
  return 0;
}

function eachActive(w: Wave, fn: (l: number) => void): void {
  const lo = w.S[EXEC_LO]!, hi = w.waveSize === 64 ? w.S[EXEC_HI]! : 0;
  for (let l = 0; l < w.waveSize; l++) if (((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) !== 0) fn(l);
}

/** Reads source operand `code` for lane `l` (VGPR or scalar). */
function laneReader(ctx: CompileContext, code: number, literal: number | undefined): (w: Wave, l: number) => number {
  if (code >= 256) {
    const row = vectorRow(code);
    return (w, l) => w.R[row + l]!;
  }
  const s = scalarReader(ctx.family, code, 'b32', literal);
  return (w) => s(w);
}

export function laneHandler(ctx: CompileContext, ins: Instruction): Handler | undefined {
  const f = ins.fields;
  switch (ins.op) {
    case 'v_nop':
    case 'v_pipeflush':
      return () => {};
    case 'v_readfirstlane_b32': {
      const src = laneReader(ctx, f.src0 ?? 0, ins.literal);
      const dst = scalarWriter(ctx.family, sgprOf(f.vdst ?? 0));
      return (w) => dst(w, src(w, firstActive(w)));
    }
    case 'v_readlane_b32': {
      const src = laneReader(ctx, f.src0 ?? 0, ins.literal);
      const lane = scalarReader(ctx.family, f.src1 ?? 0, 'b32', ins.literal);
      const dst = scalarWriter(ctx.family, sgprOf(f.vdst ?? 0));
      const m = ctx.waveSize - 1;
      return (w) => dst(w, src(w, lane(w) & m));
    }
    case 'v_writelane_b32': {
      const src = scalarReader(ctx.family, f.src0 ?? 0, 'b32', ins.literal);
      const lane = scalarReader(ctx.family, f.src1 ?? 0, 'b32', ins.literal);
      const row = vectorRow(f.vdst ?? 256);
      const m = ctx.waveSize - 1;
      return (w) => {
        w.R[row + (lane(w) & m)] = src(w);
      };
    }
    case 'v_swap_b32': {
      const a = vectorRow(f.vdst ?? 256), b = vectorRow(f.src0 ?? 256);
      return (w) =>
        eachActive(w, (l) => {
          const t = w.R[a + l]!;
          w.R[a + l] = w.R[b + l]!;
          w.R[b + l] = t;
        });
    }
    case 'v_permlane16_b32':
    case 'v_permlanex16_b32': {
      // RDNA3 ISA guide: lane i of each row of 16 reads lane sel[i] of the same (or, x16, the other) row.
      const src = vectorRow(f.src0 ?? 256), dst = vectorRow(f.vdst ?? 256);
      const selLo = scalarReader(ctx.family, f.src1 ?? 0, 'b32', ins.literal);
      const selHi = scalarReader(ctx.family, f.src2 ?? 0, 'b32', ins.literal);
      const cross = ins.op === 'v_permlanex16_b32';
      const staged = new Uint32Array(64);
      return (w) => {
        const lo = selLo(w), hi = selHi(w);
        for (let l = 0; l < w.waveSize; l++) {
          const i = l & 15;
          const sel = i < 8 ? (lo >>> (i * 4)) & 15 : (hi >>> ((i - 8) * 4)) & 15;
          const row = cross ? (l & ~31) | ((l & 16) ^ 16) : l & ~15;
          staged[l] = w.R[src + row + sel]!;
        }
        eachActive(w, (l) => {
          w.R[dst + l] = staged[l]!;
        });
      };
    }
  }
  return undefined;
}
