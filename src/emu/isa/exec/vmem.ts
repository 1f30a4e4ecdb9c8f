// FLAT / GLOBAL / SCRATCH (and MUBUF with a buffer descriptor) vector memory instructions. Addresses
// per the ISA guides' "FLAT addressing": GLOBAL = SGPR base + 32-bit VGPR offset, or 64-bit VGPR
// address, + imm; SCRATCH = per-lane private offset; FLAT = by aperture (LDS, private, else global).
// gfx90a (no architected flat scratch): private offsets are swizzled below the FLAT_SCRATCH base the
// kernel set up, as its MUBUF scratch accesses through the swizzled scratch V# are.
import { InstructionFault, isRdna, ShaderFault, type Instruction } from '../types.js';
import { GpuFault } from '../../gpu-vm.js';
import { atomic32, atomic64, type ByteSpace } from './atomics.js';
import type { CompileContext, Handler } from './context.js';
import { GpuMemory } from './mem.js';
import { PRIVATE_APERTURE_HI, SHARED_APERTURE_HI, scalarReader } from './scalar-operands.js';
import { vectorRow } from './valu-compile.js';
import { accessOf, type Access } from './vmem-ops.js';
import { EXEC_HI, EXEC_LO, LANES, nullCode, type Wave } from './wave.js';
import { LdsSpace } from './lds-space.js';
import { bufRsrcField, swizzledOffset } from '../../../hw/buffer-rsrc.js';

const TWO32 = 2 ** 32;

/** Private offsets on gfx90a: 4-byte elements interleaved across the 64 lanes (ROCr's scratch V#). */
const SCRATCH_ELEMENT = 4;
const SCRATCH_INDEX_STRIDE = 64;

/**
 * Scratch byte address of `offset` in lane `l`'s private segment: the layout documented in core.ts, or on
 * gfx90a the swizzled layout under FLAT_SCRATCH (flat_scratch_lo/hi = SGPRs 102/103).
 */
export function scratchAddress(w: Wave, l: number, offset: number): number {
  if (w.family === 'cdna2') return w.S[103]! * TWO32 + w.S[102]! + swizzledOffset(l, offset >>> 0, 0, SCRATCH_ELEMENT, SCRATCH_INDEX_STRIDE);
  return w.scratchLaneBase + (w.waveInGroup * w.waveSize + l) * w.scratchBytesPerLane + (offset >>> 0);
}

/** Bytes between consecutive dwords of one lane's private data. */
const scratchDwordStep = (ctx: CompileContext): number => (ctx.family === 'cdna2' ? SCRATCH_ELEMENT * SCRATCH_INDEX_STRIDE : 4);

/** An atomic returns the pre-op value when glc (RDNA3, CDNA2) / sc0 (CDNA3) / th bit 0 (RDNA4, TH_ATOMIC_RETURN) is set. */
const returnsOld = (ctx: CompileContext, f: Instruction['fields']): boolean =>
  ctx.family === 'rdna4' ? ((f.th ?? 0) & 1) === 1 : ((ctx.family === 'cdna3' ? f.sc0 : f.glc) ?? 0) === 1;

