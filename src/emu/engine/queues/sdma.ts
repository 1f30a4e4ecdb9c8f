// An SDMA queue: read and write pointers count bytes (64-bit, monotonic); packets are dword multiples.
// Copies and fills run in slices, and one step moves at most a slice's worth of bytes over any number of
// packets, so the GPU's other queues keep moving (compute/SDMA overlap) whatever the packet size limit;
// a queue alone with work on the engine takes much larger slices.
import { decodeSdmaPacket, findSdmaDef, formatSdmaPacket, sdmaVersionOf } from '../../../hw/sdma/decode.js';
import { SDMA_ATOMIC, SDMA_OP, type SdmaPacketDef, type SdmaVersion } from '../../../hw/sdma/packets.js';
import { compare } from '../../../hw/pm4/opcodes.js';
import { address } from '../../../hw/packet-fields.js';
import { targetByName } from '../../../hw/targets.js';
import type { EngineContext, QueueEngine, StepResult } from '../context.js';
import type { QueueDescriptor } from '../protocol.js';
import { QueueStop } from './ring.js';
import { RingEngineQueue } from './engine-queue.js';
import { CopyLinearReader, moveSlice, transferOf, transferWindows, type Transfer } from './sdma-transfer.js';
import { releaseStore64 } from '../../../os/store-order.js';

/** Bytes one step of COPY_LINEAR / CONST_FILL packets moves before yielding to the other queues when one of them has work. */
const SHARED_SLICE_BYTES = 4 << 20;
/**
 * The slice while no other queue of the engine has work (checked again after every slice, so a new
 * doorbell waits for one slice at most: about 25 ms at 10 GB/s). glibc's memmove streams with
 * non-temporal stores only past x86_non_temporal_threshold (3/4 of the shared cache it reads from
 * CPUID: 192 MiB on the 2-core EPYC VM this was measured on), and there a 256 MiB copy ran at
 * 10-11 GB/s in one call, 6-7 GB/s as 4-64 MiB pieces; so does the CPU's own memcpy of 256 MiB.
 */
const ALONE_SLICE_BYTES = 256 << 20;
/** POLL_REGMEM function 0: the compare always succeeds. */
const COMPARE_ALWAYS = 0;
const MAX_PACKET_DWORDS = (1 << 20) + 4;
/** Ring dwords read at once: every fixed-size packet (the longest, ATOMIC and SDMA 7's COPY_LINEAR, has 8) in one read. */
const FETCH_DWORDS = 8;

export function sdmaEngine(desc: QueueDescriptor, ctx: EngineContext): QueueEngine {
  return new SdmaQueue(desc, ctx);
}

class SdmaQueue extends RingEngineQueue {
  private readonly version: SdmaVersion;
  private transfer: Transfer | undefined;
  /** The indirect buffer being run (packets come from it until its last dword, then from the ring again). */
  private ib: { readonly va: bigint; readonly dwords: number; pos: number } | undefined;
  private scratch = new Uint32Array(64);
  /** The packet fetch() read last, from index 0 (the scratch buffer, or an indirect buffer's words). */
  private packet: Uint32Array = this.scratch;
  private readonly copyLinear: CopyLinearReader;
  private readonly windows = transferWindows();
  /** Packet definitions by header op | sub_op << 8 (null: no such packet). */
  private readonly defs = new Map<number, SdmaPacketDef | null>();
  /** The read pointer's memory, resolved once per version of the page tables. */
  private rptrCell: { readonly vmVersion: number; readonly cell: BigUint64Array } | undefined;
  /**
   * The read and write pointers as numbers while a step runs (exact: both stay far below 2^53), so a
   * packet costs no BigInt arithmetic; the step leaves `rptr` up to date when it returns or throws.
   */
  private readAt = 0;
  private writeAt = 0;
  /** Fault injection that corrupts a finished copy (fixed for the engine's life, so not looked up per copy). */
  private readonly flipCopyByte: boolean;

  constructor(desc: QueueDescriptor, ctx: EngineContext) {
    super(desc, ctx, desc.kernelRing ? `SDMA${desc.sdmaEngine} (kernel ring ${desc.kernelRing})` : `SDMA${desc.sdmaEngine} (queue ${desc.queueId})`);
    this.version = sdmaVersionOf(targetByName(ctx.target)?.sdma ?? [6, 0]);
    this.copyLinear = new CopyLinearReader(this.version);
    this.flipCopyByte = ctx.inject.has('flip-copy-byte');
  }

