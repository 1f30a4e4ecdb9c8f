// Scalar memory: s_load_* / s_buffer_load_* / s_store_*, s_memtime, cache controls (RDNA3 ISA guide
// ch. 16.6 "SMEM", CDNA3 ISA "Scalar memory"). Loads complete immediately, so s_waitcnt lgkmcnt holds.
import { isRdna, ShaderFault, type Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import type { GpuMemory } from './mem.js';
import { scalarReader } from './scalar-operands.js';
import type { Wave } from './wave.js';

const DWORDS: Record<string, number> = {
  b32: 1, b64: 2, b96: 3, b128: 4, b256: 8, b512: 16, dword: 1, dwordx2: 2, dwordx3: 3, dwordx4: 4, dwordx8: 8, dwordx16: 16,
};

export function compileSmem(ctx: CompileContext, ins: Instruction, mem: () => GpuMemory): Handler {
  const f = ins.fields;
  const m = /^s_(load|buffer_load|store|buffer_store)_(\w+)$/.exec(ins.op);
  if (!m) {
    switch (ins.op) {
      case 's_dcache_inv': case 's_gl1_inv': case 's_dcache_wb': case 's_dcache_inv_vol': case 's_dcache_wb_vol':
      // gfx12 prefetches: hints, no architectural effect.
      case 's_prefetch_inst': case 's_prefetch_inst_pc_rel': case 's_prefetch_data': case 's_prefetch_data_pc_rel': case 's_buffer_prefetch_data':
        return () => {};
      case 's_memtime':
      case 's_memrealtime': {
        const d = f.sdata ?? 0;
        return (w) => {
          const t = w.instructions;
          w.S[d] = t >>> 0;
          w.S[d + 1] = Math.floor(t / 2 ** 32);
        };
      }
    }
    throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} at 0x${ins.pc.toString(16)}`);
  }
  // gfx12 sub-dword scalar loads: one byte or short, zero- or sign-extended into sdata.
  const sub = /^(u8|i8|u16|i16)$/.exec(m[2]!)?.[1];
  const n = sub ? 1 : DWORDS[m[2]!];
  if (!n) throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} at 0x${ins.pc.toString(16)}`);
  const store = m[1]!.includes('store');
  const buffer = m[1]!.startsWith('buffer');
  const sbase = f.sbase ?? 0;
  const sdata = f.sdata ?? 0;
  // Offset: RDNA3 = imm offset + soffset SGPR (null = 124 disables); CDNA3: imm bit picks immediate vs SGPR, soe adds soffset.
  let immOff = 0;
  let soff: ((w: Wave) => number) | undefined;
  if (isRdna(ctx.family)) {
    immOff = f.offset ?? 0;
    if (f.soffset !== undefined && f.soffset !== 124) soff = scalarReader(ctx.family, f.soffset, 'b32', undefined);
  } else if (f.imm) {
    immOff = f.offset ?? 0;
    if (f.soe) soff = scalarReader(ctx.family, f.soffset ?? 0, 'b32', undefined);
  } else {
    soff = scalarReader(ctx.family, (f.offset ?? 0) & 0xff, 'b32', undefined);
  }
  return (w) => {
    const lo = w.S[sbase]!, hi = w.S[sbase + 1]!;
    let base = (buffer ? hi & 0xffff : hi) * 2 ** 32 + lo;
    const off = immOff + (soff ? soff(w) : 0);
    const raw = base + off;
    const va = raw - (raw % 4);
    const M = mem();
    if (sub) {
      const bytes = sub.endsWith('8') ? 1 : 2;
      if (buffer && (off >>> 0) + bytes > w.S[sbase + 2]!) { w.S[sdata] = 0; return; }
      const at = base + off;
      let v = bytes === 1 ? M.read8(at) : M.read16(at);
      if (sub[0] === 'i') v = bytes === 1 ? (v << 24) >> 24 : (v << 16) >> 16;
      w.S[sdata] = v >>> 0;
      return;
    }
    if (buffer) {
      const records = w.S[sbase + 2]!;
      for (let i = 0; i < n; i++) {
        const o = ((off & ~3) >>> 0) + i * 4;
        if (store) {
          if (o < records) M.write32(base + o, w.S[sdata + i]!);
        } else w.S[sdata + i] = o < records ? M.read32(base + o) : 0;
      }
      return;
    }
    base = va;
    for (let i = 0; i < n; i++) {
      if (store) M.write32(base + i * 4, w.S[sdata + i]!);
      else w.S[sdata + i] = M.read32(base + i * 4);
    }
  };
}
