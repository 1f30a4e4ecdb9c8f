// Hardware registers reachable by s_getreg/s_setreg: the fields compiled code reads. IDs: LLVM
// SIDefines.h "Hwreg::Id" (MODE 1, STATUS 2, TRAPSTS 3, HW_ID 4 on gfx9, HW_ID1 23 / HW_ID2 24 on gfx11,
// XCC_ID 20 on gfx940). simm16 = id[5:0] | offset[10:6] | (size-1)[15:11].
import { isRdna, ShaderFault, type Instruction } from '../types.js';
import type { Wave } from './wave.js';

function whole(w: Wave, id: number, ins: Instruction): number {
  switch (id) {
    case 1: return w.mode;
    case 2: return ((w.S[126]! | w.S[127]!) === 0 ? 1 << 9 : 0) | (w.scc & 1);
    case 3: return w.trapsts;
    case 4: // gfx9 HW_ID: wave id [3:0], simd [5:4], cu [11:8] …: the wave slot is enough to tell waves apart.
      if (!isRdna(w.family)) return w.waveInGroup & 0xf;
      break;
    case 20: if (w.family === 'cdna3') return 0; break;
    case 23: if (isRdna(w.family)) return w.waveInGroup & 0x1f; break;
    case 24: if (isRdna(w.family)) return 0; break;
  }
  throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: hardware register ${id} in ${ins.op} at 0x${ins.pc.toString(16)}`);
}

export function getHwReg(w: Wave, simm16: number, ins: Instruction): number {
  const id = simm16 & 0x3f, off = (simm16 >>> 6) & 0x1f, size = ((simm16 >>> 11) & 0x1f) + 1;
  const v = whole(w, id, ins) >>> off;
  return size === 32 ? v >>> 0 : v & ((1 << size) - 1);
}

export function setHwReg(w: Wave, simm16: number, value: number, ins: Instruction): void {
  const id = simm16 & 0x3f, off = (simm16 >>> 6) & 0x1f, size = ((simm16 >>> 11) & 0x1f) + 1;
  const mask = (size === 32 ? 0xffffffff : ((1 << size) - 1) << off) >>> 0;
  const v = (value << off) & mask;
  if (id === 1) w.mode = ((w.mode & ~mask) | v) >>> 0;
  else if (id === 3) w.trapsts = ((w.trapsts & ~mask) | v) >>> 0;
  else throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: s_setreg of hardware register ${id} at 0x${ins.pc.toString(16)}`);
}
