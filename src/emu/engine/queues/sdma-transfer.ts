// The SDMA engine's data movers: COPY_LINEAR and CONST_FILL run as transfers that move a slice of
// bytes per call. A slice inside one mapping on each side (the usual case: a buffer object holds the
// whole range) is one memmove (os/memmove.ts) or TypedArray fill; anything else is walked mapping by
// mapping, so a fault is raised at the exact first byte no mapping allows, before any byte of the
// slice is written.
import { findSdmaDef } from '../../../hw/sdma/decode.js';
import { SDMA_OP, SDMA_SUBOP, type SdmaVersion } from '../../../hw/sdma/packets.js';
import { mask, type FieldDef } from '../../../hw/packet-fields.js';
import type { GpuVm, Span } from '../../gpu-vm.js';
import { moveBytes } from '../../../os/memmove.js';
import { QueueStop } from './ring.js';

export interface Transfer {
  readonly kind: 'copy' | 'fill';
  /** Source and destination as doubles, exact unless `exact` is set: every GPU virtual address lies below 2^53. */
  readonly src: number;
  readonly dst: number;
  /** Both addresses exactly, when one lies past 2^53 (then nothing is mapped there, and the fault cites it). */
  readonly exact?: { readonly src: bigint; readonly dst: bigint };
  readonly bytes: number;
  readonly pattern: number;
  done: number;
  /** Dwords of the packet that started it (consumed when the transfer completes). */
  readonly size: number;
}

/** Dword fills write the pattern's bytes in little-endian order (the GPU's); a Uint32Array fill does that only on a little-endian host. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One packet field as the numbers its reading needs, so every field read is one shape of object and no power is computed per packet. */
class PacketField {
  readonly dw: number;
  readonly shift: number;
  /** Applied after the shift; 0xffffffff for a whole dword. */
  readonly mask: number;
  /** 2^lo: what the field's value is worth where the low half of an address is stored shifted (addr64). */
  readonly scale: number;

  constructor(f: FieldDef) {
    this.dw = f.dw;
    this.shift = f.lo;
    this.mask = mask(f.bits);
    this.scale = 2 ** f.lo;
  }

  read(dw: Uint32Array): number {
    return ((dw[this.dw]! >>> this.shift) & this.mask) >>> 0;
  }
}

/**
 * COPY_LINEAR's operands read straight from the packet's dwords, at the places the packet table gives
 * (the table the decoder and printer use): a copy is the packet the engine sees most, and the table
 * decoder's field object and named-address lookups cost more than a 4 KiB copy.
 */
export class CopyLinearReader {
  readonly header: number;
  readonly dwords: number;
  private readonly count: PacketField;
  private readonly srcLo: PacketField;
  private readonly srcHi: PacketField;
  private readonly dstLo: PacketField;
  private readonly dstHi: PacketField;
  private readonly dcc: PacketField | undefined;

  constructor(version: SdmaVersion) {
    const def = findSdmaDef(version, SDMA_OP.COPY, SDMA_SUBOP.COPY_LINEAR);
    if (!def?.dwords) throw new Error(`SDMA ${version} has no fixed-size COPY_LINEAR packet`);
    const f = (name: string): PacketField => {
      const d = def.fields.find((x) => x.name === name);
      if (!d) throw new Error(`SDMA ${version} COPY_LINEAR has no field ${name}`);
      return new PacketField(d);
    };
    this.header = SDMA_OP.COPY | (SDMA_SUBOP.COPY_LINEAR << 8);
    this.dwords = def.dwords;
    this.count = f('count');
    this.srcLo = f('src_addr_lo');
    this.srcHi = f('src_addr_hi');
    this.dstLo = f('dst_addr_lo');
    this.dstHi = f('dst_addr_hi');
    const dcc = def.fields.find((x) => x.name === 'dcc_control');
    this.dcc = dcc && new PacketField(dcc);
  }

  /** Whether a header dword starts a COPY_LINEAR (op and sub_op; the other header bits are flags). */
  matches(header: number): boolean {
    return (header & 0xffff) === this.header;
  }

  /** The transfer a COPY_LINEAR packet asks for; a QueueStop for what the emulator does not model. */
  transfer(dw: Uint32Array): Transfer {
    const dcc = this.dcc ? this.dcc.read(dw) : 0;
    if (dcc) throw new QueueStop(`COPY_LINEAR with DCC control 0x${dcc.toString(16)}: compression is not modelled`);
    return transferOf('copy', address(dw, this.srcLo, this.srcHi), address(dw, this.dstLo, this.dstHi), this.count.read(dw) + 1, 0, this.dwords);
  }
}

/** A 64-bit address from its low and high fields (the low one possibly stored shifted, as addr64 lays it out). */
function address(dw: Uint32Array, lo: PacketField, hi: PacketField): number | bigint {
  const high = hi.read(dw);
  const low = lo.read(dw) * lo.scale;
  // Below 2^53 (every GPU virtual address) the sum is exact as a double, and no BigInt is made.
  return high < 2 ** 21 ? high * 2 ** 32 + low : (BigInt(high) << 32n) + BigInt(low);
}