  protected publishRptr(): void {
    this.storeRptr(Number(this.rptr));
  }

  /**
   * After every packet: a release store (after the packet's reads) into a cached view of the read
   * pointer, not a page-table walk each time.
   */
  private storeRptr(bytes: number): void {
    const vm = this.ctx.vm;
    let c = this.rptrCell;
    if (c?.vmVersion !== vm.version) {
      const s = vm.within(this.desc.rptrVa, 8, true);
      if (!s || ((s.bytes.byteOffset + s.offset) & 7) !== 0) {
        this.rptrCell = undefined;
        vm.write64(this.desc.rptrVa, BigInt(bytes), this.client); // faults, or stores unaligned, as any write
        return;
      }
      c = this.rptrCell = { vmVersion: vm.version, cell: new BigUint64Array(s.bytes.buffer, s.bytes.byteOffset + s.offset, 1) };
    }
    releaseStore64(c.cell, 0, bytes);
  }

  protected run(budget: number): StepResult {
    if ((this.wptr & 3n) !== 0n) throw new QueueStop(`write pointer ${this.wptr} is not a multiple of 4 bytes`);
    const decided = this.checkRing(BigInt(this.ring.bytes), 'bytes');
    if (decided) return decided;
    this.readAt = Number(this.rptr);
    this.writeAt = Number(this.wptr);
    try {
      return this.runPackets(budget);
    } finally {
      if (this.readAt !== Number(this.rptr)) this.rptr = BigInt(this.readAt);
    }
  }

  private runPackets(budget: number): StepResult {
    let did = false;
    let moved = 0;
    for (let n = 0; n < budget; n++) {
      if (!this.transfer) {
        const r = this.next();
        if (r !== 'progress') return did ? 'progress' : r;
        did = true;
        if (!this.transfer) continue;
      }
      moved += this.continueTransfer();
      did = true;
      if (moved >= SHARED_SLICE_BYTES && (moved >= ALONE_SLICE_BYTES || this.ctx.othersHaveWork(this))) return 'progress';
    }
    return 'progress';
  }

  /**
   * Reads the next packet, from the indirect buffer being run or else from the ring, into `this.packet`
   * from index 0; returns its size in dwords, 0 when there is none. Ring offsets are doubles: the read
   * pointer only grows by consumed packets (far below 2^53) and the write pointer is at most a ring ahead.
   */
  private fetch(): number {
    const ib = this.ib;
    if (ib) {
      const left = ib.dwords - ib.pos;
      const at = ib.va + BigInt(ib.pos * 4);
      const head = this.readVm(at, Math.min(4, left));
      const size = this.packetSize(head, left);
      if (size > left) throw new QueueStop(`in indirect buffer 0x${ib.va.toString(16)} at dword ${ib.pos}: packet needs ${size} dwords but the IB has ${left} left`);
      this.packet = this.readVm(at, size);
      return size;
    }
    const rptr = this.readAt;
    const avail = (this.writeAt - rptr) >> 2;
    if (avail === 0) return 0;
    const off = rptr % this.ring.bytes;
    this.ring.copy(off, Math.min(FETCH_DWORDS, avail), this.scratch);
    const size = this.packetSize(this.scratch, avail);
    if (size > avail) throw new QueueStop(`packet at byte ${rptr} needs ${size} dwords but only ${avail} were submitted before the write pointer`);
    if (size > FETCH_DWORDS) {
      if (this.scratch.length < size) this.scratch = new Uint32Array(size);
      this.ring.copy(off, size, this.scratch);
    }
    this.packet = this.scratch;
    return size;
  }

  /**
   * A packet's size from its first dwords (four are enough), `avail` being what is there to read: the
   * decoder's sizes (fixed per packet, NOP's and WRITE_LINEAR's from their count), and 1 for a header
   * that is no packet, which the decoder then reports.
   */
  private packetSize(head: Uint32Array, avail: number): number {
    const h = head[0]!;
    const op = h & 0xff;
    const def = this.definition(h);
    let size: number;
    if (op === SDMA_OP.WRITE && avail < 4) size = 4;
    else if (!def) size = 1;
    else if (op === SDMA_OP.NOP) size = 1 + ((h >>> 16) & 0x3fff);
    else if (op === SDMA_OP.WRITE) size = head.length > 3 ? 4 + ((head[3]! & 0xfffff) + 1) : 4;
    else size = def.dwords ?? 1;
    if (size > MAX_PACKET_DWORDS) throw new QueueStop(`packet of ${size} dwords is larger than any SDMA packet`);
    return size;
  }

