// Read-modify-write operations of the memory atomics (ISA guides' atomic opcode pseudocode), on any
// byte space (global memory, LDS). Returns the pre-operation value; 64-bit ones use BigInt (rare).
import { f32FromBits, bitsFromF32, f64FromBits, bitsFromF64 } from './float.js';

export interface ByteSpace {
  read8(a: number): number;
  read16(a: number): number;
  read32(a: number): number;
  write8(a: number, v: number): void;
  write16(a: number, v: number): void;
  write32(a: number, v: number): void;
}

export function atomic32(op: string, old: number, data: number, cmp: number): number | undefined {
  switch (op) {
    case 'add': return old + data;
    case 'sub': return old - data;
    case 'rsub': return data - old;
    case 'smin': return Math.min(old | 0, data | 0);
    case 'smax': return Math.max(old | 0, data | 0);
    case 'umin': return Math.min(old, data);
    case 'umax': return Math.max(old, data);
    case 'and': return old & data;
    case 'or': return old | data;
    case 'xor': return old ^ data;
    case 'inc': return old >= data ? 0 : old + 1;
    case 'dec': return old === 0 || old > data ? data : old - 1;
    case 'swap': return data;
    case 'cmpswap': return old === cmp ? data : old;
    case 'csub': return old >= data ? old - data : 0;
    case 'add_f32': return bitsFromF32(f32FromBits(old) + f32FromBits(data));
    case 'min_f32': return bitsFromF32(Math.min(f32FromBits(old), f32FromBits(data)));
    case 'max_f32': return bitsFromF32(Math.max(f32FromBits(old), f32FromBits(data)));
  }
  return undefined;
}

const out = [0, 0];

/** 64-bit atomic; values as [lo, hi]; result in the returned pair (shared scratch). */
export function atomic64(op: string, oLo: number, oHi: number, dLo: number, dHi: number, cLo: number, cHi: number): number[] | undefined {
  if (op.endsWith('_f64')) {
    const a = f64FromBits(oLo, oHi), b = f64FromBits(dLo, dHi);
    const r = op === 'add_f64' ? a + b : op === 'min_f64' ? Math.min(a, b) : Math.max(a, b);
    bitsFromF64(r, out);
    return out;
  }
  const o = (BigInt(oHi >>> 0) << 32n) | BigInt(oLo >>> 0);
  const d = (BigInt(dHi >>> 0) << 32n) | BigInt(dLo >>> 0);
  const c = (BigInt(cHi >>> 0) << 32n) | BigInt(cLo >>> 0);
  const s = (x: bigint): bigint => BigInt.asIntN(64, x);
  let r: bigint;
  switch (op) {
    case 'add': r = o + d; break;
    case 'sub': r = o - d; break;
    case 'smin': r = s(o) < s(d) ? o : d; break;
    case 'smax': r = s(o) > s(d) ? o : d; break;
    case 'umin': r = o < d ? o : d; break;
    case 'umax': r = o > d ? o : d; break;
    case 'and': r = o & d; break;
    case 'or': r = o | d; break;
    case 'xor': r = o ^ d; break;
    case 'inc': r = o >= d ? 0n : o + 1n; break;
    case 'dec': r = o === 0n || o > d ? d : o - 1n; break;
    case 'swap': r = d; break;
    case 'cmpswap': r = o === c ? d : o; break;
    default: return undefined;
  }
  r = BigInt.asUintN(64, r);
  out[0] = Number(r & 0xffffffffn);
  out[1] = Number(r >> 32n);
  return out;
}
