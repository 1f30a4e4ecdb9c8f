// DS instructions on the workgroup's LDS: loads/stores (single and two-address), atomics with and
// without return, and the cross-lane ds_permute/bpermute/swizzle (RDNA3 ISA guide §16.12 "LDS",
// CDNA3 ISA "DS"). gfx9 spells ds_read/ds_write/ds_read2, gfx11 ds_load/ds_store/ds_load_2addr.
import { isRdna, ShaderFault, type Instruction } from '../types.js';
import { atomic32, atomic64 } from './atomics.js';
import type { CompileContext, Handler } from './context.js';
import { LdsSpace } from './lds-space.js';
import { vectorRow } from './valu-compile.js';
import { EXEC_HI, EXEC_LO, LANES, type Wave } from './wave.js';

const SIZES: Record<string, [bytes: 1 | 2 | 4, dwords: number, signed: boolean, d16?: 'lo' | 'hi']> = {
  b32: [4, 1, false], b64: [4, 2, false], b96: [4, 3, false], b128: [4, 4, false],
  u8: [1, 1, false], i8: [1, 1, true], u16: [2, 1, false], i16: [2, 1, true], b8: [1, 1, false], b16: [2, 1, false],
  u8_d16: [1, 1, false, 'lo'], i8_d16: [1, 1, true, 'lo'], u16_d16: [2, 1, false, 'lo'],
  u8_d16_hi: [1, 1, false, 'hi'], i8_d16_hi: [1, 1, true, 'hi'], u16_d16_hi: [2, 1, false, 'hi'],
  b8_d16_hi: [1, 1, false, 'hi'], b16_d16_hi: [2, 1, false, 'hi'],
};

const ATOMIC_NAMES: Record<string, string> = {
  add: 'add', sub: 'sub', rsub: 'rsub', inc: 'inc', dec: 'dec', min_i: 'smin', max_i: 'smax', min_u: 'umin', max_u: 'umax',
  and: 'and', or: 'or', xor: 'xor', add_f: 'add_f32', min_f: 'min_f32', max_f: 'max_f32', wrxchg: 'swap', storexchg: 'swap',
  cmpst: 'cmpst', cmpstore: 'cmpswap', mskor: 'mskor',
};

