// SDMA command builder. SDMA rings count bytes; every packet is a whole number of dwords.
import { DwordStream, lo32, hi32 } from '../dword-stream.js';
import { SDMA_OP, SDMA_SUBOP, sdmaLimits, type SdmaLimits, type SdmaVersion } from './packets.js';
import { COMPARE_FUNC } from '../pm4/opcodes.js';
import type { CompareName } from '../pm4/builder.js';


/** MTYPE written with FENCE on SDMA ≥ 5 (uncached, so the CPU sees the value): tinygrad/amdgpu use 3. */
const FENCE_MTYPE_UC = 3;

export class SdmaBuilder extends DwordStream {
  readonly limits: SdmaLimits;

  constructor(readonly version: SdmaVersion, capacityDwords = 256) {
    super(capacityDwords);
    this.limits = sdmaLimits(version);
  }

  /** A NOP of `total` dwords (header included). */
  nop(total: number): this {
    const at = this.room(total);
    this.buf[at] = (SDMA_OP.NOP | ((total - 1) << 16)) >>> 0;
    this.buf.fill(0, at + 1, at + total);
    return this;
  }

  /** Copies `bytes` (≤ limits.maxCopyBytes); split larger copies with copy(). */
  copyLinear(dst: bigint, src: bigint, bytes: number): this {
    if (bytes <= 0 || bytes > this.limits.maxCopyBytes) throw new RangeError(`COPY_LINEAR of ${bytes} bytes: must be 1..${this.limits.maxCopyBytes}`);
    const at = this.room(this.limits.copyDwords);
    this.buf[at] = (SDMA_OP.COPY | (SDMA_SUBOP.COPY_LINEAR << 8) | (this.limits.copyCpv ? 1 << 19 : 0)) >>> 0;
    this.buf[at + 1] = bytes - 1;
    this.buf[at + 2] = 0;
    this.buf[at + 3] = lo32(src);
    this.buf[at + 4] = hi32(src);
    this.buf[at + 5] = lo32(dst);
    this.buf[at + 6] = hi32(dst);
    if (this.limits.copyDwords === 8) this.buf[at + 7] = 0; // no DCC compression
    return this;
  }

  /** Any-size copy as a series of COPY_LINEAR packets. */
  copy(dst: bigint, src: bigint, bytes: number): this {
    const max = this.limits.maxCopyBytes;
    for (let off = 0; off < bytes; off += max) this.copyLinear(dst + BigInt(off), src + BigInt(off), Math.min(max, bytes - off));
    return this;
  }

  /** Fills `bytes` (a multiple of 4, dword-aligned destination) with a 32-bit pattern. */
  fill(dst: bigint, pattern: number, bytes: number): this {
    if ((dst & 3n) !== 0n || bytes % 4 !== 0) throw new RangeError(`CONST_FILL needs a dword-aligned destination and size (got 0x${dst.toString(16)}, ${bytes} bytes)`);
    const max = this.limits.maxFillBytes;
    for (let off = 0; off < bytes; off += max) {
      const n = Math.min(max, bytes - off);
      const at = this.room(5);
      const va = dst + BigInt(off);
      this.buf[at] = (SDMA_OP.CONST_FILL | (2 << 30)) >>> 0;
      this.buf[at + 1] = lo32(va);
      this.buf[at + 2] = hi32(va);
      this.buf[at + 3] = pattern >>> 0;
      this.buf[at + 4] = n - 1;
    }
    return this;
  }

  /** Writes a 32-bit value to memory after all earlier packets finished. */
  fence(va: bigint, value: number): this {
    if ((va & 3n) !== 0n) throw new RangeError(`FENCE address 0x${va.toString(16)} is not dword aligned`);
    const at = this.room(4);
    this.buf[at] = (SDMA_OP.FENCE | (this.limits.fenceMtype ? FENCE_MTYPE_UC << 16 : 0)) >>> 0;
    this.buf[at + 1] = lo32(va);
    this.buf[at + 2] = hi32(va);
    this.buf[at + 3] = value >>> 0;
    return this;
  }

