// Scalar ALU: SOP1, SOP2, SOPC (RDNA3 ISA guide ch. 16.1-16.5, CDNA3 ISA ch. 12 "SALU"); SOPK and
// SOPP are in salu-sopk-sopp.ts. 64-bit values are handled as two 32-bit halves; SCC per the pseudocode.
import type { Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import { scalarWriter } from './scalar-operands.js';
import { CMP, dst64, fault, src32, src64 } from './salu-operands.js';
import { bitrev, ctz, cvtI32, cvtU32, maxNum, minNum, mulhiI, mulhiU, popc, rne } from './valu-helpers.js';
import { bitsFromF32, f32FromBits, fmaF32 } from './float.js';
import { EXEC_HI, EXEC_LO, type Wave } from './wave.js';

/** 32-bit two-operand ops: result and whether SCC is result != 0. */
const BIN32: Record<string, [(a: number, b: number) => number, 'nz' | 'keep']> = {
  and: [(a, b) => a & b, 'nz'], or: [(a, b) => a | b, 'nz'], xor: [(a, b) => a ^ b, 'nz'],
  andn2: [(a, b) => a & ~b, 'nz'], and_not1: [(a, b) => a & ~b, 'nz'], orn2: [(a, b) => a | ~b, 'nz'], or_not1: [(a, b) => a | ~b, 'nz'],
  nand: [(a, b) => ~(a & b), 'nz'], nor: [(a, b) => ~(a | b), 'nz'], xnor: [(a, b) => ~(a ^ b), 'nz'],
};

export function compileSop2(ctx: CompileContext, ins: Instruction): Handler {
  const op = ins.op;
  const d = scalarWriter(ctx.family, ins.fields.sdst ?? 0);
  let m = /^s_(and|or|xor|andn2|and_not1|orn2|or_not1|nand|nor|xnor)_b(32|64)$/.exec(op);
  if (m) {
    const [fn] = BIN32[m[1]!]!;
    if (m[2] === '32') {
      const a = src32(ctx, ins, 'ssrc0'), b = src32(ctx, ins, 'ssrc1');
      return (w) => {
        const r = fn(a(w), b(w)) >>> 0;
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    }
    const [al, ah] = src64(ctx, ins, 'ssrc0'), [bl, bh] = src64(ctx, ins, 'ssrc1'), [dl, dh] = dst64(ctx, ins);
    return (w) => {
      const lo = fn(al(w), bl(w)) >>> 0, hi = fn(ah(w), bh(w)) >>> 0;
      dl(w, lo);
      dh(w, hi);
      w.scc = (lo | hi) !== 0 ? 1 : 0;
    };
  }
  m = /^s_(lshl|lshr|ashr)_(b|i)64$/.exec(op);
  if (m) {
    const kind = m[1]!;
    const [al, ah] = src64(ctx, ins, 'ssrc0'), b = src32(ctx, ins, 'ssrc1'), [dl, dh] = dst64(ctx, ins);
    return (w) => {
      const n = b(w) & 63, lo = al(w), hi = ah(w);
      let rl: number, rh: number;
      if (n === 0) [rl, rh] = [lo, hi];
      else if (kind === 'lshl') [rl, rh] = n < 32 ? [lo << n, (hi << n) | (lo >>> (32 - n))] : [0, lo << (n - 32)];
      else if (n < 32) [rl, rh] = [(lo >>> n) | (hi << (32 - n)), kind === 'ashr' ? hi >> n : hi >>> n];
      else [rl, rh] = [kind === 'ashr' ? hi >> (n - 32) : hi >>> (n - 32), kind === 'ashr' ? hi >> 31 : 0];
      dl(w, rl >>> 0);
      dh(w, rh >>> 0);
      w.scc = (rl | rh) !== 0 ? 1 : 0;
    };
  }
  m = /^s_(min|max)_(i|u)32$/.exec(op);
  if (m) {
    const signed = m[2] === 'i', isMin = m[1] === 'min';
    const a = src32(ctx, ins, 'ssrc0'), b = src32(ctx, ins, 'ssrc1');
    return (w) => {
      const x = signed ? a(w) | 0 : a(w), y = signed ? b(w) | 0 : b(w);
      const pickA = isMin ? x < y : x > y;
      d(w, (pickA ? x : y) >>> 0);
      w.scc = pickA ? 1 : 0;
    };
  }
  m = /^s_lshl([1-4])_add_u32$/.exec(op);
  if (m) {
    const sh = Number(m[1]);
    const a = src32(ctx, ins, 'ssrc0'), b = src32(ctx, ins, 'ssrc1');
    return (w) => {
      const r = a(w) * 2 ** sh + b(w);
      d(w, r >>> 0);
      w.scc = r > 0xffffffff ? 1 : 0;
    };
  }
  const a = src32(ctx, ins, 'ssrc0'), b = src32(ctx, ins, 'ssrc1');
  switch (op) {
    case 's_add_u32':
      return (w) => {
        const r = a(w) + b(w);
        d(w, r >>> 0);
        w.scc = r > 0xffffffff ? 1 : 0;
      };
    case 's_sub_u32':
      return (w) => {
        const x = a(w), y = b(w);
        d(w, (x - y) >>> 0);
        w.scc = y > x ? 1 : 0;
      };
    case 's_addc_u32':
      return (w) => {
        const r = a(w) + b(w) + w.scc;
        d(w, r >>> 0);
        w.scc = r > 0xffffffff ? 1 : 0;
      };
    case 's_subb_u32':
      return (w) => {
        const x = a(w), y = b(w) + w.scc;
        d(w, (x - y) >>> 0);
        w.scc = y > x ? 1 : 0;
      };
    case 's_add_i32':
      return (w) => {
        const x = a(w) | 0, y = b(w) | 0, r = (x + y) | 0;
        d(w, r >>> 0);
        w.scc = (x >= 0) === (y >= 0) && (r >= 0) !== (x >= 0) ? 1 : 0;
      };
    case 's_sub_i32':
      return (w) => {
        const x = a(w) | 0, y = b(w) | 0, r = (x - y) | 0;
        d(w, r >>> 0);
        w.scc = (x >= 0) !== (y >= 0) && (r >= 0) !== (x >= 0) ? 1 : 0;
      };
    case 's_mul_i32':
      return (w) => d(w, Math.imul(a(w), b(w)) >>> 0);
    case 's_mul_hi_u32':
      return (w) => d(w, mulhiU(a(w), b(w)));
    case 's_mul_hi_i32':
      return (w) => d(w, mulhiI(a(w) | 0, b(w) | 0));
    case 's_lshl_b32':
      return (w) => {
        const r = (a(w) << (b(w) & 31)) >>> 0;
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    case 's_lshr_b32':
      return (w) => {
        const r = a(w) >>> (b(w) & 31);
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    case 's_ashr_i32':
      return (w) => {
        const r = (a(w) | 0) >> (b(w) & 31);
        d(w, r >>> 0);
        w.scc = r !== 0 ? 1 : 0;
      };
    case 's_bfm_b32':
      return (w) => d(w, (((2 ** (a(w) & 31)) - 1) * 2 ** (b(w) & 31)) >>> 0);
    case 's_bfe_u32':
    case 's_bfe_i32': {
      const signed = op === 's_bfe_i32';
      return (w) => {
        const x = a(w), c = b(w), off = c & 31, width = (c >>> 16) & 0x7f;
        let r = 0;
        if (width !== 0) {
          const wd = Math.min(width, 32);
          r = wd === 32 ? x >>> off : signed ? ((x >>> off) << (32 - wd)) >> (32 - wd) : ((x >>> off) << (32 - wd)) >>> (32 - wd);
          if (signed && off + wd > 32) r = (x | 0) >> off;
        }
        d(w, r >>> 0);
        w.scc = r !== 0 ? 1 : 0;
      };
    }
    case 's_bfe_u64':
    case 's_bfe_i64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0'), [dl, dh] = dst64(ctx, ins);
      const signed = op === 's_bfe_i64';
      return (w) => {
        const v = (BigInt(ah(w)) << 32n) | BigInt(al(w));
        const c = b(w), off = BigInt(c & 63), width = BigInt((c >>> 16) & 0x7f);
        let r = width === 0n ? 0n : (v >> off) & ((1n << width) - 1n);
        if (signed && width > 0n) r = BigInt.asIntN(Number(width), r);
        r = BigInt.asUintN(64, r);
        dl(w, Number(r & 0xffffffffn));
        dh(w, Number(r >> 32n));
        w.scc = r !== 0n ? 1 : 0;
      };
    }
    case 's_absdiff_i32':
      return (w) => {
        const r = Math.abs((a(w) | 0) - (b(w) | 0)) >>> 0;
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    // gfx12 64-bit integer SALU: wrapping add/sub/multiply, SCC unchanged.
    case 's_add_nc_u64':
    case 's_sub_nc_u64':
    case 's_mul_u64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0'), [bl, bh] = src64(ctx, ins, 'ssrc1'), [dl, dh] = dst64(ctx, ins);
      return (w) => {
        const x = (BigInt(ah(w)) << 32n) | BigInt(al(w)), y = (BigInt(bh(w)) << 32n) | BigInt(bl(w));
        const r = BigInt.asUintN(64, op === 's_add_nc_u64' ? x + y : op === 's_sub_nc_u64' ? x - y : x * y);
        dl(w, Number(r & 0xffffffffn));
        dh(w, Number(r >> 32n));
      };
    }
    case 's_cselect_b32':
      return (w) => d(w, w.scc ? a(w) : b(w));
    case 's_cselect_b64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0'), [bl, bh] = src64(ctx, ins, 'ssrc1'), [dl, dh] = dst64(ctx, ins);
      return (w) => {
        const s = w.scc;
        const lo = s ? al(w) : bl(w), hi = s ? ah(w) : bh(w);
        dl(w, lo);
        dh(w, hi);
      };
    }
    case 's_bfm_b64': {
      const [dl, dh] = dst64(ctx, ins);
      return (w) => {
        const r = BigInt.asUintN(64, ((1n << BigInt(a(w) & 63)) - 1n) << BigInt(b(w) & 63));
        dl(w, Number(r & 0xffffffffn));
        dh(w, Number(r >> 32n));
      };
    }
    case 's_pack_ll_b32_b16':
      return (w) => d(w, ((a(w) & 0xffff) | (b(w) << 16)) >>> 0);
    case 's_pack_lh_b32_b16':
      return (w) => d(w, ((a(w) & 0xffff) | (b(w) & 0xffff0000)) >>> 0);
    case 's_pack_hh_b32_b16':
      return (w) => d(w, ((a(w) >>> 16) | (b(w) & 0xffff0000)) >>> 0);
    case 's_pack_hl_b32_b16':
      return (w) => d(w, ((a(w) >>> 16) | (b(w) << 16)) >>> 0);
  }
  const f2 = SALU_F32_BINARY[op];
  if (f2) {
    if (op === 's_fmac_f32') {
      const c = src32(ctx, ins, 'sdst');
      return (w) => d(w, bitsFromF32(fmaF32(f32FromBits(a(w)), f32FromBits(b(w)), f32FromBits(c(w)))));
    }
    return (w) => d(w, bitsFromF32(f2(f32FromBits(a(w)), f32FromBits(b(w)))));
  }
  throw fault(ins);
}

