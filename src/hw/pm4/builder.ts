// PM4 command builder for compute queues: writes packets straight into a growable Uint32Array.
// Field positions are those of packets.ts (the round-trip test decodes every builder output with it).
import { DwordStream, lo32, hi32 } from '../dword-stream.js';
import { pm4Header, PM4_OP, PM4_REG_BASE, VGT_EVENT, COMPARE_FUNC } from './opcodes.js';
import { GFX9_EOP, GFX10_RELEASE_GCR, GFX10_GCR_CNTL, GFX9_COHER, GFX12_ACQUIRE_GCR_CNTL, GFX12_RELEASE_GCR } from './packets.js';
import type { GfxFamily } from '../targets.js';

export type ReleaseData = 'none' | 'data32' | 'data64' | 'gpu_clock';
const DATA_SEL: Record<ReleaseData, number> = { none: 0, data32: 1, data64: 2, gpu_clock: 3 };

export interface ReleaseMemOptions {
  /** Where the value goes; omit for an interrupt-only or flush-only release. */
  readonly va?: bigint;
  readonly data?: ReleaseData;
  readonly value?: bigint;
  /** Raise an interrupt carrying `ctxid` (KFD event id) after the write is confirmed. */
  readonly interrupt?: boolean;
  readonly ctxid?: number;
  /** Write back and invalidate the GPU caches before the write (end-of-pipe release). */
  readonly flush?: boolean;
}

/** WAIT_REG_MEM compare function names, as in packets.ts. */
export type CompareName = keyof typeof COMPARE_FUNC;

export class Pm4Builder extends DwordStream {
  constructor(readonly family: GfxFamily, capacityDwords = 256) {
    super(capacityDwords);
  }

  /** A NOP occupying `total` dwords (header included; total ≥ 1). */
  nop(total: number): this {
    const at = this.room(total);
    this.buf[at] = total === 1 ? pm4Header(PM4_OP.NOP, 0x3fff + 1) : pm4Header(PM4_OP.NOP, total - 1);
    this.buf.fill(0, at + 1, at + total);
    return this;
  }

  private setReg(op: number, base: number, reg: number, values: ArrayLike<number>): this {
    const at = this.room(2 + values.length);
    this.buf[at] = pm4Header(op, 1 + values.length);
    this.buf[at + 1] = reg - base;
    for (let i = 0; i < values.length; i++) this.buf[at + 2 + i] = values[i]! >>> 0;
    return this;
  }

  setShRegs(reg: number, ...values: number[]): this {
    return this.setReg(PM4_OP.SET_SH_REG, PM4_REG_BASE.SET_SH_REG, reg, values);
  }

  setUconfigRegs(reg: number, ...values: number[]): this {
    return this.setReg(PM4_OP.SET_UCONFIG_REG, PM4_REG_BASE.SET_UCONFIG_REG, reg, values);
  }

  /** WRITE_DATA to memory with write confirmation: consecutive dwords from `va`. */
  writeData(va: bigint, values: ArrayLike<number>): this {
    const at = this.room(4 + values.length);
    this.buf[at] = pm4Header(PM4_OP.WRITE_DATA, 3 + values.length);
    this.buf[at + 1] = (5 << 8) | (1 << 20);
    this.buf[at + 2] = lo32(va);
    this.buf[at + 3] = hi32(va);
    for (let i = 0; i < values.length; i++) this.buf[at + 4 + i] = values[i]! >>> 0;
    return this;
  }

  /** Stalls the queue until (mem32[va] & mask) <func> reference. */
  waitMem32(va: bigint, func: CompareName, reference: number, mask = 0xffffffff, pollInterval = 4): this {
    if ((va & 3n) !== 0n) throw new RangeError(`WAIT_REG_MEM address 0x${va.toString(16)} is not dword aligned`);
    const at = this.room(7);
    this.buf[at] = pm4Header(PM4_OP.WAIT_REG_MEM, 6);
    this.buf[at + 1] = COMPARE_FUNC[func] | (1 << 4);
    this.buf[at + 2] = lo32(va);
    this.buf[at + 3] = hi32(va);
    this.buf[at + 4] = reference >>> 0;
    this.buf[at + 5] = mask >>> 0;
    this.buf[at + 6] = pollInterval;
    return this;
  }

  /** Invalidates (and writes back) the GPU caches so later work sees memory written by others. */
  acquireMem(): this {
    const gfx9 = this.family === 'gfx9';
    const at = this.room(gfx9 ? 7 : 8);
    this.buf[at] = pm4Header(PM4_OP.ACQUIRE_MEM, gfx9 ? 6 : 7);
    this.buf[at + 1] = gfx9 ? GFX9_COHER.SH_ICACHE | GFX9_COHER.SH_KCACHE | GFX9_COHER.TC | GFX9_COHER.TCL1 | GFX9_COHER.TC_WB : 0;
    this.buf[at + 2] = 0xffffffff;
    this.buf[at + 3] = 0xffffff;
    this.buf[at + 4] = 0;
    this.buf[at + 5] = 0;
    this.buf[at + 6] = 0xa;
    if (this.family === 'gfx12') this.buf[at + 7] = GFX12_ACQUIRE_GCR_CNTL;
    else if (!gfx9) {
      const g = GFX10_GCR_CNTL;
      this.buf[at + 7] = g.GLI_INV | g.GLM_WB | g.GLM_INV | g.GLK_WB | g.GLK_INV | g.GLV_INV | g.GL1_INV | g.GL2_INV | g.GL2_WB;
    }
    return this;
  }