  /** A 64-bit value written as two FENCEs, high dword first, so a reader never sees a value that went backwards past 2^32. */
  fence64(va: bigint, value: bigint): this {
    return this.fence(va + 4n, hi32(value)).fence(va, lo32(value));
  }

  /**
   * Runs `dwords` of SDMA packets at `va` (32-byte aligned, at most 2^20 - 1 dwords) as an indirect buffer,
   * as sdma_v*_ring_emit_ib writes it; the kernel pads the ring with NOPs first so the packet ends on an
   * 8-dword boundary (see padForIndirectBuffer).
   */
  indirectBuffer(va: bigint, dwords: number, vmid = 0, csa = 0n): this {
    if ((va & 31n) !== 0n) throw new RangeError(`INDIRECT_BUFFER base 0x${va.toString(16)} is not 32-byte aligned`);
    if (dwords <= 0 || dwords >= 1 << 20) throw new RangeError(`INDIRECT_BUFFER of ${dwords} dwords: must be 1..${(1 << 20) - 1}`);
    const at = this.room(6);
    this.buf[at] = (SDMA_OP.INDIRECT | ((vmid & 0xf) << 16)) >>> 0;
    this.buf[at + 1] = lo32(va);
    this.buf[at + 2] = hi32(va);
    this.buf[at + 3] = dwords;
    this.buf[at + 4] = lo32(csa);
    this.buf[at + 5] = hi32(csa);
    return this;
  }

  /** Raises an interrupt carrying `ctxid` (a KFD event id). */
  trap(ctxid: number): this {
    const at = this.room(2);
    this.buf[at] = SDMA_OP.TRAP;
    this.buf[at + 1] = ctxid & 0x0fffffff;
    return this;
  }

  /** Stalls until (mem32[va] & mask) <func> value. */
  pollMem32(va: bigint, func: CompareName, value: number, mask = 0xffffffff, interval = 4, retry = 0xfff): this {
    if ((va & 3n) !== 0n) throw new RangeError(`POLL_REGMEM address 0x${va.toString(16)} is not dword aligned`);
    const at = this.room(6);
    this.buf[at] = (SDMA_OP.POLL_REGMEM | (COMPARE_FUNC[func] << 28) | (1 << 31)) >>> 0;
    this.buf[at + 1] = lo32(va);
    this.buf[at + 2] = hi32(va);
    this.buf[at + 3] = value >>> 0;
    this.buf[at + 4] = mask >>> 0;
    this.buf[at + 5] = (interval | (retry << 16)) >>> 0;
    return this;
  }

  /** Writes the 64-bit global GPU timestamp to `va` (8-byte aligned). */
  timestamp(va: bigint): this {
    if ((va & 7n) !== 0n) throw new RangeError(`TIMESTAMP address 0x${va.toString(16)} is not 8-byte aligned`);
    const at = this.room(3);
    this.buf[at] = SDMA_OP.TIMESTAMP | (SDMA_SUBOP.TIMESTAMP_GET_GLOBAL << 8);
    this.buf[at + 1] = lo32(va);
    this.buf[at + 2] = hi32(va);
    return this;
  }

  writeLinear(va: bigint, values: ArrayLike<number>): this {
    if (values.length === 0 || values.length > 1 << 20) throw new RangeError(`WRITE_LINEAR of ${values.length} dwords`);
    const at = this.room(4 + values.length);
    this.buf[at] = SDMA_OP.WRITE | (SDMA_SUBOP.WRITE_LINEAR << 8);
    this.buf[at + 1] = lo32(va);
    this.buf[at + 2] = hi32(va);
    this.buf[at + 3] = values.length - 1;
    for (let i = 0; i < values.length; i++) this.buf[at + 4 + i] = values[i]! >>> 0;
    return this;
  }
}