/** gfx12 (and gfx11.5) SALU f32 arithmetic, rounded to f32 as the VALU forms are. */
const SALU_F32_BINARY: Readonly<Record<string, (x: number, y: number) => number>> = {
  s_add_f32: (x, y) => Math.fround(x + y),
  s_sub_f32: (x, y) => Math.fround(x - y),
  s_mul_f32: (x, y) => Math.fround(x * y),
  s_min_num_f32: minNum,
  s_max_num_f32: maxNum,
  s_fmac_f32: (x, y) => x * y,
};

/** gfx12 SALU f32 conversions and roundings: bits in, bits out. */
const SALU_F32_UNARY: Readonly<Record<string, (bits: number) => number>> = {
  s_cvt_f32_i32: (v) => bitsFromF32(Math.fround(v | 0)),
  s_cvt_f32_u32: (v) => bitsFromF32(Math.fround(v >>> 0)),
  s_cvt_i32_f32: (v) => cvtI32(f32FromBits(v)) >>> 0,
  s_cvt_u32_f32: (v) => cvtU32(f32FromBits(v)) >>> 0,
  s_ceil_f32: (v) => bitsFromF32(Math.ceil(f32FromBits(v))),
  s_floor_f32: (v) => bitsFromF32(Math.floor(f32FromBits(v))),
  s_trunc_f32: (v) => bitsFromF32(Math.trunc(f32FromBits(v))),
  s_rndne_f32: (v) => bitsFromF32(rne(f32FromBits(v))),
};

