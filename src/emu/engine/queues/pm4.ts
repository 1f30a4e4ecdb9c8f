// A PM4 compute queue: the CP fetches packets between its read pointer and the doorbell's write
// pointer (both in dwords; the reported read pointer wraps at the ring size), running indirect buffers
// as they come.
import type { LiveWave } from '../../isa/types.js';
import { decodePm4Packet, formatPm4Packet, type Pm4Packet } from '../../../hw/pm4/decode.js';
import { parsePm4Header } from '../../../hw/pm4/opcodes.js';
import { targetByName, type GfxFamily } from '../../../hw/targets.js';
import type { EngineContext, QueueEngine, StepResult } from '../context.js';
import type { QueueDescriptor } from '../protocol.js';
import { CommandProcessor } from './cp.js';
import { QueueStop } from './ring.js';
import { GpuFault } from '../../gpu-vm.js';
import { RingEngineQueue } from './engine-queue.js';

interface IbCursor {
  readonly va: bigint;
  readonly dwords: number;
  pos: number;
}

const MAX_PACKET_DWORDS = 0x4000 + 1;

export function pm4Engine(desc: QueueDescriptor, ctx: EngineContext): QueueEngine {
  return new Pm4Queue(desc, ctx);
}

class Pm4Queue extends RingEngineQueue {
  private readonly family: GfxFamily;
  private readonly cp: CommandProcessor;
  private ib: IbCursor | undefined;
  /** The read pointer last written to the queue's read-pointer memory. */
  private publishedRptr = 0n;
  /** The pointers the ring checks last passed with, and the step's numbers below were worked out from (-1: none yet). */
  private checkedWptr = -1n;
  private checkedRptr = -1n;
  /** During a step: rptr at its start (within the ring, and absolute), dwords submitted then, dwords consumed since. */
  private stepFrom = 0;
  private stepFromAbsolute = 0;
  private stepAvailable = 0;
  private stepConsumed = 0;
  private readonly scratch = new Uint32Array(MAX_PACKET_DWORDS);
  /** The ring's size in dwords (a queue update may change it), as a number and as a BigInt. */
  private ringDwords: number;
  private ringDwordsBig: bigint;
  /**
   * The packet the queue is blocked at (a wait not yet satisfied), decoded: the CP holds a fetched packet
   * and re-checks its condition rather than fetching and decoding it again on every poll.
   */
  private blocked: Pm4Packet | undefined;

  constructor(desc: QueueDescriptor, ctx: EngineContext) {
    super(desc, ctx, desc.kernelRing ? `CP (kernel ring ${desc.kernelRing})` : `CP (PM4 queue ${desc.queueId})`);
    this.family = targetByName(ctx.target)?.family ?? 'gfx11';
    this.cp = new CommandProcessor(ctx, this.family, this.client);
    this.ringDwords = desc.ringSize >> 2;
    this.ringDwordsBig = BigInt(this.ringDwords);
  }

  override updateRing(ringVa: bigint, ringSize: number): void {
    super.updateRing(ringVa, ringSize);
    this.ringDwords = ringSize >> 2;
    this.ringDwordsBig = BigInt(this.ringDwords);
    // The packet is fetched again from the ring where it now is.
    this.blocked = undefined;
  }

  protected publishRptr(): void {
    this.ctx.vm.write32(this.desc.rptrVa, Number(this.rptr % this.ringDwordsBig), this.client);
    this.publishedRptr = this.rptr;
  }

  protected run(budget: number): StepResult {
    // The step reads the ring with plain numbers (BigInt arithmetic per packet costs more than the
    // packet): where it started, what was submitted, what it consumed so far. rptr catches up after.
    // They and the ring checks depend only on the two pointers, so a queue re-polling a wait with
    // neither moved skips them.
    if (this.wptr !== this.checkedWptr || this.rptr !== this.checkedRptr) {
      const decided = this.checkRing(this.ringDwordsBig, 'dwords');
      if (decided) return decided;
      this.stepFrom = Number(this.rptr % this.ringDwordsBig);
      this.stepFromAbsolute = Number(this.rptr);
      this.stepAvailable = Number(this.wptr - this.rptr);
      this.checkedWptr = this.wptr;
      this.checkedRptr = this.rptr;
    }
    this.stepConsumed = 0;
    let result: StepResult;
    try {
      result = this.runPackets(budget);
    } catch (e) {
      this.settleRptr();
      // The packets before the offending one were consumed; a fault writing the read pointer is not
      // what stopped the queue, so it does not replace the packet's own error.
      try {
        if (this.rptr !== this.publishedRptr) this.publishRptr();
      } catch (f) {
        if (!(f instanceof GpuFault)) throw f;
      }
      throw e;
    }
    this.settleRptr();
    // Once per step rather than per packet: the driver reads it only to reuse ring space.
    if (this.rptr !== this.publishedRptr) this.publishRptr();
    return result;
  }