/** A transfer from its packet's operands; addresses come as doubles when exact, else as BigInts. */
export function transferOf(kind: Transfer['kind'], src: number | bigint, dst: number | bigint, bytes: number, pattern: number, size: number): Transfer {
  if (typeof src === 'number' && typeof dst === 'number') return { kind, src, dst, bytes, pattern, done: 0, size };
  return { kind, src: Number(src), dst: Number(dst), exact: { src: BigInt(src), dst: BigInt(dst) }, bytes, pattern, done: 0, size };
}

/** Where the transfer's next byte is read (or written) from, exactly, for the mapping-by-mapping walk. */
const exactVa = (t: Transfer, side: 'src' | 'dst'): bigint => (t.exact ? t.exact[side] : BigInt(t[side])) + BigInt(t.done);

/**
 * The accessible bytes of the mapping an engine's copies last read (or wrote), kept as plain numbers
 * for the current version of the page tables: the next packet usually lands in the same buffer
 * object, and the check is then two double comparisons, where GpuVm.within costs a lookup, BigInt
 * arithmetic and a Span per call (a third of the engine's time per 4 KiB copy, profiled).
 */
export class MappingWindow {
  private vmVersion = -1;
  private start = 0;
  private end = 0;
  private base = 0;
  private view: Uint8Array | undefined;
  /** Set by find(): where its range starts in the memory it returned. */
  at = 0;

  constructor(private readonly write: boolean) {}

  /** The memory holding [va, va+n) when one mapping allows all of it, with `va`'s offset in it in `at`; undefined otherwise. */
  find(vm: GpuVm, va: number, n: number): Uint8Array | undefined {
    if (this.vmVersion !== vm.version || va < this.start || va + n > this.end) this.load(vm, va);
    if (va < this.start || va + n > this.end) return undefined;
    this.at = this.base + (va - this.start);
    return this.view;
  }

  /** Lets go of the memory (the queue went idle: a buffer object freed meanwhile must not be kept alive here). */
  forget(): void {
    this.vmVersion = -1;
    this.start = this.end = 0;
    this.view = undefined;
  }

  private load(vm: GpuVm, va: number): void {
    this.vmVersion = vm.version;
    this.start = this.end = 0;
    // Past 2^53 a double names no address exactly (and no mapping lies there): the caller's walk reports it.
    const m = Number.isSafeInteger(va) ? vm.lookup(BigInt(va)) : undefined;
    if (!m || (this.write && !m.writable)) return;
    // The bounds checker's diagnostic narrows a mapping to its valid bytes; the window never reaches past them.
    const from = m.validStart !== undefined && m.validStart > m.start ? m.validStart : m.start;
    const to = m.validEnd !== undefined && m.validEnd < m.end ? m.validEnd : m.end;
    this.start = Number(from);
    this.end = Number(to);
    this.base = m.offset + Number(from - m.start);
    this.view = m.bytes;
  }
}

/** The windows one queue's transfers read and write through. */
export interface TransferWindows {
  readonly src: MappingWindow;
  readonly dst: MappingWindow;
}

export const transferWindows = (): TransferWindows => ({ src: new MappingWindow(false), dst: new MappingWindow(true) });

/** Moves the next `n` bytes of `t` (from t.done); faults as GpuFault before writing anything when a byte is not accessible. */
export function moveSlice(vm: GpuVm, w: TransferWindows, t: Transfer, n: number, client: string): void {
  const d = t.exact ? undefined : w.dst.find(vm, t.dst + t.done, n);
  if (t.kind === 'copy') {
    const s = d && w.src.find(vm, t.src + t.done, n);
    if (d && s) moveBytes(d, w.dst.at, s, w.src.at, n);
    else copyPieces(vm.pieces(exactVa(t, 'dst'), n, true, client), vm.pieces(exactVa(t, 'src'), n, false, client));
    return;
  }
  if (d) fill({ bytes: d, offset: w.dst.at }, n, t.pattern);
  else for (const p of vm.pieces(exactVa(t, 'dst'), n, true, client)) fill(p, p.bytes.length, t.pattern);
}

function copyPieces(dst: readonly Span[], src: readonly Span[]): void {
  let si = 0;
  let so = 0;
  for (const d of dst) {
    let filled = 0;
    while (filled < d.bytes.length) {
      const s = src[si]!.bytes;
      const k = Math.min(s.length - so, d.bytes.length - filled);
      d.bytes.set(s.subarray(so, so + k), filled);
      filled += k;
      so += k;
      if (so === s.length) {
        si++;
        so = 0;
      }
    }
  }
}

/** Fills `n` bytes (a multiple of 4) at the span with a 32-bit little-endian pattern. */
function fill(s: Span, n: number, pattern: number): void {
  const at = s.bytes.byteOffset + s.offset;
  if (HOST_LITTLE_ENDIAN && (at & 3) === 0) {
    new Uint32Array(s.bytes.buffer, at, n >>> 2).fill(pattern);
    return;
  }
  const dv = new DataView(s.bytes.buffer, at, n);
  for (let i = 0; i + 4 <= n; i += 4) dv.setUint32(i, pattern, true);
}