export function compileSopc(ctx: CompileContext, ins: Instruction): Handler {
  const m = /^s_cmp_(eq|lg|gt|ge|lt|le)_(i32|u32|u64)$/.exec(ins.op);
  if (m) {
    const cmp = CMP[m[1]!]!;
    if (m[2] === 'u64') {
      const [al, ah] = src64(ctx, ins, 'ssrc0'), [bl, bh] = src64(ctx, ins, 'ssrc1');
      const eq = m[1] === 'eq';
      return (w) => {
        const same = al(w) === bl(w) && ah(w) === bh(w);
        w.scc = same === eq ? 1 : 0;
      };
    }
    const a = src32(ctx, ins, 'ssrc0'), b = src32(ctx, ins, 'ssrc1');
    if (m[2] === 'i32') return (w) => { w.scc = cmp(a(w) | 0, b(w) | 0) ? 1 : 0; };
    return (w) => { w.scc = cmp(a(w), b(w)) ? 1 : 0; };
  }
  const bm = /^s_bitcmp([01])_b(32|64)$/.exec(ins.op);
  if (bm) {
    const want = Number(bm[1]);
    const b = src32(ctx, ins, 'ssrc1');
    if (bm[2] === '32') {
      const a = src32(ctx, ins, 'ssrc0');
      return (w) => { w.scc = ((a(w) >>> (b(w) & 31)) & 1) === want ? 1 : 0; };
    }
    const [al, ah] = src64(ctx, ins, 'ssrc0');
    return (w) => {
      const n = b(w) & 63;
      w.scc = (((n < 32 ? al(w) >>> n : ah(w) >>> (n - 32)) & 1) === want) ? 1 : 0;
    };
  }
  throw fault(ins);
}

