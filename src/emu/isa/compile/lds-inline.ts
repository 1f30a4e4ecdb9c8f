// DS loads and stores of whole dwords as lane statements of a fused group: per lane exactly what
// exec/lds.ts's dword access does (aligned in-range accesses on the LDS dwords, anything else through
// LdsSpace's byte path, which reads 0 and drops writes out of range). LDS is shared by the lanes, so
// the group rules keep cross-lane order: loads fuse with each other and with VALU work, a store only
// with VALU work (see block.ts).
import type { Instruction } from '../types.js';
import { vectorRow } from '../exec/valu-compile.js';
import { LANES } from '../exec/wave.js';

export interface LdsLaneOp {
  readonly kind: 'lds';
  readonly k: number;
  readonly load: boolean;
  readonly addrRow: number;
  /** Data rows of the first and second address (loads: destinations, stores: sources). */
  readonly rows: readonly [number, number];
  readonly offsets: readonly [number, number];
  readonly addresses: 1 | 2;
  readonly dwords: number;
}

const DWORDS: Readonly<Record<string, number>> = { b32: 1, b64: 2, b96: 3, b128: 4 };

/** The lane form of a DS dword load/store, or undefined for every other DS operation. */
export function inlineDs(ins: Instruction, k: number): LdsLaneOp | undefined {
  if (ins.encoding !== 'DS' || ins.fields.gds) return undefined;
  const m = /^ds_(read|load|write|store)(2st64|2|_2addr_stride64|_2addr)?_(\w+)$/.exec(ins.op);
  const dwords = m ? DWORDS[m[3]!] : undefined;
  if (!m || dwords === undefined) return undefined;
  const f = ins.fields;
  const load = m[1] === 'read' || m[1] === 'load';
  const two = m[2] !== undefined;
  const scale = 4 * dwords * (two && m[2]!.includes('64') ? 64 : 1);
  const offset = f.offset ?? ((f.offset1 ?? 0) << 8) | (f.offset0 ?? 0);
  const offsets: [number, number] = two ? [(f.offset0 ?? 0) * scale, (f.offset1 ?? 0) * scale] : [offset, 0];
  if (f.addr === undefined) return undefined;
  const addrRow = vectorRow(f.addr);
  let rows: [number, number];
  if (load) {
    if (f.vdst === undefined) return undefined;
    const vdst = vectorRow(f.vdst);
    rows = [vdst, vdst + dwords * LANES];
  } else {
    if (f.data0 === undefined || (two && f.data1 === undefined)) return undefined;
    rows = [vectorRow(f.data0), two ? vectorRow(f.data1!) : 0];
  }
  return { kind: 'lds', k, load, addrRow, rows, offsets, addresses: two ? 2 : 1, dwords };
}

/** How lane statements reach register rows: current u32 value, and the bookkeeping of locals. */
export interface RowAccess {
  u32Of(row: number): string;
  /** The row is about to be overwritten in memory: its local and owed store are void. */
  forget(row: number): void;
}

/** The per-lane statements of a DS dword access (one lane, `l`). */
export function ldsLaneStatement(op: LdsLaneOp, rows: RowAccess): string {
  const k = op.k;
  const parts: string[] = [`const base${k} = ${rows.u32Of(op.addrRow)};`];
  for (let n = 0; n < op.addresses; n++) {
    const a = `a${k}_${n}`;
    const row = op.rows[n]!;
    const fast: string[] = [];
    const slow: string[] = [];
    for (let i = 0; i < op.dwords; i++) {
      const r = row + i * LANES;
      if (op.load) {
        fast.push(`R[${r} + l] = words[at + ${i}];`);
        slow.push(`R[${r} + l] = space.read32(${a} + ${4 * i});`);
      } else {
        const v = rows.u32Of(r);
        fast.push(`words[at + ${i}] = ${v};`);
        slow.push(`space.write32(${a} + ${4 * i}, ${v});`);
      }
    }
    if (op.load) for (let i = 0; i < op.dwords; i++) rows.forget(row + i * LANES);
    parts.push(`{ const ${a} = base${k} + ${op.offsets[n]}; if ((${a} & 3) === 0 && ${a} + ${4 * op.dwords} <= limit) { const at = ${a} >>> 2; ${fast.join(' ')} } else { const space = ldsSpace(w); ${slow.join(' ')} } }`);
  }
  return `{ ${parts.join(' ')} }`;
}