  /** End-of-pipe release: optional cache flush, memory write (value or GPU clock) and interrupt. */
  releaseMem(o: ReleaseMemOptions): this {
    const at = this.room(8);
    const flush = o.flush ?? true;
    let cache = 0;
    if (flush) {
      if (this.family === 'gfx9') cache = GFX9_EOP.TC_WB | GFX9_EOP.TC_NC;
      else if (this.family === 'gfx12') cache = GFX12_RELEASE_GCR;
      else {
        const g = GFX10_RELEASE_GCR;
        cache = g.GLM_WB | g.GLM_INV | g.GLV_INV | g.GL1_INV | g.GL2_INV | g.GL2_WB | g.SEQ;
      }
    }
    const data = o.data ?? 'none';
    const va = o.va ?? 0n;
    const value = o.value ?? 0n;
    this.buf[at] = pm4Header(PM4_OP.RELEASE_MEM, 7);
    this.buf[at + 1] = (VGT_EVENT.CACHE_FLUSH_AND_INV_TS_EVENT | (5 << 8) | cache) >>> 0;
    this.buf[at + 2] = ((o.interrupt ? 2 : 0) << 24 | DATA_SEL[data] << 29) >>> 0;
    this.buf[at + 3] = lo32(va);
    this.buf[at + 4] = hi32(va);
    this.buf[at + 5] = lo32(value);
    this.buf[at + 6] = hi32(value);
    this.buf[at + 7] = (o.ctxid ?? 0) >>> 0;
    return this;
  }

  eventWrite(eventType: number, eventIndex: number): this {
    const at = this.room(2);
    this.buf[at] = pm4Header(PM4_OP.EVENT_WRITE, 1);
    this.buf[at + 1] = (eventType | (eventIndex << 8)) >>> 0;
    return this;
  }

  /** Waits until every earlier dispatch of this queue finished (CS_PARTIAL_FLUSH). */
  csPartialFlush(): this {
    return this.eventWrite(VGT_EVENT.CS_PARTIAL_FLUSH, 4);
  }

  indirectBuffer(va: bigint, sizeDwords: number): this {
    if ((va & 3n) !== 0n) throw new RangeError(`indirect buffer 0x${va.toString(16)} is not dword aligned`);
    if (sizeDwords <= 0 || sizeDwords >= 1 << 20) throw new RangeError(`indirect buffer size ${sizeDwords} dwords is out of range 1..2^20-1`);
    const at = this.room(4);
    this.buf[at] = pm4Header(PM4_OP.INDIRECT_BUFFER, 3);
    this.buf[at + 1] = lo32(va);
    this.buf[at + 2] = hi32(va);
    this.buf[at + 3] = (sizeDwords | (1 << 23)) >>> 0;
    return this;
  }

  dispatchDirect(x: number, y: number, z: number, initiator: number): this {
    const at = this.room(5);
    this.buf[at] = pm4Header(PM4_OP.DISPATCH_DIRECT, 4);
    this.buf[at + 1] = x >>> 0;
    this.buf[at + 2] = y >>> 0;
    this.buf[at + 3] = z >>> 0;
    this.buf[at + 4] = initiator >>> 0;
    return this;
  }

  /** Dispatch with the three dimensions read from memory at `va` (12 bytes, dword aligned). */
  dispatchIndirect(va: bigint, initiator: number): this {
    const at = this.room(4);
    this.buf[at] = pm4Header(PM4_OP.DISPATCH_INDIRECT, 3);
    this.buf[at + 1] = lo32(va);
    this.buf[at + 2] = hi32(va);
    this.buf[at + 3] = initiator >>> 0;
    return this;
  }

  /** COPY_DATA of the 64-bit GPU clock to memory (a timestamp taken when the CP reaches it). */
  copyClockToMemory(va: bigint): this {
    return this.copyData(9, 5, 0n, va, true);
  }

  copyData(srcSel: number, dstSel: number, src: bigint, dst: bigint, count64: boolean): this {
    const at = this.room(6);
    this.buf[at] = pm4Header(PM4_OP.COPY_DATA, 5);
    this.buf[at + 1] = (srcSel | (dstSel << 8) | ((count64 ? 1 : 0) << 16) | (1 << 20)) >>> 0;
    this.buf[at + 2] = lo32(src);
    this.buf[at + 3] = hi32(src);
    this.buf[at + 4] = lo32(dst);
    this.buf[at + 5] = hi32(dst);
    return this;
  }
}