export function compileSop1(ctx: CompileContext, ins: Instruction): Handler {
  const op = ins.op;
  const sdst = ins.fields.sdst ?? 0;
  const d = scalarWriter(ctx.family, sdst);
  const a = src32(ctx, ins, 'ssrc0');
  if (/_(saveexec|wrexec)_b(32|64)$/.test(op)) return saveexec(ctx, ins);
  const f1 = SALU_F32_UNARY[op];
  if (f1) return (w) => d(w, f1(a(w)));
  switch (op) {
    case 's_mov_b32':
      return (w) => d(w, a(w));
    // gfx12: signal the workgroup barrier (-1); the wave stops at s_barrier_wait. Named barriers are not modelled.
    case 's_barrier_signal':
      if (ins.fields.ssrc0 === 193) return () => {};
      break;
    case 's_cmov_b32':
      return (w) => { if (w.scc) d(w, a(w)); };
    case 's_mov_b64':
    case 's_cmov_b64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0'), [dl, dh] = dst64(ctx, ins);
      const cond = op === 's_cmov_b64';
      return (w) => {
        if (cond && !w.scc) return;
        const lo = al(w), hi = ah(w);
        dl(w, lo);
        dh(w, hi);
      };
    }
    case 's_not_b32':
      return (w) => {
        const r = ~a(w) >>> 0;
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    case 's_not_b64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0'), [dl, dh] = dst64(ctx, ins);
      return (w) => {
        const lo = ~al(w) >>> 0, hi = ~ah(w) >>> 0;
        dl(w, lo);
        dh(w, hi);
        w.scc = (lo | hi) !== 0 ? 1 : 0;
      };
    }
    case 's_brev_b32':
      return (w) => d(w, bitrev(a(w)));
    case 's_bcnt1_i32_b32':
    case 's_bcnt0_i32_b32': {
      const ones = op === 's_bcnt1_i32_b32';
      return (w) => {
        const r = ones ? popc(a(w)) : 32 - popc(a(w));
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    }
    case 's_bcnt1_i32_b64':
    case 's_bcnt0_i32_b64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0');
      const ones = op === 's_bcnt1_i32_b64';
      return (w) => {
        const c = popc(al(w)) + popc(ah(w));
        const r = ones ? c : 64 - c;
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    }
    case 's_ff1_i32_b32':
    case 's_ctz_i32_b32':
      return (w) => d(w, a(w) === 0 ? 0xffffffff : ctz(a(w)));
    case 's_ff1_i32_b64':
    case 's_ctz_i32_b64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0');
      return (w) => {
        const lo = al(w), hi = ah(w);
        d(w, lo !== 0 ? ctz(lo) : hi !== 0 ? 32 + ctz(hi) : 0xffffffff);
      };
    }
    case 's_ff0_i32_b32':
      return (w) => d(w, ~a(w) === 0 ? 0xffffffff : ctz(~a(w)));
    case 's_flbit_i32_b32':
    case 's_clz_i32_u32':
      return (w) => d(w, a(w) === 0 ? 0xffffffff : Math.clz32(a(w)));
    case 's_flbit_i32_b64':
    case 's_clz_i32_u64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0');
      return (w) => {
        const lo = al(w), hi = ah(w);
        d(w, hi !== 0 ? Math.clz32(hi) : lo !== 0 ? 32 + Math.clz32(lo) : 0xffffffff);
      };
    }
    case 's_flbit_i32':
    case 's_cls_i32':
      return (w) => {
        const x = a(w) | 0;
        d(w, x === 0 || x === -1 ? 0xffffffff : Math.clz32(x < 0 ? ~x : x) - 1);
      };
    case 's_sext_i32_i8':
      return (w) => d(w, ((a(w) << 24) >> 24) >>> 0);
    case 's_sext_i32_i16':
      return (w) => d(w, ((a(w) << 16) >> 16) >>> 0);
    case 's_abs_i32':
      return (w) => {
        const r = Math.abs(a(w) | 0) >>> 0;
        d(w, r);
        w.scc = r !== 0 ? 1 : 0;
      };
    case 's_bitset0_b32':
      return (w) => d(w, (w.S[sdst]! & ~(1 << (a(w) & 31))) >>> 0);
    case 's_bitset1_b32':
      return (w) => d(w, (w.S[sdst]! | (1 << (a(w) & 31))) >>> 0);
    case 's_getpc_b64': {
      const [dl, dh] = dst64(ctx, ins);
      return (w) => {
        dl(w, w.pc % 2 ** 32);
        dh(w, Math.floor(w.pc / 2 ** 32));
      };
    }
    case 's_setpc_b64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0');
      return (w) => { w.pc = ah(w) * 2 ** 32 + al(w); };
    }
    case 's_swappc_b64': {
      const [al, ah] = src64(ctx, ins, 'ssrc0'), [dl, dh] = dst64(ctx, ins);
      return (w) => {
        const target = ah(w) * 2 ** 32 + al(w);
        dl(w, w.pc % 2 ** 32);
        dh(w, Math.floor(w.pc / 2 ** 32));
        w.pc = target;
      };
    }
  }
  throw fault(ins);
}