/** Moves one lane's data between VGPR rows and a byte space; its dwords lie `step` bytes apart. */
function transfer(a: Access, space: ByteSpace, va: number, R: Uint32Array, vdst: number, data: number, l: number, ret: boolean, step = 4): void {
  if (a.kind === 'load') {
    if (a.bytes === 4) {
      for (let i = 0; i < a.dwords; i++) R[vdst + i * LANES + l] = space.read32(va + step * i);
      return;
    }
    let v = a.bytes === 2 ? space.read16(va) : space.read8(va);
    if (a.signed) v = a.bytes === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
    if (a.d16 === 'lo') R[vdst + l] = (R[vdst + l]! & 0xffff0000) | (v & 0xffff);
    else if (a.d16 === 'hi') R[vdst + l] = (R[vdst + l]! & 0xffff) | (v << 16);
    else R[vdst + l] = v;
    return;
  }
  if (a.kind === 'store') {
    if (a.bytes === 4) {
      for (let i = 0; i < a.dwords; i++) space.write32(va + step * i, R[data + i * LANES + l]!);
      return;
    }
    const v = a.d16 === 'hi' ? R[data + l]! >>> 16 : R[data + l]!;
    if (a.bytes === 2) space.write16(va, v);
    else space.write8(va, v);
    return;
  }
  const op = a.atomic!;
  if (space instanceof GpuMemory && step === 4) {
    // Global memory: one read-modify-write, atomic across the threads that run the dispatch.
    if (!a.wide) {
      const d = R[data + l]!, c = R[data + LANES + l]!;
      const old = space.update32(va, (o) => {
        const r = atomic32(op, o, d, c);
        if (r === undefined) throw new InstructionFault('unimplemented', `atomic ${op} is not modelled`);
        return r;
      });
      if (ret) R[vdst + l] = old;
      return;
    }
    const d0 = R[data + l]!, d1 = R[data + LANES + l]!, c0 = R[data + 2 * LANES + l]!, c1 = R[data + 3 * LANES + l]!;
    const [oLo, oHi] = space.update64(va, (lo, hi) => {
      const r = atomic64(op, lo, hi, d0, d1, c0, c1);
      if (!r) throw new InstructionFault('unimplemented', `64-bit atomic ${op} is not modelled`);
      return r;
    });
    if (ret) {
      R[vdst + l] = oLo;
      R[vdst + LANES + l] = oHi;
    }
    return;
  }
  if (!a.wide) {
    const old = space.read32(va);
    const r = atomic32(op, old, R[data + l]!, R[data + LANES + l]!);
    if (r === undefined) throw new InstructionFault('unimplemented', `atomic ${op} is not modelled`);
    space.write32(va, r);
    if (ret) R[vdst + l] = old;
    return;
  }
  const oLo = space.read32(va), oHi = space.read32(va + step);
  const r = atomic64(op, oLo, oHi, R[data + l]!, R[data + LANES + l]!, R[data + 2 * LANES + l]!, R[data + 3 * LANES + l]!);
  if (!r) throw new InstructionFault('unimplemented', `64-bit atomic ${op} is not modelled`);
  space.write32(va, r[0]!);
  space.write32(va + step, r[1]!);
  if (ret) {
    R[vdst + l] = oLo;
    R[vdst + LANES + l] = oHi;
  }
}

/** The global / scratch / LDS view of a flat address, for one lane. */
class FlatRouter {
  constructor(readonly mem: () => GpuMemory) {}
  space(w: Wave, va: number): [ByteSpace, number] {
    const hi = Math.floor(va / TWO32);
    if (hi === SHARED_APERTURE_HI) return [LdsSpace.of(w), va - hi * TWO32];
    return [this.mem(), va];
  }
}

