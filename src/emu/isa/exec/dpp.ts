// DPP lane permutations: which source lane each lane reads, per the DPP_CTRL encoding (RDNA3 ISA
// guide §16.x "DPP16" and "DPP8"; CDNA3 ISA §"DPP"). Produces the permuted src0 in a staging row and
// narrows the lanes that will be written.
import { InstructionFault } from '../types.js';
import { LANES, type Wave } from './wave.js';

/** Source lane for `lane` under DPP16 control `ctrl`, or -1 when the source is out of range. */
export function dpp16Source(ctrl: number, lane: number, waveSize: number): number {
  const row = lane & ~15;
  const inRow = lane & 15;
  if (ctrl <= 0xff) return (lane & ~3) | ((ctrl >>> ((lane & 3) * 2)) & 3);
  if (ctrl >= 0x101 && ctrl <= 0x10f) return inRow + (ctrl & 15) < 16 ? lane + (ctrl & 15) : -1;
  if (ctrl >= 0x111 && ctrl <= 0x11f) return inRow >= (ctrl & 15) ? lane - (ctrl & 15) : -1;
  if (ctrl >= 0x121 && ctrl <= 0x12f) return row | ((inRow - (ctrl & 15)) & 15);
  switch (ctrl) {
    case 0x130: return lane + 1 < waveSize ? lane + 1 : -1;
    case 0x134: return (lane + 1) % waveSize;
    case 0x138: return lane > 0 ? lane - 1 : -1;
    case 0x13c: return (lane + waveSize - 1) % waveSize;
    case 0x140: return row | (15 - inRow);
    case 0x141: return (lane & ~7) | (7 - (lane & 7));
    case 0x142: return row > 0 ? row - 1 : -1;
    case 0x143: return row >= 32 ? 31 : -1;
  }
  if (ctrl >= 0x150 && ctrl <= 0x15f) return row | (ctrl & 15);
  if (ctrl >= 0x160 && ctrl <= 0x16f) return row | (inRow ^ (ctrl & 15));
  throw new InstructionFault('illegal', `DPP control 0x${ctrl.toString(16)} is not defined`);
}

export interface DppControl {
  readonly dpp8?: number;
  readonly ctrl: number;
  readonly rowMask: number;
  readonly bankMask: number;
  readonly boundCtrl: boolean;
  readonly fetchInactive: boolean;
}

/**
 * Copies src0 (row offset `src`, both dwords) permuted into row offset `dst`, and sets w.actLo/actHi
 * to the lanes that will be written (EXEC ∩ row/bank masks ∩ lanes with a valid source).
 */
export function applyDpp(w: Wave, c: DppControl, src: number, dst: number): void {
  const R = w.R;
  const n = w.waveSize;
  const exLo = w.S[126]!, exHi = n === 64 ? w.S[127]! : 0;
  let aLo = 0, aHi = 0;
  for (let l = 0; l < n; l++) {
    const on = l < 32 ? (exLo >>> l) & 1 : (exHi >>> (l - 32)) & 1;
    if (!on) continue;
    if (c.dpp8 === undefined && (((c.rowMask >>> (l >>> 4)) & 1) === 0 || ((c.bankMask >>> ((l >>> 2) & 3)) & 1) === 0)) continue;
    const s = c.dpp8 !== undefined ? (l & ~7) | ((c.dpp8 >>> ((l & 7) * 3)) & 7) : dpp16Source(c.ctrl, l, n);
    const srcOn = s >= 0 && s < n && (c.fetchInactive || (s < 32 ? (exLo >>> s) & 1 : (exHi >>> (s - 32)) & 1));
    if (srcOn) {
      R[dst + l] = R[src + s]!;
      R[dst + LANES + l] = R[src + LANES + s]!;
    } else if (c.boundCtrl || c.dpp8 !== undefined) {
      R[dst + l] = 0;
      R[dst + LANES + l] = 0;
    } else continue;
    if (l < 32) aLo |= 1 << l;
    else aHi |= 1 << (l - 32);
  }
  w.actLo = aLo >>> 0;
  w.actHi = aHi >>> 0;
}