function forActive(w: Wave, fn: (l: number) => void): void {
  const lo = w.S[EXEC_LO]!, hi = w.waveSize === 64 ? w.S[EXEC_HI]! : 0;
  for (let l = 0; l < w.waveSize; l++) if (((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) !== 0) fn(l);
}

/**
 * DS loads and stores of 32-bit elements (b32 … b128, single or two-address): aligned, in-range
 * accesses go straight to the LDS dwords; any other address takes LdsSpace's byte path, which gives
 * the hardware's out-of-range behaviour. `row0`/`row1` are the data rows of the first and second address.
 */
function dwordAccess(load: boolean, addresses: 1 | 2, dwords: number, addr: number, row0: number, row1: number, o0: number, o1: number): Handler {
  return (w) => {
    const R = w.R, words = w.group.ldsWords, limit = w.group.lds.length;
    const lo = w.S[EXEC_LO]!, hi = w.waveSize === 64 ? w.S[EXEC_HI]! : 0;
    for (let l = 0; l < w.waveSize; l++) {
      if (((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) === 0) continue;
      const base = R[addr + l]!;
      for (let k = 0; k < addresses; k++) {
        const a = base + (k === 0 ? o0 : o1);
        const row = (k === 0 ? row0 : row1) + l;
        if ((a & 3) === 0 && a + 4 * dwords <= limit) {
          const at = a >>> 2;
          if (load) for (let i = 0; i < dwords; i++) R[row + i * LANES] = words[at + i]!;
          else for (let i = 0; i < dwords; i++) words[at + i] = R[row + i * LANES]!;
        } else {
          const L = LdsSpace.of(w);
          if (load) for (let i = 0; i < dwords; i++) R[row + i * LANES] = L.read32(a + 4 * i);
          else for (let i = 0; i < dwords; i++) L.write32(a + 4 * i, R[row + i * LANES]!);
        }
      }
    }
  };
}

const unimplemented = (ins: Instruction): ShaderFault => new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} at 0x${ins.pc.toString(16)}`);

export function compileDs(ctx: CompileContext, ins: Instruction): Handler {
  const f = ins.fields;
  if (f.gds) throw unimplemented(ins);
  const op = ins.op;
  const addr = f.addr !== undefined ? vectorRow(f.addr) : 0;
  const d0 = f.data0 !== undefined ? vectorRow(f.data0) : 0;
  const d1 = f.data1 !== undefined ? vectorRow(f.data1) : 0;
  const vdst = f.vdst !== undefined ? vectorRow(f.vdst) : 0;
  const offset = f.offset ?? ((f.offset1 ?? 0) << 8) | (f.offset0 ?? 0);
  if (op === 'ds_nop') return () => {};
  if (op === 'ds_bpermute_b32' || op === 'ds_permute_b32') {
    const staged = new Uint32Array(64);
    const back = op === 'ds_bpermute_b32';
    return (w) => {
      const R = w.R, n = w.waveSize;
      if (back) forActive(w, (l) => { staged[l] = R[d0 + (((R[addr + l]! + offset) >>> 2) % n)]!; });
      else {
        forActive(w, (l) => { staged[l] = 0; });
        forActive(w, (l) => { staged[((R[addr + l]! + offset) >>> 2) % n] = R[d0 + l]!; });
      }
      forActive(w, (l) => { R[vdst + l] = staged[l]!; });
    };
  }
  if (op === 'ds_swizzle_b32') {
    if (offset >= 0xe000 && isRdna(ctx.family)) throw unimplemented(ins);
    const staged = new Uint32Array(64);
    return (w) => {
      const R = w.R;
      forActive(w, (l) => {
        let s: number;
        if (offset & 0x8000) s = (l & ~3) | ((offset >>> ((l & 3) * 2)) & 3);
        else s = (l & ~31) | ((((l & 31) & (offset & 0x1f)) | ((offset >>> 5) & 0x1f)) ^ ((offset >>> 10) & 0x1f));
        staged[l] = R[d0 + s]!;
      });
      forActive(w, (l) => { R[vdst + l] = staged[l]!; });
    };
  }
  // Plain and two-address loads/stores.
  const m = /^ds_(read|load|write|store)(2st64|2|_2addr_stride64|_2addr)?_(\w+)$/.exec(op);
  if (m) {
    const load = m[1] === 'read' || m[1] === 'load';
    const two = m[2] !== undefined;
    const st64 = two && m[2]!.includes('64');
    const size = SIZES[m[3]!];
    if (!size) throw unimplemented(ins);
    const [bytes, dwords, signed, d16] = size;
    const elem = bytes * dwords;
    const o0 = two ? (f.offset0 ?? 0) * elem * (st64 ? 64 : 1) : offset;
    const o1 = two ? (f.offset1 ?? 0) * elem * (st64 ? 64 : 1) : 0;
    if (bytes === 4) return dwordAccess(load, two ? 2 : 1, dwords, addr, load ? vdst : d0, load ? vdst + dwords * LANES : d1, o0, o1);
    return (w) => {
      const L = LdsSpace.of(w), R = w.R;
      forActive(w, (l) => {
        const base = R[addr + l]!;
        for (let k = 0; k < (two ? 2 : 1); k++) {
          const a = base + (k === 0 ? o0 : o1);
          const dst = vdst + k * dwords * LANES;
          const src = k === 0 ? d0 : d1;
          if (load) {
            let v = bytes === 2 ? L.read16(a) : L.read8(a);
            if (signed) v = bytes === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
            if (d16 === 'lo') R[dst + l] = (R[dst + l]! & 0xffff0000) | (v & 0xffff);
            else if (d16 === 'hi') R[dst + l] = (R[dst + l]! & 0xffff) | (v << 16);
            else R[dst + l] = v;
          } else {
            const v = d16 === 'hi' ? R[src + l]! >>> 16 : R[src + l]!;
            if (bytes === 2) L.write16(a, v);
            else L.write8(a, v);
          }
        }
      });
    };
  }
  // Atomics: ds_<op>[_rtn]_<type>.
  const am = /^ds_([a-z]+)(_rtn)?_([biuf])(32|64)$/.exec(op);
  const key = am ? (am[1] === 'min' || am[1] === 'max' || (am[1] === 'add' && am[3] === 'f') ? `${am[1]}_${am[3]}` : am[1]!) : '';
  const name = ATOMIC_NAMES[key];
  if (!am || !name) throw unimplemented(ins);
  const ret = am[2] !== undefined;
  const wide = am[4] === '64';
  return (w) => {
    const L = LdsSpace.of(w), R = w.R;
    forActive(w, (l) => {
      const a = R[addr + l]! + offset;
      if (!wide) {
        const old = L.read32(a);
        let r: number | undefined;
        if (name === 'cmpst') r = old === R[d0 + l]! ? R[d1 + l]! : old;
        else if (name === 'mskor') r = (old & ~R[d0 + l]!) | R[d1 + l]!;
        else r = atomic32(name, old, R[d0 + l]!, R[d1 + l]!);
        if (r === undefined) throw unimplemented(ins);
        L.write32(a, r);
        if (ret) R[vdst + l] = old;
        return;
      }
      const oLo = L.read32(a), oHi = L.read32(a + 4);
      const cmpst = name === 'cmpst';
      const r = cmpst
        ? atomic64('cmpswap', oLo, oHi, R[d1 + l]!, R[d1 + LANES + l]!, R[d0 + l]!, R[d0 + LANES + l]!)
        : atomic64(name === 'cmpswap' ? 'cmpswap' : name.replace('_f32', '_f64'), oLo, oHi, R[d0 + l]!, R[d0 + LANES + l]!, R[d1 + l]!, R[d1 + LANES + l]!);
      if (!r) throw unimplemented(ins);
      L.write32(a, r[0]!);
      L.write32(a + 4, r[1]!);
      if (ret) {
        R[vdst + l] = oLo;
        R[vdst + LANES + l] = oHi;
      }
    });
  };
}