export function compileVmem(ctx: CompileContext, ins: Instruction, mem: () => GpuMemory): Handler {
  const a = accessOf(ins.op);
  const f = ins.fields;
  if (!a) {
    if (/^(buffer|global|flat)_(wbinvl1|wbl2|inv|gl0_inv|gl1_inv|wb)/.test(ins.op)) return () => {};
    throw new ShaderFault(ins.pc, 'unimplemented', `unimplemented: ${ins.op} at 0x${ins.pc.toString(16)}`);
  }
  if (ins.encoding === 'MUBUF') return compileBuffer(ctx, ins, a, mem);
  const ret = a.kind === 'atomic' && returnsOld(ctx, f);
  const vdst = a.kind === 'store' ? 0 : vectorRow(f.vdst ?? 256);
  const data = a.kind === 'load' ? 0 : vectorRow(f.data ?? 256);
  const addr = vectorRow(f.addr ?? 256);
  const offset = f.offset ?? 0;
  const off = isRdna(ctx.family) ? 124 : 0x7f;
  const saddrCode = f.saddr ?? off;
  const hasSaddr = saddrCode !== off && saddrCode !== nullCode(ctx.family);
  const sLo = hasSaddr ? scalarReader(ctx.family, saddrCode, 'b64', undefined) : () => 0;
  const sHi = hasSaddr ? scalarReader(ctx.family, saddrCode, 'b64', undefined, true) : () => 0;
  const wave64 = ctx.waveSize === 64;
  const each = (w: Wave, fn: (l: number) => void): void => {
    const lo = w.S[EXEC_LO]!, hi = wave64 ? w.S[EXEC_HI]! : 0;
    let l = 0;
    try {
      for (; l < w.waveSize; l++) if (((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) !== 0) fn(l);
    } catch (e) {
      if (e instanceof GpuFault) e.lane ??= l;
      throw e;
    }
  };
  if (ins.encoding === 'GLOBAL') {
    return (w) => {
      const M = mem(), R = w.R;
      const base = hasSaddr ? sHi(w) * TWO32 + sLo(w) : 0;
      each(w, (l) => {
        const va = hasSaddr ? base + R[addr + l]! + offset : R[addr + LANES + l]! * TWO32 + R[addr + l]! + offset;
        transfer(a, M, va, R, vdst, data, l, ret);
      });
    };
  }
  if (ins.encoding === 'SCRATCH') {
    // sve (VGPR address enabled): RDNA3 dword1 bit, CDNA3 dword0 bit; saddr adds an SGPR offset.
    const useV = (f.sve ?? 0) === 1;
    const sOff = hasSaddr ? scalarReader(ctx.family, saddrCode, 'b32', undefined) : () => 0;
    const step = scratchDwordStep(ctx);
    return (w) => {
      const M = mem(), R = w.R;
      const s = sOff(w);
      each(w, (l) => {
        const o = (s + (useV ? R[addr + l]! : 0) + offset) >>> 0;
        transfer(a, M, scratchAddress(w, l, o), R, vdst, data, l, ret, step);
      });
    };
  }
  const router = new FlatRouter(mem);
  const step = scratchDwordStep(ctx);
  return (w) => {
    const R = w.R;
    each(w, (l) => {
      const va = R[addr + LANES + l]! * TWO32 + R[addr + l]! + offset;
      const hi = Math.floor(va / TWO32);
      if (hi === PRIVATE_APERTURE_HI) transfer(a, mem(), scratchAddress(w, l, va - hi * TWO32), R, vdst, data, l, ret, step);
      else {
        const [space, at] = router.space(w, va);
        transfer(a, space, at, R, vdst, data, l, ret);
      }
    });
  };
}

/**
 * MUBUF with a V# in 4 SGPRs: base = srsrc[47:0], stride srsrc[61:48]; address = base + soffset +
 * offset + (offen ? vaddr : 0) + (idxen ? index * stride : 0); out-of-range (num_records) loads read 0,
 * stores are dropped (raw-buffer rule, stride 0). GFX9 V#s may add the lane id to the index and swizzle
 * (buffer-rsrc.ts): each dword is then placed on its own, the range check applies to the swizzled offset.
 */
function compileBuffer(ctx: CompileContext, ins: Instruction, a: Access, mem: () => GpuMemory): Handler {
  const f = ins.fields;
  const rsrc = f.srsrc ?? 0;
  const vdata = vectorRow(f.vdata ?? 256);
  const vaddr = vectorRow(f.vaddr ?? 256);
  const soff = scalarReader(ctx.family, f.soffset ?? 128, 'b32', undefined);
  const offen = (f.offen ?? 0) === 1, idxen = (f.idxen ?? 0) === 1;
  const ret = a.kind === 'atomic' && returnsOld(ctx, f);
  const wave64 = ctx.waveSize === 64;
  const gfx9 = !isRdna(ctx.family);
  const zero: ByteSpace = { read8: () => 0, read16: () => 0, read32: () => 0, write8: () => {}, write16: () => {}, write32: () => {} };
  return (w) => {
    const S = w.S, R = w.R, M = mem();
    const base = (S[rsrc + 1]! & 0xffff) * TWO32 + S[rsrc]!;
    const stride = (S[rsrc + 1]! >>> 16) & 0x3fff;
    const records = S[rsrc + 2]!;
    const so = soff(w);
    const lo = S[EXEC_LO]!, hi = wave64 ? S[EXEC_HI]! : 0;
    const rsrc4 = gfx9 ? [S[rsrc]!, S[rsrc + 1]!, S[rsrc + 2]!, S[rsrc + 3]!] : undefined;
    const swizzle = rsrc4 !== undefined && bufRsrcField(rsrc4, 'SWIZZLE_ENABLE') === 1;
    const addTid = rsrc4 !== undefined && bufRsrcField(rsrc4, 'ADD_TID_ENABLE') === 1;
    const elementSize = swizzle ? 2 << bufRsrcField(rsrc4, 'ELEMENT_SIZE') : 0;
    const indexStride = swizzle ? 8 << bufRsrcField(rsrc4, 'INDEX_STRIDE') : 0;
    for (let l = 0; l < w.waveSize; l++) {
      if (((l < 32 ? lo >>> l : hi >>> (l - 32)) & 1) === 0) continue;
      const vOff = offen ? R[vaddr + (idxen ? LANES : 0) + l]! : 0;
      const index = (idxen ? R[vaddr + l]! : 0) + (addTid ? l : 0);
      const offset = (f.offset ?? 0) + vOff;
      if (swizzle) {
        const at = swizzledOffset(index, offset, stride, elementSize, indexStride);
        const step = swizzledOffset(index, offset + 4, stride, elementSize, indexStride) - at;
        transfer(a, at + a.bytes <= records ? M : zero, base + so + at, R, vdata, vdata, l, ret, step);
        continue;
      }
      const o = so + offset + index * stride;
      const inRange = stride === 0 ? o - so + a.bytes * a.dwords <= records : index < records;
      transfer(a, inRange ? M : zero, base + o, R, vdata, vdata, l, ret);
    }
  };
}