  private definition(header: number): SdmaPacketDef | null {
    const key = header & 0xffff;
    let def = this.defs.get(key);
    if (def === undefined) this.defs.set(key, (def = findSdmaDef(this.version, key & 0xff, key >>> 8) ?? null));
    return def;
  }

  private readVm(va: bigint, dwords: number): Uint32Array {
    if (this.scratch.length < dwords) this.scratch = new Uint32Array(dwords);
    const s = this.ctx.vm.span(va, dwords * 4, false, this.client);
    const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset + s.offset, dwords * 4);
    for (let i = 0; i < dwords; i++) this.scratch[i] = dv.getUint32(i * 4, true);
    return this.scratch.subarray(0, dwords);
  }

  private next(): StepResult {
    const size = this.fetch();
    if (size === 0) {
      this.windows.src.forget();
      this.windows.dst.forget();
      return 'idle';
    }
    const dw = this.packet;
    if (this.copyLinear.matches(dw[0]!)) {
      this.transfer = this.copyLinear.transfer(dw);
      return 'progress';
    }
    const p = decodeSdmaPacket(dw, 0, size, this.version);
    if (p.error) throw new QueueStop(this.ib ? `in indirect buffer 0x${this.ib.va.toString(16)} at dword ${this.ib.pos}: ${p.error}` : p.error);
    const f = p.fields;
    const vm = this.ctx.vm;
    switch (p.op) {
      case SDMA_OP.NOP:
        break;
      case SDMA_OP.CONST_FILL: {
        const dst = address(f, 'dst_addr');
        if ((dst & 3n) !== 0n || (f.count! + 1) % 4 !== 0) throw new QueueStop(`CONST_FILL of ${f.count! + 1} bytes at 0x${dst.toString(16)}: dword fills need a dword-aligned address and size`);
        this.transfer = transferOf('fill', 0, Number.isSafeInteger(Number(dst)) ? Number(dst) : dst, f.count! + 1, f.src_data!, size);
        return 'progress';
      }
      case SDMA_OP.WRITE: {
        const dst = address(f, 'dst_addr');
        if ((dst & 3n) !== 0n) throw new QueueStop(`WRITE_LINEAR to unaligned address 0x${dst.toString(16)}`);
        p.data!.forEach((v, i) => vm.write32(dst + BigInt(4 * i), v, this.client));
        break;
      }
      case SDMA_OP.FENCE: {
        const a = address(f, 'addr');
        if ((a & 3n) !== 0n) throw new QueueStop(`FENCE to unaligned address 0x${a.toString(16)}`);
        vm.write32(a, f.data!, this.client);
        break;
      }
      case SDMA_OP.TRAP:
        this.ctx.interrupt(f.int_context!, this.client);
        break;
      case SDMA_OP.INDIRECT: {
        if (this.ib) throw new QueueStop(`indirect buffer at 0x${this.ib.va.toString(16)} calls another indirect buffer: SDMA IBs do not nest`);
        const va = address(f, 'ib_base');
        if ((va & 31n) !== 0n) throw new QueueStop(`INDIRECT_BUFFER base 0x${va.toString(16)} is not 32-byte aligned`);
        this.consume(size);
        if (f.ib_size! > 0) this.ib = { va, dwords: f.ib_size!, pos: 0 };
        return 'progress';
      }
      case SDMA_OP.POLL_REGMEM: {
        // A register poll whose compare function is "always" never waits: ROCr emits one before every
        // gfx9 copy as its HDP flush (amd_blit_sdma.cpp BuildHdpFlushCommand). Real register polls need
        // registers the emulator does not model.
        if (f.mem_poll !== 1 && f.function === COMPARE_ALWAYS) break;
        if (f.mem_poll !== 1) throw new QueueStop('POLL_REGMEM on a register is not supported by the emulated SDMA');
        const a = address(f, 'addr');
        if ((a & 3n) !== 0n) throw new QueueStop(`POLL_REGMEM on unaligned address 0x${a.toString(16)}`);
        const v = vm.read32(a, this.client);
        if (this.ctx.inject.has('stall-queue') || !compare(f.function!, (v & f.mask!) >>> 0, f.value!)) {
          this.waitingFor = () => `POLL_REGMEM mem 0x${a.toString(16)} (0x${v.toString(16)} & 0x${f.mask!.toString(16)}) func ${f.function} 0x${f.value!.toString(16)}${this.ctx.inject.has('stall-queue') ? ' (stalled by fault injection)' : ''}`;
          return 'waiting';
        }
        this.waitingFor = '';
        break;
      }
      case SDMA_OP.ATOMIC: {
        const a = address(f, 'addr');
        if ((a & 7n) !== 0n) throw new QueueStop(`ATOMIC on address 0x${a.toString(16)} that is not 8-byte aligned`);
        if (f.loop !== 0) throw new QueueStop('ATOMIC with the loop bit (retry until the compare succeeds) is not modelled');
        if (f.operation !== SDMA_ATOMIC.ADD64) throw new QueueStop(`ATOMIC operation ${f.operation} is not modelled (only ADD64, ${SDMA_ATOMIC.ADD64})`);
        vm.atomicAdd64(a, address(f, 'src_data'), this.client);
        break;
      }
      case SDMA_OP.TIMESTAMP: {
        const a = address(f, 'addr');
        if ((a & 7n) !== 0n) throw new QueueStop(`TIMESTAMP to address 0x${a.toString(16)} that is not 8-byte aligned`);
        vm.write64(a, this.ctx.clock(), this.client);
        break;
      }
      default:
        throw new QueueStop(`SDMA ${p.name} is not supported by the emulated SDMA engine`);
    }
    this.consume(size);
    return 'progress';
  }

  private consume(dwords: number): void {
    const ib = this.ib;
    if (ib) {
      ib.pos += dwords;
      if (ib.pos >= ib.dwords) this.ib = undefined;
      return;
    }
    this.recent.push(this.readAt);
    this.readAt += dwords * 4;
    this.storeRptr(this.readAt);
  }

  /** Moves the next slice of the current copy or fill (completing it when that was the last); returns the bytes moved. */
  private continueTransfer(): number {
    const t = this.transfer!;
    const left = t.bytes - t.done;
    const n = left <= SHARED_SLICE_BYTES ? left : Math.min(left, this.ctx.othersHaveWork(this) ? SHARED_SLICE_BYTES : ALONE_SLICE_BYTES);
    const vm = this.ctx.vm;
    moveSlice(vm, this.windows, t, n, this.client);
    t.done += n;
    if (t.done < t.bytes) return n;
    if (t.kind === 'copy' && this.flipCopyByte) {
      const va = BigInt(t.dst + (t.bytes >> 1)); // exact: the copy just wrote there
      const s = vm.span(va, 1, true, this.client);
      s.bytes[s.offset] = s.bytes[s.offset]! ^ 0xff;
    }
    this.transfer = undefined;
    this.consume(t.size);
    return n;
  }

  protected describe(): string[] {
    try {
      const from = BigInt(this.recent.oldest ?? Number(this.rptr));
      const dwords = Math.min(Number(this.wptr - from) >> 2, this.ring.bytes >> 2, 4096);
      const dw = this.ring.read(Number(from % BigInt(this.ring.bytes)), dwords, new Uint32Array(dwords));
      const out: string[] = [];
      for (let at = 0; at < dwords && out.length < 12; ) {
        const p = decodeSdmaPacket(dw, at, dwords, this.version);
        const abs = from + BigInt(at * 4);
        out.push(`${abs === this.rptr ? '=>' : '  '} ${formatSdmaPacket({ ...p, offset: Number(abs) }, this.version).replace(/^\[\s*(\d+)\]/, '[byte $1]')}`);
        if (p.error) break;
        at += p.size;
      }
      if (this.ib) out.push(...this.describeIndirectBuffer(this.ib, (dw, at, n) => {
        const p = decodeSdmaPacket(dw, at, n, this.version);
        return { text: formatSdmaPacket({ ...p, offset: at }, this.version), size: p.size, error: p.error };
      }));
      return out;
    } catch (e) {
      return [`(ring unreadable: ${e instanceof Error ? e.message : String(e)})`];
    }
  }
}