/** s_*_saveexec / s_*_wrexec: EXEC update from S0 and EXEC; SCC = (EXEC != 0). */
function saveexec(ctx: CompileContext, ins: Instruction): Handler {
  const m = /^s_(\w+?)_(saveexec|wrexec)_b(32|64)$/.exec(ins.op);
  if (!m) throw fault(ins);
  const [, kind, form, bits] = m;
  const f: Record<string, (s: number, e: number) => number> = {
    and: (s, e) => s & e, or: (s, e) => s | e, xor: (s, e) => s ^ e,
    andn2: (s, e) => s & ~e, and_not1: (s, e) => s & ~e, orn2: (s, e) => s | ~e, or_not1: (s, e) => s | ~e,
    andn1: (s, e) => ~s & e, and_not0: (s, e) => ~s & e, orn1: (s, e) => ~s | e, or_not0: (s, e) => ~s | e,
    nand: (s, e) => ~(s & e), nor: (s, e) => ~(s | e), xnor: (s, e) => ~(s ^ e),
  };
  const fn = f[kind!];
  if (!fn) throw fault(ins);
  const wide = bits === '64';
  const [al, ah] = src64(ctx, ins, 'ssrc0');
  const [dl, dh] = dst64(ctx, ins);
  const wr = form === 'wrexec';
  return (w: Wave) => {
    const oldLo = w.S[EXEC_LO]!, oldHi = w.S[EXEC_HI]!;
    const sLo = al(w), sHi = wide ? ah(w) : 0;
    const nLo = fn(sLo, oldLo) >>> 0, nHi = wide ? fn(sHi, oldHi) >>> 0 : 0;
    w.S[EXEC_LO] = nLo;
    if (wide) w.S[EXEC_HI] = w.waveSize === 64 ? nHi : 0;
    dl(w, wr ? nLo : oldLo);
    if (wide) dh(w, wr ? nHi : oldHi);
    w.scc = (nLo | (wide ? nHi : 0)) !== 0 ? 1 : 0;
  };
}