  private settleRptr(): void {
    if (this.stepConsumed === 0) return;
    this.rptr += BigInt(this.stepConsumed);
    this.stepConsumed = 0;
  }

  private runPackets(budget: number): StepResult {
    let did = false;
    for (let n = 0; n < budget; n++) {
      if (this.cp.busy && !this.cp.stepDispatch()) return 'progress';
      const r = this.ib ? this.stepIb() : this.stepRing();
      if (r === 'idle') return did ? 'progress' : 'idle';
      if (r === 'waiting') return did ? 'progress' : 'waiting';
      did = true;
    }
    return 'progress';
  }

  private stepRing(): StepResult {
    const avail = this.stepAvailable - this.stepConsumed;
    if (avail === 0) return 'idle';
    const p = this.blocked ?? this.fetchRingPacket(avail);
    const r = this.cp.execute(p, this.scratch);
    if (r.kind === 'wait') {
      this.blocked = p;
      this.waitingFor = r.what;
      return 'waiting';
    }
    this.blocked = undefined;
    this.waitingFor = '';
    this.recent.push(this.stepFromAbsolute + this.stepConsumed);
    if (r.kind === 'ib') this.ib = { va: r.va, dwords: r.dwords, pos: 0 };
    this.stepConsumed += p.size;
    return 'progress';
  }

  /** The packet at the read pointer, decoded (its dwords in scratch), `avail` dwords being submitted from there. */
  private fetchRingPacket(avail: number): Pm4Packet {
    const off = ((this.stepFrom + this.stepConsumed) % this.ringDwords) * 4;
    const h = parsePm4Header(this.ring.word(off));
    const size = h.type === 3 ? 1 + h.body : 1;
    if (size > avail) throw new QueueStop(`packet at dword ${this.stepFromAbsolute + this.stepConsumed} needs ${size} dwords but only ${avail} were submitted before the write pointer`);
    this.ring.copy(off, size, this.scratch);
    const p = decodePm4Packet(this.scratch, 0, size, this.family);
    if (p.error) throw new QueueStop(p.error);
    return p;
  }

  private stepIb(): StepResult {
    const ib = this.ib!;
    if (ib.pos >= ib.dwords) {
      this.ib = undefined;
      return 'progress';
    }
    const p = this.blocked ?? this.readIbPacket(ib);
    if (p.error) throw new QueueStop(`in indirect buffer 0x${ib.va.toString(16)} at dword ${ib.pos}: ${p.error}`);
    const r = this.cp.execute(p, this.scratch);
    if (r.kind === 'ib') throw new QueueStop(`indirect buffer at 0x${ib.va.toString(16)} calls another indirect buffer: nested IBs are not supported by the emulated CP`);
    if (r.kind === 'wait') {
      this.blocked = p;
      this.waitingFor = r.what;
      return 'waiting';
    }
    this.blocked = undefined;
    this.waitingFor = '';
    ib.pos += p.size;
    return 'progress';
  }

  private readIbPacket(ib: IbCursor): Pm4Packet {
    const left = ib.dwords - ib.pos;
    const first = this.ctx.vm.read32(ib.va + BigInt(ib.pos * 4), this.client);
    const h = parsePm4Header(first);
    const size = Math.min(h.type === 3 ? 1 + h.body : 1, left);
    const s = this.ctx.vm.span(ib.va + BigInt(ib.pos * 4), size * 4, false, this.client);
    const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset + s.offset, size * 4);
    for (let i = 0; i < size; i++) this.scratch[i] = dv.getUint32(i * 4, true);
    return decodePm4Packet(this.scratch, 0, size, this.family);
  }

  destroy(): void {
    this.cp.cancel();
  }

  protected override runningWaves(): LiveWave[] {
    return this.cp.waves();
  }

  protected describe(): string[] {
    try {
      const from = BigInt(this.recent.oldest ?? Number(this.rptr));
      const span = Math.min(Number(this.wptr - from) + 16, this.ringDwords);
      const dw = this.ring.read(Number(from % BigInt(this.ringDwords)) * 4, span, new Uint32Array(span));
      const out: string[] = [];
      for (let at = 0; at < Math.min(span, Number(this.wptr - from)) && out.length < 12; ) {
        const p = decodePm4Packet(dw, at, span, this.family);
        const abs = from + BigInt(at);
        out.push(`${abs === this.rptr ? '=>' : '  '} ${formatPm4Packet({ ...p, offset: Number(abs) }, this.family)}`);
        if (p.error) break;
        at += p.size;
      }
      if (this.ib) out.push(...this.describeIndirectBuffer(this.ib, (dw, at, n) => {
        const p = decodePm4Packet(dw, at, n, this.family);
        return { text: formatPm4Packet({ ...p, offset: at }, this.family), size: p.size, error: p.error };
      }));
      return out;
    } catch (e) {
      return [`(ring unreadable: ${e instanceof Error ? e.message : String(e)})`];
    }
  }
}
